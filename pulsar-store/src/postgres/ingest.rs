//! Batch writes on PostgreSQL: each column of a batch travels as one array and the rows are
//! `UNNEST`ed in one statement, whatever the batch size.

use sqlx::PgConnection;
use uuid::Uuid;

use super::arrays::unnest;
use super::rollups::share_ingest_lock;
use crate::backend::{Ingest, Inserted};
use crate::dialect::PgBackend;
use crate::error::{Result, StoreError, is_foreign_key_violation};
use crate::rows::{HostSampleColumns, ResultColumns};
use crate::sql::{Field, column_list};

impl Ingest for PgBackend {
    /// Each column of the batch travels as one array: one statement whatever its size.
    async fn insert_results(
        tx: &mut PgConnection,
        rows: &[ResultColumns],
        keys: bool,
    ) -> Result<Inserted> {
        // Held until commit: a fold waits for this batch before it reads past its seqs.
        share_ingest_lock(tx).await?;
        let fields: Vec<Vec<Field<'_>>> = rows.iter().map(ResultColumns::fields).collect();
        let (unnest, arguments) = unnest(&fields)?;
        let columns = column_list(&fields[0]);
        // Seqs come from the column's sequence. A redelivered result keeps its first row;
        // rollups see each result once.
        let returning = if keys {
            " RETURNING monitor_id, slot_ms"
        } else {
            ""
        };
        let sql = sqlx::AssertSqlSafe(format!(
            "INSERT INTO check_results ({columns}) SELECT u.* FROM {unnest} \
             WHERE EXISTS (SELECT 1 FROM monitors m WHERE m.id = u.monitor_id) \
             ON CONFLICT (monitor_id, slot_ms) DO NOTHING{returning}"
        ));
        let conflict = |e: sqlx::Error| {
            if is_foreign_key_violation(&e) {
                StoreError::Conflict(e.into())
            } else {
                e.into()
            }
        };
        if !keys {
            let done = sqlx::query_with(sql, arguments)
                .execute(tx)
                .await
                .map_err(conflict)?;
            return Ok(Inserted {
                count: done.rows_affected(),
                keys: Vec::new(),
            });
        }
        let keys: Vec<(Uuid, i64)> = sqlx::query_as_with(sql, arguments)
            .fetch_all(tx)
            .await
            .map_err(conflict)?;
        Ok(Inserted {
            count: keys.len() as u64,
            keys,
        })
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
