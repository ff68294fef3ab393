//! The scheduler: claims due monitors from the store on a short tick and queues one check
//! task per (monitor, slot). Several schedulers may share a store: claims skip what another
//! holds, and the queue's unique keys drop a slot queued twice.
//!
//! Each tick claims one tick ahead: a slot that comes before the next tick is queued now,
//! to be delivered at its time, on a grid as fine as the load allows (see
//! [`pulsar_core::delivery_delay`]). A busy scheduler so starts each check within a few milliseconds of
//! its slot rather than up to a tick late, and a quiet one delivers a tick's few checks
//! together.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use pulsar_core::proto::v1;
use pulsar_core::{delivery_delay, unix_ms};
use pulsar_queue::{NewTask, TaskQueue};
use pulsar_store::Store;

use crate::metrics::Metrics;

/// How often the scheduler looks for due monitors, and how far ahead it claims them.
pub const TICK: Duration = Duration::from_millis(250);
/// Monitors claimed per store call; a tick claims again while a batch comes back full.
const CLAIM_BATCH: u32 = 500;
/// Tasks waiting in the queue above which the scheduler claims nothing: the workers are
/// behind, and queueing more would only make every check later.
pub const DEFAULT_MAX_QUEUE_DEPTH: u64 = 20_000;

/// What the scheduler works with.
#[derive(Clone)]
pub struct Scheduler {
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn TaskQueue>,
    /// Backpressure: no claims while more tasks than this wait.
    pub max_queue_depth: u64,
    pub metrics: Metrics,
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

    /// One tick: claims what is due by `now` plus a tick and queues it, each slot still to
    /// come delivered at its time; returns how many were queued.
    /// While the queue holds more than `max_queue_depth` waiting tasks it claims nothing:
    /// due monitors stay due (their lateness shows in the metrics) until workers catch up.
    pub async fn tick(&self, now: SystemTime) -> anyhow::Result<usize> {
        let stats = self.queue.stats().await?;
        if stats.pending + stats.delayed + stats.retrying > self.max_queue_depth {
            self.metrics.held_back.inc();
            return Ok(0);
        }
        let mut queued = 0;
        let horizon = now + TICK;
        loop {
            let due = self.store.claim_due(horizon, CLAIM_BATCH).await?;
            if due.is_empty() {
                return Ok(queued);
            }
            let full = due.len() == CLAIM_BATCH as usize;
            let tasks: Vec<NewTask> = due
                .iter()
                .map(|d| {
                    let monitor = v1::Monitor::from(d.monitor.clone());
                    let task = NewTask::check(&v1::CheckTask::for_slot(monitor, unix_ms(d.slot)));
                    match d.slot.duration_since(now) {
                        Ok(wait) if !wait.is_zero() => {
                            task.delay(delivery_delay(wait, due.len(), TICK))
                        }
                        _ => task,
                    }
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use pulsar_core::{Monitor, MonitorId};
    use pulsar_queue::QueueBuilder;
    use pulsar_store::{SqliteOptions, SqliteStore};

    use super::*;

    /// A scheduler over an in-memory store holding `monitors` and an in-process queue.
    async fn scheduler(monitors: &[Monitor], max_queue_depth: u64, now: SystemTime) -> Scheduler {
        let store = SqliteStore::open_with(SqliteOptions::in_memory().fold_interval(None))
            .await
            .unwrap();
        for monitor in monitors {
            store.create_monitor(monitor, now).await.unwrap();
        }
        Scheduler {
            store: Arc::new(store),
            queue: Arc::new(QueueBuilder::new().in_process()),
            max_queue_depth,
            metrics: Metrics::default(),
        }
    }

    #[tokio::test]
    async fn a_backed_up_queue_holds_claims_back_until_it_drains() {
        let now = SystemTime::now();
        let monitors: Vec<Monitor> = (0..3)
            .map(|i| {
                let mut monitor = Monitor::new(format!("m{i}"), "https://example.com/");
                monitor.id = MonitorId::new();
                monitor
            })
            .collect();
        let scheduler = scheduler(&monitors, 2, now).await;
        let queue = Arc::clone(&scheduler.queue);
        let due = now + Duration::from_secs(120);
        assert_eq!(scheduler.tick(due).await.unwrap(), 3);
        // Three wait, above the bound of two: the next due slots are not claimed.
        let later = due + Duration::from_secs(120);
        assert_eq!(scheduler.tick(later).await.unwrap(), 0);
        assert_eq!(scheduler.metrics.held_back.get(), 1);
        // Workers take them: claims resume, nothing was lost in between.
        let mut consumer = queue.consumer("w", 8).await.unwrap();
        for _ in 0..3 {
            consumer.next().await.unwrap().unwrap().ack().await.unwrap();
        }
        assert_eq!(scheduler.tick(later).await.unwrap(), 3);
    }

    #[tokio::test]
    async fn a_slot_before_the_next_tick_is_queued_now_and_delivered_no_earlier_than_its_time() {
        let now = SystemTime::now();
        let mut monitor = Monitor::new("every second", "https://example.com/");
        monitor.interval = Duration::from_secs(1);
        monitor.check.timeout = Duration::from_millis(800);
        let scheduler = scheduler(&[monitor], 100, now).await;
        let queue = Arc::clone(&scheduler.queue);
        let mut consumer = queue.consumer("w", 8).await.unwrap();
        let first_tick = now + Duration::from_secs(5);
        assert_eq!(scheduler.tick(first_tick).await.unwrap(), 1);
        let first = consumer.next().await.unwrap().unwrap();
        let slot = pulsar_core::from_unix_ms(first.task().check_task().unwrap().slot_unix_ms);
        first.ack().await.unwrap();

        // 100 ms before the next slot: claimed on this tick, held until its time (a lone
        // slot goes out at the end of the tick).
        let next = slot + Duration::from_secs(1);
        let queued_at = std::time::Instant::now();
        assert_eq!(
            scheduler
                .tick(next - Duration::from_millis(100))
                .await
                .unwrap(),
            1
        );
        assert_eq!(queue.stats().await.unwrap().delayed, 1);
        let task = consumer.next().await.unwrap().unwrap();
        assert!(queued_at.elapsed() >= Duration::from_millis(90));
        let slot = pulsar_core::from_unix_ms(task.task().check_task().unwrap().slot_unix_ms);
        assert_eq!(slot, next);
    }
}
