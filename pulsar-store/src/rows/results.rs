//! Check result rows: written through [`ResultColumns::fields`], read by column name.

use std::time::Duration;

use prost::Message;
use pulsar_core::proto::v1;
use pulsar_core::{
    CheckResult, MonitorId, Phases, RecentCheck, RollupSample, from_unix_ms, unix_ms,
};
use uuid::Uuid;

use super::{to_i64, to_u64};
use crate::error::{Result, StoreError};
use crate::sql::Field;

/// The columns a full result read selects.
pub(crate) const RESULT_SELECT: &str = "monitor_id, slot_ms, outcome, dns_us, connect_us, tls_us, \
     ttfb_us, download_us, total_us, started_at_ms, worker, region, failure_kind, message, \
     status_code, http_version, remote_addr, body_bytes, detail, manual";

/// The columns of a result that rollups keep ([`SampleRow`]).
pub(crate) const SAMPLE_SELECT: &str =
    "monitor_id, slot_ms, outcome, dns_us, connect_us, tls_us, ttfb_us, download_us, total_us";

/// The columns of one `check_results` row, as ingest writes it.
pub(crate) struct ResultColumns {
    pub(crate) monitor_id: Uuid,
    pub(crate) slot_ms: i64,
    started_at_ms: i64,
    worker: String,
    region: String,
    outcome: i32,
    failure_kind: i32,
    message: String,
    status_code: Option<i32>,
    http_version: Option<String>,
    remote_addr: Option<String>,
    dns_us: Option<i64>,
    connect_us: Option<i64>,
    tls_us: Option<i64>,
    ttfb_us: Option<i64>,
    download_us: Option<i64>,
    total_us: Option<i64>,
    body_bytes: i64,
    /// An encoded `CheckResult` message holding only the hops, TLS details, scheduling
    /// delay and maintenance mark.
    detail: Vec<u8>,
    manual: bool,
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
            scheduling_delay_us: w.scheduling_delay_us,
            maintenance: w.maintenance,
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
            dns_us: us(p.dns_us),
            connect_us: us(p.connect_us),
            tls_us: us(p.tls_us),
            ttfb_us: us(p.ttfb_us),
            download_us: us(p.download_us),
            total_us: us(p.total_us),
            body_bytes: to_i64(w.body_bytes),
            detail: detail.encode_to_vec(),
            manual: w.manual,
        }
    }

    /// The row as written columns: adding a column is one line here.
    pub(crate) fn fields(&self) -> Vec<Field<'_>> {
        vec![
            Field::key("monitor_id", self.monitor_id),
            Field::key("slot_ms", self.slot_ms),
            Field::plain("started_at_ms", self.started_at_ms),
            Field::plain("worker", &self.worker),
            Field::plain("region", &self.region),
            Field::plain("outcome", self.outcome),
            Field::plain("failure_kind", self.failure_kind),
            Field::plain("message", &self.message),
            Field::plain("status_code", self.status_code),
            Field::plain("http_version", self.http_version.as_deref()),
            Field::plain("remote_addr", self.remote_addr.as_deref()),
            Field::plain("dns_us", self.dns_us),
            Field::plain("connect_us", self.connect_us),
            Field::plain("tls_us", self.tls_us),
            Field::plain("ttfb_us", self.ttfb_us),
            Field::plain("download_us", self.download_us),
            Field::plain("total_us", self.total_us),
            Field::plain("body_bytes", self.body_bytes),
            Field::plain("detail", &self.detail),
            Field::plain("manual", self.manual),
        ]
    }
}

