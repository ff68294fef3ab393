//! How long each kind of data is kept, and what a prune run removed.

use std::time::{Duration, SystemTime};

/// Raw check results: the detail behind the last week.
pub const DEFAULT_RAW_RESULTS: Duration = Duration::from_secs(7 * 86_400);
/// Per-minute rollups (checks and hosts): 30 days of minute-precise charts.
pub const DEFAULT_MINUTE_ROLLUPS: Duration = Duration::from_secs(30 * 86_400);
/// Per-hour and per-day rollups (checks and hosts): a year and a month back.
pub const DEFAULT_HOUR_ROLLUPS: Duration = Duration::from_secs(400 * 86_400);
/// Raw host samples (full snapshots).
pub const DEFAULT_HOST_SAMPLES: Duration = Duration::from_secs(7 * 86_400);
/// The notification delivery log, and settled notifications of the outbox.
pub const DEFAULT_DELIVERIES: Duration = Duration::from_secs(30 * 86_400);
/// Rows removed per DELETE statement: small enough that no statement holds locks for long.
pub const DEFAULT_BATCH_ROWS: u32 = 5_000;

/// Retention periods; rows older than `now - period` are removed by
/// [`Store::prune`](crate::Store::prune). Incidents and monitors are never pruned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub raw_results: Duration,
    pub minute_rollups: Duration,
    /// Also applies to day rollups.
    pub hour_rollups: Duration,
    pub host_samples: Duration,
    pub deliveries: Duration,
    /// Upper bound of rows one DELETE statement removes; the prune loops until done.
    pub batch_rows: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            raw_results: DEFAULT_RAW_RESULTS,
            minute_rollups: DEFAULT_MINUTE_ROLLUPS,
            hour_rollups: DEFAULT_HOUR_ROLLUPS,
            host_samples: DEFAULT_HOST_SAMPLES,
            deliveries: DEFAULT_DELIVERIES,
            batch_rows: DEFAULT_BATCH_ROWS,
        }
    }
}

impl Retention {
    /// The cut-off instants for a prune at `now`, in unix milliseconds.
    pub(crate) fn cutoffs(&self, now: SystemTime) -> Cutoffs {
        let before = |keep: Duration| {
            pulsar_core::unix_ms(now.checked_sub(keep).unwrap_or(SystemTime::UNIX_EPOCH))
        };
        Cutoffs {
            raw_results_ms: before(self.raw_results),
            minute_rollups_ms: before(self.minute_rollups),
            hour_rollups_ms: before(self.hour_rollups),
            host_samples_ms: before(self.host_samples),
            deliveries_ms: before(self.deliveries),
            batch_rows: i64::from(self.batch_rows.max(1)),
        }
    }
}

pub(crate) struct Cutoffs {
    pub(crate) raw_results_ms: i64,
    pub(crate) minute_rollups_ms: i64,
    pub(crate) hour_rollups_ms: i64,
    pub(crate) host_samples_ms: i64,
    pub(crate) deliveries_ms: i64,
    pub(crate) batch_rows: i64,
}

/// Rows a prune run removed, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PruneReport {
    pub raw_results: u64,
    pub minute_rollups: u64,
    /// Hour and day rollups.
    pub hour_rollups: u64,
    pub host_samples: u64,
    /// Host minute and hour rollups.
    pub host_rollups: u64,
    /// Delivery log entries and settled outbox rows.
    pub deliveries: u64,
}

impl PruneReport {
    pub fn total(&self) -> u64 {
        self.raw_results
            + self.minute_rollups
            + self.hour_rollups
            + self.host_samples
            + self.host_rollups
            + self.deliveries
    }
}
