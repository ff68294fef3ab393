//! The retention role: deletes what the store no longer keeps. Any number of processes may
//! run it; only the holder of the store's `RETENTION_LEASE` prunes, so exactly one does at a
//! time, and another takes over when the holder stops renewing.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use pulsar_store::{RETENTION_LEASE, Retention, Store};

/// How often the holder prunes (and the others ask for the lease).
pub const PRUNE_INTERVAL: Duration = Duration::from_secs(600);

/// What the retention role works with.
pub struct Pruner {
    pub store: Arc<dyn Store>,
    pub retention: Retention,
    /// Unique per process: the lease's holder.
    pub holder: String,
    pub interval: Duration,
}

impl Pruner {
    /// Prunes every `interval` while it holds the lease, until `shutdown` resolves; then
    /// gives the lease up so another process takes over at once.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let mut ticks = tokio::time::interval(self.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                _ = ticks.tick() => {
                    if let Err(error) = self.prune_if_holder(SystemTime::now()).await {
                        tracing::warn!(%error, "retention failed; retrying next interval");
                    }
                }
            }
        }
        if let Err(error) = self
            .store
            .release_lease(RETENTION_LEASE, &self.holder)
            .await
        {
            tracing::warn!(%error, "could not release the retention lease");
        }
    }

    /// One round: prunes at `now` if this process holds (or takes) the lease; returns
    /// whether it did.
    pub async fn prune_if_holder(&self, now: SystemTime) -> anyhow::Result<bool> {
        // Three intervals: a holder that misses two rounds loses the role.
        let ttl = self.interval * 3;
        if !self
            .store
            .take_lease(RETENTION_LEASE, &self.holder, ttl, now)
            .await?
        {
            return Ok(false);
        }
        let report = self.store.prune(now, &self.retention).await?;
        if report.total() > 0 {
            tracing::info!(rows = report.total(), ?report, "retention pruned");
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulsar_store::{SqliteOptions, SqliteStore};

    #[tokio::test]
    async fn one_process_prunes_until_it_stops_renewing() {
        let store = SqliteStore::open_with(SqliteOptions::in_memory().fold_interval(None))
            .await
            .unwrap();
        let store: Arc<dyn Store> = Arc::new(store);
        let pruner = |holder: &str| Pruner {
            store: Arc::clone(&store),
            retention: Retention::default(),
            holder: holder.into(),
            interval: Duration::from_secs(60),
        };
        let (a, b) = (pruner("api-1"), pruner("api-2"));
        let now = SystemTime::now();
        assert!(a.prune_if_holder(now).await.unwrap());
        assert!(!b.prune_if_holder(now).await.unwrap());
        assert!(
            a.prune_if_holder(now + Duration::from_secs(60))
                .await
                .unwrap()
        );
        // The holder misses three intervals: the other takes over.
        let later = now + Duration::from_secs(60 + 181);
        assert!(b.prune_if_holder(later).await.unwrap());
        assert!(!a.prune_if_holder(later).await.unwrap());
    }
}
