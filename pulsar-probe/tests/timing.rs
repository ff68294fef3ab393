//! Phase accuracy: a known delay is injected into each phase by the test peers, and the
//! probe must measure it — not less, and only a little more.
//!
//! A check passes when every delayed phase lies within `[injected, injected + TOLERANCE]`:
//! 20 ms covers a debug build (the work a phase does besides waiting, such as the TLS
//! handshake's crypto, plus scheduling). A loaded 2-core CI machine can still stall a thread
//! for milliseconds now and then; a stall between a byte's arrival and its read moves the
//! measured boundary (a late first byte lengthens ttfb and shortens download by as much), so
//! a scenario passes when one of `ATTEMPTS` checks is within bounds, and fails when none is
//! (a probe that measured wrongly would miss every time). The scenarios run one at a time
//! (a shared lock) so that they do not steal each other's CPU. The release-build accuracy
//! figures (within 2 ms) come from `cargo bench -p pulsar-benches --bench probe` and are
//! listed in the README.

mod support;

use std::time::Duration;

use pulsar_probe::testkit::{Delays, Leaf, ServerOptions};
use pulsar_probe::{ProbeReport, Prober};
use support::*;
use tokio::sync::Mutex;

static SERIAL: Mutex<()> = Mutex::const_new(());

const INJECTED: Duration = Duration::from_millis(50);
const TOLERANCE: Duration = Duration::from_millis(20);
const ATTEMPTS: usize = 5;

fn delays() -> Delays {
    Delays {
        tls: INJECTED,
        ttfb: INJECTED,
        between_chunks: INJECTED,
    }
}

/// The phases of one check that fell outside their bounds.
#[derive(Default)]
struct Misses(Vec<String>);

impl Misses {
    fn near(&mut self, phase: &str, measured: Option<Duration>, injected: Duration) {
        let measured = measured.unwrap_or_else(|| panic!("{phase} was not measured"));
        if measured < injected || measured > injected + TOLERANCE {
            self.0.push(format!("{phase} {measured:?}"));
        }
    }

    fn small(&mut self, phase: &str, measured: Option<Duration>) {
        let measured = measured.unwrap_or_else(|| panic!("{phase} was not measured"));
        assert!(measured > Duration::ZERO, "{phase} is zero");
        if measured > TOLERANCE {
            self.0.push(format!("{phase} {measured:?}"));
        }
    }

    /// The phases do not overlap: their sum fits in the total, with little in between.
    fn no_overlap(&mut self, report: &ProbeReport) {
        let p = report.phases;
        let sum: Duration = [p.dns, p.connect, p.tls, p.ttfb, p.download]
            .into_iter()
            .flatten()
            .sum();
        let total = p.total.expect("total measured");
        assert!(total >= sum, "total {total:?} < sum of phases {sum:?}");
        if total > sum + TOLERANCE {
            self.0.push(format!("total {total:?} over phases {sum:?}"));
        }
    }
}

/// Checks `url` until one check has every phase within bounds (at most `ATTEMPTS`), after one
/// warm-up check that keeps first-use costs (lazy statics, the first timer) out.
async fn settle(prober: &Prober, url: &str, verify: impl Fn(&ProbeReport, &mut Misses)) {
    let spec = spec(url, ms(5_000));
    let _ = prober.check(&spec).await;
    let mut seen = Vec::new();
    for _ in 0..ATTEMPTS {
        let report = prober.check(&spec).await;
        assert_eq!(report.failure, None, "{report:?}");
        let mut misses = Misses::default();
        verify(&report, &mut misses);
        if misses.0.is_empty() {
            return;
        }
        seen.push(misses.0.join(", "));
    }
    panic!("no check within [{INJECTED:?}, +{TOLERANCE:?}] of the injected delays: {seen:#?}");
}

async fn scenario(tls: Option<Leaf>, http2: bool, version: &'static str) {
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
    settle(&prober, &url, |report, misses| {
        let hop = report.final_hop().expect("a hop");
        assert_eq!(hop.http_version.as_deref(), Some(version));
        let p = report.phases;
        misses.near("dns", p.dns, INJECTED);
        misses.small("connect", p.connect);
        if tls.is_some() {
            misses.near("tls", p.tls, INJECTED);
        } else {
            assert_eq!(p.tls, None);
        }
        misses.near("ttfb", p.ttfb, INJECTED);
        misses.near("download", p.download, INJECTED);
        misses.no_overlap(report);
    })
    .await;
}

#[tokio::test]
async fn http11_plain_phases_match_injected_delays() {
    let _serial = SERIAL.lock().await;
    scenario(None, false, "HTTP/1.1").await;
}

#[tokio::test]
async fn http11_over_tls_phases_match_injected_delays() {
    let _serial = SERIAL.lock().await;
    scenario(Some(Leaf::Valid), false, "HTTP/1.1").await;
}

#[tokio::test]
async fn http2_phases_match_injected_delays() {
    let _serial = SERIAL.lock().await;
    scenario(Some(Leaf::Valid), true, "HTTP/2").await;
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
    settle(&prober, &url, |report, misses| {
        assert_eq!(report.hops.len(), 2);
        for hop in &report.hops {
            misses.near("hop dns", hop.phases.dns, INJECTED);
            misses.near("hop tls", hop.phases.tls, INJECTED);
            misses.near("hop ttfb", hop.phases.ttfb, INJECTED);
        }
        // The redirect's body is one chunk; the final body waits between its two chunks.
        misses.near("final download", report.hops[1].phases.download, INJECTED);
        let p = report.phases;
        for (name, phase) in [("dns", p.dns), ("tls", p.tls), ("ttfb", p.ttfb)] {
            let per_hop: Duration = report
                .hops
                .iter()
                .map(|h| h.phases.named().into_iter().find(|(n, _)| *n == name))
                .filter_map(|found| found.and_then(|(_, d)| d))
                .sum();
            assert_eq!(
                phase,
                Some(per_hop),
                "{name}: the check's phase is the hops' sum"
            );
            misses.near(&format!("{name} sum"), Some(per_hop), 2 * INJECTED);
        }
        let hop_totals: Duration = report.hops.iter().filter_map(|h| h.phases.total).sum();
        assert!(
            p.total.expect("total") >= hop_totals,
            "wall time covers every hop"
        );
        // Each hop starts where the one before it ended, on the check's clock.
        let [first, second] = report.hops.as_slice() else {
            panic!("two hops");
        };
        assert!(
            first.start_offset < INJECTED,
            "the first hop starts at once"
        );
        let first_end = first.start_offset + first.phases.total.expect("first hop total");
        assert!(second.start_offset >= first_end, "hops do not overlap");
        misses.near(
            "second hop start",
            Some(second.start_offset - first_end),
            Duration::ZERO,
        );
        misses.no_overlap(report);
    })
    .await;
}
