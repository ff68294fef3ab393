//! One Pulsar process: the backends it works over and the roles it runs. `pulsar serve`
//! runs every role over an embedded store and the in-process queue and bus; `pulsar api`
//! and `pulsar worker` run some of them over PostgreSQL and Redis, as many processes of
//! each as needed.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use pulsar_core::DEFAULT_RETRY;
use pulsar_probe::Prober;
use pulsar_queue::{BusBuilder, EventBus, QueueBuilder, TaskQueue};
use pulsar_store::{PgOptions, PgStore, SqliteStore, Store};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::api::{AppState, app};
use crate::config::Settings;
use crate::metrics::Metrics;
use crate::notifier::Notifier;
use crate::retention::{PRUNE_INTERVAL, Pruner};
use crate::sampler::Sampler;
use crate::scheduler::{DEFAULT_MAX_QUEUE_DEPTH, Scheduler};
use crate::worker::Worker;

/// How long a stopping worker waits for the checks it holds; a check still running then is
/// abandoned, and the queue hands its task to another worker once its lease runs out.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// The store, queue and bus a process works over.
pub struct Backends {
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn TaskQueue>,
    pub bus: Arc<dyn EventBus>,
    /// "embedded" or "distributed", as the status reports it.
    pub mode: &'static str,
    /// Where the data lives, for the start-up log line (no password).
    pub location: String,
    closer: Closer,
}

/// The concrete store, kept to close it: closing hands its fold lease over at once.
enum Closer {
    Sqlite(SqliteStore),
    Pg(PgStore),
}

impl Backends {
    /// SQLite in `data_dir`, the in-process queue and bus: nothing else installed.
    pub async fn embedded(data_dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
        let path = data_dir.join("pulsar.db");
        let sqlite = SqliteStore::open(&path)
            .await
            .with_context(|| format!("cannot open the database {}", path.display()))?;
        Ok(Self {
            store: Arc::new(sqlite.clone()),
            queue: Arc::new(QueueBuilder::new().in_process()),
            bus: Arc::new(BusBuilder::new().in_process()),
            mode: "embedded",
            location: path.display().to_string(),
            closer: Closer::Sqlite(sqlite),
        })
    }

    /// PostgreSQL and Redis from `settings`. `fold` says whether this process competes for
    /// the fold lease (API processes do, workers do not).
    pub async fn distributed(settings: &Settings, fold: bool) -> anyhow::Result<Self> {
        let database_url = settings
            .database_url
            .as_deref()
            .context("no database: set PULSAR_DATABASE_URL (or --database-url)")?;
        let redis_url = settings
            .redis_url
            .as_deref()
            .context("no Redis: set PULSAR_REDIS_URL (or --redis-url)")?;
        let shown = pulsar_core::redact_url(database_url);
        let mut options = PgOptions::new(database_url);
        if !fold {
            options = options.fold_interval(None);
        }
        let pg = PgStore::connect_with(options)
            .await
            .with_context(|| format!("cannot open the database {shown}"))?;
        let prefix = &settings.redis_prefix;
        let queue = QueueBuilder::new()
            .redis(redis_url, prefix)
            .await
            .context("cannot reach Redis for the queue")?;
        let bus = BusBuilder::new()
            .redis(redis_url, prefix)
            .await
            .context("cannot reach Redis for the bus")?;
        Ok(Self {
            store: Arc::new(pg.clone()),
            queue: Arc::new(queue),
            bus: Arc::new(bus),
            mode: "distributed",
            location: shown.into_owned(),
            closer: Closer::Pg(pg),
        })
    }

    /// Closes the store (and hands its leases over).
    pub async fn close(self) {
        match self.closer {
            Closer::Sqlite(store) => store.close().await,
            Closer::Pg(store) => store.close().await,
        }
    }
}

/// Which roles a process runs.
#[derive(Debug)]
pub struct Roles {
    /// Serve the API, the hub and the dashboard here.
    pub api: Option<TcpListener>,
    /// Serve only `/healthz`, `/readyz` and `/metrics` here (a worker's).
    pub operations: Option<TcpListener>,
    pub scheduler: bool,
    pub worker: bool,
    /// Sample this host (every process that runs checks does).
    pub sampler: bool,
    /// Compete for the retention lease.
    pub retention: bool,
    /// Deliver the outbox (any number of processes may).
    pub notifier: bool,
}

