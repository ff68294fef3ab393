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

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, SqliteConnection, Transaction};

use crate::backend::Dialect;
use crate::error::Result;
use crate::fold::DEFAULT_FOLD_INTERVAL;
use crate::prune::PruneStatements;
use crate::sql_store::SqlStore;
use crate::summary_cache::DEFAULT_SUMMARY_CACHE_BYTES;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

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

/// The SQLite dialect of [`SqlStore`].
#[derive(Debug, Clone, Copy)]
pub struct SqliteBackend;

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

    /// The connection pool, for benchmarks that measure the raw limit beside the store.
    #[cfg(feature = "bench")]
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

impl Dialect for SqliteBackend {
    type Db = Sqlite;
    type Conn = SqliteConnection;

    const LOCK_ROWS: &'static str = "";
    const LEAST_GREATEST: (&'static str, &'static str) = ("min", "max");
    /// DELETEs of rows picked by key or `rowid`, each bounded by a `LIMIT`.
    const PRUNE: PruneStatements = PruneStatements {
        results: "DELETE FROM check_results WHERE rowid IN (SELECT rowid FROM check_results \
                  WHERE monitor_id = $1 AND slot_ms < $2 \
                  AND (seq IS NULL OR seq <= (SELECT folded_seq FROM rollup_cursor)) LIMIT $3)",
        rollups: "DELETE FROM rollups WHERE (bucket_seconds, bucket_start_ms, monitor_id) IN ( \
                  SELECT bucket_seconds, bucket_start_ms, monitor_id FROM rollups \
                  WHERE bucket_seconds = $1 AND bucket_start_ms < $2 LIMIT $3)",
        host_samples: "DELETE FROM host_samples WHERE hostname = $1 AND taken_at_ms IN ( \
                       SELECT taken_at_ms FROM host_samples \
                       WHERE hostname = $1 AND taken_at_ms < $2 LIMIT $3)",
        host_rollups: "DELETE FROM host_rollups WHERE hostname = $1 AND bucket_seconds = $2 \
                       AND bucket_start_ms IN (SELECT bucket_start_ms FROM host_rollups \
                       WHERE hostname = $1 AND bucket_seconds = $2 AND bucket_start_ms < $3 \
                       LIMIT $4)",
        deliveries: "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries \
                     WHERE attempted_at_ms < $1 LIMIT $2)",
    };

    fn migrator() -> &'static sqlx::migrate::Migrator {
        &MIGRATOR
    }

    /// `BEGIN IMMEDIATE` takes the write lock before the first read, so a transaction that
    /// reads and then writes never fails on upgrading its lock.
    async fn begin_write(pool: &SqlitePool) -> Result<Transaction<'static, Sqlite>> {
        Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// In WAL mode, a read transaction reads one snapshot from its first statement on.
    async fn begin_read(pool: &SqlitePool) -> Result<Transaction<'static, Sqlite>> {
        Ok(pool.begin().await?)
    }
}
