//! What differs between the two dialects, and nothing else. [`SqlStore`](crate::SqlStore)
//! implements [`Store`](crate::Store) once over a [`Backend`]; every statement whose text is
//! the same on both lives in the module of what it reads or writes (`monitors`, `notify`,
//! `results`, `hosts`, `fold`, `prune`, `summaries`) and runs through [`Conn`].
//!
//! A backend is a [`Dialect`] — its driver, and the SQL text that differs ([`DialectSql`]:
//! both dialects' side by side in this file) — and one impl per concern whose code
//! differs, each in a file of the dialect's module named after it: [`Claim`] (the claim's
//! batch update), [`Ingest`] (batch binding), [`Rollups`] (fold locking and rollup upserts)
//! and [`Reads`] (the newest results, and the summary read).

use std::future::Future;

use pulsar_core::{Rollup, RollupSample};
use sqlx::migrate::Migrator;
use sqlx::{PgConnection, Pool, Postgres, Sqlite, SqliteConnection, Transaction};
use uuid::Uuid;

use crate::error::Result;
use crate::prune::PruneStatements;
use crate::rows::{HostSampleColumns, ResultColumns, SummaryAccumulator};
use crate::sql::{Conn, Statement};
use crate::summaries::SummaryRead;

/// A database dialect Pulsar stores into: PostgreSQL ([`PgBackend`](crate::PgBackend)) or
/// SQLite ([`SqliteBackend`](crate::SqliteBackend)). Crate-private, so no other crate adds
/// a third: a backend is added here, with its conformance run.
pub(crate) trait Backend: Claim + Ingest + Rollups + Reads {}

impl<B: Claim + Ingest + Rollups + Reads> Backend for B {}

/// A dialect's driver, and its SQL where the text differs.
pub(crate) trait Dialect: Send + Sync + Clone + std::fmt::Debug + 'static {
    type Db: sqlx::Database<Connection = Self::Conn>;
    type Conn: Conn + sqlx::Connection<Database = Self::Db> + sqlx::migrate::Migrate;

    const SQL: &'static DialectSql;
}

/// The SQL text that differs between the dialects: [`POSTGRES`] and [`SQLITE`], side by
/// side below.
pub(crate) struct DialectSql {
    pub(crate) migrator: &'static Migrator,
    /// Begins a write transaction; conflicting writers wait for it.
    pub(crate) begin_write: &'static str,
    /// Begins a read-only transaction on one snapshot: rollups, the fold cursor and pending
    /// results agree.
    pub(crate) begin_read: &'static str,
    /// Run first in every read transaction.
    pub(crate) read_settings: Option<&'static str>,
    /// Appended to a `SELECT` of rows the transaction then writes.
    pub(crate) lock_rows: &'static str,
    /// Appended to the scheduler's `SELECT` of due monitors (`monitors::claim_due`).
    pub(crate) skip_locked: &'static str,
    /// A predicate on a column, true for the ids of the [`Value::Ids`](crate::sql::Value)
    /// bound as `$1`: `monitor_id{in_ids}`.
    pub(crate) in_ids: &'static str,
    /// The two-argument minimum and maximum, for rollup upserts.
    pub(crate) least_greatest: (&'static str, &'static str),
    /// The bounded DELETEs of a retention run, whose row addressing differs.
    pub(crate) prune: PruneStatements,
}

static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");
static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// PostgreSQL: many processes share the database, so writers lock the rows they change.
pub(crate) const POSTGRES: DialectSql = DialectSql {
    migrator: &POSTGRES_MIGRATOR,
    begin_write: "BEGIN",
    begin_read: "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
    // Grouping a month of histograms needs more than the default 4 MB of work memory
    // (without it PostgreSQL sorts on disk), and each plan must see its time ranges: a
    // generic plan of a prepared statement cannot, and falls back to a full scan.
    read_settings: Some(
        "SELECT set_config('work_mem', '64MB', true), \
         set_config('plan_cache_mode', 'force_custom_plan', true)",
    ),
    lock_rows: " FOR UPDATE",
    // Rows another claimer holds are skipped, not waited for: once it commits their due
    // times lie after `now`.
    skip_locked: " FOR NO KEY UPDATE SKIP LOCKED",
    in_ids: " = ANY($1)",
    least_greatest: ("LEAST", "GREATEST"),
    prune: PruneStatements::POSTGRES,
};

/// SQLite: one process, and writers serialized by `BEGIN IMMEDIATE` (which takes the write
/// lock before the first read, so a transaction never fails upgrading its lock): no row
/// locks. In WAL mode a read transaction reads one snapshot from its first statement on.
pub(crate) const SQLITE: DialectSql = DialectSql {
    migrator: &SQLITE_MIGRATOR,
    begin_write: "BEGIN IMMEDIATE",
    begin_read: "BEGIN",
    read_settings: None,
    lock_rows: "",
    skip_locked: "",
    in_ids: " IN (SELECT unhex(value) FROM json_each($1))",
    least_greatest: ("min", "max"),
    prune: PruneStatements::SQLITE,
};

