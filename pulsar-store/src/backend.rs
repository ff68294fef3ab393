//! What differs between the two dialects, and nothing else. [`SqlStore`](crate::SqlStore)
//! implements [`Store`](crate::Store) once over a [`Backend`]; every statement whose text is
//! the same on both lives in the module of what it reads or writes (`monitors`, `notify`,
//! `results`, `hosts`, `fold`, `prune`, `summaries`) and runs through [`Conn`].
//!
//! A backend is a [`Dialect`] — its driver, and the SQL text that differs (`dialect`: both
//! dialects' side by side) — and one impl per concern whose code differs, each in a file
//! of the dialect's module named after it: [`Claim`] (the claim's
//! batch update), [`Ingest`] (batch binding), [`Rollups`] (fold locking and rollup upserts)
//! and [`Reads`] (the newest results, and the summary read).

use std::future::Future;

use pulsar_core::{MonitorId, Rollup, RollupSample};
use sqlx::Pool;
use uuid::Uuid;

use crate::dialect::Dialect;
use crate::error::Result;
use crate::rows::{HostSampleColumns, ResultColumns, SummaryAccumulator, SummarySpans};
use crate::summary_cache::DaySpan;

/// A database dialect Pulsar stores into: PostgreSQL ([`PgBackend`](crate::PgBackend)) or
/// SQLite ([`SqliteBackend`](crate::SqliteBackend)). Crate-private, so no other crate adds
/// a third: a backend is added here, with its conformance run.
pub(crate) trait Backend: Claim + Ingest + Rollups + Reads {}

impl<B: Claim + Ingest + Rollups + Reads> Backend for B {}

/// The scheduler's claim (`monitors::due`): the batch update of due times.
pub(crate) trait Claim: Dialect {
    /// Sets the due time of each claimed monitor, in one statement.
    fn set_due_times(
        tx: &mut Self::Conn,
        due: &[(Uuid, i64)],
    ) -> impl Future<Output = Result<()>> + Send;
}

/// Batch writes: each column of a batch bound at once.
pub(crate) trait Ingest: Dialect {
    /// Inserts result rows (first copies per key) in the write transaction `tx`, skipping
    /// those stored already and those of monitors that do not exist, each with its arrival
    /// `seq`; returns how many were new and, with `keys`, which (monitor, slot) they were
    /// (returning them costs a row each through the driver: the plain insert does without).
    /// A monitor deleted while the batch is written is a `Conflict`: the caller retries, and
    /// its results are skipped.
    fn insert_results(
        tx: &mut Self::Conn,
        rows: &[ResultColumns],
        keys: bool,
    ) -> impl Future<Output = Result<Inserted>> + Send;

    /// Inserts host sample rows in `tx`, skipping those stored already; returns the keys
    /// (hostname, time) of those that were new.
    fn insert_host_samples(
        tx: &mut Self::Conn,
        rows: &[HostSampleColumns],
    ) -> impl Future<Output = Result<Vec<(String, i64)>>> + Send;
}

/// What [`Ingest::insert_results`] wrote.
#[derive(Debug, Default)]
pub(crate) struct Inserted {
    pub(crate) count: u64,
    /// The new rows' (monitor, slot), when asked for.
    pub(crate) keys: Vec<(Uuid, i64)>,
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

/// Reads of many monitors at once whose SQL differs beyond `DialectSql::in_ids`: the newest
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

/// How a summary read finds the rows of its monitors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seek {
    /// Scan each span's key range once (the key is time first), keeping the requested
    /// monitors' rows: cheaper from [`Seek::MANY_MONITORS`] monitors on.
    Ranges,
    /// Seek per monitor and span in the monitor index.
    PerMonitor,
}

impl Seek {
    const MANY_MONITORS: usize = 64;
}

/// A dialect's summary statement, in both [`Seek`] forms, built once.
pub(crate) struct SummaryStatements {
    ranges: String,
    per_monitor: String,
}

impl SummaryStatements {
    pub(crate) fn new(build: impl Fn(Seek) -> String) -> Self {
        Self {
            ranges: build(Seek::Ranges),
            per_monitor: build(Seek::PerMonitor),
        }
    }

    pub(crate) fn get(&self, seek: Seek) -> &str {
        match seek {
            Seek::Ranges => &self.ranges,
            Seek::PerMonitor => &self.per_monitor,
        }
    }
}

/// One statement of a summary read (see [`Reads::read_rollups`]): the rollup rows of
/// `spans` of the monitors `ids`, merged per monitor, with the totals of their day rows in
/// `checked_days`.
pub(crate) struct SummaryRead<'a> {
    pub(crate) ids: &'a [MonitorId],
    /// `ids` as bound.
    pub(crate) uuids: Vec<Uuid>,
    pub(crate) spans: &'a SummarySpans,
    pub(crate) checked_days: Option<DaySpan>,
    pub(crate) seek: Seek,
}

impl<'a> SummaryRead<'a> {
    pub(crate) fn new(
        ids: &'a [MonitorId],
        spans: &'a SummarySpans,
        checked_days: Option<DaySpan>,
    ) -> Self {
        Self {
            ids,
            uuids: ids.iter().map(|id| id.0).collect(),
            spans,
            checked_days,
            seek: if ids.len() >= Seek::MANY_MONITORS {
                Seek::Ranges
            } else {
                Seek::PerMonitor
            },
        }
    }
}
