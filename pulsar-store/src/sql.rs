//! How the store runs a statement on either dialect: a [`Statement`] is SQL text and the
//! [`Value`]s it binds, and a [`Conn`] (both drivers' connections are one) runs it.
//!
//! Statements whose text is the same on both dialects — most of them, since `$N`
//! placeholders work on SQLite too and binds carry their types to PostgreSQL — are written
//! once, in the module of what they read or write, and run through this. Code generic over
//! `sqlx::Database` would need a dozen `for<'q> T: Encode<'q, DB>` bounds repeated on every
//! generic item (Rust does not imply them); a value enum with one bind per driver needs none.

use std::future::Future;

use sqlx::error::BoxDynError;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Arguments, AssertSqlSafe, Database, Encode, FromRow, SqlSafeStr, SqlStr, Type};
use uuid::Uuid;

/// One bound value: the few column types Pulsar uses, each bound by both drivers. Integers
/// bind as 64-bit (PostgreSQL converts them for its INTEGER columns and compares across
/// the two through the indexes' cross-type operators).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Value<'a> {
    Int(Option<i64>),
    Float(Option<f64>),
    Text(Option<&'a str>),
    Bytes(Option<&'a [u8]>),
    Id(Option<Uuid>),
    Bool(bool),
    /// A list of ids, for [`DialectSql::in_ids`](crate::backend::DialectSql): each driver
    /// binds it its own way ([`BindIds`]).
    Ids(&'a [Uuid]),
}

impl From<i64> for Value<'_> {
    fn from(value: i64) -> Self {
        Self::Int(Some(value))
    }
}

impl From<Option<i64>> for Value<'_> {
    fn from(value: Option<i64>) -> Self {
        Self::Int(value)
    }
}

impl From<i32> for Value<'_> {
    fn from(value: i32) -> Self {
        Self::Int(Some(i64::from(value)))
    }
}

impl From<Option<i32>> for Value<'_> {
    fn from(value: Option<i32>) -> Self {
        Self::Int(value.map(i64::from))
    }
}

impl From<Option<f64>> for Value<'_> {
    fn from(value: Option<f64>) -> Self {
        Self::Float(value)
    }
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(value: &'a str) -> Self {
        Self::Text(Some(value))
    }
}

impl<'a> From<&'a String> for Value<'a> {
    fn from(value: &'a String) -> Self {
        Self::Text(Some(value))
    }
}

impl<'a> From<Option<&'a str>> for Value<'a> {
    fn from(value: Option<&'a str>) -> Self {
        Self::Text(value)
    }
}

impl<'a> From<&'a [u8]> for Value<'a> {
    fn from(value: &'a [u8]) -> Self {
        Self::Bytes(Some(value))
    }
}

impl<'a> From<&'a Vec<u8>> for Value<'a> {
    fn from(value: &'a Vec<u8>) -> Self {
        Self::Bytes(Some(value))
    }
}

impl From<Uuid> for Value<'_> {
    fn from(value: Uuid) -> Self {
        Self::Id(Some(value))
    }
}

impl From<Option<Uuid>> for Value<'_> {
    fn from(value: Option<Uuid>) -> Self {
        Self::Id(value)
    }
}

impl From<bool> for Value<'_> {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

/// SQL text and the values of its `$1`, `$2`, … in order.
#[derive(Debug)]
pub(crate) struct Statement<'a> {
    sql: SqlStr,
    values: Vec<Value<'a>>,
}

impl<'a> Statement<'a> {
    pub(crate) fn new(sql: &'static str) -> Self {
        Self {
            sql: sql.into_sql_str(),
            values: Vec::new(),
        }
    }

    /// A statement whose text is put together at run time — from constant pieces and
    /// placeholders only, never from a value (values are bound).
    pub(crate) fn composed(sql: String) -> Self {
        Self {
            sql: AssertSqlSafe(sql).into_sql_str(),
            values: Vec::new(),
        }
    }

    pub(crate) fn bind(mut self, value: impl Into<Value<'a>>) -> Self {
        self.values.push(value.into());
        self
    }

    pub(crate) fn bind_all(mut self, values: impl IntoIterator<Item = Value<'a>>) -> Self {
        self.values.extend(values);
        self
    }

