//! Phase accuracy: a known delay is injected into each phase by the test peers, and the
//! probe must measure it — never less, and only a little more.
//!
//! The scenarios run one at a time (a shared lock) so that they do not steal each other's
//! CPU. The upper bound is `injected + TOLERANCE`: 20 ms covers a debug build on a loaded
//! 2-core CI machine (the work a phase does besides waiting, such as the TLS handshake's
//! crypto, plus scheduling). The release-build accuracy figures (within 2 ms) are measured
//! by `cargo bench -p pulsar-benches --bench probe` and listed in the README.

mod support;

use std::time::Duration;

use pulsar_probe::testkit::{Delays, Leaf, ServerOptions};
use pulsar_probe::{Phases, ProbeReport};
use support::*;
use tokio::sync::Mutex;

static SERIAL: Mutex<()> = Mutex::const_new(());

const INJECTED: Duration = Duration::from_millis(50);
const TOLERANCE: Duration = Duration::from_millis(20);

fn delays() -> Delays {
    Delays {
        tls: INJECTED,
        ttfb: INJECTED,
        between_chunks: INJECTED,
    }
}

fn assert_near(phase: &str, measured: Option<Duration>, injected: Duration) {
    let measured = measured.unwrap_or_else(|| panic!("{phase} was not measured"));
    assert!(
        measured >= injected && measured <= injected + TOLERANCE,
        "{phase}: measured {measured:?}, injected {injected:?} (+{TOLERANCE:?} allowed)"
    );
}

fn assert_connect_small(p: &Phases) {
    let connect = p.connect.expect("connect measured");
    assert!(
        connect > Duration::ZERO && connect < TOLERANCE,
        "connect {connect:?}"
    );
}

fn assert_no_overlap(report: &ProbeReport) {
    let p = report.phases;
    let sum: Duration = [p.dns, p.connect, p.tls, p.ttfb, p.download]
        .into_iter()
        .flatten()
        .sum();
    let total = p.total.unwrap();
    assert!(total >= sum, "total {total:?} < sum of phases {sum:?}");
    assert!(
        total <= sum + TOLERANCE,
        "total {total:?} far above the phases {sum:?}"
    );
}

async fn scenario(tls: Option<Leaf>, http2: bool) -> ProbeReport {
    let pki = pki();
    let dns = dns(INJECTED, &[]).await;
    let options = ServerOptions {
        tls,
        http2,
        delays: delays(),
    };
    let server = server(&pki, options).await;
    let prober = prober(&pki, Some(&dns));
    let url = server.url_for_host(APP_HOST, "/");
    // One warm-up check, so first-use costs (lazy statics, the first timer) stay out.
    let _ = prober.check(&spec(&url, ms(5_000))).await;
    let report = prober.check(&spec(&url, ms(5_000))).await;
    assert_eq!(report.failure, None, "{report:?}");
    report
}

#[tokio::test]
async fn http11_plain_phases_match_injected_delays() {
    let _serial = SERIAL.lock().await;
    let report = scenario(None, false).await;
    let p = report.phases;
    assert_eq!(
        report.final_hop().unwrap().http_version.as_deref(),
        Some("HTTP/1.1")
    );
    assert_near("dns", p.dns, INJECTED);
    assert_connect_small(&p);
    assert_eq!(p.tls, None);
    assert_near("ttfb", p.ttfb, INJECTED);
    assert_near("download", p.download, INJECTED);
    assert_no_overlap(&report);
}

#[tokio::test]
async fn http11_over_tls_phases_match_injected_delays() {
    let _serial = SERIAL.lock().await;
    let report = scenario(Some(Leaf::Valid), false).await;
    let p = report.phases;
    assert_eq!(
        report.final_hop().unwrap().http_version.as_deref(),
        Some("HTTP/1.1")
    );
    assert_near("dns", p.dns, INJECTED);
    assert_connect_small(&p);
    assert_near("tls", p.tls, INJECTED);
    assert_near("ttfb", p.ttfb, INJECTED);
    assert_near("download", p.download, INJECTED);
    assert_no_overlap(&report);
}

#[tokio::test]
async fn http2_phases_match_injected_delays() {
    let _serial = SERIAL.lock().await;
    let report = scenario(Some(Leaf::Valid), true).await;
    let p = report.phases;
    assert_eq!(
        report.final_hop().unwrap().http_version.as_deref(),
        Some("HTTP/2")
    );
    assert_near("dns", p.dns, INJECTED);
    assert_connect_small(&p);
    assert_near("tls", p.tls, INJECTED);
    assert_near("ttfb", p.ttfb, INJECTED);
    assert_near("download", p.download, INJECTED);
    assert_no_overlap(&report);
}

#[tokio::test]
async fn redirect_hops_are_timed_one_by_one_and_summed() {
    let _serial = SERIAL.lock().await;
    let pki = pki();
    let dns = dns(INJECTED, &[]).await;
    let options = ServerOptions {
        tls: Some(Leaf::Valid),
        http2: true,
        delays: delays(),
    };
    let server = server(&pki, options).await;
    let prober = prober(&pki, Some(&dns));
    let url = server.url_for_host(APP_HOST, "/redirect/0");
    let _ = prober.check(&spec(&url, ms(5_000))).await;
    let report = prober.check(&spec(&url, ms(5_000))).await;
    assert_eq!(report.failure, None, "{report:?}");
    assert_eq!(report.hops.len(), 2);
    for hop in &report.hops {
        assert_near("hop dns", hop.phases.dns, INJECTED);
        assert_near("hop tls", hop.phases.tls, INJECTED);
        assert_near("hop ttfb", hop.phases.ttfb, INJECTED);
    }
    // The redirect's body is one chunk; the final body waits between its two chunks.
    assert_near("final download", report.hops[1].phases.download, INJECTED);
    let p = report.phases;
    let twice = 2 * INJECTED;
    for (name, phase) in [("dns", p.dns), ("tls", p.tls), ("ttfb", p.ttfb)] {
        let sum = phase.unwrap();
        assert!(
            sum >= twice && sum <= twice + 2 * TOLERANCE,
            "{name} sum {sum:?}"
        );
    }
    let ttfb_sum: Duration = report.hops.iter().map(|h| h.phases.ttfb.unwrap()).sum();
    assert_eq!(p.ttfb, Some(ttfb_sum));
    let hop_totals: Duration = report.hops.iter().map(|h| h.phases.total.unwrap()).sum();
    assert!(
        p.total.unwrap() >= hop_totals,
        "the check's wall time covers every hop"
    );
}
