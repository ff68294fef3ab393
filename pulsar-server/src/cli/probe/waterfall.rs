//! The terminal view of a check: one bar per phase, placed where it happened (httpstat style).

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use pulsar_core::{Outcome, PhasePercentiles, Phases, ProbeReport, Verdict, printable};

/// Columns the whole check spans; each phase gets its share, at least one if it took time.
const BAR_COLUMNS: usize = 48;

/// ANSI styling, off when stdout is not a terminal or NO_COLOR is set (no-color.org).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    pub(crate) color: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

const PHASE_COLORS: [&str; 5] = ["36", "34", "35", "33", "32"];

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

/// The full view of one check.
pub(crate) fn render(report: &ProbeReport, verdict: &Verdict, style: Style) -> String {
    let mut out = String::new();
    for (i, hop) in report.hops.iter().enumerate() {
        let arrow = if i == 0 { " " } else { "↳" };
        let status = hop.status.map_or("---".to_owned(), |s| s.to_string());
        let _ = writeln!(out, "{arrow} {status} {}", printable(&hop.url));
    }
    if let Some(hop) = report.final_hop() {
        if let Some(addr) = hop.remote_addr {
            let version = hop
                .http_version
                .as_deref()
                .map_or(String::new(), |v| format!(" over {v}"));
            let _ = writeln!(out, "  Connected to {addr}{version}");
        }
        if hop.status.is_some() {
            let _ = writeln!(out, "  Body {} bytes", hop.body_bytes);
        }
    }
    if let Some(tls) = report.tls() {
        let alpn = tls.alpn.as_deref().unwrap_or("none");
        let _ = writeln!(out, "  {} {} (ALPN {alpn})", tls.version, tls.cipher);
        let _ = writeln!(out, "  Certificate {}", printable(&tls.subject));
        let _ = writeln!(out, "    issued by {}", printable(&tls.issuer));
        if !tls.sans.is_empty() {
            let _ = writeln!(out, "    names {}", printable(&tls.sans.join(", ")));
        }
        if let (Some(not_after), Some(days)) =
            (tls.not_after, tls.days_to_expiry(SystemTime::now()))
        {
            let date = super::json::rfc3339(not_after);
            let text = format!("    expires {} ({days} days)", &date[..10]);
            let code = if days < 14 {
                "31"
            } else if days < 30 {
                "33"
            } else {
                "0"
            };
            let _ = writeln!(out, "{}", style.paint(code, &text));
        }
    }
    out.push('\n');
    out.push_str(&bars(&report.phases, style));
    out.push('\n');
    let line = match verdict.outcome {
        Outcome::Up => style.paint("32", "✓ up"),
        Outcome::Degraded => {
            let reason = printable(&verdict.reason);
            style.paint("33", &format!("~ degraded: {reason}"))
        }
        Outcome::Down => {
            let kind = verdict.failure_kind.map_or("down", |k| k.as_str());
            style.paint("31", &format!("✗ {kind}: {}", printable(&verdict.reason)))
        }
    };
    let _ = writeln!(out, "{line}");
    out
}

fn bars(p: &Phases, style: Style) -> String {
    let total = p.total.unwrap_or_default();
    let scale = |d: Duration| {
        if total.is_zero() {
            0
        } else {
            (d.as_secs_f64() / total.as_secs_f64() * BAR_COLUMNS as f64).round() as usize
        }
    };
    let mut out = String::new();
    let mut elapsed = Duration::ZERO;
    for (i, (name, phase)) in p.named().into_iter().take(5).enumerate() {
        let Some(d) = phase else {
            let _ = writeln!(out, "  {name:<9}{:>13}", "-");
            continue;
        };
        let offset = scale(elapsed).min(BAR_COLUMNS);
        let width = scale(d).max(usize::from(!d.is_zero()));
        let bar = "█".repeat(width);
        let row = if bar.is_empty() {
            format!("  {name:<9}{:>13}", ms(d))
        } else {
            let bar = style.paint(PHASE_COLORS[i], &bar);
            format!("  {name:<9}{:>13}  {}{bar}", ms(d), " ".repeat(offset))
        };
        let _ = writeln!(out, "{row}");
        elapsed += d;
    }
    let _ = writeln!(out, "  {:<9}{:>13}", "total", ms(total));
    out
}

/// One line per check when several run.
pub(crate) fn line(n: usize, report: &ProbeReport, verdict: &Verdict) -> String {
    let status = report.status().map_or("---".to_owned(), |s| s.to_string());
    let p = &report.phases;
    let phase = |d: Option<Duration>| {
        d.map_or("-".to_owned(), |d| {
            format!("{:.1}", d.as_secs_f64() * 1000.0)
        })
    };
    let mut text = format!(
        "#{n:<3} {status} dns {} connect {} tls {} ttfb {} download {} total {} ms",
        phase(p.dns),
        phase(p.connect),
        phase(p.tls),
        phase(p.ttfb),
        phase(p.download),
        phase(p.total),
    );
    if verdict.outcome != Outcome::Up {
        text.push_str(&format!(
            "  {}: {}",
            verdict.outcome,
            printable(&verdict.reason)
        ));
    }
    text
}

/// The p50/p95/p99 table after `--count N`.
pub(crate) fn percentiles(rows: &[PhasePercentiles], checks: usize, down: usize) -> String {
    let mut out = format!("\n{checks} checks, {down} down\n");
    let _ = writeln!(
        out,
        "  {:<9}{:>8}{:>12}{:>12}{:>12}",
        "phase", "samples", "p50", "p95", "p99"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "  {:<9}{:>8}{:>12}{:>12}{:>12}",
            r.phase,
            r.samples,
            ms(r.p50),
            ms(r.p95),
            ms(r.p99)
        );
    }
    out
}
