//! What a user sees when a check succeeds: statuses, protocols, TLS facts, redirects, and
//! the request they configured.

mod support;

use std::net::{IpAddr, SocketAddr};

use pulsar_probe::testkit::{DnsAnswer, Leaf, ROOT_BODY, ServerOptions};
use pulsar_probe::{BodyAssertion, FailureKind, Header, IpFamily};
use support::*;

#[tokio::test]
async fn plain_http_check_reports_status_version_address_and_body_size() {
    let pki = pki();
    let server = server(&pki, ServerOptions::default()).await;
    let report = prober(&pki, None).get(&server.url("/")).await;
    assert_eq!(report.failure, None);
    assert_eq!(report.status(), Some(200));
    let hop = report.final_hop().unwrap();
    assert_eq!(hop.http_version.as_deref(), Some("HTTP/1.1"));
    assert_eq!(hop.remote_addr, Some(server.addr()));
    assert_eq!(hop.body_bytes, ROOT_BODY.concat().len() as u64);
    assert_eq!(hop.tls, None);
    let p = report.phases;
    assert_eq!(
        p.dns,
        Some(std::time::Duration::ZERO),
        "IP literal: no lookup"
    );
    assert!(p.connect.unwrap() > std::time::Duration::ZERO);
    assert_eq!(p.tls, None);
    assert!(p.ttfb.is_some() && p.download.is_some());
    let sum = p.dns.unwrap() + p.connect.unwrap() + p.ttfb.unwrap() + p.download.unwrap();
    assert!(p.total.unwrap() >= sum, "phases do not overlap: {p:?}");
}

#[tokio::test]
async fn https_negotiates_http2_and_reports_tls_and_certificate() {
    let pki = pki();
    let options = ServerOptions {
        tls: Some(Leaf::Valid),
        http2: true,
        ..Default::default()
    };
    let server = server(&pki, options).await;
    let report = prober(&pki, None).get(&server.url("/")).await;
    assert_eq!(report.failure, None, "{report:?}");
    let hop = report.final_hop().unwrap();
    assert_eq!(hop.http_version.as_deref(), Some("HTTP/2"));
    let tls = hop.tls.as_ref().unwrap();
    assert_eq!(tls.version, "TLSv1.3");
    assert!(tls.cipher.starts_with("TLS13_"), "{}", tls.cipher);
    assert_eq!(tls.alpn.as_deref(), Some("h2"));
    assert!(tls.subject.contains("CN=localhost"), "{}", tls.subject);
    assert!(tls.issuer.contains("Pulsar Test CA"), "{}", tls.issuer);
    assert!(tls.sans.contains(&"127.0.0.1".to_owned()), "{:?}", tls.sans);
    assert!(
        tls.sans.contains(&"*.pulsar.test".to_owned()),
        "{:?}",
        tls.sans
    );
    let days = tls.days_to_expiry(std::time::SystemTime::now()).unwrap();
    assert!((0..=800).contains(&days), "{days}");
    assert!(tls.not_before.unwrap() < std::time::SystemTime::now());
    assert!(report.phases.tls.unwrap() > std::time::Duration::ZERO);
}

#[tokio::test]
async fn https_server_without_h2_is_measured_over_http11() {
    let pki = pki();
    let options = ServerOptions {
        tls: Some(Leaf::Valid),
        ..Default::default()
    };
    let server = server(&pki, options).await;
    let report = prober(&pki, None).get(&server.url("/")).await;
    assert_eq!(report.failure, None, "{report:?}");
    let hop = report.final_hop().unwrap();
    assert_eq!(hop.http_version.as_deref(), Some("HTTP/1.1"));
    assert_eq!(hop.tls.as_ref().unwrap().alpn.as_deref(), Some("http/1.1"));
}

#[tokio::test]
async fn every_check_opens_a_fresh_connection_and_does_a_full_handshake() {
    let pki = pki();
    let options = ServerOptions {
        tls: Some(Leaf::Valid),
        http2: true,
        ..Default::default()
    };
    let server = server(&pki, options).await;
    let prober = prober(&pki, None);
    for _ in 0..3 {
        let report = prober.get(&server.url("/")).await;
        assert_eq!(report.failure, None);
        assert!(report.phases.tls.is_some());
    }
    assert_eq!(server.connections(), 3);
}

#[tokio::test]
async fn every_check_asks_the_nameserver_again() {
    let pki = pki();
    let dns = dns(ms(0), &[]).await;
    let server = server(&pki, ServerOptions::default()).await;
    let prober = prober(&pki, Some(&dns));
    let url = server.url_for_host(APP_HOST, "/");
    for _ in 0..2 {
        let report = prober.get(&url).await;
        assert_eq!(report.failure, None, "{report:?}");
        assert!(report.phases.dns.unwrap() > std::time::Duration::ZERO);
    }
    // A and AAAA per check: nothing came from a cache.
    assert_eq!(dns.queries(), 4);
}

