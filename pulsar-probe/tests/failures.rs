//! One test per failure kind: each ends with the kind a user would act on, keeps the phases
//! completed before it, and never outlives the check's timeout.

mod support;

use std::time::{Duration, Instant};

use pulsar_probe::testkit::{DnsAnswer, FullBacklog, Leaf, Misbehaviour, RawServer, ServerOptions};
use pulsar_probe::{FailureKind, ProbeReport};
use support::*;

/// How far past its timeout a check may end on a loaded machine (scheduling, not waiting).
const TIMEOUT_SLACK: Duration = Duration::from_millis(250);

fn kind(report: &ProbeReport) -> FailureKind {
    report.failure.as_ref().expect("the check should fail").kind
}

async fn timed(check: impl Future<Output = ProbeReport>) -> (ProbeReport, Duration) {
    let start = Instant::now();
    let report = check.await;
    (report, start.elapsed())
}

fn tls_server(leaf: Leaf) -> ServerOptions {
    ServerOptions {
        tls: Some(leaf),
        ..Default::default()
    }
}

#[tokio::test]
async fn connection_refused() {
    let pki = pki();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let report = prober(&pki, None)
        .get(&format!("http://127.0.0.1:{port}/"))
        .await;
    assert_eq!(kind(&report), FailureKind::ConnectRefused);
    assert_eq!(report.phases.dns, Some(Duration::ZERO));
    assert_eq!(report.phases.connect, None);
    assert!(report.failure.unwrap().message.contains("refused"));
}

#[tokio::test]
async fn connect_timeout_against_a_full_accept_queue() {
    let pki = pki();
    let Some(backlog) = FullBacklog::start().await.unwrap() else {
        println!("skipped: this network stack completes connections past a full backlog");
        return;
    };
    let (report, took) = timed(prober(&pki, None).check(&spec(backlog.url(), ms(300)))).await;
    assert_eq!(kind(&report), FailureKind::ConnectTimeout, "{report:?}");
    assert!(
        took >= ms(300) && took < ms(300) + TIMEOUT_SLACK,
        "{took:?}"
    );
}

#[tokio::test]
async fn server_accepts_and_never_answers_ends_at_the_timeout() {
    let pki = pki();
    let server = RawServer::start(Misbehaviour::Silent).await.unwrap();
    let (report, took) = timed(prober(&pki, None).check(&spec(server.url("/"), ms(300)))).await;
    assert_eq!(kind(&report), FailureKind::HttpTimeout, "{report:?}");
    assert!(
        report.phases.connect.is_some(),
        "connect completed and is kept"
    );
    assert_eq!(report.phases.ttfb, None);
    assert!(
        took >= ms(300) && took < ms(300) + TIMEOUT_SLACK,
        "{took:?}"
    );
    let total = report.phases.total.unwrap();
    assert!(
        total >= ms(300) && total < ms(300) + TIMEOUT_SLACK,
        "{total:?}"
    );
}

#[tokio::test]
async fn tls_handshake_that_never_completes_is_a_tls_timeout() {
    let pki = pki();
    let server = RawServer::start(Misbehaviour::Silent).await.unwrap();
    let url = server.url("/").replace("http://", "https://");
    let (report, took) = timed(prober(&pki, None).check(&spec(url, ms(300)))).await;
    assert_eq!(kind(&report), FailureKind::TlsTimeout, "{report:?}");
    assert!(took < ms(300) + TIMEOUT_SLACK);
}

#[tokio::test]
async fn endless_body_ends_at_the_size_limit_with_flat_memory() {
    let pki = pki();
    let server = server(&pki, ServerOptions::default()).await;
    let limit: u64 = 64 * 1024 * 1024;
    let prober = builder(&pki, None).body_limit_bytes(limit).build().unwrap();
    let rss_before = rss_bytes();
    let report = prober
        .check(&spec(server.url("/endless"), ms(60_000)))
        .await;
    let rss_growth = rss_bytes().saturating_sub(rss_before);
    assert_eq!(kind(&report), FailureKind::BodyTooLarge, "{report:?}");
    let read = report.final_hop().unwrap().body_bytes;
    assert!(read > limit && read <= limit + 64 * 1024, "{read}");
    assert!(report.phases.ttfb.is_some(), "the head arrived and is kept");
    // 64 MiB went through; the process grew by far less: the body was counted, not kept.
    assert!(
        rss_growth < 16 * 1024 * 1024,
        "RSS grew by {rss_growth} bytes"
    );
}