    /// The text and the values encoded for the driver of `DB`.
    pub(crate) fn into_parts<DB: BindIds>(self) -> Result<(SqlStr, DB::Arguments), sqlx::Error>
    where
        Option<i64>: for<'q> Encode<'q, DB> + Type<DB>,
        Option<f64>: for<'q> Encode<'q, DB> + Type<DB>,
        Option<Uuid>: for<'q> Encode<'q, DB> + Type<DB>,
        bool: for<'q> Encode<'q, DB> + Type<DB>,
        for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
        for<'q> Option<&'q [u8]>: Encode<'q, DB> + Type<DB>,
    {
        let mut arguments = DB::Arguments::default();
        for value in self.values {
            add(&mut arguments, value).map_err(sqlx::Error::Encode)?;
        }
        Ok((self.sql, arguments))
    }
}

fn add<DB: BindIds>(arguments: &mut DB::Arguments, value: Value<'_>) -> Result<(), BoxDynError>
where
    Option<i64>: for<'q> Encode<'q, DB> + Type<DB>,
    Option<f64>: for<'q> Encode<'q, DB> + Type<DB>,
    Option<Uuid>: for<'q> Encode<'q, DB> + Type<DB>,
    bool: for<'q> Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q [u8]>: Encode<'q, DB> + Type<DB>,
{
    match value {
        Value::Int(v) => arguments.add(v),
        Value::Float(v) => arguments.add(v),
        Value::Text(v) => arguments.add(v),
        Value::Bytes(v) => arguments.add(v),
        Value::Id(v) => arguments.add(v),
        Value::Bool(v) => arguments.add(v),
        Value::Ids(ids) => DB::add_ids(arguments, ids),
    }
}

/// How a driver binds a list of ids: the one value whose binding differs.
pub(crate) trait BindIds: Database {
    fn add_ids(arguments: &mut Self::Arguments, ids: &[Uuid]) -> Result<(), BoxDynError>;
}

/// A `uuid[]`, for `= ANY($1)`.
impl BindIds for sqlx::Postgres {
    fn add_ids(arguments: &mut Self::Arguments, ids: &[Uuid]) -> Result<(), BoxDynError> {
        arguments.add(ids)
    }
}

/// A JSON array of hex strings, for `json_each($1)`.
impl BindIds for sqlx::Sqlite {
    fn add_ids(arguments: &mut Self::Arguments, ids: &[Uuid]) -> Result<(), BoxDynError> {
        let mut json = String::with_capacity(ids.len() * 35 + 2);
        json.push('[');
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                json.push(',');
            }
            json.push('"');
            json.push_str(id.simple().encode_lower(&mut Uuid::encode_buffer()));
            json.push('"');
        }
        json.push(']');
        arguments.add(json)
    }
}

/// A row type both drivers decode (by column name: `#[derive(sqlx::FromRow)]`), or a tuple.
pub(crate) trait Row:
    for<'r> FromRow<'r, PgRow> + for<'r> FromRow<'r, SqliteRow> + Send + Unpin
{
}

impl<T> Row for T where T: for<'r> FromRow<'r, PgRow> + for<'r> FromRow<'r, SqliteRow> + Send + Unpin
{}

/// A connection of either driver, inside a transaction or not.
pub(crate) trait Conn: Send {
    /// Runs the statement; returns how many rows it changed.
    fn execute(
        &mut self,
        statement: Statement<'_>,
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send;

    fn fetch_all<R: Row>(
        &mut self,
        statement: Statement<'_>,
    ) -> impl Future<Output = Result<Vec<R>, sqlx::Error>> + Send;

    fn fetch_optional<R: Row>(
        &mut self,
        statement: Statement<'_>,
    ) -> impl Future<Output = Result<Option<R>, sqlx::Error>> + Send;
}

/// Runs `statement` with the connection `$conn` of the driver `$db`: the one body of both
/// drivers' [`Conn`] impls, which differ only in the types they name.
macro_rules! impl_conn {
    ($conn:ty, $db:ty) => {
        impl $crate::sql::Conn for $conn {
            async fn execute(
                &mut self,
                statement: $crate::sql::Statement<'_>,
            ) -> Result<u64, sqlx::Error> {
                let (sql, arguments) = statement.into_parts::<$db>()?;
                let done = sqlx::query_with(sql, arguments).execute(self).await?;
                Ok(done.rows_affected())
            }

            async fn fetch_all<R: $crate::sql::Row>(
                &mut self,
                statement: $crate::sql::Statement<'_>,
            ) -> Result<Vec<R>, sqlx::Error> {
                let (sql, arguments) = statement.into_parts::<$db>()?;
                sqlx::query_as_with(sql, arguments).fetch_all(self).await
            }

            async fn fetch_optional<R: $crate::sql::Row>(
                &mut self,
                statement: $crate::sql::Statement<'_>,
            ) -> Result<Option<R>, sqlx::Error> {
                let (sql, arguments) = statement.into_parts::<$db>()?;
                sqlx::query_as_with(sql, arguments)
                    .fetch_optional(self)
                    .await
            }
        }
    };
}

impl_conn!(sqlx::PgConnection, sqlx::Postgres);
impl_conn!(sqlx::SqliteConnection, sqlx::Sqlite);

/// How a written column combines with the stored row when the key already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Merge {
    /// Part of the conflict key: never updated.
    Key,
    /// A count or sum: the written delta is added.
    Add,
    /// The smaller of the two (either may be NULL).
    Min,
    /// The larger of the two (either may be NULL).
    Max,
    /// The written value replaces the stored one.
    Replace,
}