/// Runs `roles` over `backends` until `shutdown` resolves: then the API stops taking
/// requests and closes live clients with 1001, the scheduler and sampler stop, the worker
/// finishes the checks it holds (up to [`DRAIN_TIMEOUT`]) and the store closes.
pub async fn run(
    backends: Backends,
    roles: Roles,
    settings: &Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let prober = Arc::new(
        Prober::builder()
            .target_policy(settings.target_policy.into())
            .build()
            .context("cannot build the prober")?,
    );
    let (stop, stopped) = watch::channel(false);
    let until_stopped = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        }
    };
    let metrics = Metrics::default();
    let mut background = Vec::new();
    if roles.scheduler {
        let scheduler = Scheduler {
            store: Arc::clone(&backends.store),
            queue: Arc::clone(&backends.queue),
            max_queue_depth: DEFAULT_MAX_QUEUE_DEPTH,
            metrics: metrics.clone(),
        };
        background.push(tokio::spawn(scheduler.run(until_stopped())));
    }
    if roles.sampler {
        let sampler = Sampler {
            store: Arc::clone(&backends.store),
            bus: Arc::clone(&backends.bus),
            collector: settings.host.collector(),
            interval: settings.host_interval,
            rules: settings.host_rules.clone(),
            memory: std::collections::HashMap::new(),
        };
        background.push(tokio::spawn(sampler.run(until_stopped())));
    }
    if roles.retention {
        let pruner = Pruner {
            store: Arc::clone(&backends.store),
            retention: settings.retention,
            holder: settings.name.clone(),
            interval: PRUNE_INTERVAL,
        };
        background.push(tokio::spawn(pruner.run(until_stopped())));
    }
    if roles.notifier {
        let notifier = Notifier {
            store: Arc::clone(&backends.store),
            bus: Some(Arc::clone(&backends.bus)),
            prober: Arc::clone(&prober),
            holder: settings.name.clone(),
            public_url: settings.public_url.clone(),
            retry: DEFAULT_RETRY,
            poll: crate::notifier::POLL_INTERVAL,
            reminder_sweep: pulsar_store::REMINDER_SWEEP,
            host_rules: settings.host_rules.clone(),
            host_interval: settings.host_interval,
            metrics: metrics.clone(),
        };
        background.push(tokio::spawn(notifier.run(until_stopped())));
    }
    let worker = roles.worker.then(|| {
        let worker = Worker {
            store: Arc::clone(&backends.store),
            queue: Arc::clone(&backends.queue),
            bus: Arc::clone(&backends.bus),
            prober: Arc::clone(&prober),
            name: settings.name.clone(),
            host: settings.host.identity(),
            region: settings.region.clone(),
            concurrency: settings.concurrency,
            max_delay: settings.max_scheduling_delay,
            metrics: metrics.clone(),
        };
        tokio::spawn(worker.run(until_stopped()))
    });
    let address: Option<SocketAddr> = roles
        .api
        .as_ref()
        .or(roles.operations.as_ref())
        .and_then(|l| l.local_addr().ok());
    let api = match roles.api {
        Some(listener) => {
            let state = AppState::new(Arc::clone(&backends.store))
                .with_settings(settings)
                .with_checks(
                    Arc::clone(&prober),
                    Arc::clone(&backends.bus),
                    settings.name.clone(),
                    settings.region.clone(),
                )
                .with_queue(Arc::clone(&backends.queue))
                .with_mode(backends.mode)
                .with_metrics(metrics.clone())
                .with_stopping(stop.subscribe());
            let serving = axum::serve(listener, app(state)).with_graceful_shutdown(until_stopped());
            Some(tokio::spawn(async move { serving.await }))
        }
        None => match roles.operations {
            Some(listener) => {
                let state = AppState::new(Arc::clone(&backends.store))
                    .with_settings(settings)
                    .with_queue(Arc::clone(&backends.queue))
                    .with_metrics(metrics.clone());
                let serving = axum::serve(listener, crate::api::operations_app(state))
                    .with_graceful_shutdown(until_stopped());
                Some(tokio::spawn(async move { serving.await }))
            }
            None => None,
        },
    };
    tracing::info!(
        address = address.map(|a| a.to_string()),
        database = %backends.location,
        mode = backends.mode,
        name = %settings.name,
        scheduler = roles.scheduler,
        worker = roles.worker,
        "pulsar is up"
    );

    shutdown.await;
    tracing::info!("shutting down");
    let _ = stop.send(true);
    for task in background {
        task.await?;
    }
    if let Some(worker) = worker {
        match tokio::time::timeout(DRAIN_TIMEOUT, worker).await {
            Ok(finished) => finished??,
            Err(_) => tracing::warn!("checks still running after {DRAIN_TIMEOUT:?}; abandoned"),
        }
    }
    if let Some(api) = api {
        api.await??;
    }
    backends.close().await;
    Ok(())
}
