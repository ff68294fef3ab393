//! The embedded backend: one SQLite file in WAL mode.

mod hosts;
mod monitors;
mod notify;
mod prune;
mod results;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use pulsar_core::proto::v1::HostSnapshot;
use pulsar_core::{
    BucketSize, ChannelId, CheckResult, Delivery, HostPoint, Incident, IncidentId, Monitor,
    MonitorId, MonitorState, NotificationChannel, Rollup, Summary,
};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::error::Result;
use crate::query::{
    DeliveryFilter, DueCheck, HostSummary, IncidentFilter, MonitorFilter, Page, PageRequest,
    StateChange, TimeRange,
};
use crate::retention::{PruneReport, Retention};
use crate::store::Store;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Pool size of a file database: WAL lets readers run beside the one writer.
pub const DEFAULT_SQLITE_MAX_CONNECTIONS: u32 = 4;
/// How long a writer waits for the write lock before giving up with `Unavailable`.
pub const DEFAULT_SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Bytes of the file mapped into memory: reads of hot pages skip a copy, and connections
/// share the mapping instead of caching the same pages each.
pub const DEFAULT_SQLITE_MMAP_BYTES: u64 = 256 * 1024 * 1024;
/// Page cache per connection, in KiB (SQLite's own default is 2 MiB).
pub const DEFAULT_SQLITE_CACHE_KIB: u32 = 16 * 1024;

/// How to open a SQLite store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteOptions {
    /// The database file (created if missing); `None` for a private in-memory database.
    pub path: Option<PathBuf>,
    pub max_connections: u32,
    pub busy_timeout: Duration,
}

impl SqliteOptions {
    pub fn file(path: impl AsRef<Path>) -> Self {
        Self {
            path: Some(path.as_ref().to_owned()),
            max_connections: DEFAULT_SQLITE_MAX_CONNECTIONS,
            busy_timeout: DEFAULT_SQLITE_BUSY_TIMEOUT,
        }
    }

    /// A database that lives as long as the store, on one connection (an in-memory
    /// database is private to its connection).
    pub fn in_memory() -> Self {
        Self {
            path: None,
            max_connections: 1,
            busy_timeout: DEFAULT_SQLITE_BUSY_TIMEOUT,
        }
    }

    pub fn max_connections(mut self, max: u32) -> Self {
        self.max_connections = max.max(1);
        self
    }

    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }
}