#[tokio::test]
async fn the_next_address_is_tried_when_one_refuses() {
    let pki = pki();
    let server = server(&pki, ServerOptions::default()).await;
    // 127.0.0.2 is loopback too; the responder lists it first.
    let name = "two.pulsar.test";
    let answer = DnsAnswer::Addrs(vec![
        IpAddr::from([127, 0, 0, 2]),
        IpAddr::from([127, 0, 0, 1]),
    ]);
    let dns = dns(ms(0), &[(name, answer)]).await;
    // Nothing listens on 127.0.0.2 at the server's port: refused, then 127.0.0.1 answers.
    let report = prober(&pki, Some(&dns))
        .get(&server.url_for_host(name, "/"))
        .await;
    assert_eq!(report.failure, None, "{report:?}");
    assert_eq!(report.final_hop().unwrap().remote_addr, Some(server.addr()));
}

#[tokio::test]
async fn ip_family_restricts_the_addresses_used() {
    let pki = pki();
    let server = server(&pki, ServerOptions::default()).await;
    let name = "dual.pulsar.test";
    let answer = DnsAnswer::Addrs(vec![IpAddr::from([127, 0, 0, 1]), "::1".parse().unwrap()]);
    let dns = dns(ms(0), &[(name, answer)]).await;
    let url = server.url_for_host(name, "/");
    let v4 = builder(&pki, Some(&dns))
        .ip_family(IpFamily::V4)
        .build()
        .unwrap();
    let report = v4.get(&url).await;
    assert_eq!(report.failure, None, "{report:?}");
    assert_eq!(report.final_hop().unwrap().remote_addr, Some(server.addr()));

    let v6 = builder(&pki, Some(&dns))
        .ip_family(IpFamily::V6)
        .build()
        .unwrap();
    let report = v6.get(&url).await;
    let v6_addr = SocketAddr::new("::1".parse().unwrap(), server.addr().port());
    let message = &report.failure.as_ref().unwrap().message;
    assert!(message.contains(&v6_addr.to_string()), "{message}");
    // The server listens on 127.0.0.1 only, so ::1 refuses (or is absent where IPv6 is off).
    let kind = report.failure.as_ref().map(|f| f.kind);
    assert!(
        matches!(
            kind,
            Some(FailureKind::ConnectRefused | FailureKind::ConnectUnreachable)
        ),
        "{report:?}"
    );

    let report = v6.get(&server.url("/")).await;
    assert_eq!(report.failure.unwrap().kind, FailureKind::DnsNoAddress);
}

#[tokio::test]
async fn redirects_are_followed_and_timed_hop_by_hop() {
    let pki = pki();
    let server = server(&pki, ServerOptions::default()).await;
    let report = prober(&pki, None).get(&server.url("/redirect/1")).await;
    assert_eq!(report.failure, None, "{report:?}");
    let statuses: Vec<_> = report.hops.iter().map(|h| h.status).collect();
    assert_eq!(statuses, vec![Some(302), Some(302), Some(200)]);
    assert_eq!(report.hops[1].url, server.url("/redirect/0"));
    assert_eq!(report.hops[2].url, server.url("/"));
    let connect_sum: std::time::Duration =
        report.hops.iter().map(|h| h.phases.connect.unwrap()).sum();
    assert_eq!(report.phases.connect, Some(connect_sum));
    assert_eq!(server.connections(), 3, "one fresh connection per hop");
}

#[tokio::test]
async fn a_redirect_across_schemes_reports_tls_for_the_final_hop() {
    let pki = pki();
    let https = server(
        &pki,
        ServerOptions {
            tls: Some(Leaf::Valid),
            ..Default::default()
        },
    )
    .await;
    let http = server(&pki, ServerOptions::default()).await;
    let target = https.url("/");
    let report = prober(&pki, None)
        .get(&http.url(&format!("/to?{target}")))
        .await;
    assert_eq!(report.failure, None, "{report:?}");
    assert_eq!(report.hops.len(), 2);
    assert_eq!(report.hops[0].phases.tls, None);
    assert!(report.hops[1].phases.tls.is_some());
    assert!(report.tls().is_some());
}

#[tokio::test]
async fn without_following_the_redirect_is_the_answer() {
    let pki = pki();
    let server = server(&pki, ServerOptions::default()).await;
    let mut spec = spec(server.url("/loop"), ms(5_000));
    spec.follow_redirects = false;
    let report = prober(&pki, None).check(&spec).await;
    assert_eq!(report.failure, None);
    assert_eq!(report.hops.len(), 1);
    assert_eq!(report.status(), Some(302));
}

