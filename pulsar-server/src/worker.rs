//! The worker: runs the queued checks, keeps what they found, and tells who listens. Each
//! task is probed, classified, stored with the alert rule applied in the same transaction,
//! and published (the result, and a state change when there is one). A task delivered again
//! stores nothing new and changes no state: the store keys results by (monitor, slot).

use std::future::Future;
use std::sync::Arc;

use pulsar_core::proto::v1;
use pulsar_core::{CheckResult, Monitor, classify, from_unix_ms, unix_ms};
use pulsar_probe::Prober;
use pulsar_queue::{EventBus, Task, TaskQueue};
use pulsar_store::Store;

/// What a worker works with, and who it is.
#[derive(Clone)]
pub struct Worker {
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn TaskQueue>,
    pub bus: Arc<dyn EventBus>,
    pub prober: Arc<Prober>,
    /// Unique per process; recorded with every result.
    pub name: String,
    pub region: String,
    /// Checks run at once.
    pub concurrency: usize,
}

impl Worker {
    /// Runs checks until `shutdown` resolves, then finishes those it holds.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        let consumer = self.queue.consumer(&self.name, self.concurrency).await?;
        let worker = Arc::new(self);
        consumer
            .run_until(
                move |task| {
                    let worker = Arc::clone(&worker);
                    async move { worker.check(&task).await }
                },
                shutdown,
            )
            .await;
        Ok(())
    }

    /// One task: probe, classify, store (with the alert rule), publish.
    async fn check(&self, task: &Task) -> Result<(), String> {
        let check = task.check_task().map_err(|e| e.to_string())?;
        let wire = check.monitor.ok_or("a check task without its monitor")?;
        let monitor = Monitor::try_from(wire).map_err(|e| e.to_string())?;
        let report = self.prober.check(&monitor.check).await;
        let verdict = classify(&report, &monitor.expect);
        let result = CheckResult::new(
            monitor.id,
            from_unix_ms(check.slot_unix_ms),
            &self.name,
            &self.region,
            report,
            verdict,
        );
        let recorded = self
            .store
            .record_results(std::slice::from_ref(&result))
            .await
            .map_err(|e| e.to_string())?;
        if recorded.inserted == 0 {
            return Ok(()); // delivered again: stored and told the first time
        }
        let at_unix_ms = unix_ms(result.started_at);
        self.publish(v1::Event::check_completed(result.into()))
            .await;
        for change in recorded.changes {
            let state = v1::MonitorStateChanged {
                monitor_id: change.monitor_id.to_string(),
                from: v1::MonitorState::from(change.previous).into(),
                to: v1::MonitorState::from(change.current).into(),
                at_unix_ms,
                reason: change.cause,
            };
            self.publish(v1::Event::monitor_state_changed(state)).await;
        }
        Ok(())
    }

    /// Live events are best effort: the result is stored whatever the bus does.
    async fn publish(&self, event: v1::Event) {
        if let Err(error) = self.bus.publish_event(&event).await {
            tracing::warn!(%error, "could not publish an event");
        }
    }
}
