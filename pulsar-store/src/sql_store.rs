//! [`SqlStore`]: the one implementation of [`Store`], over either dialect. Each method is a
//! call into the module that holds its SQL (or into the dialect, where the SQL differs).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pulsar_core::proto::v1::HostSnapshot;
use pulsar_core::{
    BucketSize, ChannelId, ChannelRouting, CheckResult, Delivery, HostCondition, HostIncident,
    HostSeries, Incident, IncidentId, MaintenanceWindow, Monitor, MonitorId, MonitorState,
    NewMonitor, NotificationChannel, PhaseSeries, Rollup, SeriesPlan, Summary, WindowId,
    WorkerSeen, from_unix_ms,
};
use sqlx::Pool;

use crate::backend::Backend;
use crate::dialect::{begin_read, begin_write};
use crate::error::{Result, StoreError};
use crate::fold::{FOLD_BATCH, Folder};
use crate::leases::{FOLD_LEASE, Lease};
use crate::outbox::{self, Attempt, Outgoing};
use crate::query::{
    DeliveryFilter, DueCheck, HostIncidentFilter, HostSummary, IncidentFilter, MonitorFilter,
    MonitorWrite, Overview, Page, PageRequest, Recorded, ResultFilter, StateChange, TimeRange,
};
use crate::retention::{PruneReport, Retention};
use crate::rows::ResultColumns;
use crate::store::Store;
use crate::summary_cache::SummaryCache;
use crate::{
    alerts, fold, host_alerts, hosts, leases, maintenance, monitors, notify, overview, prune,
    results, routing, summaries, workers,
};

/// The [`Store`] on a SQL database: [`PgStore`](crate::PgStore) or
/// [`SqliteStore`](crate::SqliteStore). Clones share the pool, the background fold and the
/// summary cache.
#[derive(Debug)]
#[allow(private_bounds)] // Sealed: the dialects are this crate's own.
pub struct SqlStore<B: Backend> {
    pool: Pool<B::Db>,
    folder: Option<Arc<Folder>>,
    summary_cache: SummaryCache,
    /// This store's name as a lease holder: unique per opened store.
    holder: Arc<str>,
}

impl<B: Backend> Clone for SqlStore<B> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            folder: self.folder.clone(),
            summary_cache: self.summary_cache.clone(),
            holder: self.holder.clone(),
        }
    }
}

#[allow(private_bounds)]
impl<B: Backend> SqlStore<B> {
    /// Migrates the database behind `pool` and starts the background fold every
    /// `fold_interval` (none: the caller folds). Of all the stores on one database, only
    /// the holder of [`FOLD_LEASE`] folds; the others take over when its lease runs out.
    pub(crate) async fn start(
        pool: Pool<B::Db>,
        fold_interval: Option<Duration>,
        summary_cache_bytes: usize,
    ) -> Result<Self> {
        let mut store = Self {
            pool,
            folder: None,
            summary_cache: SummaryCache::with_budget(summary_cache_bytes),
            holder: format!("store-{}-{}", std::process::id(), uuid::Uuid::new_v4()).into(),
        };
        store.migrate().await?;
        if let Some(interval) = fold_interval {
            let pool = store.pool.clone();
            let holder = store.holder.clone();
            let ttl = fold::lease_ttl(interval);
            store.folder = Some(Folder::spawn(interval, move || {
                let pool = pool.clone();
                let holder = holder.clone();
                async move {
                    let mut conn = pool.acquire().await?;
                    let now = SystemTime::now();
                    if !leases::take(&mut *conn, FOLD_LEASE, &holder, ttl, now).await? {
                        return Ok(0);
                    }
                    drop(conn);
                    fold::fold::<B>(&pool, FOLD_BATCH).await
                }
            }));
        }
        Ok(store)
    }

    /// The name this store takes leases under (unique per opened store), as
    /// [`Store::list_leases`] shows it.
    pub fn lease_holder(&self) -> &str {
        &self.holder
    }

