//! Row shapes shared by both backends, and their conversions to and from domain types.
//! Both dialects store the same columns (times as unix milliseconds, durations as
//! microseconds, ids as UUIDs), so one set of `FromRow` structs decodes either.

use std::collections::BTreeMap;
use std::time::Duration;

use prost::Message;
use pulsar_core::proto::v1;
use pulsar_core::{
    BucketSize, ChannelId, CheckResult, Delivery, DeliveryId, Incident, IncidentId, Monitor,
    MonitorId, MonitorState, NotificationChannel, PhaseHistograms, Phases, Rollup, RollupSample,
    RollupStats, from_unix_ms, unix_ms,
};
use uuid::Uuid;

use crate::error::{Result, StoreError};

pub(crate) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

pub(crate) fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

pub(crate) fn state_name(state: MonitorState) -> &'static str {
    match state {
        MonitorState::Unknown => "unknown",
        MonitorState::Up => "up",
        MonitorState::Degraded => "degraded",
        MonitorState::Down => "down",
        MonitorState::Paused => "paused",
    }
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

/// Ids as a JSON array of hex strings, for `json_each` (SQLite) lookups of many ids.
pub(crate) fn ids_json(ids: &[MonitorId]) -> String {
    let mut json = String::with_capacity(ids.len() * 35 + 2);
    json.push('[');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push('"');
        json.push_str(id.0.simple().encode_lower(&mut Uuid::encode_buffer()));
        json.push('"');
    }
    json.push(']');
    json
}

/// The first of each run of items with the same key: a batch that repeats a key stores
/// its first copy, on every backend and whatever order the database inserts rows in.
pub(crate) fn first_per_key<'a, T, K: Eq + std::hash::Hash>(
    items: impl IntoIterator<Item = &'a T>,
    key: impl Fn(&T) -> K,
) -> Vec<&'a T> {
    let mut seen = std::collections::HashSet::new();
    items
        .into_iter()
        .filter(|item| seen.insert(key(item)))
        .collect()
}

pub(crate) fn uuids(ids: &[MonitorId]) -> Vec<Uuid> {
    ids.iter().map(|id| id.0).collect()
}

// ---- monitors ----

/// The columns of a `MonitorRow`, for `concat!` into static SQL.
macro_rules! monitor_columns {
    () => {
        "id, definition, enabled, state, created_at_ms, updated_at_ms"
    };
}
pub(crate) use monitor_columns;

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

pub(crate) fn monitor_definition(monitor: &Monitor) -> Vec<u8> {
    v1::Monitor::from(monitor.clone()).encode_to_vec()
}

pub(crate) fn interval_ms(monitor: &Monitor) -> i64 {
    i64::try_from(monitor.interval.as_millis()).unwrap_or(i64::MAX)
}

/// Labels as a JSON object, for the label filter of `list_monitors`.
pub(crate) fn labels_json(labels: &BTreeMap<String, String>) -> String {
    serde_json::to_string(labels).unwrap_or_else(|_| "{}".to_owned())
}

// ---- check results ----

