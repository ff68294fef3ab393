//! Folding results into rollups after they are written.
//!
//! Ingest writes one row per result and nothing else; a fold later merges the pending
//! results (those with a `seq` above the cursor) into their minute, hour and day rollups in
//! one transaction. Many results share each rollup row in a fold (every result of a monitor
//! in the same hour lands in one hour row), so a fold writes far fewer rows than results.
//! Reads stay exact in between: they merge the pending results from the raw rows, read in
//! the same snapshot as the rollups and the cursor.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use pulsar_core::{BucketSize, Rollup, RollupSample};

use crate::error::Result;
use crate::rows::RollupRow;

/// How often a store's background task folds pending results into rollups. A read never
/// waits for it (pending results are merged into reads), so this only bounds how many raw
/// rows a read merges: at most this long's worth of results.
pub const DEFAULT_FOLD_INTERVAL: Duration = Duration::from_secs(1);

/// Results folded per transaction: bounds how long one fold holds its locks and memory.
pub const DEFAULT_FOLD_BATCH: usize = 20_000;

/// The background fold task of a store; aborted when the last handle to the store drops
/// (or the store is closed).
#[derive(Debug)]
pub(crate) struct Folder {
    task: tokio::task::JoinHandle<()>,
}

impl Folder {
    /// Runs `fold` every `interval` until it reports fewer than a full batch (caught up).
    /// Errors are logged and retried at the next tick: a fold that fails leaves its results
    /// pending, and reads still see them.
    pub(crate) fn spawn<F, Fut>(interval: Duration, fold: F) -> Arc<Self>
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = Result<u64>> + Send + 'static,
    {
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                loop {
                    match fold().await {
                        Ok(folded) if folded as usize >= DEFAULT_FOLD_BATCH => continue,
                        Ok(_) => break,
                        Err(error) => {
                            tracing::warn!(%error, "folding results into rollups failed; retrying");
                            break;
                        }
                    }
                }
            }
        });
        Arc::new(Self { task })
    }

    pub(crate) fn stop(&self) {
        self.task.abort();
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A connection inside a fold's write transaction: what folding needs of a dialect.
pub(crate) trait RollupSink: Send {
    /// Merges the stored histograms into `deltas` and adds them to their stored rows.
    async fn merge_and_add(&mut self, deltas: &mut [Rollup]) -> Result<()>;
    /// Inserts the rows that have no stored row; returns how many were inserted.
    async fn insert_new(&mut self, rows: &[Rollup]) -> Result<u64>;
    /// Runs one statement without parameters (the savepoints below).
    async fn run(&mut self, sql: &'static str) -> Result<()>;
}

/// Rows per blind insert of minute rows: a chunk that meets a stored row is redone with a
/// merge.
const NEW_ROWS_PER_STATEMENT: usize = 1_000;

/// Adds the results to their rollups: counts and sums are added in SQL, histograms merge
/// in Rust, so stored histograms are read first.
///
/// Hour and day rows mostly exist already and are read and merged. Minute rows are mostly
/// new (a monitor checked once a minute puts one result in each), so they are inserted
/// without a read; only a chunk that meets stored rows is rolled back and merged.
pub(crate) async fn add_to_rollups<C: RollupSink>(
    conn: &mut C,
    new: &[RollupSample],
) -> Result<()> {
    let (mut minutes, mut coarser): (Vec<Rollup>, Vec<Rollup>) =
        Rollup::sample_deltas(new.iter().copied())
            .into_iter()
            .partition(|r| r.bucket == BucketSize::Minute);
    if !coarser.is_empty() {
        conn.merge_and_add(&mut coarser).await?;
    }
    for chunk in minutes.chunks_mut(NEW_ROWS_PER_STATEMENT) {
        conn.run("SAVEPOINT new_minutes").await?;
        if conn.insert_new(chunk).await? < chunk.len() as u64 {
            conn.run("ROLLBACK TO SAVEPOINT new_minutes").await?;
            conn.merge_and_add(chunk).await?;
        }
        conn.run("RELEASE SAVEPOINT new_minutes").await?;
    }
    Ok(())
}

/// The slots of the results that belong in `bucket` rollups starting in `[from_ms, to_ms)`.
pub(crate) fn pending_slots(bucket: BucketSize, (from_ms, to_ms): (i64, i64)) -> (i64, i64) {
    (
        bucket.floor_ms(from_ms),
        to_ms.saturating_add(bucket.millis()),
    )
}

/// A monitor's stored rollups of one bucket size (oldest first) with the pending results
/// merged in: what the rollups will be once those results are folded.
pub(crate) fn with_pending(
    stored: Vec<RollupRow>,
    pending: &[RollupSample],
    bucket: BucketSize,
    (from_ms, to_ms): (i64, i64),
) -> Result<Vec<Rollup>> {
    use pulsar_core::unix_ms;
    let mut by_start = std::collections::BTreeMap::new();
    for row in stored {
        let rollup = row.into_rollup()?;
        by_start.insert(unix_ms(rollup.start), rollup);
    }
    // Recorded straight into the one bucket size read: no deltas of the other sizes.
    for sample in pending {
        let start = bucket.floor_ms(unix_ms(sample.slot));
        if start < from_ms || start >= to_ms {
            continue;
        }
        by_start
            .entry(start)
            .or_insert_with(|| Rollup::empty(sample.monitor_id, bucket, sample.slot))
            .record_sample(sample);
    }
    Ok(by_start.into_values().collect())
}
