//! The three ways to run Pulsar, each a set of roles over its backends (see [`node`]):
//!
//! - [`serve`]: the whole product in one process, with nothing else installed: every role
//!   over an embedded SQLite store and the in-process queue and bus;
//! - [`api`]: the API, the WebSocket hub, by default the scheduler, the fold and retention,
//!   over PostgreSQL and Redis;
//! - [`worker`]: checks from the queue and its own host's samples, over the same.
//!
//! In both modes the fold and retention run in exactly one process at a time, decided by
//! store leases (`FOLD_LEASE`, `RETENTION_LEASE`), so any number of processes is safe.
//!
//! [`node`]: crate::node

use std::future::Future;
use std::time::SystemTime;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::Settings;
use crate::config::declared::apply;
use crate::node::{Backends, Roles, run};

/// Runs every role in this process on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    settings: Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    check_exposure(&listener, &settings)?;
    // With PostgreSQL and Redis given, the same roles run over them.
    let backends = if settings.database_url.is_some() || settings.redis_url.is_some() {
        Backends::distributed(&settings, true).await?
    } else {
        Backends::embedded(&settings.data_dir).await?
    };
    apply_declared(&backends, &settings).await?;
    let roles = Roles {
        operations: None,
        api: Some(listener),
        scheduler: true,
        worker: true,
        sampler: true,
        retention: true,
        notifier: true,
    };
    run(backends, roles, &settings, shutdown).await
}

/// Serves the API and hub on `listener` (and schedules, unless `settings.scheduler` is
/// off) over PostgreSQL and Redis, until `shutdown` resolves.
pub async fn api(
    listener: TcpListener,
    settings: Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    check_exposure(&listener, &settings)?;
    let backends = Backends::distributed(&settings, true).await?;
    apply_declared(&backends, &settings).await?;
    let roles = Roles {
        operations: None,
        api: Some(listener),
        scheduler: settings.scheduler,
        worker: false,
        sampler: false,
        retention: true,
        notifier: true,
    };
    run(backends, roles, &settings, shutdown).await
}

/// Runs checks from the shared queue and reports this host, until `shutdown` resolves.
pub async fn worker(
    settings: Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let operations = match settings.metrics_listen {
        Some(address) => Some(
            TcpListener::bind(address)
                .await
                .with_context(|| format!("cannot listen on {address}"))?,
        ),
        None => None,
    };
    let backends = Backends::distributed(&settings, false).await?;
    let roles = Roles {
        operations,
        api: None,
        scheduler: false,
        worker: true,
        sampler: true,
        retention: false,
        notifier: false,
    };
    run(backends, roles, &settings, shutdown).await
}

/// Applies the monitors and channels the config file declares, if it declares any.
async fn apply_declared(backends: &Backends, settings: &Settings) -> anyhow::Result<()> {
    let declared = &settings.declared;
    if declared.monitors.is_none() && declared.channels.is_none() && declared.windows.is_none() {
        return Ok(());
    }
    let applied = apply(
        backends.store.as_ref(),
        declared,
        settings.prune,
        SystemTime::now(),
    )
    .await
    .context("cannot apply the config file's monitors and channels")?;
    tracing::info!(
        created = applied.created,
        updated = applied.updated,
        unchanged = applied.unchanged,
        deleted = applied.deleted,
        "applied the config file"
    );
    Ok(())
}

fn check_exposure(listener: &TcpListener, settings: &Settings) -> anyhow::Result<()> {
    settings
        .check_exposure(listener.local_addr()?)
        .map_err(anyhow::Error::msg)
}