/// One written column: its name, how it merges, and the value of one row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field<'a> {
    pub(crate) column: &'static str,
    pub(crate) merge: Merge,
    pub(crate) value: Value<'a>,
}

impl<'a> Field<'a> {
    pub(crate) fn key(column: &'static str, value: impl Into<Value<'a>>) -> Self {
        Self::new(column, Merge::Key, value)
    }

    /// A column that an upsert replaces, or that is never upserted.
    pub(crate) fn plain(column: &'static str, value: impl Into<Value<'a>>) -> Self {
        Self::new(column, Merge::Replace, value)
    }

    pub(crate) fn new(column: &'static str, merge: Merge, value: impl Into<Value<'a>>) -> Self {
        Self {
            column,
            merge,
            value: value.into(),
        }
    }
}

/// The column list of rows written by `fields`: `a, b, c`.
pub(crate) fn column_list(fields: &[Field<'_>]) -> String {
    let names: Vec<&str> = fields.iter().map(|f| f.column).collect();
    names.join(", ")
}

/// Rows per multi-row statement: SQLite binds at most 32,766 values per statement, and the
/// widest row written this way (a result, with its `seq`) has 20.
pub(crate) const ROWS_PER_STATEMENT: usize = 1_000;

/// How a multi-row insert writes its placeholders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placeholders {
    /// `$1`, `$2`, …: PostgreSQL's only form.
    Numbered,
    /// `?`, bound in order. SQLite records a numbered or named parameter in a list it scans
    /// for each new one while preparing the statement: quadratic in a batch of thousands of
    /// values, where plain `?` is linear.
    InOrder,
}

/// What an insert does with a row whose key is stored already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Upsert {
    /// Keeps the stored row.
    Skip,
    /// Combines the two by each column's [`Merge`].
    Merge,
    /// Replaces the stored row (imports).
    #[cfg(feature = "bench")]
    Replace,
}

/// The `ON CONFLICT` clause of rows of `table` written by `fields`, as `how` says;
/// `least_greatest` name the dialect's two-argument min and max.
pub(crate) fn on_conflict(
    table: &str,
    fields: &[Field<'_>],
    how: Upsert,
    (least, greatest): (&str, &str),
) -> String {
    if how == Upsert::Skip {
        return " ON CONFLICT DO NOTHING".to_owned();
    }
    let keys: Vec<&str> = fields
        .iter()
        .filter(|f| f.merge == Merge::Key)
        .map(|f| f.column)
        .collect();
    let sets: Vec<String> = fields
        .iter()
        .filter(|f| f.merge != Merge::Key)
        .map(|f| {
            let c = f.column;
            let either = |function: &str| {
                format!(
                    "{function}(coalesce({table}.{c}, excluded.{c}), \
                     coalesce(excluded.{c}, {table}.{c}))"
                )
            };
            let merged = match f.merge {
                _ if how != Upsert::Merge => format!("excluded.{c}"),
                Merge::Add => format!("{table}.{c} + excluded.{c}"),
                Merge::Min => either(least),
                Merge::Max => either(greatest),
                Merge::Key | Merge::Replace => format!("excluded.{c}"),
            };
            format!("{c} = {merged}")
        })
        .collect();
    format!(
        " ON CONFLICT ({}) DO UPDATE SET {}",
        keys.join(", "),
        sets.join(", ")
    )
}

/// `INSERT INTO … VALUES ($1, …), (…), …` of `rows` (each the fields of one row, in the
/// same columns), with `tail` after the values: a multi-row insert both dialects run.
/// Placeholders are written as [`DialectSql::placeholders`](crate::dialect::DialectSql) says.
pub(crate) fn insert_values<'a>(
    table: &str,
    rows: &[Vec<Field<'a>>],
    tail: &str,
    placeholders: Placeholders,
) -> Statement<'a> {
    let Some(first) = rows.first() else {
        return Statement::new("SELECT 1 WHERE 1 = 0");
    };
    let (list, values) = values_list(rows, placeholders);
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES {list}{tail}",
        column_list(first)
    );
    Statement::composed(sql).bind_all(values)
}

