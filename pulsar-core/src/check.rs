//! The stored result of one scheduled check, and its wire form.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use crate::error::CoreError;
use crate::monitor::MonitorId;
use crate::outcome::{Outcome, Verdict};
use crate::phases::Phases;
use crate::proto::v1;
use crate::report::{Failure, FailureKind, HopReport, ProbeReport, TlsInfo};
use crate::schedule::manual_slot;
use crate::time::{from_unix_ms, unix_ms};

/// One check of a monitor for one schedule slot; `(monitor_id, slot)` is unique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    pub monitor_id: MonitorId,
    /// The scheduled time this check ran for.
    pub slot: SystemTime,
    pub started_at: SystemTime,
    pub worker: String,
    pub region: String,
    pub outcome: Outcome,
    /// Set for DOWN.
    pub failure: Option<Failure>,
    /// Why the outcome is not UP (also set for DEGRADED).
    pub message: String,
    pub status: Option<u16>,
    pub http_version: Option<String>,
    pub remote_addr: Option<SocketAddr>,
    /// Summed over all hops.
    pub phases: Phases,
    pub hops: Vec<HopReport>,
    pub body_bytes: u64,
    pub tls: Option<TlsInfo>,
    /// Run on demand (`CheckNow`), outside the schedule: stored and shown like any result,
    /// but left out of rollups, uptime and the alert rule, which count scheduled slots.
    pub manual: bool,
    /// The worst scheduling delay the worker's runtime showed during the check, when
    /// measured: phases may read late by about this much.
    pub scheduling_delay: Option<Duration>,
    /// Run while a maintenance window muted the monitor's alerts (set by the store as it
    /// records the result).
    pub maintenance: bool,
}

impl CheckResult {
    /// Combines what the probe saw with the verdict on it.
    pub fn new(
        monitor_id: MonitorId,
        slot: SystemTime,
        worker: impl Into<String>,
        region: impl Into<String>,
        report: ProbeReport,
        verdict: Verdict,
    ) -> Self {
        let last = report.hops.last();
        Self {
            monitor_id,
            slot,
            started_at: report.started_at,
            worker: worker.into(),
            region: region.into(),
            outcome: verdict.outcome,
            failure: verdict
                .failure_kind
                .map(|kind| Failure::new(kind, verdict.reason.clone())),
            message: verdict.reason,
            status: last.and_then(|h| h.status),
            http_version: last.and_then(|h| h.http_version.clone()),
            remote_addr: last.and_then(|h| h.remote_addr),
            phases: report.phases,
            body_bytes: last.map_or(0, |h| h.body_bytes),
            tls: report.hops.iter().rev().find_map(|h| h.tls.clone()),
            hops: report.hops,
            manual: false,
            scheduling_delay: None,
            maintenance: false,
        }
    }

    /// The result of a check run on demand for a monitor checked every `interval`: keyed
    /// by [`manual_slot`] (the millisecond it started, off the schedule grid) and marked
    /// [`manual`](Self::manual).
    pub fn run_on_demand(
        monitor_id: MonitorId,
        interval: Duration,
        worker: impl Into<String>,
        region: impl Into<String>,
        report: ProbeReport,
        verdict: Verdict,
    ) -> Self {
        let slot = manual_slot(monitor_id, interval, report.started_at);
        Self {
            manual: true,
            ..Self::new(monitor_id, slot, worker, region, report, verdict)
        }
    }
}

impl From<Outcome> for v1::Outcome {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::Up => Self::Up,
            Outcome::Degraded => Self::Degraded,
            Outcome::Down => Self::Down,
        }
    }
}

impl TryFrom<v1::Outcome> for Outcome {
    type Error = CoreError;
    fn try_from(o: v1::Outcome) -> Result<Self, CoreError> {
        match o {
            v1::Outcome::Up => Ok(Self::Up),
            v1::Outcome::Degraded => Ok(Self::Degraded),
            v1::Outcome::Down => Ok(Self::Down),
            v1::Outcome::Unspecified => Err(CoreError::malformed("outcome", "unspecified")),
        }
    }
}

impl From<FailureKind> for v1::FailureKind {
    fn from(kind: FailureKind) -> Self {
        use FailureKind as K;
        match kind {
            K::InvalidRequest => Self::InvalidRequest,
            K::DnsNoSuchName => Self::DnsNoSuchName,
            K::DnsTimeout => Self::DnsTimeout,
            K::DnsServerFailure => Self::DnsServerFailure,
            K::DnsNoAddress => Self::DnsNoAddress,
            K::ConnectRefused => Self::ConnectRefused,
            K::ConnectTimeout => Self::ConnectTimeout,
            K::ConnectUnreachable => Self::ConnectUnreachable,
            K::TlsHandshake => Self::TlsHandshake,
            K::TlsInvalidCertificate => Self::TlsInvalidCertificate,
            K::TlsExpiredCertificate => Self::TlsExpiredCertificate,
            K::TlsSelfSignedCertificate => Self::TlsSelfSignedCertificate,
            K::TlsHostnameMismatch => Self::TlsHostnameMismatch,
            K::TlsTimeout => Self::TlsTimeout,
            K::HttpProtocol => Self::HttpProtocol,
            K::HttpTimeout => Self::HttpTimeout,
            K::BodyTooLarge => Self::BodyTooLarge,
            K::BodyTimeout => Self::BodyTimeout,
            K::BodyReset => Self::BodyReset,
            K::RedirectLoop => Self::RedirectLoop,
            K::RedirectTooMany => Self::RedirectTooMany,
            K::StatusUnexpected => Self::StatusUnexpected,
            K::BodyAssertion => Self::BodyAssertion,
            K::TargetRefused => Self::TargetRefused,
        }
    }
}

