//! Batch writes on PostgreSQL: each column of a batch travels as one array and the rows are
//! `UNNEST`ed in one statement, whatever the batch size.

use sqlx::{PgConnection, PgPool};

use super::arrays::unnest;
use super::rollups::share_ingest_lock;
use crate::backend::Ingest;
use crate::dialect::PgBackend;
use crate::error::{Result, StoreError, is_foreign_key_violation};
use crate::rows::{HostSampleColumns, ResultColumns};
use crate::sql::{Field, column_list};

/// Attempts of a result batch that keeps meeting concurrent writers (deadlock, a monitor
/// deleted under it) before the conflict is reported.
const INSERT_ATTEMPTS: usize = 5;

impl Ingest for PgBackend {
    async fn insert_results(pool: &PgPool, rows: &[ResultColumns]) -> Result<u64> {
        let mut attempt = 1;
        loop {
            match try_insert_results(pool, rows).await {
                Err(StoreError::Conflict(source)) if attempt < INSERT_ATTEMPTS => {
                    tracing::debug!(attempt, error = %source, "result batch met a concurrent writer; retrying");
                    attempt += 1;
                }
                outcome => return outcome,
            }
        }
    }

    async fn insert_host_samples(
        tx: &mut PgConnection,
        rows: &[HostSampleColumns],
    ) -> Result<Vec<(String, i64)>> {
        let fields: Vec<Vec<Field<'_>>> = rows.iter().map(|s| s.fields()).collect();
        let (unnest, arguments) = unnest(&fields)?;
        let sql = format!(
            "INSERT INTO host_samples ({}) SELECT * FROM {unnest} \
             ON CONFLICT (hostname, taken_at_ms) DO NOTHING RETURNING hostname, taken_at_ms",
            column_list(&fields[0])
        );
        Ok(sqlx::query_as_with(sqlx::AssertSqlSafe(sql), arguments)
            .fetch_all(tx)
            .await?)
    }
}

async fn try_insert_results(pool: &PgPool, rows: &[ResultColumns]) -> Result<u64> {
    let fields: Vec<Vec<Field<'_>>> = rows.iter().map(ResultColumns::fields).collect();
    let (unnest, arguments) = unnest(&fields)?;
    let columns = column_list(&fields[0]);
    // Seqs come from the column's sequence. A redelivered result keeps its first row;
    // rollups see each result once.
    let sql = format!(
        "INSERT INTO check_results ({columns}) SELECT u.* FROM {unnest} \
         WHERE EXISTS (SELECT 1 FROM monitors m WHERE m.id = u.monitor_id) \
         ON CONFLICT (monitor_id, slot_ms) DO NOTHING"
    );
    let mut tx = pool.begin().await?;
    // Held until commit: a fold waits for this batch before it reads past its seqs.
    share_ingest_lock(&mut tx).await?;
    let inserted = sqlx::query_with(sqlx::AssertSqlSafe(sql), arguments)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            // A monitor deleted while the batch was written: retry, and its results are
            // skipped.
            if is_foreign_key_violation(&e) {
                StoreError::Conflict(e.into())
            } else {
                e.into()
            }
        })?;
    tx.commit().await?;
    Ok(inserted.rows_affected())
}
