//! Row shapes shared by both backends, and their conversions to and from domain types.
//! Both dialects store the same columns (times as unix milliseconds, durations as
//! microseconds, ids as UUIDs), so one set of `FromRow` structs decodes either, by column
//! name; each read statement names the columns it selects once, in a `*_SELECT` constant.

use std::time::Duration;

use prost::Message;
use pulsar_core::proto::v1;
use pulsar_core::{
    AlertMemory, ChannelId, Delivery, DeliveryId, Incident, IncidentId, Monitor, MonitorId,
    MonitorState, NotificationChannel, from_unix_ms, unix_ms,
};
use uuid::Uuid;

use crate::error::{Result, StoreError};
use crate::sql::Field;

pub(crate) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

pub(crate) fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

pub(crate) fn state_name(state: MonitorState) -> &'static str {
    state.as_str()
}

pub(crate) fn parse_state(name: &str) -> Result<MonitorState> {
    Ok(match name {
        "unknown" => MonitorState::Unknown,
        "up" => MonitorState::Up,
        "degraded" => MonitorState::Degraded,
        "down" => MonitorState::Down,
        "paused" => MonitorState::Paused,
        other => {
            return Err(StoreError::internal(format!(
                "unknown stored state {other:?}"
            )));
        }
    })
}

/// The first item of each key: a batch that repeats a key stores its first copy, on every
/// backend and whatever order the database inserts rows in. Works on owned items and on
/// references alike.
pub(crate) fn first_per_key<T, K: Eq + std::hash::Hash>(
    items: impl IntoIterator<Item = T>,
    key: impl Fn(&T) -> K,
) -> Vec<T> {
    let mut seen = std::collections::HashSet::new();
    items
        .into_iter()
        .filter(|item| seen.insert(key(item)))
        .collect()
}

// ---- monitors ----

/// The columns of a [`MonitorRow`].
pub(crate) const MONITOR_SELECT: &str =
    "id, definition, enabled, state, created_at_ms, updated_at_ms";

#[derive(sqlx::FromRow)]
pub(crate) struct MonitorRow {
    pub(crate) id: Uuid,
    pub(crate) definition: Vec<u8>,
    pub(crate) enabled: bool,
    pub(crate) state: String,
    pub(crate) created_at_ms: i64,
    pub(crate) updated_at_ms: i64,
}

impl MonitorRow {
    /// The stored definition, with the columns that change without a rewrite of it.
    pub(crate) fn into_monitor(self) -> Result<Monitor> {
        let wire = v1::Monitor::decode(self.definition.as_slice()).map_err(StoreError::internal)?;
        let mut monitor = Monitor::try_from(wire)?;
        monitor.id = MonitorId(self.id);
        monitor.enabled = self.enabled;
        monitor.state = parse_state(&self.state)?;
        monitor.created_at = from_unix_ms(self.created_at_ms);
        monitor.updated_at = from_unix_ms(self.updated_at_ms);
        Ok(monitor)
    }
}

/// The alert memory columns of a monitor ([`AlertRow`]).
pub(crate) const ALERT_SELECT: &str = "alert_last_slot_ms, alert_down, alert_degraded, \
     alert_up, alert_working, announced_state, cert_not_after_ms, cert_warned_days";

/// A monitor with the memory the alert rule keeps for it.
#[derive(sqlx::FromRow)]
pub(crate) struct AlertRow {
    #[sqlx(flatten)]
    pub(crate) monitor: MonitorRow,
    alert_last_slot_ms: Option<i64>,
    alert_down: i64,
    alert_degraded: i64,
    alert_up: i64,
    alert_working: i64,
    announced_state: String,
    cert_not_after_ms: Option<i64>,
    cert_warned_days: Option<i32>,
}

/// What the store remembers of a monitor for alerting, besides its state: the alert rule's
/// runs, what its channels were last told, and the certificate warnings already given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Remembered {
    pub(crate) memory: AlertMemory,
    pub(crate) announced: MonitorState,
    /// The expiry of the certificate last seen, and the smallest threshold (days) warned of.
    pub(crate) cert: (Option<i64>, Option<u32>),
}

impl AlertRow {
    pub(crate) fn memory(&self) -> AlertMemory {
        let run = |count: i64| u32::try_from(count).unwrap_or(u32::MAX);
        AlertMemory {
            last_slot: self.alert_last_slot_ms.map(from_unix_ms),
            down: run(self.alert_down),
            degraded: run(self.alert_degraded),
            up: run(self.alert_up),
            working: run(self.alert_working),
        }
    }

    pub(crate) fn remembered(&self) -> Result<Remembered> {
        Ok(Remembered {
            memory: self.memory(),
            announced: parse_state(&self.announced_state)?,
            cert: (
                self.cert_not_after_ms,
                self.cert_warned_days.and_then(|d| u32::try_from(d).ok()),
            ),
        })
    }
}

