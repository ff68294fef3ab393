//! Folding on PostgreSQL: which results have committed, and rollup upserts by `UNNEST`.
//!
//! Results get their `seq` from a sequence when their insert runs, but commit in any order,
//! so a fold must not move its cursor past a seq whose transaction is still open. Every
//! ingest transaction holds a shared advisory lock; a fold first takes that lock
//! exclusively for an instant — which waits until every ingest that started before has
//! committed — and reads the highest seq then: every seq up to it is settled. Ingests that
//! start later take later seqs.

use std::collections::HashSet;

use pulsar_core::{Rollup, RollupSample};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::arrays::unnest;
use crate::backend::Rollups;
use crate::dialect::Dialect;
use crate::dialect::PgBackend;
use crate::error::{Result, StoreError};
use crate::rows::{HistogramRow, RollupKey, RollupRow, merge_stored_histograms};
use crate::sql::{Field, Upsert, column_list, on_conflict};

/// First key of the advisory lock that ingest shares and a fold takes alone; the second is
/// a hash of the schema, so stores in different schemas of one database never wait for
/// each other.
const INGEST_LOCK: i32 = 0x5055_4c53; // "PULS"

/// Takes the ingest lock in shared mode for the rest of the transaction `conn` is in.
pub(super) async fn share_ingest_lock(conn: &mut PgConnection) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock_shared($1, hashtext(current_schema()))")
        .bind(INGEST_LOCK)
        .execute(conn)
        .await?;
    Ok(())
}

impl Rollups for PgBackend {
    async fn settled_seq(pool: &PgPool) -> Result<Option<i64>> {
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))")
            .bind(INGEST_LOCK)
            .execute(&mut *tx)
            .await?;
        let settled: i64 = sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM check_results")
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(settled))
    }

    /// Key-shares the monitors until commit: a concurrent delete waits for this fold and
    /// then deletes the rollups it wrote; a monitor deleted before is skipped (its rows are
    /// gone).
    async fn keep_live_monitors(
        tx: &mut PgConnection,
        samples: &mut Vec<RollupSample>,
    ) -> Result<()> {
        let mut ids: Vec<Uuid> = samples.iter().map(|r| r.monitor_id.0).collect();
        ids.sort_unstable();
        ids.dedup();
        let live: HashSet<Uuid> = sqlx::query_scalar(
            "SELECT id FROM monitors WHERE id = ANY($1) ORDER BY id FOR KEY SHARE",
        )
        .bind(ids)
        .fetch_all(tx)
        .await?
        .into_iter()
        .collect();
        samples.retain(|r| live.contains(&r.monitor_id.0));
        Ok(())
    }

    /// Stored rows are locked in key order; if a concurrent batch created one of the
    /// others first, the attempt is a `Conflict` and reruns.
    async fn merge_and_add(tx: &mut PgConnection, deltas: &mut [Rollup]) -> Result<()> {
        let keys: Vec<RollupKey> = deltas.iter().map(crate::rows::rollup_key).collect();
        let stored: Vec<HistogramRow> = sqlx::query_as(
            "SELECT monitor_id, bucket_seconds, bucket_start_ms, histograms FROM rollups \
             WHERE (bucket_seconds, bucket_start_ms, monitor_id) IN ( \
                 SELECT * FROM UNNEST($1::int[], $2::bigint[], $3::uuid[])) \
             ORDER BY bucket_seconds, bucket_start_ms, monitor_id FOR UPDATE",
        )
        .bind(keys.iter().map(|k| k.1).collect::<Vec<_>>())
        .bind(keys.iter().map(|k| k.2).collect::<Vec<_>>())
        .bind(keys.iter().map(|k| k.0).collect::<Vec<_>>())
        .fetch_all(&mut *tx)
        .await?;
        let existed: HashSet<RollupKey> = stored.iter().map(HistogramRow::key).collect();
        merge_stored_histograms(deltas, &stored)?;
        let written = upsert(tx, deltas, Upsert::Merge).await?;
        let raced = written.iter().any(|(id, seconds, start, inserted)| {
            !inserted && !existed.contains(&(*id, *seconds, *start))
        });
        if raced {
            return Err(StoreError::Conflict(
                "a rollup row was created by a concurrent batch".into(),
            ));
        }
        Ok(())
    }

    async fn insert_new_rollups(tx: &mut PgConnection, rows: &[Rollup]) -> Result<u64> {
        Ok(upsert(tx, rows, Upsert::Skip).await?.len() as u64)
    }

    #[cfg(feature = "bench")]
    async fn import_rollups(tx: &mut PgConnection, rollups: &[Rollup]) -> Result<()> {
        for chunk in rollups.chunks(10_000) {
            upsert(tx, chunk, Upsert::Replace).await?;
        }
        Ok(())
    }
}

/// Upserts `rollups`; returns each written row's key with whether it was inserted (not
/// updated).
async fn upsert(
    tx: &mut PgConnection,
    rollups: &[Rollup],
    how: Upsert,
) -> Result<Vec<(Uuid, i32, i64, bool)>> {
    if rollups.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<RollupRow> = rollups.iter().map(RollupRow::new).collect();
    let fields: Vec<Vec<Field<'_>>> = rows.iter().map(RollupRow::fields).collect();
    let (unnest, arguments) = unnest(&fields)?;
    let on_conflict = on_conflict("rollups", &fields[0], how, PgBackend::SQL.least_greatest);
    let sql = format!(
        "INSERT INTO rollups ({}) SELECT * FROM {unnest}{on_conflict} \
         RETURNING monitor_id, bucket_seconds, bucket_start_ms, (xmax = 0) AS inserted",
        column_list(&fields[0])
    );
    Ok(sqlx::query_as_with(sqlx::AssertSqlSafe(sql), arguments)
        .fetch_all(tx)
        .await?)
}
