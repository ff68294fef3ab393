//! `pulsar serve`: the whole product in one process, with nothing else installed: the API,
//! the scheduler, a worker and the host sampler over an embedded SQLite store and the
//! in-process queue and bus. The store's background task folds rollups (it holds the fold lease).

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use std::time::Duration;

use anyhow::Context;
use pulsar_host::HostCollector;
use pulsar_probe::Prober;
use pulsar_queue::{BusBuilder, EventBus, QueueBuilder, TaskQueue};
use pulsar_store::{SqliteStore, Store};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::api::{AppState, app};
use crate::sampler::Sampler;
use crate::scheduler::Scheduler;
use crate::worker::Worker;

/// Where `pulsar serve` listens unless told otherwise: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Where it keeps its database unless told otherwise.
pub const DEFAULT_DATA_DIR: &str = "pulsar-data";
/// Checks a worker runs at once unless told otherwise.
pub const DEFAULT_CONCURRENCY: usize = 64;

/// How an embedded server runs.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub data_dir: PathBuf,
    /// The worker's name, recorded with its results (unique per process).
    pub name: String,
    pub region: String,
    pub concurrency: usize,
    /// How often the process samples its host.
    pub host_interval: Duration,
}

/// Serves on `listener` until `shutdown` resolves: then the API stops taking requests, the
/// scheduler stops, the worker finishes the checks it holds, and the store closes.
pub async fn serve(
    listener: TcpListener,
    config: ServeConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating the data directory {}", config.data_dir.display()))?;
    let path = config.data_dir.join("pulsar.db");
    let sqlite = SqliteStore::open(&path)
        .await
        .with_context(|| format!("opening the database {}", path.display()))?;
    let store: Arc<dyn Store> = Arc::new(sqlite.clone());
    let queue: Arc<dyn TaskQueue> = Arc::new(QueueBuilder::new().in_process());
    let bus: Arc<dyn EventBus> = Arc::new(BusBuilder::new().in_process());
    let prober = Arc::new(Prober::new().context("building the prober")?);

    let (stop, stopped) = watch::channel(false);
    let watch_stop = stopped.clone();
    let until_stopped = move || {
        let mut stopped = watch_stop.clone();
        async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        }
    };
    let scheduler = Scheduler {
        store: Arc::clone(&store),
        queue: Arc::clone(&queue),
    };
    let scheduler = tokio::spawn(scheduler.run(until_stopped()));
    let state = AppState::new(Arc::clone(&store))
        .with_checks(
            Arc::clone(&prober),
            Arc::clone(&bus),
            config.name.clone(),
            config.region.clone(),
        )
        .with_queue(Arc::clone(&queue))
        .with_stopping(stopped.clone());
    let worker = Worker {
        store: Arc::clone(&store),
        queue,
        bus: Arc::clone(&bus),
        prober,
        name: config.name,
        region: config.region,
        concurrency: config.concurrency.max(1),
    };
    let worker = tokio::spawn(worker.run(until_stopped()));
    let sampler = Sampler {
        store: Arc::clone(&store),
        bus: Arc::clone(&bus),
        collector: HostCollector::builder().build(),
        interval: config.host_interval,
    };
    let sampler = tokio::spawn(sampler.run(until_stopped()));
    let address: SocketAddr = listener.local_addr()?;
    tracing::info!(%address, database = %path.display(), "pulsar serve is up");
    let api = axum::serve(listener, app(state)).with_graceful_shutdown(until_stopped());
    let api = tokio::spawn(async move { api.await });

    shutdown.await;
    tracing::info!("shutting down");
    let _ = stop.send(true);
    scheduler.await?;
    sampler.await?;
    worker.await??;
    api.await??;
    sqlite.close().await;
    Ok(())
}