impl TryFrom<v1::FailureKind> for FailureKind {
    type Error = CoreError;
    fn try_from(wire: v1::FailureKind) -> Result<Self, CoreError> {
        FailureKind::ALL
            .into_iter()
            .find(|k| v1::FailureKind::from(*k) == wire)
            .ok_or_else(|| CoreError::malformed("failure_kind", "unspecified"))
    }
}

impl From<TlsInfo> for v1::TlsInfo {
    fn from(t: TlsInfo) -> Self {
        Self {
            version: t.version,
            cipher: t.cipher,
            alpn: t.alpn.unwrap_or_default(),
            subject: t.subject,
            issuer: t.issuer,
            sans: t.sans,
            not_before_unix_ms: t.not_before.map_or(0, unix_ms),
            not_after_unix_ms: t.not_after.map_or(0, unix_ms),
        }
    }
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

fn non_zero_time(ms: i64) -> Option<SystemTime> {
    (ms != 0).then(|| from_unix_ms(ms))
}

impl From<v1::TlsInfo> for TlsInfo {
    fn from(t: v1::TlsInfo) -> Self {
        Self {
            version: t.version,
            cipher: t.cipher,
            alpn: non_empty(t.alpn),
            subject: t.subject,
            issuer: t.issuer,
            sans: t.sans,
            not_before: non_zero_time(t.not_before_unix_ms),
            not_after: non_zero_time(t.not_after_unix_ms),
        }
    }
}

fn parse_addr(field: &str, s: String) -> Result<Option<SocketAddr>, CoreError> {
    if s.is_empty() {
        return Ok(None);
    }
    s.parse()
        .map(Some)
        .map_err(|_| CoreError::malformed(field, "not an ip:port address"))
}

fn status(code: u32) -> Option<u16> {
    u16::try_from(code).ok().filter(|c| *c != 0)
}

impl From<HopReport> for v1::Hop {
    fn from(h: HopReport) -> Self {
        Self {
            url: h.url,
            start_offset_us: u64::try_from(h.start_offset.as_micros()).unwrap_or(u64::MAX),
            status_code: h.status.map_or(0, u32::from),
            http_version: h.http_version.unwrap_or_default(),
            remote_addr: h.remote_addr.map(|a| a.to_string()).unwrap_or_default(),
            phases: Some(h.phases.into()),
            body_bytes: h.body_bytes,
            tls: h.tls.map(Into::into),
        }
    }
}

impl TryFrom<v1::Hop> for HopReport {
    type Error = CoreError;
    fn try_from(h: v1::Hop) -> Result<Self, CoreError> {
        Ok(Self {
            url: h.url,
            start_offset: Duration::from_micros(h.start_offset_us),
            status: status(h.status_code),
            http_version: non_empty(h.http_version),
            remote_addr: parse_addr("hops.remote_addr", h.remote_addr)?,
            phases: h.phases.map(Into::into).unwrap_or_default(),
            body_bytes: h.body_bytes,
            tls: h.tls.map(Into::into),
        })
    }
}

impl From<CheckResult> for v1::CheckResult {
    fn from(c: CheckResult) -> Self {
        Self {
            monitor_id: c.monitor_id.to_string(),
            slot_unix_ms: unix_ms(c.slot),
            started_at_unix_ms: unix_ms(c.started_at),
            worker: c.worker,
            region: c.region,
            outcome: v1::Outcome::from(c.outcome).into(),
            failure_kind: c
                .failure
                .as_ref()
                .map_or(v1::FailureKind::Unspecified, |f| f.kind.into())
                .into(),
            message: c.message,
            status_code: c.status.map_or(0, u32::from),
            http_version: c.http_version.unwrap_or_default(),
            remote_addr: c.remote_addr.map(|a| a.to_string()).unwrap_or_default(),
            phases: Some(c.phases.into()),
            hops: c.hops.into_iter().map(Into::into).collect(),
            body_bytes: c.body_bytes,
            tls: c.tls.map(Into::into),
            manual: c.manual,
            scheduling_delay_us: c
                .scheduling_delay
                .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX)),
            maintenance: c.maintenance,
        }
    }
}