    /// Stops the background fold and closes every connection.
    pub async fn close(&self) {
        if let Some(folder) = &self.folder {
            folder.stop();
            // Hand the fold over now rather than when the lease runs out.
            if let Ok(mut conn) = self.pool.acquire().await
                && let Err(error) = leases::release(&mut *conn, FOLD_LEASE, &self.holder).await
            {
                tracing::warn!(%error, "could not release the fold lease");
            }
        }
        self.pool.close().await;
    }

    /// Writes precomputed rollups, replacing rows with the same key: seeds the summary
    /// benchmarks with a month of history.
    #[cfg(feature = "bench")]
    pub async fn import_rollups(&self, rollups: &[Rollup]) -> Result<()> {
        let mut tx = begin_write::<B>(&self.pool).await?;
        let imported = B::import_rollups(&mut tx, rollups).await;
        let committed = match imported {
            Ok(()) => tx.commit().await.map_err(Into::into),
            Err(error) => Err(error),
        };
        // Imported rows may replace day rows with the same counts: cached days cannot tell.
        self.summary_cache.clear();
        committed
    }
}

/// Attempts of a result batch that keeps meeting concurrent writers (a deadlock, a monitor
/// deleted under it) before the conflict is reported.
const WRITE_ATTEMPTS: usize = 5;

#[allow(private_bounds)]
impl<B: Backend> SqlStore<B> {
    /// Inserts results and, with `alerts`, applies their verdicts to their monitors, in one
    /// write transaction, retried while it meets concurrent writers.
    async fn write_results(&self, results: &[CheckResult], alerts: bool) -> Result<Recorded> {
        let results = maintenance::mark::<B>(&mut *self.pool.acquire().await?, results).await?;
        let results = results.as_ref();
        let rows = results::result_rows(results);
        if rows.is_empty() {
            return Ok(Recorded::default());
        }
        let mut attempt = 1;
        loop {
            match self.try_write_results(results, &rows, alerts).await {
                Err(StoreError::Conflict(source)) if attempt < WRITE_ATTEMPTS => {
                    tracing::debug!(attempt, error = %source, "result batch met a concurrent writer; retrying");
                    attempt += 1;
                }
                outcome => return outcome,
            }
        }
    }

    async fn try_write_results(
        &self,
        results: &[CheckResult],
        rows: &[ResultColumns],
        alerts: bool,
    ) -> Result<Recorded> {
        let mut tx = begin_write::<B>(&self.pool).await?;
        let locked = match alerts {
            true => Some(alerts::lock::<B>(&mut tx, results).await?),
            false => None,
        };
        let new = B::insert_results(&mut tx, rows, alerts).await?;
        let changes = match locked {
            Some(locked) => alerts::apply::<B>(&mut tx, locked, results, &new.keys).await?,
            None => Vec::new(),
        };
        tx.commit().await?;
        let inserted = new.count;
        let new: Vec<(MonitorId, SystemTime)> = new
            .keys
            .iter()
            .map(|(monitor, slot)| (MonitorId(*monitor), pulsar_core::from_unix_ms(*slot)))
            .collect();
        let maintenance = results
            .iter()
            .filter(|r| r.maintenance && new.contains(&(r.monitor_id, r.slot)))
            .map(|r| (r.monitor_id, r.slot))
            .collect();
        Ok(Recorded {
            inserted,
            new,
            maintenance,
            changes,
        })
    }
}

#[async_trait::async_trait]
impl<B: Backend> Store for SqlStore<B> {
    async fn migrate(&self) -> Result<()> {
        Ok(B::SQL.migrator.run(&self.pool).await?)
    }

