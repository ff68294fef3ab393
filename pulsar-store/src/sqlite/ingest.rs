//! Batch writes on SQLite: multi-row `VALUES` of at most 1,000 rows per statement (SQLite
//! binds at most 32,766 values per statement), all in one write transaction.

use std::collections::HashSet;

use sqlx::SqliteConnection;
use uuid::Uuid;

use crate::backend::{Ingest, Inserted};
use crate::dialect::Dialect;
use crate::dialect::SqliteBackend;
use crate::error::Result;
use crate::rows::{HostSampleColumns, ResultColumns};
use crate::sql::{Conn, Field, ROWS_PER_STATEMENT, Statement, Value, insert_values};

impl Ingest for SqliteBackend {
    /// The write transaction holds the database, so the monitors seen here stay until
    /// commit and seqs are handed out in commit order.
    async fn insert_results(
        tx: &mut SqliteConnection,
        rows: &[ResultColumns],
        keys: bool,
    ) -> Result<Inserted> {
        let mut ids: Vec<Uuid> = rows.iter().map(|r| r.monitor_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let known = Statement::composed(format!(
            "SELECT id FROM monitors WHERE id{}",
            Self::SQL.in_ids
        ));
        let known: Vec<(Uuid,)> = tx.fetch_all(known.bind(Value::Ids(&ids))).await?;
        let known: HashSet<Uuid> = known.into_iter().map(|(id,)| id).collect();
        let rows: Vec<&ResultColumns> = rows
            .iter()
            .filter(|r| known.contains(&r.monitor_id))
            .collect();
        // Arrival order for the fold: seqs come from the cursor row under the write lock.
        let first_seq: i64 = sqlx::query_scalar(
            "UPDATE rollup_cursor SET next_seq = next_seq + $1 RETURNING next_seq - $1",
        )
        .bind(i64::try_from(rows.len()).unwrap_or(i64::MAX))
        .fetch_one(&mut *tx)
        .await?;
        let mut inserted = Inserted::default();
        for (chunk_index, chunk) in rows.chunks(ROWS_PER_STATEMENT).enumerate() {
            let chunk_seq = first_seq + (chunk_index * ROWS_PER_STATEMENT) as i64;
            let fields: Vec<Vec<Field<'_>>> = chunk
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let mut fields = r.fields();
                    fields.push(Field::plain("seq", chunk_seq + i as i64));
                    fields
                })
                .collect();
            // A redelivered result keeps its first row; rollups see each result once.
            let tail = if keys {
                " ON CONFLICT (monitor_id, slot_ms) DO NOTHING RETURNING monitor_id, slot_ms"
            } else {
                " ON CONFLICT (monitor_id, slot_ms) DO NOTHING"
            };
            let statement = insert_values("check_results", &fields, tail, Self::SQL.placeholders);
            if keys {
                let new: Vec<(Uuid, i64)> = tx.fetch_all(statement).await?;
                inserted.count += new.len() as u64;
                inserted.keys.extend(new);
            } else {
                inserted.count += tx.execute(statement).await?;
            }
        }
        Ok(inserted)
    }

    async fn insert_host_samples(
        tx: &mut SqliteConnection,
        rows: &[HostSampleColumns],
    ) -> Result<Vec<(String, i64)>> {
        let mut inserted = Vec::new();
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let fields: Vec<Vec<Field<'_>>> = chunk.iter().map(|s| s.fields()).collect();
            let tail = " ON CONFLICT (hostname, taken_at_ms) DO NOTHING \
                        RETURNING hostname, taken_at_ms";
            let keys: Vec<(String, i64)> = tx
                .fetch_all(insert_values(
                    "host_samples",
                    &fields,
                    tail,
                    Self::SQL.placeholders,
                ))
                .await?;
            inserted.extend(keys);
        }
        Ok(inserted)
    }
}
