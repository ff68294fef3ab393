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

use crate::error::Result;

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

/// A monitor's stored rollups of one bucket size (oldest first) with the pending results
/// merged in: what the rollups will be once those results are folded.
pub(crate) fn with_pending(
    stored: Vec<pulsar_core::Rollup>,
    pending: &[pulsar_core::RollupSample],
    bucket: pulsar_core::BucketSize,
    (from_ms, to_ms): (i64, i64),
) -> Vec<pulsar_core::Rollup> {
    use pulsar_core::unix_ms;
    let mut by_start: std::collections::BTreeMap<i64, pulsar_core::Rollup> = stored
        .into_iter()
        .map(|rollup| (unix_ms(rollup.start), rollup))
        .collect();
    for delta in pulsar_core::Rollup::sample_deltas(pending.iter().copied()) {
        let start = unix_ms(delta.start);
        if delta.bucket != bucket || start < from_ms || start >= to_ms {
            continue;
        }
        match by_start.entry(start) {
            std::collections::btree_map::Entry::Occupied(mut stored) => {
                stored.get_mut().merge(&delta)
            }
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(delta);
            }
        }
    }
    by_start.into_values().collect()
}