/// What the store remembers of a monitor for alerting, as written columns, keyed by its id.
pub(crate) fn alert_fields(id: Uuid, remembered: &Remembered) -> Vec<Field<'static>> {
    let Remembered {
        memory,
        announced,
        cert,
    } = remembered;
    vec![
        Field::key("id", id),
        Field::plain("alert_last_slot_ms", memory.last_slot.map(unix_ms)),
        Field::plain("alert_down", i64::from(memory.down)),
        Field::plain("alert_degraded", i64::from(memory.degraded)),
        Field::plain("alert_up", i64::from(memory.up)),
        Field::plain("alert_working", i64::from(memory.working)),
        Field::plain("announced_state", state_name(*announced)),
        Field::plain("cert_not_after_ms", cert.0),
        Field::plain("cert_warned_days", cert.1.map(i64::from)),
    ]
}

pub(crate) fn monitor_definition(monitor: &Monitor) -> Vec<u8> {
    v1::Monitor::from(monitor.clone()).encode_to_vec()
}

pub(crate) fn interval_ms(monitor: &Monitor) -> i64 {
    i64::try_from(monitor.interval.as_millis()).unwrap_or(i64::MAX)
}

// ---- incidents ----

/// The columns of an [`IncidentRow`].
pub(crate) const INCIDENT_SELECT: &str =
    "id, monitor_id, state, opened_at_ms, closed_at_ms, cause, resolution";

#[derive(sqlx::FromRow)]
pub(crate) struct IncidentRow {
    id: i64,
    monitor_id: Uuid,
    state: String,
    opened_at_ms: i64,
    closed_at_ms: Option<i64>,
    cause: String,
    resolution: String,
}

impl IncidentRow {
    pub(crate) fn into_incident(self) -> Result<Incident> {
        Ok(Incident {
            id: IncidentId(self.id),
            monitor_id: MonitorId(self.monitor_id),
            state: parse_state(&self.state)?,
            opened_at: from_unix_ms(self.opened_at_ms),
            closed_at: self.closed_at_ms.map(from_unix_ms),
            cause: self.cause,
            resolution: self.resolution,
        })
    }
}

pub(crate) fn incident_cursor(incident: &Incident) -> String {
    format!("{}:{}", unix_ms(incident.opened_at), incident.id.0)
}

// ---- notification channels and deliveries ----

/// The columns of a [`ChannelRow`].
pub(crate) const CHANNEL_SELECT: &str =
    "id, name, kind, config, enabled, created_at_ms, updated_at_ms";

#[derive(sqlx::FromRow)]
pub(crate) struct ChannelRow {
    id: i64,
    name: String,
    kind: String,
    config: String,
    enabled: bool,
    created_at_ms: i64,
    updated_at_ms: i64,
}

impl ChannelRow {
    pub(crate) fn into_channel(self) -> Result<NotificationChannel> {
        Ok(NotificationChannel {
            id: ChannelId(self.id),
            name: self.name,
            kind: self.kind,
            config: serde_json::from_str(&self.config).map_err(StoreError::internal)?,
            enabled: self.enabled,
            created_at: from_unix_ms(self.created_at_ms),
            updated_at: from_unix_ms(self.updated_at_ms),
        })
    }
}

pub(crate) fn channel_config_json(channel: &NotificationChannel) -> Result<String> {
    serde_json::to_string(&channel.config).map_err(StoreError::internal)
}

/// The columns of a [`DeliveryRow`].
pub(crate) const DELIVERY_SELECT: &str = "id, channel_id, monitor_id, incident_id, event, \
     attempted_at_ms, attempt, success, detail, latency_us";

#[derive(sqlx::FromRow)]
pub(crate) struct DeliveryRow {
    id: i64,
    channel_id: i64,
    monitor_id: Option<Uuid>,
    incident_id: Option<i64>,
    event: String,
    attempted_at_ms: i64,
    attempt: i32,
    success: bool,
    detail: String,
    latency_us: i64,
}

impl DeliveryRow {
    pub(crate) fn into_delivery(self) -> Delivery {
        Delivery {
            id: DeliveryId(self.id),
            channel_id: ChannelId(self.channel_id),
            monitor_id: self.monitor_id.map(MonitorId),
            incident_id: self.incident_id.map(IncidentId),
            event: self.event,
            attempted_at: from_unix_ms(self.attempted_at_ms),
            attempt: u32::try_from(self.attempt).unwrap_or(0),
            success: self.success,
            detail: self.detail,
            latency: Duration::from_micros(to_u64(self.latency_us)),
        }
    }
}

pub(crate) fn delivery_latency_us(delivery: &Delivery) -> i64 {
    i64::try_from(delivery.latency.as_micros()).unwrap_or(i64::MAX)
}

mod hosts;
mod results;
mod rollups;
mod summary;

pub(crate) use hosts::{
    HostPointRow, HostSampleColumns, METRIC_COLUMNS, SeriesPlan, decode_snapshot,
    host_rollup_deltas, named_rollup_deltas, series_plan,
};
pub(crate) use results::{
    PendingRow, RESULT_SELECT, ResultColumns, ResultRow, SAMPLE_SELECT, SampleRow, decode_recent,
    encode_recent,
};
pub(crate) use rollups::{
    HistogramRow, RollupKey, RollupRow, STATS_COLUMNS, bucket_seconds, merge_stored_histograms,
    rollup_key, rollup_select, stats_select,
};
pub(crate) use summary::{DayTotals, MergedRollups, SummaryAccumulator, SummaryRow, SummarySpans};