/// The [`Store`] on SQLite: WAL journal, `synchronous = NORMAL` (durable across process
/// crashes; a power loss may drop the last commits), foreign keys on. Writes run in
/// `BEGIN IMMEDIATE` transactions, so writers queue on the busy timeout instead of
/// failing on lock upgrades.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies migrations.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(SqliteOptions::file(path)).await
    }

    pub async fn open_with(options: SqliteOptions) -> Result<Self> {
        let connect = match &options.path {
            Some(path) => SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal),
            None => SqliteConnectOptions::new().in_memory(true),
        }
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(options.busy_timeout)
        .pragma("mmap_size", DEFAULT_SQLITE_MMAP_BYTES.to_string())
        .pragma("cache_size", format!("-{DEFAULT_SQLITE_CACHE_KIB}"));
        let mut pool = SqlitePoolOptions::new().max_connections(options.max_connections.max(1));
        if options.path.is_none() {
            // The one connection holds the database: never let the pool close it.
            pool = pool
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
        }
        let store = Self {
            pool: pool.connect_with(connect).await?,
        };
        store.migrate().await?;
        Ok(store)
    }

    /// The connection pool, for tools that need raw access (benchmarks, inspection).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Writes precomputed rollups, replacing rows with the same key: for importing history
    /// from another tool, and for seeding benchmarks.
    pub async fn import_rollups(&self, rollups: &[Rollup]) -> Result<()> {
        results::import_rollups(&self.pool, rollups).await
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn migrate(&self) -> Result<()> {
        Ok(MIGRATOR.run(&self.pool).await?)
    }

    async fn create_monitor(&self, monitor: &Monitor, now: SystemTime) -> Result<Monitor> {
        monitors::create(self, monitor, now).await
    }

    async fn get_monitor(&self, id: MonitorId) -> Result<Monitor> {
        monitors::get(&self.pool, id).await
    }

    async fn list_monitors(
        &self,
        filter: &MonitorFilter,
        page: &PageRequest,
    ) -> Result<Page<Monitor>> {
        monitors::list(&self.pool, filter, page).await
    }

    async fn update_monitor(&self, monitor: &Monitor, now: SystemTime) -> Result<Monitor> {
        monitors::update(self, monitor, now).await
    }

    async fn delete_monitor(&self, id: MonitorId) -> Result<()> {
        monitors::delete(self, id).await
    }

    async fn set_monitor_enabled(
        &self,
        id: MonitorId,
        enabled: bool,
        now: SystemTime,
    ) -> Result<Monitor> {
        monitors::set_enabled(self, id, enabled, now).await
    }

    async fn set_monitor_state(
        &self,
        id: MonitorId,
        state: MonitorState,
        at: SystemTime,
        cause: &str,
    ) -> Result<StateChange> {
        monitors::set_state(self, id, state, at, cause).await
    }

    async fn claim_due(&self, now: SystemTime, limit: u32) -> Result<Vec<DueCheck>> {
        monitors::claim_due(self, now, limit).await
    }

    async fn insert_results(&self, results: &[CheckResult]) -> Result<u64> {
        results::insert(self, results).await
    }

    async fn list_results(
        &self,
        monitor_id: MonitorId,
        range: TimeRange,
        page: &PageRequest,
    ) -> Result<Page<CheckResult>> {
        results::list(&self.pool, monitor_id, range, page).await
    }

    async fn latest_results(&self, monitor_ids: &[MonitorId]) -> Result<Vec<CheckResult>> {
        results::latest(&self.pool, monitor_ids).await
    }

    async fn list_rollups(
        &self,
        monitor_id: MonitorId,
        bucket: BucketSize,
        range: TimeRange,
    ) -> Result<Vec<Rollup>> {
        results::rollups(&self.pool, monitor_id, bucket, range).await
    }

    async fn summaries(
        &self,
        monitor_ids: &[MonitorId],
        window: Duration,
        now: SystemTime,
    ) -> Result<Vec<Summary>> {
        results::summaries(&self.pool, monitor_ids, window, now).await
    }

    async fn get_incident(&self, id: IncidentId) -> Result<Incident> {
        notify::get_incident(&self.pool, id).await
    }

    async fn list_incidents(
        &self,
        filter: &IncidentFilter,
        page: &PageRequest,
    ) -> Result<Page<Incident>> {
        notify::list_incidents(&self.pool, filter, page).await
    }

    async fn insert_host_samples(&self, samples: &[HostSnapshot]) -> Result<u64> {
        hosts::insert(self, samples).await
    }

    async fn list_hosts(&self) -> Result<Vec<HostSummary>> {
        hosts::list(&self.pool).await
    }

    async fn latest_host_sample(&self, hostname: &str) -> Result<HostSnapshot> {
        hosts::latest(&self.pool, hostname).await
    }

    async fn host_series(
        &self,
        hostname: &str,
        range: TimeRange,
        points: u32,
    ) -> Result<Vec<HostPoint>> {
        hosts::series(&self.pool, hostname, range, points).await
    }

    async fn create_channel(
        &self,
        channel: &NotificationChannel,
        now: SystemTime,
    ) -> Result<NotificationChannel> {
        notify::create_channel(&self.pool, channel, now).await
    }

    async fn get_channel(&self, id: ChannelId) -> Result<NotificationChannel> {
        notify::get_channel(&self.pool, id).await
    }

    async fn list_channels(&self) -> Result<Vec<NotificationChannel>> {
        notify::list_channels(&self.pool).await
    }

    async fn update_channel(
        &self,
        channel: &NotificationChannel,
        now: SystemTime,
    ) -> Result<NotificationChannel> {
        notify::update_channel(&self.pool, channel, now).await
    }

    async fn delete_channel(&self, id: ChannelId) -> Result<()> {
        notify::delete_channel(&self.pool, id).await
    }

    async fn record_delivery(&self, delivery: &Delivery) -> Result<Delivery> {
        notify::record_delivery(&self.pool, delivery).await
    }

    async fn list_deliveries(
        &self,
        filter: &DeliveryFilter,
        page: &PageRequest,
    ) -> Result<Page<Delivery>> {
        notify::list_deliveries(&self.pool, filter, page).await
    }

    async fn prune(&self, now: SystemTime, retention: &Retention) -> Result<PruneReport> {
        prune::prune(&self.pool, now, retention).await
    }
}
