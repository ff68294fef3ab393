//! The scheduler: claims due monitors from the store on a short tick and queues one check
//! task per (monitor, slot). Several schedulers may share a store: claims skip what another
//! holds, and the queue's unique keys drop a slot queued twice.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use pulsar_core::proto::v1;
use pulsar_core::unix_ms;
use pulsar_queue::{NewTask, TaskQueue};
use pulsar_store::Store;

/// How often the scheduler looks for due monitors: a check starts at most this late.
pub const TICK: Duration = Duration::from_millis(250);
/// Monitors claimed per store call; a tick claims again while a batch comes back full.
const CLAIM_BATCH: u32 = 500;

/// What the scheduler works with.
#[derive(Clone)]
pub struct Scheduler {
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn TaskQueue>,
}

impl Scheduler {
    /// Claims and queues every `TICK` until `shutdown` resolves. A failure is logged and
    /// the next tick tries again; slots that could not be queued are handed back to the
    /// store, so they are claimed again rather than lost.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let mut ticks = tokio::time::interval(TICK);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => return,
                _ = ticks.tick() => {
                    if let Err(error) = self.tick(SystemTime::now()).await {
                        tracing::warn!(%error, "scheduling failed; retrying next tick");
                    }
                }
            }
        }
    }

    /// One tick: claims what is due at `now` and queues it; returns how many were queued.
    pub async fn tick(&self, now: SystemTime) -> anyhow::Result<usize> {
        let mut queued = 0;
        loop {
            let due = self.store.claim_due(now, CLAIM_BATCH).await?;
            if due.is_empty() {
                return Ok(queued);
            }
            let full = due.len() == CLAIM_BATCH as usize;
            let tasks: Vec<NewTask> = due
                .iter()
                .map(|d| {
                    let monitor = v1::Monitor::from(d.monitor.clone());
                    NewTask::check(&v1::CheckTask::for_slot(monitor, unix_ms(d.slot)))
                })
                .collect();
            if let Err(error) = self.queue.enqueue_many(tasks).await {
                let released = self.store.release_claims(&due).await?;
                tracing::warn!(%error, released, "could not queue due checks; handed back");
                return Err(error.into());
            }
            queued += due.len();
            if !full {
                return Ok(queued);
            }
        }
    }
}
