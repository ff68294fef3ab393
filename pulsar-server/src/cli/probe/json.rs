//! `pulsar probe --json`: one object per check, one line each; a stable contract (README).

use std::time::{Duration, SystemTime};

use pulsar_core::{HopReport, Outcome, PhasePercentiles, Phases, ProbeReport, TlsInfo, Verdict};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub(crate) struct CheckJson {
    url: String,
    started_at: String,
    outcome: &'static str,
    status: Option<u16>,
    http_version: Option<String>,
    remote_addr: Option<String>,
    body_bytes: u64,
    #[serde(flatten)]
    phases: PhasesJson,
    error: Option<ErrorJson>,
    hops: Vec<HopJson>,
    tls: Option<TlsJson>,
}

/// Milliseconds with microsecond precision (three decimals); `null` when not reached.
#[derive(Debug, Serialize)]
struct PhasesJson {
    dns_ms: Option<f64>,
    connect_ms: Option<f64>,
    tls_ms: Option<f64>,
    ttfb_ms: Option<f64>,
    download_ms: Option<f64>,
    total_ms: Option<f64>,
}

#[derive(Debug, Serialize)]
struct ErrorJson {
    kind: &'static str,
    message: String,
}

#[derive(Debug, Serialize)]
struct HopJson {
    url: String,
    status: Option<u16>,
    http_version: Option<String>,
    remote_addr: Option<String>,
    body_bytes: u64,
    #[serde(flatten)]
    phases: PhasesJson,
}

#[derive(Debug, Serialize)]
struct TlsJson {
    version: String,
    cipher: String,
    alpn: Option<String>,
    subject: String,
    issuer: String,
    sans: Vec<String>,
    not_before: Option<String>,
    not_after: Option<String>,
    days_to_expiry: Option<i64>,
}

#[derive(Debug, Serialize)]
pub(crate) struct SummaryJson {
    summary: SummaryBody,
}

#[derive(Debug, Serialize)]
struct SummaryBody {
    checks: usize,
    up: usize,
    degraded: usize,
    down: usize,
    phases: Vec<PercentileJson>,
}

#[derive(Debug, Serialize)]
struct PercentileJson {
    phase: &'static str,
    samples: usize,
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
}

impl PhasesJson {
    fn from(p: &Phases) -> Self {
        Self {
            dns_ms: Phases::millis(p.dns),
            connect_ms: Phases::millis(p.connect),
            tls_ms: Phases::millis(p.tls),
            ttfb_ms: Phases::millis(p.ttfb),
            download_ms: Phases::millis(p.download),
            total_ms: Phases::millis(p.total),
        }
    }
}

pub(crate) fn check(report: &ProbeReport, verdict: &Verdict) -> CheckJson {
    let last = report.final_hop();
    CheckJson {
        url: report.url.clone(),
        started_at: rfc3339(report.started_at),
        outcome: verdict.outcome.as_str(),
        status: report.status(),
        http_version: last.and_then(|h| h.http_version.clone()),
        remote_addr: last.and_then(|h| h.remote_addr).map(|a| a.to_string()),
        body_bytes: last.map_or(0, |h| h.body_bytes),
        phases: PhasesJson::from(&report.phases),
        error: (verdict.outcome == Outcome::Down).then(|| ErrorJson {
            kind: verdict.failure_kind.map_or("unknown", |k| k.as_str()),
            message: verdict.reason.clone(),
        }),
        hops: report.hops.iter().map(hop).collect(),
        tls: report.tls().map(tls),
    }
}

fn hop(h: &HopReport) -> HopJson {
    HopJson {
        url: h.url.clone(),
        status: h.status,
        http_version: h.http_version.clone(),
        remote_addr: h.remote_addr.map(|a| a.to_string()),
        body_bytes: h.body_bytes,
        phases: PhasesJson::from(&h.phases),
    }
}

fn tls(t: &TlsInfo) -> TlsJson {
    TlsJson {
        version: t.version.clone(),
        cipher: t.cipher.clone(),
        alpn: t.alpn.clone(),
        subject: t.subject.clone(),
        issuer: t.issuer.clone(),
        sans: t.sans.clone(),
        not_before: t.not_before.map(rfc3339),
        not_after: t.not_after.map(rfc3339),
        days_to_expiry: t.days_to_expiry(SystemTime::now()),
    }
}

pub(crate) fn summary(verdicts: &[Outcome], rows: &[PhasePercentiles]) -> SummaryJson {
    let count = |o: Outcome| verdicts.iter().filter(|v| **v == o).count();
    let ms = |d: Duration| (d.as_micros() as f64) / 1000.0;
    SummaryJson {
        summary: SummaryBody {
            checks: verdicts.len(),
            up: count(Outcome::Up),
            degraded: count(Outcome::Degraded),
            down: count(Outcome::Down),
            phases: rows
                .iter()
                .map(|r| PercentileJson {
                    phase: r.phase,
                    samples: r.samples,
                    p50_ms: ms(r.p50),
                    p95_ms: ms(r.p95),
                    p99_ms: ms(r.p99),
                })
                .collect(),
        },
    }
}

pub(crate) use pulsar_core::rfc3339;
