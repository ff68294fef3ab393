//! What differs between the two dialects, and nothing else. [`SqlStore`](crate::SqlStore)
//! implements [`Store`](crate::Store) once over a [`Backend`]; every statement whose text is
//! the same on both lives in the module of what it reads or writes (`monitors`, `notify`,
//! `results`, `hosts`, `fold`, `prune`, `summaries`) and runs through [`Conn`].
//!
//! A backend is a [`Dialect`] (its driver, its transactions, a few SQL fragments) and one
//! impl per concern that differs for real, each in a file of the dialect's module named
//! after it: [`Claim`] (row locking), [`Ingest`] (batch binding), [`Rollups`] (fold locking
//! and rollup upserts) and [`Reads`] (id-list binding and the summary read).

use pulsar_core::{MonitorId, Rollup, RollupSample};
use sqlx::{Pool, Transaction};
use std::future::Future;
use uuid::Uuid;

use crate::error::Result;
use crate::prune::PruneStatements;
use crate::rows::{HostSampleColumns, ResultColumns, ResultRow, SummaryAccumulator, SummarySpans};
use crate::sql::Conn;
use crate::summary_cache::DaySpan;

/// A database dialect Pulsar stores into: PostgreSQL ([`PgBackend`](crate::PgBackend)) or
/// SQLite ([`SqliteBackend`](crate::SqliteBackend)). Crate-private, so no other crate adds
/// a third: a backend is added here, with its conformance run.
pub(crate) trait Backend: Claim + Ingest + Rollups + Reads {}

impl<B: Claim + Ingest + Rollups + Reads> Backend for B {}

/// A dialect's driver, transactions and SQL fragments.
pub(crate) trait Dialect: Send + Sync + Clone + std::fmt::Debug + 'static {
    type Db: sqlx::Database<Connection = Self::Conn>;
    type Conn: Conn + sqlx::Connection<Database = Self::Db> + sqlx::migrate::Migrate;

    /// Appended to a `SELECT` of rows the transaction then writes: PostgreSQL locks them for
    /// the transaction; SQLite's write transaction holds the whole database already.
    const LOCK_ROWS: &'static str;
    /// The dialect's two-argument minimum and maximum, for rollup upserts.
    const LEAST_GREATEST: (&'static str, &'static str);
    /// The bounded DELETEs of a retention run, whose row addressing differs (see `prune`).
    const PRUNE: PruneStatements;

    fn migrator() -> &'static sqlx::migrate::Migrator;

    /// A write transaction; conflicting writers wait for it (PostgreSQL: on the row locks
    /// taken inside; SQLite: for the database, from its first statement).
    fn begin_write(
        pool: &Pool<Self::Db>,
    ) -> impl Future<Output = Result<Transaction<'static, Self::Db>>> + Send;

    /// A read-only transaction on one snapshot: rollups, the fold cursor and pending
    /// results agree, and every statement plans for the ranges it is given.
    fn begin_read(
        pool: &Pool<Self::Db>,
    ) -> impl Future<Output = Result<Transaction<'static, Self::Db>>> + Send;
}

/// The scheduler's claim (`monitors::claim_due`): row locking, and the batch update.
pub(crate) trait Claim: Dialect {
    /// Appended to the claim's `SELECT` of due monitors: PostgreSQL locks them and skips
    /// those another claimer holds; SQLite's write transaction already excludes claimers.
    const SKIP_LOCKED: &'static str;

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

/// Reads of many monitors at once: id-list binding, and the summary's one statement.
pub(crate) trait Reads: Dialect {
    /// What rollups keep of the pending (not yet folded) results of `ids` with slots in
    /// `[from_ms, to_ms)`.
    fn pending(
        conn: &mut Self::Conn,
        ids: &[MonitorId],
        slots: (i64, i64),
    ) -> impl Future<Output = Result<Vec<RollupSample>>> + Send;

    /// The newest result row of each of `ids` that has one.
    fn latest_results(
        conn: &mut Self::Conn,
        ids: &[MonitorId],
    ) -> impl Future<Output = Result<Vec<ResultRow>>> + Send;

    /// Per monitor of `ids`, its rollup rows of `spans` merged, and the totals of its day
    /// rows in `checked_days` (see `summaries`), in one statement.
    fn read_rollups(
        conn: &mut Self::Conn,
        ids: &[MonitorId],
        spans: &SummarySpans,
        checked_days: Option<DaySpan>,
    ) -> impl Future<Output = Result<SummaryAccumulator>> + Send;
}
