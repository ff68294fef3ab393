//! Batch writes on PostgreSQL: each column of a batch travels as one array and the rows are
//! `UNNEST`ed in one statement, whatever the batch size.

use sqlx::postgres::PgArguments;
use sqlx::{Arguments, PgConnection, PgPool};
use uuid::Uuid;

use super::PgBackend;
use super::rollups::share_ingest_lock;
use crate::backend::Ingest;
use crate::error::{Result, StoreError, is_foreign_key_violation};
use crate::rows::{HostSampleColumns, ResultColumns};
use crate::sql::{Field, Value, column_list};

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
        rows: &[&HostSampleColumns],
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

/// `UNNEST($1::type[], …) AS u(columns)` of `rows` (each the fields of one row, in the same
/// columns), and each column's values as one array argument.
pub(super) fn unnest(rows: &[Vec<Field<'_>>]) -> Result<(String, PgArguments)> {
    let first = rows
        .first()
        .ok_or_else(|| StoreError::internal("an empty batch has no columns"))?;
    let mut arguments = PgArguments::default();
    let mut arrays = Vec::with_capacity(first.len());
    for (i, field) in first.iter().enumerate() {
        let column = rows.iter().map(|row| row[i].value);
        let (added, array_type) = match field.value {
            Value::Int(_) => (arguments.add(column.map(int).collect::<Vec<_>>()), "bigint"),
            Value::Float(_) => (
                arguments.add(column.map(float).collect::<Vec<_>>()),
                "float8",
            ),
            Value::Text(_) => (arguments.add(column.map(text).collect::<Vec<_>>()), "text"),
            Value::Bytes(_) => (
                arguments.add(column.map(bytes).collect::<Vec<_>>()),
                "bytea",
            ),
            Value::Id(_) => (arguments.add(column.map(id).collect::<Vec<_>>()), "uuid"),
            Value::Bool(_) => (
                arguments.add(column.map(boolean).collect::<Vec<_>>()),
                "bool",
            ),
            Value::Ids(_) => return Err(StoreError::internal("a column of id lists")),
        };
        added.map_err(StoreError::internal)?;
        arrays.push(format!("${}::{array_type}[]", i + 1));
    }
    let sql = format!("UNNEST({}) AS u({})", arrays.join(", "), column_list(first));
    Ok((sql, arguments))
}

// A column's values are all of its first row's kind: each row's fields come from one
// `fields()` method. A value of another kind would be a bug, bound as NULL.

fn int(value: Value<'_>) -> Option<i64> {
    match value {
        Value::Int(v) => v,
        _ => None,
    }
}

fn float(value: Value<'_>) -> Option<f64> {
    match value {
        Value::Float(v) => v,
        _ => None,
    }
}

fn text(value: Value<'_>) -> Option<&str> {
    match value {
        Value::Text(v) => v,
        _ => None,
    }
}

fn bytes(value: Value<'_>) -> Option<&[u8]> {
    match value {
        Value::Bytes(v) => v,
        _ => None,
    }
}

fn id(value: Value<'_>) -> Option<Uuid> {
    match value {
        Value::Id(v) => v,
        _ => None,
    }
}

fn boolean(value: Value<'_>) -> Option<bool> {
    match value {
        Value::Bool(v) => Some(v),
        _ => None,
    }
}