impl TryFrom<v1::CheckResult> for CheckResult {
    type Error = CoreError;
    fn try_from(c: v1::CheckResult) -> Result<Self, CoreError> {
        let outcome = v1::Outcome::try_from(c.outcome)
            .map_err(|_| CoreError::malformed("outcome", "unknown outcome"))?
            .try_into()?;
        let kind = v1::FailureKind::try_from(c.failure_kind)
            .map_err(|_| CoreError::malformed("failure_kind", "unknown failure kind"))?;
        let failure = match kind {
            v1::FailureKind::Unspecified => None,
            kind => Some(Failure::new(kind.try_into()?, c.message.clone())),
        };
        Ok(Self {
            monitor_id: c.monitor_id.parse()?,
            slot: from_unix_ms(c.slot_unix_ms),
            started_at: from_unix_ms(c.started_at_unix_ms),
            worker: c.worker,
            region: c.region,
            outcome,
            failure,
            message: c.message,
            status: status(c.status_code),
            http_version: non_empty(c.http_version),
            remote_addr: parse_addr("remote_addr", c.remote_addr)?,
            phases: c.phases.map(Into::into).unwrap_or_default(),
            hops: c
                .hops
                .into_iter()
                .map(TryInto::try_into)
                .collect::<Result<_, _>>()?,
            body_bytes: c.body_bytes,
            tls: c.tls.map(Into::into),
            manual: c.manual,
            scheduling_delay: (c.scheduling_delay_us > 0)
                .then(|| Duration::from_micros(c.scheduling_delay_us)),
            maintenance: c.maintenance,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::monitor::Expectations;
    use crate::outcome::classify;

    fn sample_report() -> ProbeReport {
        let ms = Duration::from_millis;
        let tls = TlsInfo {
            version: "TLSv1.3".into(),
            cipher: "TLS13_AES_128_GCM_SHA256".into(),
            alpn: Some("h2".into()),
            subject: "CN=localhost".into(),
            issuer: "CN=Pulsar Test CA".into(),
            sans: vec!["localhost".into(), "127.0.0.1".into()],
            not_before: Some(from_unix_ms(1_600_000_000_000)),
            not_after: Some(from_unix_ms(1_900_000_000_000)),
        };
        let redirect = HopReport {
            url: "https://localhost:8443/old".into(),
            start_offset: Duration::ZERO,
            status: Some(301),
            http_version: Some("HTTP/2".into()),
            remote_addr: Some("127.0.0.1:8443".parse().unwrap()),
            phases: Phases {
                dns: Some(ms(1)),
                connect: Some(ms(1)),
                tls: Some(ms(3)),
                ttfb: Some(ms(2)),
                download: Some(ms(0)),
                total: Some(ms(7)),
            },
            body_bytes: 0,
            tls: Some(tls.clone()),
        };
        let last = HopReport {
            url: "https://localhost:8443/new".into(),
            start_offset: ms(7),
            status: Some(200),
            body_bytes: 512,
            ..redirect.clone()
        };
        ProbeReport {
            url: redirect.url.clone(),
            started_at: from_unix_ms(1_700_000_000_000),
            phases: redirect.phases.sum(&last.phases),
            hops: vec![redirect, last],
            failure: None,
            body_assertion_held: Some(true),
        }
    }

    #[test]
    fn check_result_round_trips_through_proto_and_json() {
        let report = sample_report();
        let verdict = classify(&report, &Expectations::default());
        let result = CheckResult::new(
            MonitorId::new(),
            from_unix_ms(1_700_000_000_000),
            "w1",
            "eu",
            report,
            verdict,
        );
        assert_eq!(result.status, Some(200));
        assert_eq!(result.body_bytes, 512);
        assert_eq!(result.phases.total, Some(Duration::from_millis(14)));
        let wire: v1::CheckResult = result.clone().into();
        let json = serde_json::to_string(&wire).unwrap();
        assert!(json.contains("\"outcome\":\"OUTCOME_UP\""), "{json}");
        let back: v1::CheckResult = serde_json::from_str(&json).unwrap();
        assert_eq!(CheckResult::try_from(back).unwrap(), result);
    }

    #[test]
    fn a_down_result_keeps_its_failure_kind() {
        let mut report = sample_report();
        report.failure = Some(Failure::new(
            FailureKind::TlsExpiredCertificate,
            "certificate expired",
        ));
        let verdict = classify(&report, &Expectations::default());
        let result = CheckResult::new(
            MonitorId::new(),
            SystemTime::UNIX_EPOCH,
            "w",
            "",
            report,
            verdict,
        );
        let back = CheckResult::try_from(v1::CheckResult::from(result.clone())).unwrap();
        assert_eq!(
            back.failure.unwrap().kind,
            FailureKind::TlsExpiredCertificate
        );
    }

    #[test]
    fn every_failure_kind_maps_to_a_distinct_wire_value() {
        for kind in FailureKind::ALL {
            assert_eq!(
                FailureKind::try_from(v1::FailureKind::from(kind)).unwrap(),
                kind
            );
        }
    }
}