/// The PostgreSQL dialect of [`SqlStore`](crate::SqlStore).
#[derive(Debug, Clone, Copy)]
pub struct PgBackend;

impl Dialect for PgBackend {
    type Db = Postgres;
    type Conn = PgConnection;

    const SQL: &'static DialectSql = &POSTGRES;
}

/// The SQLite dialect of [`SqlStore`](crate::SqlStore).
#[derive(Debug, Clone, Copy)]
pub struct SqliteBackend;

impl Dialect for SqliteBackend {
    type Db = Sqlite;
    type Conn = SqliteConnection;

    const SQL: &'static DialectSql = &SQLITE;
}

/// A write transaction of the dialect.
pub(crate) async fn begin_write<B: Dialect>(
    pool: &Pool<B::Db>,
) -> Result<Transaction<'static, B::Db>> {
    Ok(pool.begin_with(B::SQL.begin_write).await?)
}

/// A read-only transaction of the dialect, on one snapshot.
pub(crate) async fn begin_read<B: Dialect>(
    pool: &Pool<B::Db>,
) -> Result<Transaction<'static, B::Db>> {
    let mut tx = pool.begin_with(B::SQL.begin_read).await?;
    if let Some(settings) = B::SQL.read_settings {
        tx.execute(Statement::new(settings)).await?;
    }
    Ok(tx)
}

/// The scheduler's claim (`monitors::claim_due`): the batch update of due times.
pub(crate) trait Claim: Dialect {
    /// Sets the due time of each claimed monitor, in one statement.
    fn set_due_times(
        tx: &mut Self::Conn,
        due: &[(Uuid, i64)],
    ) -> impl Future<Output = Result<()>> + Send;
}

/// Batch writes: each column of a batch bound at once.
pub(crate) trait Ingest: Dialect {
    /// Inserts result rows (first copies per key), skipping those of monitors that do not
    /// exist, each with its arrival `seq`; returns how many were new.
    fn insert_results(
        pool: &Pool<Self::Db>,
        rows: &[ResultColumns],
    ) -> impl Future<Output = Result<u64>> + Send;

    /// Inserts host sample rows in `tx`, skipping those stored already; returns the keys
    /// (hostname, time) of those that were new.
    fn insert_host_samples(
        tx: &mut Self::Conn,
        rows: &[&HostSampleColumns],
    ) -> impl Future<Output = Result<Vec<(String, i64)>>> + Send;
}

/// Folding: which results have committed, and rollup upserts.
pub(crate) trait Rollups: Dialect {
    /// The highest `seq` a fold may move past: every result up to it has committed.
    /// `None` where writers are serialized, so every `seq` written is settled.
    fn settled_seq(pool: &Pool<Self::Db>) -> impl Future<Output = Result<Option<i64>>> + Send;

    /// Keeps the samples of monitors that still exist, and holds those monitors until the
    /// fold commits, so a concurrent delete removes the rollups the fold wrote.
    fn keep_live_monitors(
        tx: &mut Self::Conn,
        samples: &mut Vec<RollupSample>,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Merges the stored histograms into `deltas` and adds them to their stored rows.
    fn merge_and_add(
        tx: &mut Self::Conn,
        deltas: &mut [Rollup],
    ) -> impl Future<Output = Result<()>> + Send;

    /// Inserts rollup rows that have no stored row; returns how many were inserted.
    fn insert_new_rollups(
        tx: &mut Self::Conn,
        rows: &[Rollup],
    ) -> impl Future<Output = Result<u64>> + Send;

    /// Writes precomputed rollups, replacing stored rows with the same key.
    #[cfg(feature = "bench")]
    fn import_rollups(
        tx: &mut Self::Conn,
        rollups: &[Rollup],
    ) -> impl Future<Output = Result<()>> + Send;
}

/// Reads of many monitors at once whose SQL differs beyond [`Dialect::IN_IDS`]: the newest
/// result of each, and the summary's one statement.
pub(crate) trait Reads: Dialect {
    /// A query of the newest result row ([`RESULT_SELECT`](crate::rows::RESULT_SELECT)) of
    /// each monitor of the [`Value::Ids`](crate::sql::Value) `$1` that has one.
    fn latest_results_sql() -> &'static str;

    /// Runs one statement of a summary read.
    fn read_rollups(
        conn: &mut Self::Conn,
        read: &SummaryRead<'_>,
    ) -> impl Future<Output = Result<SummaryAccumulator>> + Send;
}