fn rss_bytes() -> u64 {
    // Linux: /proc/self/statm's second field is resident pages.
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

#[tokio::test]
async fn redirect_loop_is_detected_before_the_hop_limit() {
    let pki = pki();
    let server = server(&pki, ServerOptions::default()).await;
    let report = prober(&pki, None).get(&server.url("/loop")).await;
    assert_eq!(kind(&report), FailureKind::RedirectLoop);
    assert_eq!(report.hops.len(), 1, "the loop shows at the first repeat");
    assert_eq!(report.status(), Some(302));
}

#[tokio::test]
async fn too_many_redirects() {
    let pki = pki();
    let server = server(&pki, ServerOptions::default()).await;
    let mut spec = spec(server.url("/redirect/5"), ms(5_000));
    spec.max_redirects = 3;
    let report = prober(&pki, None).check(&spec).await;
    assert_eq!(kind(&report), FailureKind::RedirectTooMany);
    assert_eq!(report.hops.len(), 4, "the start and 3 followed redirects");
    // The prober's ceiling wins over a spec that asks for more.
    let capped = builder(&pki, None).max_redirects(1).build().unwrap();
    spec.max_redirects = 10;
    assert_eq!(
        kind(&capped.check(&spec).await),
        FailureKind::RedirectTooMany
    );
}

#[tokio::test]
async fn expired_certificate() {
    let pki = pki();
    let server = server(&pki, tls_server(Leaf::Expired)).await;
    let report = prober(&pki, None).get(&server.url("/")).await;
    assert_eq!(
        kind(&report),
        FailureKind::TlsExpiredCertificate,
        "{report:?}"
    );
    assert!(report.phases.connect.is_some());
    assert_eq!(report.phases.tls, None);
    let message = &report.failure.unwrap().message;
    assert!(
        message.starts_with("TLS: the certificate expired on 2021-01-01 00:00:00 UTC (now "),
        "dates, not UNIX seconds: {message}"
    );
}

#[tokio::test]
async fn certificate_for_another_host() {
    let pki = pki();
    let server = server(&pki, tls_server(Leaf::WrongHost)).await;
    let report = prober(&pki, None).get(&server.url("/")).await;
    assert_eq!(
        kind(&report),
        FailureKind::TlsHostnameMismatch,
        "{report:?}"
    );
    assert_eq!(
        report.failure.unwrap().message,
        "TLS: the certificate is valid for other.invalid, not 127.0.0.1"
    );
}

#[tokio::test]
async fn self_signed_certificate() {
    let pki = pki();
    let server = server(&pki, tls_server(Leaf::SelfSigned)).await;
    let report = prober(&pki, None).get(&server.url("/")).await;
    assert_eq!(
        kind(&report),
        FailureKind::TlsSelfSignedCertificate,
        "{report:?}"
    );
}

#[tokio::test]
async fn tls_to_a_server_that_does_not_speak_it_is_a_handshake_failure() {
    let pki = pki();
    let server = RawServer::start(Misbehaviour::Garbage).await.unwrap();
    let url = server.url("/").replace("http://", "https://");
    let report = prober(&pki, None).get(&url).await;
    assert_eq!(kind(&report), FailureKind::TlsHandshake, "{report:?}");
    assert_eq!(
        report.failure.unwrap().message,
        "the server answered with something other than TLS"
    );
}

#[tokio::test]
async fn https_to_a_plain_http_port_says_so() {
    let pki = pki();
    let plain = server(&pki, ServerOptions::default()).await;
    let url = plain.url("/").replace("http://", "https://");
    let report = prober(&pki, None).get(&url).await;
    assert_eq!(kind(&report), FailureKind::TlsHandshake, "{report:?}");
    assert_eq!(
        report.failure.unwrap().message,
        "the server answered with plain HTTP, not TLS (is this an http:// port?)"
    );
}

#[tokio::test]
async fn name_that_does_not_exist() {
    let pki = pki();
    let dns = dns(ms(0), &[]).await;
    let report = prober(&pki, Some(&dns))
        .get("http://nope.pulsar.test/")
        .await;
    assert_eq!(kind(&report), FailureKind::DnsNoSuchName, "{report:?}");
    assert_eq!(report.phases.dns, None);
    assert!(report.failure.unwrap().message.contains("nope.pulsar.test"));
}

#[tokio::test]
async fn nameserver_failure() {
    let pki = pki();
    let dns = dns(ms(0), &[("broken.pulsar.test", DnsAnswer::ServFail)]).await;
    let report = prober(&pki, Some(&dns))
        .get("http://broken.pulsar.test/")
        .await;
    assert_eq!(kind(&report), FailureKind::DnsServerFailure, "{report:?}");
}

#[tokio::test]
async fn nameserver_that_never_answers() {
    let pki = pki();
    let dns = dns(ms(0), &[("silent.pulsar.test", DnsAnswer::Silent)]).await;
    let prober = prober(&pki, Some(&dns));
    let spec = spec("http://silent.pulsar.test/", ms(300));
    let (report, took) = timed(prober.check(&spec)).await;
    assert_eq!(kind(&report), FailureKind::DnsTimeout, "{report:?}");
    assert!(took < ms(300) + TIMEOUT_SLACK, "{took:?}");
}

#[tokio::test]
async fn name_without_an_address_record() {
    let pki = pki();
    let dns = dns(ms(0), &[("empty.pulsar.test", DnsAnswer::Addrs(vec![]))]).await;
    let report = prober(&pki, Some(&dns))
        .get("http://empty.pulsar.test/")
        .await;
    assert_eq!(kind(&report), FailureKind::DnsNoAddress, "{report:?}");
    assert_eq!(
        report.failure.unwrap().message,
        "empty.pulsar.test: the name exists but has no address record"
    );
}

#[tokio::test]
async fn a_cname_loop_is_named_as_one() {
    let pki = pki();
    let alias = |to: &str| DnsAnswer::Cname(to.to_owned());
    let dns = dns(
        ms(0),
        &[
            ("a.pulsar.test", alias("b.pulsar.test")),
            ("b.pulsar.test", alias("a.pulsar.test")),
            ("alias.pulsar.test", alias(APP_HOST)),
        ],
    )
    .await;
    let prober = prober(&pki, Some(&dns));
    let report = prober.get("http://a.pulsar.test/").await;
    assert_eq!(kind(&report), FailureKind::DnsServerFailure, "{report:?}");
    assert_eq!(
        report.failure.unwrap().message,
        "a.pulsar.test: CNAME loop: a.pulsar.test → b.pulsar.test → a.pulsar.test"
    );
    // An alias that ends at an address still works.
    let server = server(&pki, ServerOptions::default()).await;
    let report = prober
        .get(&server.url_for_host("alias.pulsar.test", "/"))
        .await;
    assert_eq!(report.failure, None, "{report:?}");
}

#[tokio::test]
async fn a_cname_chain_too_long_is_named_as_one() {
    let pki = pki();
    let names: Vec<String> = (0..12).map(|i| format!("n{i}.pulsar.test")).collect();
    let chain: Vec<(&str, DnsAnswer)> = names
        .windows(2)
        .map(|pair| (pair[0].as_str(), DnsAnswer::Cname(pair[1].clone())))
        .collect();
    let dns = dns(ms(0), &chain).await;
    let report = prober(&pki, Some(&dns)).get("http://n0.pulsar.test/").await;
    assert_eq!(kind(&report), FailureKind::DnsServerFailure, "{report:?}");
    let message = report.failure.unwrap().message;
    assert!(
        message.starts_with("n0.pulsar.test: CNAME chain too long: n0.pulsar.test → "),
        "{message}"
    );
}

#[tokio::test]
async fn response_that_is_not_http() {
    let pki = pki();
    let server = RawServer::start(Misbehaviour::Garbage).await.unwrap();
    let report = prober(&pki, None).get(&server.url("/")).await;
    assert_eq!(kind(&report), FailureKind::HttpProtocol, "{report:?}");
    assert!(report.phases.connect.is_some());
}

#[tokio::test]
async fn body_reset_midway() {
    let pki = pki();
    let server = RawServer::start(Misbehaviour::ResetMidBody).await.unwrap();
    let report = prober(&pki, None).get(&server.url("/")).await;
    assert_eq!(kind(&report), FailureKind::BodyReset, "{report:?}");
    assert_eq!(report.status(), Some(200), "the head arrived and is kept");
    assert!(report.phases.ttfb.is_some());
    assert_eq!(report.phases.download, None);
}

#[tokio::test]
async fn a_malformed_chunk_size_is_a_protocol_error_not_a_reset() {
    let pki = pki();
    let server = RawServer::start(Misbehaviour::BadChunkSize).await.unwrap();
    let report = prober(&pki, None).get(&server.url("/")).await;
    assert_eq!(kind(&report), FailureKind::HttpProtocol, "{report:?}");
    let message = &report.failure.as_ref().unwrap().message;
    assert!(
        message.starts_with("malformed body after 5 bytes"),
        "{message}"
    );
    assert_eq!(report.status(), Some(200), "the head arrived and is kept");
}

#[tokio::test]
async fn body_that_stalls_is_a_body_timeout() {
    let pki = pki();
    let server = RawServer::start(Misbehaviour::StallMidBody).await.unwrap();
    let (report, took) = timed(prober(&pki, None).check(&spec(server.url("/"), ms(300)))).await;
    assert_eq!(kind(&report), FailureKind::BodyTimeout, "{report:?}");
    assert_eq!(
        report.final_hop().unwrap().body_bytes,
        1000,
        "bytes that arrived are counted"
    );
    assert!(
        took >= ms(300) && took < ms(300) + TIMEOUT_SLACK,
        "{took:?}"
    );
}

#[tokio::test]
async fn endless_interim_heads_end_at_the_deadline() {
    let pki = pki();
    let server = RawServer::start(Misbehaviour::EndlessContinue)
        .await
        .unwrap();
    let prober = prober(&pki, None);
    // Before reads were bounded by the deadline, each of these ended 40 to 330 ms late on
    // the 2-core development machine; now within 2 ms.
    for _ in 0..2 {
        let (report, took) = timed(prober.check(&spec(server.url("/"), ms(1_000)))).await;
        assert_eq!(kind(&report), FailureKind::HttpTimeout, "{report:?}");
        assert!(took >= ms(1_000) && took < ms(1_100), "{took:?}");
        assert_eq!(report.status(), None, "an interim head is not the response");
    }
}