#[tokio::test]
async fn method_headers_and_body_reach_the_server_and_the_assertion_sees_the_body() {
    let pki = pki();
    let server = server(&pki, ServerOptions::default()).await;
    let mut spec = spec(server.url("/echo"), ms(5_000));
    spec.method = "POST".into();
    spec.headers = vec![
        Header::new("X-Probe", "yes"),
        Header::new("Content-Type", "text/plain"),
    ];
    spec.body = "hello body".into();
    spec.body_assertion = Some(BodyAssertion::Contains("POST /echo".into()));
    let prober = prober(&pki, None);
    let report = prober.check(&spec).await;
    assert_eq!(report.body_assertion_held, Some(true), "{report:?}");
    for needle in ["x-probe: yes", "hello body", "user-agent: pulsar/"] {
        spec.body_assertion = Some(BodyAssertion::Contains(needle.into()));
        assert_eq!(
            prober.check(&spec).await.body_assertion_held,
            Some(true),
            "{needle}"
        );
    }
    spec.body_assertion = Some(BodyAssertion::Contains("not in the body".into()));
    assert_eq!(prober.check(&spec).await.body_assertion_held, Some(false));
}

#[tokio::test]
async fn send_keeps_the_start_of_the_answer_and_its_retry_after() {
    let pki = pki();
    let server = server(&pki, ServerOptions::default()).await;
    let prober = prober(&pki, None);
    let mut post = spec(server.url("/echo"), ms(5_000));
    post.method = "POST".into();
    post.body = "x".repeat(2_000);
    let (report, answer) = prober.send(&post).await;
    assert_eq!(report.status(), Some(200));
    assert!(answer.excerpt.starts_with("POST /echo\n"), "{answer:?}");
    assert_eq!(answer.excerpt.len(), pulsar_probe::ANSWER_EXCERPT_BYTES);
    assert_eq!(answer.retry_after, None);

    let (report, answer) = prober
        .send(&spec(server.url("/retry-after/2"), ms(5_000)))
        .await;
    assert_eq!(report.status(), Some(429));
    assert_eq!(answer.retry_after.as_deref(), Some("2"));
    assert_eq!(answer.excerpt, "slow down\n");

    // A redirect is not followed through to a second answer when the spec says so, and the
    // answer kept is always the final one.
    let mut follow = spec(server.url("/redirect/1"), ms(5_000));
    follow.follow_redirects = true;
    let (_, answer) = prober.send(&follow).await;
    assert_eq!(answer.excerpt, ROOT_BODY.concat());
}

#[tokio::test]
async fn extra_ca_file_is_trusted_and_insecure_skips_verification() {
    let pki = pki();
    let server = server(
        &pki,
        ServerOptions {
            tls: Some(Leaf::Valid),
            ..Default::default()
        },
    )
    .await;
    let url = server.url("/");

    let untrusting = pulsar_probe::Prober::new().unwrap();
    let report = untrusting.get(&url).await;
    assert_eq!(
        report.failure.unwrap().kind,
        FailureKind::TlsSelfSignedCertificate
    );

    let dir = std::env::temp_dir().join(format!("pulsar-probe-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, pki.ca_pem()).unwrap();
    let trusting = pulsar_probe::Prober::builder()
        .extra_ca_file(Some(&ca_file))
        .build()
        .unwrap();
    assert_eq!(trusting.get(&url).await.failure, None);

    let mut insecure = spec(&url, ms(5_000));
    insecure.verify_tls = false;
    let report = untrusting.check(&insecure).await;
    assert_eq!(report.failure, None);
    assert!(report.tls().is_some());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_bad_ca_file_is_a_build_error_not_a_panic() {
    let missing = pulsar_probe::Prober::builder()
        .extra_ca_file(Some("/nonexistent/ca.pem"))
        .build();
    assert!(matches!(
        missing,
        Err(pulsar_probe::ProbeError::CaFileUnreadable { .. })
    ));
    let dir = std::env::temp_dir().join(format!("pulsar-probe-badca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ca.pem");
    std::fs::write(&file, "not a certificate").unwrap();
    let invalid = pulsar_probe::Prober::builder()
        .extra_ca_file(Some(&file))
        .build();
    let err = invalid.unwrap_err();
    assert!(
        matches!(err, pulsar_probe::ProbeError::CaFileInvalid { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("ca.pem"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn an_invalid_request_is_reported_without_touching_the_network() {
    let pki = pki();
    let prober = prober(&pki, None);
    for url in ["ftp://127.0.0.1/", "not a url", "http://"] {
        let report = prober.get(url).await;
        assert_eq!(
            report.failure.unwrap().kind,
            FailureKind::InvalidRequest,
            "{url}"
        );
        assert!(report.hops.is_empty());
    }
}
