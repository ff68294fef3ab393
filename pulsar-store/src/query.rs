//! Parameters and answers of [`Store`](crate::Store) calls: filters, pages, reports.

use std::collections::BTreeMap;
use std::time::SystemTime;

use pulsar_core::{
    ChannelId, Incident, IncidentAction, Monitor, MonitorId, MonitorState, OverviewMonitor,
    StateCounts,
};

use crate::error::{Result, StoreError};

/// Page size when a request names none.
pub const DEFAULT_PAGE_LIMIT: u32 = 100;
/// The largest page a request may ask for; larger limits are clamped.
pub const MAX_PAGE_LIMIT: u32 = 1_000;

/// Which page of a listing to return: at most `limit` items after `cursor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    /// The `next_cursor` of the previous page; `None` for the first page.
    pub cursor: Option<String>,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            limit: DEFAULT_PAGE_LIMIT,
            cursor: None,
        }
    }
}

impl PageRequest {
    pub fn first(limit: u32) -> Self {
        Self {
            limit,
            cursor: None,
        }
    }

    pub fn after(limit: u32, cursor: impl Into<String>) -> Self {
        Self {
            limit,
            cursor: Some(cursor.into()),
        }
    }

    /// The limit clamped to `1..=MAX_PAGE_LIMIT`, as bound in queries.
    pub(crate) fn clamped_limit(&self) -> i64 {
        i64::from(self.limit.clamp(1, MAX_PAGE_LIMIT))
    }

    /// Fetch one row more than the page holds, to learn whether another page follows.
    pub(crate) fn fetch_limit(&self) -> i64 {
        self.clamped_limit() + 1
    }

    pub(crate) fn cursor_i64(&self) -> Result<Option<i64>> {
        self.cursor
            .as_deref()
            .map(|c| {
                c.parse()
                    .map_err(|_| StoreError::invalid("cursor", "not a cursor of this listing"))
            })
            .transpose()
    }

    /// A cursor of two integers, `"a:b"`.
    pub(crate) fn cursor_pair(&self) -> Result<Option<(i64, i64)>> {
        let Some(cursor) = self.cursor.as_deref() else {
            return Ok(None);
        };
        let bad = || StoreError::invalid("cursor", "not a cursor of this listing");
        let (a, b) = cursor.split_once(':').ok_or_else(bad)?;
        Ok(Some((
            a.parse().map_err(|_| bad())?,
            b.parse().map_err(|_| bad())?,
        )))
    }
}

/// One page of a listing, newest (or first by name) first.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass back in [`PageRequest::cursor`] for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` fetched rows; the extra row only signals that
    /// another page follows.
    pub(crate) fn from_rows(
        mut items: Vec<T>,
        request: &PageRequest,
        cursor_of: impl Fn(&T) -> String,
    ) -> Self {
        let limit = usize::try_from(request.clamped_limit()).unwrap_or(usize::MAX);
        let more = items.len() > limit;
        items.truncate(limit);
        let next_cursor = if more {
            items.last().map(cursor_of)
        } else {
            None
        };
        Self { items, next_cursor }
    }
}

/// The dashboard's first screen: a page of monitors (by name) with what it shows of each,
/// and the counts over every monitor.
#[derive(Debug, Clone, PartialEq)]
pub struct Overview {
    pub monitors: Page<OverviewMonitor>,
    /// Monitors in each state, over all pages and whatever the filter.
    pub counts: StateCounts,
    /// Open incidents, over all monitors.
    pub open_incidents: u64,
}

/// Which monitors to list. Every given label must match; `None` fields match anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MonitorFilter {
    pub labels: BTreeMap<String, String>,
    pub state: Option<MonitorState>,
    /// Text the name or the URL contains, ASCII letters in any case.
    pub text: Option<String>,
}

impl MonitorFilter {
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }

    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }

    pub fn state(mut self, state: MonitorState) -> Self {
        self.state = Some(state);
        self
    }
}

/// A half-open time range `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub from: SystemTime,
    pub to: SystemTime,
}

impl TimeRange {
    pub fn new(from: SystemTime, to: SystemTime) -> Self {
        Self { from, to }
    }

    /// Everything from the epoch to the far future.
    pub fn all() -> Self {
        Self {
            from: SystemTime::UNIX_EPOCH,
            to: pulsar_core::from_unix_ms(i64::MAX),
        }
    }

    pub(crate) fn millis(&self) -> (i64, i64) {
        (
            pulsar_core::unix_ms(self.from),
            pulsar_core::unix_ms(self.to),
        )
    }
}

/// A monitor whose check is due, with the schedule slot it is due for. `(monitor, slot)`
/// is the idempotency key of the check task and its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueCheck {
    pub monitor: Monitor,
    pub slot: SystemTime,
}

/// A monitor's change of state ([`Store::set_monitor_state`](crate::Store::set_monitor_state),
/// [`Store::record_results`](crate::Store::record_results)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChange {
    pub monitor_id: MonitorId,
    pub previous: MonitorState,
    pub current: MonitorState,
    pub action: IncidentAction,
    /// The incident that was opened, escalated or closed (as it is now).
    pub incident: Option<Incident>,
    /// Why: the reason of the deciding check, or of the rule that fired.
    pub cause: String,
}

/// What an update of a monitor did ([`Store::update_monitor`](crate::Store::update_monitor),
/// [`Store::set_monitor_enabled`](crate::Store::set_monitor_enabled)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorWrite {
    /// The monitor as stored.
    pub monitor: Monitor,
    /// Its change of state when the update paused it (closing its open incident, cause
    /// "paused") or resumed it (PAUSED → UNKNOWN, cause "resumed").
    pub state_change: Option<StateChange>,
}

/// What [`Store::record_results`](crate::Store::record_results) did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    /// Results that were new (not stored before, of a monitor that exists).
    pub inserted: u64,
    /// The (monitor, slot) of each new result: a batch's writer tells only of these.
    pub new: Vec<(MonitorId, SystemTime)>,
    /// The (monitor, slot) of each new result checked while a maintenance window muted its
    /// monitor: stored with `maintenance` set, and so to be told.
    pub maintenance: Vec<(MonitorId, SystemTime)>,
    /// Every state change the new results caused, in the order they happened.
    pub changes: Vec<StateChange>,
}

/// Which incidents to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IncidentFilter {
    pub monitor_id: Option<MonitorId>,
    pub open_only: bool,
}

/// Which host incidents to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostIncidentFilter {
    /// Only this host's; `None` for every host.
    pub host: Option<String>,
    pub open_only: bool,
}

/// Which of a monitor's results to list: slots in `range`, and where given, only those run
/// by one worker or in one region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultFilter {
    pub range: TimeRange,
    pub worker: Option<String>,
    pub region: Option<String>,
}

impl Default for ResultFilter {
    fn default() -> Self {
        Self::within(TimeRange::all())
    }
}

impl ResultFilter {
    /// Every result with a slot in `range`.
    pub fn within(range: TimeRange) -> Self {
        Self {
            range,
            worker: None,
            region: None,
        }
    }

    pub fn worker(mut self, worker: impl Into<String>) -> Self {
        self.worker = Some(worker.into());
        self
    }

    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }
}

/// Which deliveries to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryFilter {
    pub channel_id: Option<ChannelId>,
    pub monitor_id: Option<MonitorId>,
}

/// A host that has reported samples: when it first and last did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSummary {
    pub hostname: String,
    pub first_seen: SystemTime,
    pub last_seen: SystemTime,
}
