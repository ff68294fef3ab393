//! The worker: runs the queued checks, keeps what they found, and tells who listens. Each
//! task is probed, classified, stored with the alert rule applied in the same transaction,
//! and published (the result, and a state change when there is one). A task delivered again
//! stores nothing new and changes no state: the store keys results by (monitor, slot).

mod delay;
mod writer;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use pulsar_core::{CheckResult, Monitor, PRESENCE_INTERVAL, WorkerSeen, classify, from_unix_ms};
use pulsar_probe::Prober;
use pulsar_queue::{EventBus, Task, TaskQueue};
use pulsar_store::Store;

use crate::metrics::Metrics;
pub use delay::{DEFAULT_MAX_DELAY, DelayWatch, MAX_DEFERRAL, Watching};
pub use writer::{MAX_BATCH, ResultWriter};

/// What a worker works with, and who it is.
#[derive(Clone)]
pub struct Worker {
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn TaskQueue>,
    pub bus: Arc<dyn EventBus>,
    pub prober: Arc<Prober>,
    /// Unique per process; recorded with every result.
    pub name: String,
    /// The host it runs on, as its samples name it (for the status page).
    pub host: String,
    pub region: String,
    /// Checks run at once.
    pub concurrency: usize,
    /// No check starts while the runtime's scheduling delay is above this (up to
    /// [`MAX_DEFERRAL`]).
    pub max_delay: Duration,
    pub metrics: Metrics,
}

impl Worker {
    /// Runs checks until `shutdown` resolves, then finishes those it holds.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        let consumer = self.queue.consumer(&self.name, self.concurrency).await?;
        let presence = tokio::spawn(announce(
            Arc::clone(&self.store),
            WorkerSeen {
                name: self.name.clone(),
                host: self.host.clone(),
                region: self.region.clone(),
                last_seen: SystemTime::now(),
            },
        ));
        let writer = ResultWriter::start(
            Arc::clone(&self.store),
            Arc::clone(&self.bus),
            self.metrics.clone(),
        );
        let worker = Arc::new((self, DelayWatch::start(), writer));
        consumer
            .run_until(
                move |task| {
                    let worker = Arc::clone(&worker);
                    async move { worker.0.check(&task, &worker.1, &worker.2).await }
                },
                shutdown,
            )
            .await;
        presence.abort();
        Ok(())
    }

    /// One task: wait for a punctual runtime, probe, classify, then hand the result to the
    /// writer, which stores it (with the alert rule) in a batch and publishes it.
    async fn check(
        &self,
        task: &Task,
        delay: &DelayWatch,
        writer: &ResultWriter,
    ) -> Result<(), String> {
        let check = task.check_task().map_err(|e| e.to_string())?;
        let wire = check.monitor.ok_or("a check task without its monitor")?;
        let monitor = Monitor::try_from(wire).map_err(|e| e.to_string())?;
        // The watch runs while this check waits and runs.
        let _watching = delay.begin();
        if delay.wait_below(self.max_delay).await {
            self.metrics.deferred.inc();
        }
        let mark = delay.mark();
        let report = self.prober.check(&monitor.check).await;
        let verdict = classify(&report, &monitor.expect);
        let mut result = CheckResult::new(
            monitor.id,
            from_unix_ms(check.slot_unix_ms),
            &self.name,
            &self.region,
            report,
            verdict,
        );
        result.scheduling_delay = Some(delay.worst_since(mark));
        self.metrics
            .scheduling_delay
            .set(delay.current().as_secs_f64());
        writer.write(result).await
    }
}

/// Says every [`PRESENCE_INTERVAL`] that this process runs checks, for the status page.
async fn announce(store: Arc<dyn Store>, mut seen: WorkerSeen) {
    let mut ticks = tokio::time::interval(PRESENCE_INTERVAL);
    loop {
        ticks.tick().await;
        seen.last_seen = SystemTime::now();
        if let Err(error) = store.record_worker(&seen).await {
            tracing::warn!(%error, "could not record that this worker is alive");
        }
    }
}
