#![doc = include_str!("../README.md")]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod alerts;
mod backend;
mod dialect;
mod error;
mod fold;
mod host_alerts;
mod hosts;
mod leases;
mod maintenance;
mod monitors;
mod notify;
mod outbox;
mod overview;
mod postgres;
mod prune;
mod query;
mod results;
mod retention;
mod routing;
mod rows;
mod sql;
mod sql_store;
mod sqlite;
mod store;
mod summaries;
mod summary_cache;
mod workers;

pub use dialect::{PgBackend, SqliteBackend};
pub use error::{Result, StoreError};
pub use fold::DEFAULT_FOLD_INTERVAL;
pub use leases::{FOLD_LEASE, Lease, RETENTION_LEASE};
pub use outbox::{Attempt, AttemptOutcome, NotificationId, Outgoing, REMINDER_SWEEP};
pub use postgres::{DEFAULT_PG_ACQUIRE_TIMEOUT, DEFAULT_PG_MAX_CONNECTIONS, PgOptions, PgStore};
pub use query::{
    DEFAULT_PAGE_LIMIT, DeliveryFilter, DueCheck, HostIncidentFilter, HostSummary, IncidentFilter,
    MAX_PAGE_LIMIT, MonitorFilter, MonitorWrite, Overview, Page, PageRequest, Recorded,
    ResultFilter, StateChange, TimeRange,
};
pub use retention::{
    DEFAULT_BATCH_ROWS, DEFAULT_DELIVERIES, DEFAULT_HOST_SAMPLES, DEFAULT_HOUR_ROLLUPS,
    DEFAULT_MINUTE_ROLLUPS, DEFAULT_RAW_RESULTS, PruneReport, Retention,
};
pub use sql_store::SqlStore;
pub use sqlite::{
    DEFAULT_SQLITE_BUSY_TIMEOUT, DEFAULT_SQLITE_MAX_CONNECTIONS, SqliteOptions, SqliteStore,
};
pub use store::Store;
pub use summaries::{MAX_SUMMARY_MONITORS, MAX_SUMMARY_WINDOW};
pub use summary_cache::DEFAULT_SUMMARY_CACHE_BYTES;
