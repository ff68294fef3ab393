//! The worker's result writer: results of checks that finish together are stored in one
//! batch (one transaction, the alert rule applied inside it), then told on the bus. A batch
//! is whatever has finished while the previous write ran, so an idle worker writes each
//! result at once and a busy one writes many per transaction.

use std::collections::BTreeSet;
use std::sync::Arc;

use pulsar_core::proto::v1;
use pulsar_core::{CheckResult, unix_ms};
use pulsar_queue::EventBus;
use pulsar_store::Store;
use tokio::sync::{mpsc, oneshot};

use crate::events::{publish, state_changed};
use crate::metrics::Metrics;

/// The most results one transaction stores.
pub const MAX_BATCH: usize = 256;

type Waiter = oneshot::Sender<Result<(), String>>;

/// A handle to the writer task; it stops when the last handle is dropped.
#[derive(Clone)]
pub struct ResultWriter {
    queue: mpsc::Sender<(CheckResult, Waiter)>,
}

impl ResultWriter {
    /// Starts the writer task.
    pub fn start(store: Arc<dyn Store>, bus: Arc<dyn EventBus>, metrics: Metrics) -> Self {
        let (queue, mut incoming) = mpsc::channel::<(CheckResult, Waiter)>(MAX_BATCH * 4);
        tokio::spawn(async move {
            while let Some(first) = incoming.recv().await {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match incoming.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                write(store.as_ref(), bus.as_ref(), &metrics, batch).await;
            }
        });
        Self { queue }
    }

    /// Stores `result` with the next batch; `Ok` once it is stored (or was already).
    pub async fn write(&self, result: CheckResult) -> Result<(), String> {
        let (done, stored) = oneshot::channel();
        self.queue
            .send((result, done))
            .await
            .map_err(|_| "the result writer stopped".to_owned())?;
        stored
            .await
            .map_err(|_| "the result writer stopped".to_owned())?
    }
}

async fn write(
    store: &dyn Store,
    bus: &dyn EventBus,
    metrics: &Metrics,
    batch: Vec<(CheckResult, Waiter)>,
) {
    let (results, waiters): (Vec<CheckResult>, Vec<Waiter>) = batch.into_iter().unzip();
    let recorded = match store.record_results(&results).await {
        Ok(recorded) => recorded,
        Err(error) => {
            // Every task of the batch is retried by the queue.
            let error = error.to_string();
            for waiter in waiters {
                let _ = waiter.send(Err(error.clone()));
            }
            return;
        }
    };
    for waiter in waiters {
        let _ = waiter.send(Ok(()));
    }
    // A state change happened when its monitor's newest result of the batch started.
    let started = |monitor| {
        results
            .iter()
            .filter(|r| r.monitor_id == monitor)
            .map(|r| unix_ms(r.started_at))
            .max()
            .unwrap_or_default()
    };
    let changes: Vec<v1::Event> = recorded
        .changes
        .into_iter()
        .flat_map(|change| {
            let at = started(change.monitor_id);
            state_changed(change, at)
        })
        .collect();
    // Only what is new is told: a task delivered again was stored and told the first time.
    let new: BTreeSet<_> = recorded
        .new
        .iter()
        .map(|(monitor, slot)| (*monitor, unix_ms(*slot)))
        .collect();
    for mut result in results {
        if !new.contains(&(result.monitor_id, unix_ms(result.slot))) {
            continue;
        }
        result.maintenance = recorded
            .maintenance
            .contains(&(result.monitor_id, result.slot));
        metrics.observe_check(&result);
        publish(bus, v1::Event::check_completed(result.into())).await;
    }
    for change in changes {
        publish(bus, change).await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use pulsar_core::{Monitor, MonitorId, Outcome, Phases, TOPIC_CHECKS};
    use pulsar_queue::{BusBuilder, BusItem};
    use pulsar_store::{PageRequest, SqliteOptions, SqliteStore};

    use super::*;

    fn result(monitor: MonitorId, slot: SystemTime) -> CheckResult {
        CheckResult {
            monitor_id: monitor,
            slot,
            started_at: slot,
            worker: "w".into(),
            region: String::new(),
            outcome: Outcome::Up,
            failure: None,
            message: String::new(),
            status: Some(200),
            http_version: None,
            remote_addr: None,
            phases: Phases::default(),
            hops: Vec::new(),
            body_bytes: 0,
            tls: None,
            manual: false,
            scheduling_delay: None,
            maintenance: false,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_results_are_stored_and_told_once_each() {
        let store = SqliteStore::open_with(SqliteOptions::in_memory())
            .await
            .unwrap();
        let store: Arc<dyn Store> = Arc::new(store);
        let bus: Arc<dyn EventBus> = Arc::new(BusBuilder::new().in_process());
        let mut events = bus.subscribe(&[TOPIC_CHECKS]).await.unwrap();
        let now = SystemTime::now();
        let mut monitor = Monitor::new("m", "https://example.com/");
        monitor.id = MonitorId::new();
        let monitor = store.create_monitor(&monitor, now).await.unwrap();
        let writer = ResultWriter::start(Arc::clone(&store), Arc::clone(&bus), Metrics::default());

        let slots: Vec<SystemTime> = (0..100)
            .map(|i| now + Duration::from_secs(60 * i))
            .collect();
        let writes = slots.iter().map(|slot| {
            let writer = writer.clone();
            let result = result(monitor.id, *slot);
            tokio::spawn(async move { writer.write(result).await })
        });
        for write in writes.collect::<Vec<_>>() {
            write.await.unwrap().unwrap();
        }
        // Delivered again: stored already, told nothing.
        writer.write(result(monitor.id, slots[0])).await.unwrap();

        let stored = store
            .list_results(monitor.id, &Default::default(), &PageRequest::first(1000))
            .await
            .unwrap();
        assert_eq!(stored.items.len(), 100);
        let mut told = 0;
        while let Ok(Some(item)) =
            tokio::time::timeout(Duration::from_millis(200), events.recv()).await
        {
            if let BusItem::Event(_) = item {
                told += 1;
            }
        }
        assert_eq!(told, 100);
    }
}
