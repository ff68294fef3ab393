//! The production backend: PostgreSQL, shared by any number of API and worker processes.
//! What differs from SQLite: row locks (`claim`), array binds (`ingest`, `reads`), and a
//! fold that waits for ingest transactions still open (`rollups`).

mod arrays;
mod claim;
mod ingest;
mod reads;
mod rollups;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::dialect::PgBackend;
use crate::error::{Result, StoreError};
use crate::fold::DEFAULT_FOLD_INTERVAL;
use crate::sql_store::SqlStore;
use crate::summary_cache::DEFAULT_SUMMARY_CACHE_BYTES;

/// Connections per process; API replicas and workers each have their own pool.
pub const DEFAULT_PG_MAX_CONNECTIONS: u32 = 10;
/// How long a call waits for a free connection before failing with `Unavailable`.
pub const DEFAULT_PG_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// How to connect to PostgreSQL. Its `Debug` masks the URL's password.
#[derive(Clone, PartialEq, Eq)]
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
    /// no task (the caller runs [`Store::fold_rollups`](crate::Store::fold_rollups)
    /// itself). With several processes on one database, each may fold: folds queue on one
    /// cursor row and never double-count.
    pub fold_interval: Option<Duration>,
    /// Bytes of merged past days that summaries keep in process (see
    /// [`DEFAULT_SUMMARY_CACHE_BYTES`]); 0 reads every window whole on every call.
    pub summary_cache_bytes: usize,
}

impl std::fmt::Debug for PgOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgOptions")
            .field("url", &pulsar_core::redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("schema", &self.schema)
            .field("fold_interval", &self.fold_interval)
            .field("summary_cache_bytes", &self.summary_cache_bytes)
            .finish()
    }
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

    pub fn max_connections(self, max: u32) -> Self {
        Self {
            max_connections: max.max(1),
            ..self
        }
    }

    pub fn acquire_timeout(self, acquire_timeout: Duration) -> Self {
        Self {
            acquire_timeout,
            ..self
        }
    }

    pub fn schema(self, schema: impl Into<String>) -> Self {
        Self {
            schema: Some(schema.into()),
            ..self
        }
    }

    pub fn fold_interval(self, fold_interval: Option<Duration>) -> Self {
        Self {
            fold_interval,
            ..self
        }
    }

    pub fn summary_cache_bytes(self, summary_cache_bytes: usize) -> Self {
        Self {
            summary_cache_bytes,
            ..self
        }
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

/// The [`Store`](crate::Store) on PostgreSQL. Claims use `FOR NO KEY UPDATE SKIP LOCKED`,
/// so any number of schedulers can share one database; result batches are written with
/// `UNNEST` arrays.
pub type PgStore = SqlStore<PgBackend>;

impl SqlStore<PgBackend> {
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
        Self::start(pool, options.fold_interval, options.summary_cache_bytes).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_never_show_the_password() {
        let options = PgOptions::new("postgres://pulsar:hunter2@db:5432/pulsar").schema("app");
        let shown = format!("{options:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(
            shown.contains("postgres://pulsar:********@db:5432/pulsar"),
            "{shown}"
        );
    }
}