/// The columns of one `check_results` row.
pub(crate) struct ResultColumns {
    pub(crate) monitor_id: Uuid,
    pub(crate) slot_ms: i64,
    pub(crate) started_at_ms: i64,
    pub(crate) worker: String,
    pub(crate) region: String,
    pub(crate) outcome: i32,
    pub(crate) failure_kind: i32,
    pub(crate) message: String,
    pub(crate) status_code: Option<i32>,
    pub(crate) http_version: Option<String>,
    pub(crate) remote_addr: Option<String>,
    /// dns, connect, tls, ttfb, download, total.
    pub(crate) phases_us: [Option<i64>; 6],
    pub(crate) body_bytes: i64,
    /// An encoded `CheckResult` message holding only the hops and TLS details.
    pub(crate) detail: Vec<u8>,
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

impl ResultColumns {
    pub(crate) fn new(result: &CheckResult) -> Self {
        let w = v1::CheckResult::from(result.clone());
        let p = w.phases.unwrap_or_default();
        let us = |v: Option<u64>| v.map(to_i64);
        let detail = v1::CheckResult {
            hops: w.hops,
            tls: w.tls,
            ..Default::default()
        };
        Self {
            monitor_id: result.monitor_id.0,
            slot_ms: w.slot_unix_ms,
            started_at_ms: w.started_at_unix_ms,
            worker: w.worker,
            region: w.region,
            outcome: w.outcome,
            failure_kind: w.failure_kind,
            message: w.message,
            status_code: (w.status_code != 0).then(|| i32::try_from(w.status_code).unwrap_or(0)),
            http_version: non_empty(w.http_version),
            remote_addr: non_empty(w.remote_addr),
            phases_us: [
                us(p.dns_us),
                us(p.connect_us),
                us(p.tls_us),
                us(p.ttfb_us),
                us(p.download_us),
                us(p.total_us),
            ],
            body_bytes: to_i64(w.body_bytes),
            detail: detail.encode_to_vec(),
        }
    }
}

/// The columns of a `result` row, for `concat!` into static SQL.
macro_rules! result_columns {
    () => {
        "monitor_id, slot_ms, started_at_ms, worker, region, \
     outcome, failure_kind, message, status_code, http_version, remote_addr, dns_us, \
     connect_us, tls_us, ttfb_us, download_us, total_us, body_bytes, detail"
    };
}
pub(crate) use result_columns;

/// The columns of a `check_results` row that rollups keep, for `concat!` into static SQL.
macro_rules! sample_columns {
    () => {
        "monitor_id, slot_ms, outcome, dns_us, connect_us, tls_us, ttfb_us, download_us, total_us"
    };
}
pub(crate) use sample_columns;

/// What a rollup keeps of a stored result: folds and the reads that merge pending results
/// decode just these columns, not the whole result.
#[derive(sqlx::FromRow)]
pub(crate) struct SampleRow {
    monitor_id: Uuid,
    slot_ms: i64,
    outcome: i32,
    dns_us: Option<i64>,
    connect_us: Option<i64>,
    tls_us: Option<i64>,
    ttfb_us: Option<i64>,
    download_us: Option<i64>,
    total_us: Option<i64>,
}

impl SampleRow {
    pub(crate) fn into_sample(self) -> Result<RollupSample> {
        let outcome = v1::Outcome::try_from(self.outcome)
            .map_err(|_| StoreError::internal(format!("unknown outcome {}", self.outcome)))?
            .try_into()?;
        let us = |v: Option<i64>| v.map(|us| Duration::from_micros(to_u64(us)));
        Ok(RollupSample {
            monitor_id: MonitorId(self.monitor_id),
            slot: from_unix_ms(self.slot_ms),
            outcome,
            phases: Phases {
                dns: us(self.dns_us),
                connect: us(self.connect_us),
                tls: us(self.tls_us),
                ttfb: us(self.ttfb_us),
                download: us(self.download_us),
                total: us(self.total_us),
            },
        })
    }
}

/// A result waiting to be folded into rollups, with its arrival order.
#[derive(sqlx::FromRow)]
pub(crate) struct PendingRow {
    pub(crate) seq: i64,
    #[sqlx(flatten)]
    pub(crate) sample: SampleRow,
}

#[derive(sqlx::FromRow)]
pub(crate) struct ResultRow {
    #[sqlx(flatten)]
    sample: SampleRow,
    started_at_ms: i64,
    worker: String,
    region: String,
    failure_kind: i32,
    message: String,
    status_code: Option<i32>,
    http_version: Option<String>,
    remote_addr: Option<String>,
    body_bytes: i64,
    detail: Vec<u8>,
}

impl ResultRow {
    pub(crate) fn into_result(self) -> Result<CheckResult> {
        let detail =
            v1::CheckResult::decode(self.detail.as_slice()).map_err(StoreError::internal)?;
        let us = |v: Option<i64>| v.map(to_u64);
        let wire = v1::CheckResult {
            monitor_id: self.sample.monitor_id.to_string(),
            slot_unix_ms: self.sample.slot_ms,
            started_at_unix_ms: self.started_at_ms,
            worker: self.worker,
            region: self.region,
            outcome: self.sample.outcome,
            failure_kind: self.failure_kind,
            message: self.message,
            status_code: self
                .status_code
                .map_or(0, |c| u32::try_from(c).unwrap_or(0)),
            http_version: self.http_version.unwrap_or_default(),
            remote_addr: self.remote_addr.unwrap_or_default(),
            phases: Some(v1::Phases {
                dns_us: us(self.sample.dns_us),
                connect_us: us(self.sample.connect_us),
                tls_us: us(self.sample.tls_us),
                ttfb_us: us(self.sample.ttfb_us),
                download_us: us(self.sample.download_us),
                total_us: us(self.sample.total_us),
            }),
            hops: detail.hops,
            body_bytes: to_u64(self.body_bytes),
            tls: detail.tls,
        };
        Ok(CheckResult::try_from(wire)?)
    }
}

// ---- rollups ----

/// The columns of a `rollup` row, for `concat!` into static SQL.
macro_rules! rollup_columns {
    () => {
        "monitor_id, bucket_seconds, bucket_start_ms, \
     up_count, degraded_count, down_count, total_min_us, total_max_us, dns_sum_us, \
     connect_sum_us, tls_sum_us, ttfb_sum_us, download_sum_us, total_sum_us, histograms"
    };
}
pub(crate) use rollup_columns;

#[derive(sqlx::FromRow)]
pub(crate) struct RollupRow {
    pub(crate) monitor_id: Uuid,
    pub(crate) bucket_seconds: i32,
    pub(crate) bucket_start_ms: i64,
    up_count: i64,
    degraded_count: i64,
    down_count: i64,
    total_min_us: Option<i64>,
    total_max_us: Option<i64>,
    dns_sum_us: i64,
    connect_sum_us: i64,
    tls_sum_us: i64,
    ttfb_sum_us: i64,
    download_sum_us: i64,
    total_sum_us: i64,
    pub(crate) histograms: Vec<u8>,
}

impl RollupRow {
    pub(crate) fn stats(&self) -> RollupStats {
        RollupStats {
            up: to_u64(self.up_count),
            degraded: to_u64(self.degraded_count),
            down: to_u64(self.down_count),
            total_min_us: self.total_min_us.map(to_u64),
            total_max_us: self.total_max_us.map(to_u64),
            phase_sums_us: [
                self.dns_sum_us,
                self.connect_sum_us,
                self.tls_sum_us,
                self.ttfb_sum_us,
                self.download_sum_us,
                self.total_sum_us,
            ]
            .map(to_u64),
        }
    }

