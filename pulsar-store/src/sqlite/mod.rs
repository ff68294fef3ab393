//! The embedded backend: one SQLite file in WAL mode.

mod fold;
mod hosts;
mod monitors;
mod notify;
mod prune;
mod results;
mod summaries;

use std::path::{Path, PathBuf};
use std::sync::Arc;
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
use crate::fold::{DEFAULT_FOLD_BATCH, DEFAULT_FOLD_INTERVAL, Folder};
use crate::query::{
    DeliveryFilter, DueCheck, HostSummary, IncidentFilter, MonitorFilter, Page, PageRequest,
    StateChange, TimeRange,
};
use crate::retention::{PruneReport, Retention};
use crate::store::Store;
use crate::summary_cache::{DEFAULT_SUMMARY_CACHE_BYTES, SummaryCache};

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
#[non_exhaustive]
pub struct SqliteOptions {
    /// The database file (created if missing); `None` for a private in-memory database.
    pub path: Option<PathBuf>,
    pub max_connections: u32,
    pub busy_timeout: Duration,
    /// How often the store's background task folds new results into rollups; `None` for
    /// no task (the caller runs [`Store::fold_rollups`] itself).
    pub fold_interval: Option<Duration>,
    /// Bytes of merged past days that summaries keep in process (see
    /// [`DEFAULT_SUMMARY_CACHE_BYTES`]); 0 reads every window whole on every call.
    pub summary_cache_bytes: usize,
}

impl SqliteOptions {
    pub fn file(path: impl AsRef<Path>) -> Self {
        Self {
            path: Some(path.as_ref().to_owned()),
            max_connections: DEFAULT_SQLITE_MAX_CONNECTIONS,
            busy_timeout: DEFAULT_SQLITE_BUSY_TIMEOUT,
            fold_interval: Some(DEFAULT_FOLD_INTERVAL),
            summary_cache_bytes: DEFAULT_SUMMARY_CACHE_BYTES,
        }
    }

    /// A database that lives as long as the store, on one connection (an in-memory
    /// database is private to its connection).
    pub fn in_memory() -> Self {
        Self {
            path: None,
            max_connections: 1,
            busy_timeout: DEFAULT_SQLITE_BUSY_TIMEOUT,
            fold_interval: Some(DEFAULT_FOLD_INTERVAL),
            summary_cache_bytes: DEFAULT_SUMMARY_CACHE_BYTES,
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

    pub fn fold_interval(mut self, interval: Option<Duration>) -> Self {
        self.fold_interval = interval;
        self
    }

    pub fn summary_cache_bytes(mut self, bytes: usize) -> Self {
        self.summary_cache_bytes = bytes;
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
    folder: Option<Arc<Folder>>,
    summary_cache: SummaryCache,
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
        let mut store = Self {
            pool: pool.connect_with(connect).await?,
            folder: None,
            summary_cache: SummaryCache::with_budget(options.summary_cache_bytes),
        };
        store.migrate().await?;
        if let Some(interval) = options.fold_interval {
            let pool = store.pool.clone();
            store.folder = Some(Folder::spawn(interval, move || {
                let pool = pool.clone();
                async move { fold::fold(&pool, DEFAULT_FOLD_BATCH).await }
            }));
        }
        Ok(store)
    }

    /// The connection pool, for tools that need raw access (benchmarks, inspection).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Writes precomputed rollups, replacing rows with the same key: for importing history
    /// from another tool, and for seeding benchmarks.
    pub async fn import_rollups(&self, rollups: &[Rollup]) -> Result<()> {
        let imported = results::import_rollups(&self.pool, rollups).await;
        // Imported rows may replace day rows with the same counts: cached days cannot tell.
        self.summary_cache.clear();
        imported
    }

    pub async fn close(&self) {
        if let Some(folder) = &self.folder {
            folder.stop();
        }
        self.pool.close().await;
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

crate::store::impl_store_by_delegation!(SqliteStore, "sqlite");
