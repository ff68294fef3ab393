//! The embedded backend: one SQLite file in WAL mode. What differs from PostgreSQL: writers
//! are serialized by `BEGIN IMMEDIATE` (so claims and folds need no row locks: `claim`,
//! `rollups`), and id lists and batches bind as JSON or multi-row `VALUES` (`ingest`,
//! `reads`).

mod claim;
mod ingest;
mod reads;
mod rollups;

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::dialect::SqliteBackend;
use crate::error::Result;
use crate::fold::DEFAULT_FOLD_INTERVAL;
use crate::sql_store::SqlStore;
use crate::summary_cache::DEFAULT_SUMMARY_CACHE_BYTES;

/// Pool size of a file database: WAL lets readers run beside the one writer.
pub const DEFAULT_SQLITE_MAX_CONNECTIONS: u32 = 4;
/// How long a writer waits for the write lock before giving up with `Unavailable`.
pub const DEFAULT_SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Bytes of the file mapped into memory: reads of hot pages skip a copy, and connections
/// share the mapping instead of caching the same pages each.
const MMAP_BYTES: u64 = 256 * 1024 * 1024;
/// Page cache per connection, in KiB (SQLite's own default is 2 MiB).
const CACHE_KIB: u32 = 16 * 1024;

/// How to open a SQLite store.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SqliteOptions {
    /// The database file (created if missing); `None` for a private in-memory database.
    pub path: Option<PathBuf>,
    pub max_connections: u32,
    pub busy_timeout: Duration,
    /// How often the store's background task folds new results into rollups; `None` for
    /// no task (the caller runs [`Store::fold_rollups`](crate::Store::fold_rollups)
    /// itself).
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
            ..Self::file("")
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

/// The [`Store`](crate::Store) on SQLite: WAL journal, `synchronous = NORMAL` (durable
/// across process crashes; a power loss may drop the last commits), foreign keys on. Writes
/// run in `BEGIN IMMEDIATE` transactions, so writers queue on the busy timeout instead of
/// failing on lock upgrades.
pub type SqliteStore = SqlStore<SqliteBackend>;

impl SqlStore<SqliteBackend> {
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
        .pragma("mmap_size", MMAP_BYTES.to_string())
        .pragma("cache_size", format!("-{CACHE_KIB}"));
        let mut pool = SqlitePoolOptions::new().max_connections(options.max_connections.max(1));
        if options.path.is_none() {
            // The one connection holds the database: never let the pool close it.
            pool = pool
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
        }
        let pool = pool.connect_with(connect).await?;
        Self::start(pool, options.fold_interval, options.summary_cache_bytes).await
    }
}
