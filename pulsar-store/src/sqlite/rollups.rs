//! Folding on SQLite: writers are serialized by `BEGIN IMMEDIATE`, so a fold sees every
//! result written before it, in seq order, and no monitor changes under it. Rollup rows are
//! written by multi-row `VALUES` upserts.

use pulsar_core::{Rollup, RollupSample, unix_ms};
use sqlx::{SqliteConnection, SqlitePool};

use crate::backend::Rollups;
use crate::dialect::Dialect;
use crate::dialect::SqliteBackend;
use crate::error::Result;
use crate::rows::{HistogramRow, RollupRow, merge_stored_histograms};
use crate::sql::{Conn, Field, ROWS_PER_STATEMENT, Upsert, insert_values, on_conflict};

impl Rollups for SqliteBackend {
    async fn settled_seq(_: &SqlitePool) -> Result<Option<i64>> {
        Ok(None)
    }

    /// A deleted monitor's results went with it (by cascade), under the same write lock.
    async fn keep_live_monitors(_: &mut SqliteConnection, _: &mut Vec<RollupSample>) -> Result<()> {
        Ok(())
    }

    async fn merge_and_add(tx: &mut SqliteConnection, deltas: &mut [Rollup]) -> Result<()> {
        let keys: Vec<String> = deltas
            .iter()
            .map(|r| {
                format!(
                    "[\"{}\",{},{}]",
                    r.monitor_id.0.simple(),
                    r.bucket.seconds(),
                    unix_ms(r.start)
                )
            })
            .collect();
        // The write lock held since BEGIN IMMEDIATE keeps this read and the write consistent.
        let stored: Vec<HistogramRow> = sqlx::query_as(
            "SELECT r.monitor_id, r.bucket_seconds, r.bucket_start_ms, r.histograms \
             FROM json_each($1) AS k CROSS JOIN rollups r \
             ON r.monitor_id = unhex(k.value ->> 0) AND r.bucket_seconds = k.value ->> 1 \
             AND r.bucket_start_ms = k.value ->> 2",
        )
        .bind(format!("[{}]", keys.join(",")))
        .fetch_all(&mut *tx)
        .await?;
        merge_stored_histograms(deltas, &stored)?;
        upsert(tx, deltas, Upsert::Merge).await?;
        Ok(())
    }

    async fn insert_new_rollups(tx: &mut SqliteConnection, rows: &[Rollup]) -> Result<u64> {
        upsert(tx, rows, Upsert::Skip).await
    }

    #[cfg(feature = "bench")]
    async fn import_rollups(tx: &mut SqliteConnection, rollups: &[Rollup]) -> Result<()> {
        upsert(tx, rollups, Upsert::Replace).await?;
        Ok(())
    }
}

/// Upserts `rollups`; returns how many rows were inserted or updated.
async fn upsert(tx: &mut SqliteConnection, rollups: &[Rollup], how: Upsert) -> Result<u64> {
    let mut written = 0;
    for chunk in rollups.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<RollupRow> = chunk.iter().map(RollupRow::new).collect();
        let fields: Vec<Vec<Field<'_>>> = rows.iter().map(RollupRow::fields).collect();
        let on_conflict = on_conflict(
            "rollups",
            &fields[0],
            how,
            SqliteBackend::SQL.least_greatest,
        );
        written += tx
            .execute(insert_values(
                "rollups",
                &fields,
                &on_conflict,
                SqliteBackend::SQL.placeholders,
            ))
            .await?;
    }
    Ok(written)
}