    pub(crate) fn into_rollup(self) -> Result<Rollup> {
        let bucket = BucketSize::from_seconds(i64::from(self.bucket_seconds)).ok_or_else(|| {
            StoreError::internal(format!("unknown bucket size {}", self.bucket_seconds))
        })?;
        Ok(Rollup {
            monitor_id: MonitorId(self.monitor_id),
            bucket,
            start: from_unix_ms(self.bucket_start_ms),
            stats: self.stats(),
            histograms: PhaseHistograms::decode(&self.histograms)?,
        })
    }
}

/// The columns of one `rollups` row, in [`rollup_columns!`] order.
pub(crate) struct RollupColumns {
    pub(crate) monitor_id: Uuid,
    pub(crate) bucket_seconds: i32,
    pub(crate) bucket_start_ms: i64,
    pub(crate) counts: [i64; 3],
    pub(crate) total_min_us: Option<i64>,
    pub(crate) total_max_us: Option<i64>,
    pub(crate) phase_sums_us: [i64; 6],
    pub(crate) histograms: Vec<u8>,
}

impl RollupColumns {
    pub(crate) fn new(rollup: &Rollup) -> Self {
        let s = &rollup.stats;
        Self {
            monitor_id: rollup.monitor_id.0,
            bucket_seconds: i32::try_from(rollup.bucket.seconds()).unwrap_or(i32::MAX),
            bucket_start_ms: unix_ms(rollup.start),
            counts: [s.up, s.degraded, s.down].map(to_i64),
            total_min_us: s.total_min_us.map(to_i64),
            total_max_us: s.total_max_us.map(to_i64),
            phase_sums_us: s.phase_sums_us.map(to_i64),
            histograms: rollup.histograms.encode(),
        }
    }
}

/// The key of a rollup row, for matching fetched rows to computed deltas.
pub(crate) type RollupKey = (Uuid, i32, i64);

pub(crate) fn rollup_key(rollup: &Rollup) -> RollupKey {
    (
        rollup.monitor_id.0,
        i32::try_from(rollup.bucket.seconds()).unwrap_or(i32::MAX),
        unix_ms(rollup.start),
    )
}

/// The stored histograms of a rollup row: all an ingest needs to read, since counts and
/// sums are added in SQL.
#[derive(sqlx::FromRow)]
pub(crate) struct HistogramRow {
    pub(crate) monitor_id: Uuid,
    pub(crate) bucket_seconds: i32,
    pub(crate) bucket_start_ms: i64,
    histograms: Vec<u8>,
}

/// Merges stored histograms into the deltas they belong to: the histograms to write back.
/// The deltas' stats stay deltas.
pub(crate) fn merge_stored_histograms(
    deltas: &mut [Rollup],
    stored: &[HistogramRow],
) -> Result<()> {
    let index: std::collections::HashMap<RollupKey, usize> = deltas
        .iter()
        .enumerate()
        .map(|(i, r)| (rollup_key(r), i))
        .collect();
    for row in stored {
        let key = (row.monitor_id, row.bucket_seconds, row.bucket_start_ms);
        if let Some(&i) = index.get(&key) {
            deltas[i].histograms.merge_encoded(&row.histograms)?;
        }
    }
    Ok(())
}

// ---- incidents ----

/// The columns of a `incident` row, for `concat!` into static SQL.
macro_rules! incident_columns {
    () => {
        "id, monitor_id, state, opened_at_ms, closed_at_ms, cause, resolution"
    };
}
pub(crate) use incident_columns;

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

/// The columns of a `channel` row, for `concat!` into static SQL.
macro_rules! channel_columns {
    () => {
        "id, name, kind, config, enabled, created_at_ms, updated_at_ms"
    };
}
pub(crate) use channel_columns;

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

/// The columns of a `delivery` row, for `concat!` into static SQL.
macro_rules! delivery_columns {
    () => {
        "id, channel_id, monitor_id, incident_id, event, \
     attempted_at_ms, attempt, success, detail, latency_us"
    };
}
pub(crate) use delivery_columns;

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
mod summary;

pub(crate) use hosts::{
    HostPointRow, HostSampleColumns, decode_snapshot, host_rollup_deltas, host_rollup_merge,
    series_plan,
};
pub(crate) use summary::{DayTotals, MergedRollups, SummaryAccumulator, SummaryRow, SummarySpans};
