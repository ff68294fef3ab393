//! Batches as column arrays: PostgreSQL binds each column of a batch as one array and
//! `UNNEST`s the rows, one statement whatever the batch size.

use sqlx::Arguments;
use sqlx::postgres::PgArguments;
use uuid::Uuid;

use crate::error::{Result, StoreError};
use crate::sql::{Field, Value, column_list};

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
