//! The production backend: PostgreSQL, shared by any number of API and worker processes.

mod fold;
mod hosts;
mod monitors;
mod notify;
mod prune;
mod results;
mod summaries;

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use pulsar_core::proto::v1::HostSnapshot;
use pulsar_core::{
    BucketSize, ChannelId, CheckResult, Delivery, HostPoint, Incident, IncidentId, Monitor,
    MonitorId, MonitorState, NotificationChannel, Rollup, Summary,
};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::error::{Result, StoreError};
use crate::fold::{DEFAULT_FOLD_BATCH, DEFAULT_FOLD_INTERVAL, Folder};
use crate::query::{
    DeliveryFilter, DueCheck, HostSummary, IncidentFilter, MonitorFilter, Page, PageRequest,
    StateChange, TimeRange,
};
use crate::retention::{PruneReport, Retention};
use crate::store::Store;
use crate::summary_cache::{DEFAULT_SUMMARY_CACHE_BYTES, SummaryCache};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Connections per process; API replicas and workers each have their own pool.
pub const DEFAULT_PG_MAX_CONNECTIONS: u32 = 10;
/// How long a call waits for a free connection before failing with `Unavailable`.
pub const DEFAULT_PG_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// How to connect to PostgreSQL.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PgOptions {
    /// `postgres://user@host:port/database`.
    pub url: String,
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// A schema to keep Pulsar's tables in (created if missing; set as the `search_path`);
    /// `None` uses the server's default search path.
    pub schema: Option<String>,
    /// How often the store's background task folds new results into rollups; `None` for
    /// no task (the caller runs [`Store::fold_rollups`] itself). With several processes on
    /// one database, each may fold: folds queue on one cursor row and never double-count.
    pub fold_interval: Option<Duration>,
    /// Bytes of merged past days that summaries keep in process (see
    /// [`DEFAULT_SUMMARY_CACHE_BYTES`]); 0 reads every window whole on every call.
    pub summary_cache_bytes: usize,
}

impl PgOptions {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: DEFAULT_PG_MAX_CONNECTIONS,
            acquire_timeout: DEFAULT_PG_ACQUIRE_TIMEOUT,
            schema: None,
            fold_interval: Some(DEFAULT_FOLD_INTERVAL),
            summary_cache_bytes: DEFAULT_SUMMARY_CACHE_BYTES,
        }
    }

    pub fn max_connections(mut self, max: u32) -> Self {
        self.max_connections = max.max(1);
        self
    }

    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }

    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
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

fn valid_schema(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The [`Store`] on PostgreSQL. Claims use `FOR NO KEY UPDATE SKIP LOCKED`, so any number of
/// schedulers can share one database; result batches are written with `UNNEST` arrays.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    folder: Option<Arc<Folder>>,
    summary_cache: SummaryCache,
}

impl PgStore {
    /// Connects with default options and applies migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(PgOptions::new(url)).await
    }

    pub async fn connect_with(options: PgOptions) -> Result<Self> {
        let mut connect = PgConnectOptions::from_str(&options.url)
            .map_err(|_| StoreError::invalid("url", "not a postgres:// URL"))?
            .application_name("pulsar");
        if let Some(schema) = &options.schema {
            if !valid_schema(schema) {
                return Err(StoreError::invalid(
                    "schema",
                    "lower-case letters, digits and '_' only",
                ));
            }
            connect = connect.options([("search_path", schema.as_str())]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect)
            .await?;
        if let Some(schema) = &options.schema {
            // Checked above: a plain identifier, safe to splice.
            let sql = format!("CREATE SCHEMA IF NOT EXISTS {schema}");
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await?;
        }
        let mut store = Self {
            pool,
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
    pub fn pool(&self) -> &PgPool {
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

    /// A write transaction; row locks taken inside serialize conflicting writers.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        Ok(self.pool.begin().await?)
    }
}

crate::store::impl_store_by_delegation!(PgStore, "postgres");