/// What a rollup keeps of a stored result: folds and the reads that merge pending results
/// decode just these columns ([`SAMPLE_SELECT`]), not the whole result.
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
    fn phases_us(&self) -> v1::Phases {
        let us = |v: Option<i64>| v.map(to_u64);
        v1::Phases {
            dns_us: us(self.dns_us),
            connect_us: us(self.connect_us),
            tls_us: us(self.tls_us),
            ttfb_us: us(self.ttfb_us),
            download_us: us(self.download_us),
            total_us: us(self.total_us),
        }
    }

    pub(crate) fn into_sample(self) -> Result<RollupSample> {
        let outcome = v1::Outcome::try_from(self.outcome)
            .map_err(|_| StoreError::internal(format!("unknown outcome {}", self.outcome)))?
            .try_into()?;
        let us = |v: Option<u64>| v.map(Duration::from_micros);
        let p = self.phases_us();
        Ok(RollupSample {
            monitor_id: MonitorId(self.monitor_id),
            slot: from_unix_ms(self.slot_ms),
            outcome,
            phases: Phases {
                dns: us(p.dns_us),
                connect: us(p.connect_us),
                tls: us(p.tls_us),
                ttfb: us(p.ttfb_us),
                download: us(p.download_us),
                total: us(p.total_us),
            },
        })
    }
}

/// Bytes per check in a packed strip: slot (ms), outcome, total (µs).
const RECENT_CHECK_BYTES: usize = 8 + 1 + 8;
/// The packed total of a check that did not finish.
const NO_TOTAL: u64 = u64::MAX;

/// A monitor's strip of recent checks as stored in `recent_checks.checks`: per check its
/// slot (i64, little-endian ms), outcome (`pulsar.v1.Outcome` number) and total (u64 µs,
/// all ones for none), oldest first.
pub(crate) fn encode_recent(checks: &[RecentCheck]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(checks.len() * RECENT_CHECK_BYTES);
    for check in checks {
        bytes.extend_from_slice(&unix_ms(check.slot).to_le_bytes());
        bytes.push(v1::Outcome::from(check.outcome) as u8);
        let total = check.total.map_or(NO_TOTAL, |t| {
            u64::try_from(t.as_micros()).unwrap_or(NO_TOTAL - 1)
        });
        bytes.extend_from_slice(&total.to_le_bytes());
    }
    bytes
}

pub(crate) fn decode_recent(bytes: &[u8]) -> Result<Vec<RecentCheck>> {
    if !bytes.len().is_multiple_of(RECENT_CHECK_BYTES) {
        return Err(StoreError::internal(
            "a packed strip of recent checks is cut short",
        ));
    }
    bytes
        .chunks_exact(RECENT_CHECK_BYTES)
        .map(|c| {
            let (slot, rest) = c.split_at(8);
            let (outcome, total) = rest.split_at(1);
            let slot_ms = i64::from_le_bytes(slot.try_into().map_err(StoreError::internal)?);
            let outcome = v1::Outcome::try_from(i32::from(outcome[0]))
                .map_err(|_| StoreError::internal(format!("unknown outcome {}", outcome[0])))?
                .try_into()?;
            let total = u64::from_le_bytes(total.try_into().map_err(StoreError::internal)?);
            Ok(RecentCheck {
                slot: from_unix_ms(slot_ms),
                outcome,
                total: (total != NO_TOTAL).then(|| Duration::from_micros(total)),
            })
        })
        .collect()
}

/// A result waiting to be folded into rollups, with its arrival order.
#[derive(sqlx::FromRow)]
pub(crate) struct PendingRow {
    pub(crate) seq: i64,
    #[sqlx(flatten)]
    pub(crate) sample: SampleRow,
}

/// A whole stored result ([`RESULT_SELECT`]).
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
    manual: bool,
}

impl ResultRow {
    pub(crate) fn into_result(self) -> Result<CheckResult> {
        let detail =
            v1::CheckResult::decode(self.detail.as_slice()).map_err(StoreError::internal)?;
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
            phases: Some(self.sample.phases_us()),
            hops: detail.hops,
            body_bytes: to_u64(self.body_bytes),
            tls: detail.tls,
            manual: self.manual,
            scheduling_delay_us: detail.scheduling_delay_us,
            maintenance: detail.maintenance,
        };
        Ok(CheckResult::try_from(wire)?)
    }
}