    async fn create_monitor(&self, monitor: &Monitor, now: SystemTime) -> Result<Monitor> {
        // Checked before the write lock is taken.
        let new = NewMonitor::new(monitor, now)?;
        let mut tx = begin_write::<B>(&self.pool).await?;
        let created = monitors::create::<B>(&mut tx, new).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn get_monitor(&self, id: MonitorId) -> Result<Monitor> {
        monitors::get(&mut *self.pool.acquire().await?, id).await
    }

    async fn list_monitors(
        &self,
        filter: &MonitorFilter,
        page: &PageRequest,
    ) -> Result<Page<Monitor>> {
        monitors::list(&mut *self.pool.acquire().await?, filter, page).await
    }

    async fn update_monitor(&self, monitor: &Monitor, now: SystemTime) -> Result<MonitorWrite> {
        let mut tx = begin_write::<B>(&self.pool).await?;
        let updated = monitors::update::<B>(&mut tx, monitor, now).await?;
        tx.commit().await?;
        Ok(updated)
    }

    async fn delete_monitor(&self, id: MonitorId) -> Result<()> {
        let mut tx = begin_write::<B>(&self.pool).await?;
        monitors::delete(&mut *tx, id).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_monitor_enabled(
        &self,
        id: MonitorId,
        enabled: bool,
        now: SystemTime,
    ) -> Result<MonitorWrite> {
        let mut tx = begin_write::<B>(&self.pool).await?;
        let monitor = monitors::set_enabled::<B>(&mut tx, id, enabled, now).await?;
        tx.commit().await?;
        Ok(monitor)
    }

    async fn set_monitor_state(
        &self,
        id: MonitorId,
        state: MonitorState,
        at: SystemTime,
        cause: &str,
    ) -> Result<StateChange> {
        let mut tx = begin_write::<B>(&self.pool).await?;
        let change = monitors::set_state::<B>(&mut tx, id, state, at, cause).await?;
        tx.commit().await?;
        Ok(change)
    }

    async fn claim_due(&self, now: SystemTime, limit: u32) -> Result<Vec<DueCheck>> {
        let mut tx = begin_write::<B>(&self.pool).await?;
        let (due, next_due) = monitors::due::<B>(&mut tx, now, limit).await?;
        if due.is_empty() {
            return Ok(due);
        }
        B::set_due_times(&mut tx, &next_due).await?;
        tx.commit().await?;
        Ok(due)
    }

    async fn release_claims(&self, claims: &[DueCheck]) -> Result<u64> {
        if claims.is_empty() {
            return Ok(0);
        }
        let mut tx = begin_write::<B>(&self.pool).await?;
        let released = monitors::release::<B>(&mut tx, claims).await?;
        tx.commit().await?;
        Ok(released)
    }

    async fn insert_results(&self, results: &[CheckResult]) -> Result<u64> {
        Ok(self.write_results(results, false).await?.inserted)
    }

    async fn record_results(&self, results: &[CheckResult]) -> Result<Recorded> {
        self.write_results(results, true).await
    }

    async fn list_results(
        &self,
        monitor_id: MonitorId,
        filter: &ResultFilter,
        page: &PageRequest,
    ) -> Result<Page<CheckResult>> {
        results::list(&mut *self.pool.acquire().await?, monitor_id, filter, page).await
    }

    async fn overview(
        &self,
        filter: &MonitorFilter,
        page: &PageRequest,
        now: SystemTime,
    ) -> Result<Overview> {
        overview::read::<B>(&self.pool, filter, page, now).await
    }

    async fn fold_rollups(&self, max_results: usize) -> Result<u64> {
        fold::fold::<B>(&self.pool, max_results).await
    }

    async fn rollup_lag(&self) -> Result<u64> {
        fold::lag(&mut *self.pool.acquire().await?).await
    }

    async fn latest_results(&self, monitor_ids: &[MonitorId]) -> Result<Vec<CheckResult>> {
        results::latest::<B>(&mut *self.pool.acquire().await?, monitor_ids).await
    }

    async fn list_rollups(
        &self,
        monitor_id: MonitorId,
        bucket: BucketSize,
        range: TimeRange,
    ) -> Result<Vec<Rollup>> {
        results::rollups::<B>(&self.pool, monitor_id, bucket, range).await
    }

    async fn phase_series(
        &self,
        monitor_id: MonitorId,
        range: TimeRange,
        max_points: u32,
        retention: &Retention,
        now: SystemTime,
    ) -> Result<PhaseSeries> {
        let minutes_kept_since = now
            .checked_sub(retention.minute_rollups)
            .unwrap_or(UNIX_EPOCH);
        let plan = SeriesPlan::new(range.from, range.to, max_points, minutes_kept_since)?;
        let read = TimeRange::new(from_unix_ms(plan.from_ms), range.to);
        let rollups = results::rollups::<B>(&self.pool, monitor_id, plan.bucket, read).await?;
        if rollups.is_empty() {
            // An empty chart of a monitor that does not exist is an error, not a chart.
            self.get_monitor(monitor_id).await?;
        }
        Ok(PhaseSeries {
            step: Duration::from_millis(plan.step_ms as u64),
            points: plan.points(&rollups),
        })
    }

    async fn summaries(
        &self,
        monitor_ids: &[MonitorId],
        window: Duration,
        now: SystemTime,
    ) -> Result<Vec<Summary>> {
        summaries::summarize::<B>(&self.pool, &self.summary_cache, monitor_ids, window, now).await
    }

    async fn get_incident(&self, id: IncidentId) -> Result<Incident> {
        notify::get_incident(&mut *self.pool.acquire().await?, id).await
    }

    async fn list_incidents(
        &self,
        filter: &IncidentFilter,
        page: &PageRequest,
    ) -> Result<Page<Incident>> {
        notify::list_incidents(&mut *self.pool.acquire().await?, filter, page).await
    }

    async fn insert_host_samples(&self, samples: &[HostSnapshot]) -> Result<u64> {
        let rows = hosts::sample_rows(samples)?;
        if rows.is_empty() {
            return Ok(0);
        }
        let mut tx = begin_write::<B>(&self.pool).await?;
        let inserted = B::insert_host_samples(&mut tx, &rows).await?;
        let new = hosts::add_to_averages::<B>(&mut tx, &rows, &inserted).await?;
        tx.commit().await?;
        Ok(new)
    }

    async fn list_hosts(&self) -> Result<Vec<HostSummary>> {
        hosts::list(&mut *self.pool.acquire().await?).await
    }

    async fn latest_host_sample(&self, hostname: &str) -> Result<HostSnapshot> {
        hosts::latest(&mut *self.pool.acquire().await?, hostname).await
    }

    async fn host_series(
        &self,
        hostname: &str,
        range: TimeRange,
        points: u32,
    ) -> Result<HostSeries> {
        hosts::series(&mut *self.pool.acquire().await?, hostname, range, points).await
    }

    async fn create_channel(
        &self,
        channel: &NotificationChannel,
        now: SystemTime,
    ) -> Result<NotificationChannel> {
        notify::create_channel(&mut *self.pool.acquire().await?, channel, now).await
    }

    async fn get_channel(&self, id: ChannelId) -> Result<NotificationChannel> {
        notify::get_channel(&mut *self.pool.acquire().await?, id).await
    }

    async fn list_channels(&self) -> Result<Vec<NotificationChannel>> {
        notify::list_channels(&mut *self.pool.acquire().await?).await
    }

    async fn update_channel(
        &self,
        channel: &NotificationChannel,
        now: SystemTime,
    ) -> Result<NotificationChannel> {
        let mut tx = begin_write::<B>(&self.pool).await?;
        let stored = notify::get_channel(&mut *tx, channel.id).await?;
        // Secrets sent back masked, as a redacted read showed them, keep their values.
        let mut channel = channel.clone();
        channel.keep_secrets(&stored);
        let updated = notify::update_channel(&mut *tx, &channel, now).await?;
        tx.commit().await?;
        Ok(updated)
    }

    async fn delete_channel(&self, id: ChannelId) -> Result<()> {
        notify::delete_channel(&mut *self.pool.acquire().await?, id).await
    }

    async fn record_delivery(&self, delivery: &Delivery) -> Result<Delivery> {
        notify::record_delivery(&mut *self.pool.acquire().await?, delivery).await
    }

    async fn list_deliveries(
        &self,
        filter: &DeliveryFilter,
        page: &PageRequest,
    ) -> Result<Page<Delivery>> {
        notify::list_deliveries(&mut *self.pool.acquire().await?, filter, page).await
    }

    async fn create_window(
        &self,
        window: &MaintenanceWindow,
        now: SystemTime,
    ) -> Result<MaintenanceWindow> {
        maintenance::create(&mut *self.pool.acquire().await?, window, now).await
    }

    async fn list_windows(&self) -> Result<Vec<MaintenanceWindow>> {
        maintenance::list(&mut *self.pool.acquire().await?).await
    }

    async fn update_window(
        &self,
        window: &MaintenanceWindow,
        now: SystemTime,
    ) -> Result<MaintenanceWindow> {
        maintenance::update(&mut *self.pool.acquire().await?, window, now).await
    }

    async fn delete_window(&self, id: WindowId) -> Result<()> {
        maintenance::delete(&mut *self.pool.acquire().await?, id).await
    }

    async fn claim_notifications(
        &self,
        holder: &str,
        now: SystemTime,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<Outgoing>> {
        let mut tx = begin_write::<B>(&self.pool).await?;
        let claimed = outbox::claim::<B>(&mut tx, holder, now, lease, limit).await?;
        tx.commit().await?;
        Ok(claimed)
    }

    async fn finish_notification(&self, attempt: &Attempt) -> Result<Delivery> {
        let mut tx = begin_write::<B>(&self.pool).await?;
        let delivery = outbox::finish::<B>(&mut tx, attempt).await?;
        tx.commit().await?;
        Ok(delivery)
    }

    async fn enqueue_reminders(&self, now: SystemTime) -> Result<u64> {
        let mut tx = begin_write::<B>(&self.pool).await?;
        let written = outbox::remind::<B>(&mut tx, now).await?;
        tx.commit().await?;
        Ok(written)
    }

    async fn record_worker(&self, worker: &WorkerSeen) -> Result<()> {
        let mut tx = begin_write::<B>(&self.pool).await?;
        workers::record(&mut *tx, worker).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_workers(&self) -> Result<Vec<WorkerSeen>> {
        workers::list(&mut *self.pool.acquire().await?).await
    }

    async fn list_host_incidents(
        &self,
        filter: &HostIncidentFilter,
        page: &PageRequest,
    ) -> Result<Page<HostIncident>> {
        host_alerts::list(&mut *self.pool.acquire().await?, filter, page).await
    }

    async fn set_host_condition(
        &self,
        host: &str,
        condition: &HostCondition,
        at: SystemTime,
    ) -> Result<bool> {
        let mut tx = begin_write::<B>(&self.pool).await?;
        let changed = host_alerts::set(&mut *tx, host, condition, at).await?;
        tx.commit().await?;
        Ok(changed)
    }

    async fn pending_notifications(&self) -> Result<u64> {
        outbox::pending(&mut *self.pool.acquire().await?).await
    }

    async fn get_channel_routing(&self, channel_id: ChannelId) -> Result<ChannelRouting> {
        routing::get(&mut *self.pool.acquire().await?, channel_id).await
    }

    async fn set_channel_routing(
        &self,
        channel_routing: &ChannelRouting,
    ) -> Result<ChannelRouting> {
        let mut tx = begin_write::<B>(&self.pool).await?;
        let set = routing::set::<B>(&mut tx, channel_routing).await?;
        tx.commit().await?;
        Ok(set)
    }

    async fn routed_channels(&self, monitor_id: MonitorId) -> Result<Vec<NotificationChannel>> {
        let mut tx = begin_read::<B>(&self.pool).await?;
        let channels = routing::channels_for(&mut *tx, monitor_id).await?;
        tx.commit().await?;
        Ok(channels)
    }

    async fn take_lease(
        &self,
        role: &str,
        holder: &str,
        ttl: Duration,
        now: SystemTime,
    ) -> Result<bool> {
        leases::take(&mut *self.pool.acquire().await?, role, holder, ttl, now).await
    }

    async fn release_lease(&self, role: &str, holder: &str) -> Result<()> {
        leases::release(&mut *self.pool.acquire().await?, role, holder).await
    }

    async fn list_leases(&self) -> Result<Vec<Lease>> {
        leases::list(&mut *self.pool.acquire().await?).await
    }

    async fn prune(&self, now: SystemTime, retention: &Retention) -> Result<PruneReport> {
        prune::prune::<B>(&self.pool, now, retention).await
    }
}
