//! Trusting internal services: a self-signed server certificate with CA:TRUE (what
//! `openssl req -x509` makes) given as a CA, to the prober or to one check.

mod support;

use pulsar_probe::testkit::{DnsAnswer, Leaf, ServerOptions, TestPki};
use pulsar_probe::{FailureKind, ProbeReport, Prober};
use support::*;

fn tls_server(leaf: Leaf) -> ServerOptions {
    ServerOptions {
        tls: Some(leaf),
        ..Default::default()
    }
}

fn kind(report: &ProbeReport) -> Option<FailureKind> {
    report.failure.as_ref().map(|f| f.kind)
}

fn leaf_der(pki: &TestPki, leaf: Leaf) -> rustls::pki_types::CertificateDer<'static> {
    pki.identity(leaf).chain[0].clone()
}

#[tokio::test]
async fn a_self_signed_ca_certificate_given_as_a_ca_is_trusted() {
    let pki = pki();
    let server = server(&pki, tls_server(Leaf::SelfSignedCa)).await;
    let prober = Prober::builder()
        .extra_root(leaf_der(&pki, Leaf::SelfSignedCa))
        .build()
        .unwrap();
    let report = prober.get(&server.url("/")).await;
    assert_eq!(report.failure, None, "{report:?}");
    assert_eq!(report.status(), Some(200));
    assert!(report.tls().unwrap().subject.contains("CN=localhost"));

    // The same through a PEM file, as `pulsar probe --ca-file` gives it.
    let dir = std::env::temp_dir().join(format!("pulsar-probe-pinned-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("server.pem");
    std::fs::write(&file, &pki.identity(Leaf::SelfSignedCa).leaf_pem).unwrap();
    let from_file = Prober::builder()
        .extra_ca_file(Some(&file))
        .build()
        .unwrap();
    let report = from_file.get(&server.url("/")).await;
    let _ = std::fs::remove_dir_all(dir);
    assert_eq!(report.failure, None, "{report:?}");
}

#[tokio::test]
async fn a_self_signed_ca_certificate_not_given_is_not_trusted() {
    let pki = pki();
    let server = server(&pki, tls_server(Leaf::SelfSignedCa)).await;
    // Trusting the test CA, which did not sign it, and another self-signed certificate.
    let prober = builder(&pki, None)
        .extra_root(leaf_der(&pki, Leaf::ExpiredSelfSignedCa))
        .build()
        .unwrap();
    let report = prober.get(&server.url("/")).await;
    assert_eq!(
        kind(&report),
        Some(FailureKind::TlsSelfSignedCertificate),
        "{report:?}"
    );
    assert_eq!(report.status(), None);
}

#[tokio::test]
async fn a_trusted_self_signed_certificate_must_still_name_the_host() {
    let pki = pki();
    let name = "internal.example";
    let dns = dns(
        ms(0),
        &[(name, DnsAnswer::Addrs(vec![[127, 0, 0, 1].into()]))],
    )
    .await;
    let server = server(&pki, tls_server(Leaf::SelfSignedCa)).await;
    let prober = Prober::builder()
        .extra_root(leaf_der(&pki, Leaf::SelfSignedCa))
        .dns_server(Some(dns.addr()))
        .build()
        .unwrap();
    let report = prober.get(&server.url_for_host(name, "/")).await;
    assert_eq!(
        kind(&report),
        Some(FailureKind::TlsHostnameMismatch),
        "{report:?}"
    );
    let message = &report.failure.unwrap().message;
    assert!(
        message.ends_with(
            "valid for localhost, 127.0.0.1, ::1, pulsar.test, *.pulsar.test, not internal.example"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn a_trusted_self_signed_certificate_must_still_be_in_date() {
    let pki = pki();
    let server = server(&pki, tls_server(Leaf::ExpiredSelfSignedCa)).await;
    let prober = Prober::builder()
        .extra_root(leaf_der(&pki, Leaf::ExpiredSelfSignedCa))
        .build()
        .unwrap();
    let report = prober.get(&server.url("/")).await;
    assert_eq!(
        kind(&report),
        Some(FailureKind::TlsExpiredCertificate),
        "{report:?}"
    );
    let message = &report.failure.unwrap().message;
    assert!(
        message.starts_with("TLS: the certificate expired on 2021-01-01 00:00:00 UTC (now 20"),
        "{message}"
    );
}

#[tokio::test]
async fn a_check_trusts_the_ca_pem_it_carries_and_only_it() {
    let pki = pki();
    let internal = server(&pki, tls_server(Leaf::SelfSignedCa)).await;
    // Trusts neither the test CA nor the server's certificate on its own.
    let prober = Prober::builder().build().unwrap();
    let mut spec = spec(internal.url("/"), ms(5_000));
    let report = prober.check(&spec).await;
    assert_eq!(
        kind(&report),
        Some(FailureKind::TlsSelfSignedCertificate),
        "{report:?}"
    );

    spec.tls_ca_pem = Some(pki.identity(Leaf::SelfSignedCa).leaf_pem.clone());
    for _ in 0..2 {
        let report = prober.check(&spec).await;
        assert_eq!(report.failure, None, "{report:?}");
        assert_eq!(report.status(), Some(200));
    }

    // Another check of the same prober without it is not trusted.
    spec.tls_ca_pem = None;
    assert_eq!(
        kind(&prober.check(&spec).await),
        Some(FailureKind::TlsSelfSignedCertificate)
    );

    // A CA given per check works for CA-signed servers too, as a monitor of an internal CA.
    let signed = server(&pki, tls_server(Leaf::Valid)).await;
    let mut spec = support::spec(signed.url("/"), ms(5_000));
    spec.tls_ca_pem = Some(pki.ca_pem().to_owned());
    assert_eq!(prober.check(&spec).await.failure, None);

    spec.tls_ca_pem = Some("not a certificate".into());
    let report = prober.check(&spec).await;
    assert_eq!(kind(&report), Some(FailureKind::InvalidRequest));
    assert!(report.hops.is_empty(), "refused before the network");
}

#[tokio::test]
async fn a_monitor_carrying_the_certificate_checks_green_as_a_worker_runs_it() {
    use pulsar_core::{Monitor, proto::v1};

    let pki = pki();
    let internal = server(&pki, tls_server(Leaf::SelfSignedCa)).await;
    let prober = Prober::builder().build().unwrap();
    let mut monitor = Monitor::new("internal", internal.url("/"));
    monitor.check.tls_ca_pem = Some(pki.identity(Leaf::SelfSignedCa).leaf_pem.clone());
    monitor.validate().unwrap();
    // What a worker gets from the queue: the monitor on the wire, decoded for each check.
    let wire = v1::Monitor::from(monitor);
    assert!(wire.tls_ca_pem.contains("BEGIN CERTIFICATE"));
    let decoded = Monitor::try_from(wire.clone()).unwrap();
    let report = prober.check(&decoded.check).await;
    assert_eq!(report.failure, None, "{report:?}");

    let without = Monitor::try_from(v1::Monitor {
        tls_ca_pem: String::new(),
        ..wire
    })
    .unwrap();
    assert_eq!(without.check.tls_ca_pem, None);
    assert_eq!(
        kind(&prober.check(&without.check).await),
        Some(FailureKind::TlsSelfSignedCertificate)
    );
}