/// `($1, …), (…), …` of `rows`, and their values in order.
fn values_list<'a>(
    rows: &[Vec<Field<'a>>],
    placeholders: Placeholders,
) -> (String, Vec<Value<'a>>) {
    let mut sql = String::new();
    let mut values = Vec::with_capacity(rows.len() * rows.first().map_or(0, Vec::len));
    for (i, row) in rows.iter().enumerate() {
        sql.push_str(if i == 0 { "(" } else { ", (" });
        for (j, field) in row.iter().enumerate() {
            values.push(field.value);
            if j > 0 {
                sql.push_str(", ");
            }
            match placeholders {
                Placeholders::Numbered => {
                    sql.push('$');
                    sql.push_str(&values.len().to_string());
                }
                Placeholders::InOrder => sql.push('?'),
            }
        }
        sql.push(')');
    }
    (sql, values)
}

/// `UPDATE table SET … FROM (VALUES …) AS v WHERE …` of `rows`, each the fields of one row in
/// the same columns: the [`Merge::Key`] fields select the row to update (all must equal), the
/// others are written. One statement updates many rows, on both dialects (their `VALUES`
/// columns are both named `column1`, `column2`, …).
pub(crate) fn update_values<'a>(
    table: &str,
    rows: &[Vec<Field<'a>>],
    placeholders: Placeholders,
) -> Statement<'a> {
    let Some(first) = rows.first() else {
        return Statement::new("SELECT 1 WHERE 1 = 0");
    };
    let (keys, sets): (Vec<_>, Vec<_>) = first
        .iter()
        .enumerate()
        .map(|(i, f)| (f, format!("{} = v.column{}", f.column, i + 1)))
        .partition(|(f, _)| f.merge == Merge::Key);
    let sets: Vec<String> = sets.into_iter().map(|(_, set)| set).collect();
    let keys: Vec<String> = keys
        .into_iter()
        .map(|(_, key)| format!("{table}.{key}"))
        .collect();
    let (list, values) = values_list(rows, placeholders);
    let sql = format!(
        "UPDATE {table} SET {} FROM (VALUES {list}) AS v WHERE {}",
        sets.join(", "),
        keys.join(" AND ")
    );
    Statement::composed(sql).bind_all(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(a: i64, b: &str) -> Vec<Field<'_>> {
        vec![
            Field::key("id", a),
            Field::new("total", Merge::Add, a),
            Field::new("low", Merge::Min, a),
            Field::new("name", Merge::Replace, b),
        ]
    }

    #[test]
    fn multi_row_inserts_number_their_placeholders_in_row_order() {
        let rows = [row(1, "a"), row(2, "b")];
        let tail = " ON CONFLICT DO NOTHING";
        let statement = insert_values("t", &rows, tail, Placeholders::Numbered);
        assert_eq!(
            statement.sql.as_str(),
            "INSERT INTO t (id, total, low, name) VALUES ($1, $2, $3, $4), ($5, $6, $7, $8) \
             ON CONFLICT DO NOTHING"
        );
        assert_eq!(statement.values[4], Value::Int(Some(2)));
        let update = update_values("t", &rows, Placeholders::Numbered);
        assert_eq!(
            update.sql.as_str(),
            "UPDATE t SET total = v.column2, low = v.column3, name = v.column4 FROM \
             (VALUES ($1, $2, $3, $4), ($5, $6, $7, $8)) AS v WHERE t.id = v.column1"
        );
        assert_eq!(statement.values[7], Value::Text(Some("b")));
        let statement = insert_values("t", &rows[..1], "", Placeholders::InOrder);
        assert_eq!(
            statement.sql.as_str(),
            "INSERT INTO t (id, total, low, name) VALUES (?, ?, ?, ?)"
        );
    }

    #[test]
    fn upserts_merge_each_column_by_its_rule() {
        let fields = row(1, "a");
        assert_eq!(
            on_conflict("t", &fields, Upsert::Merge, ("min", "max")),
            " ON CONFLICT (id) DO UPDATE SET total = t.total + excluded.total, \
             low = min(coalesce(t.low, excluded.low), coalesce(excluded.low, t.low)), \
             name = excluded.name"
        );
        assert_eq!(
            on_conflict("t", &fields, Upsert::Skip, ("min", "max")),
            " ON CONFLICT DO NOTHING"
        );
    }
}
