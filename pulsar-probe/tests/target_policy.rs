//! The target policy against real connects. Tests may only reach loopback, so they show the
//! refusing side here; which addresses are allowed is the classifier's unit tests.

mod support;

use std::net::IpAddr;

use pulsar_probe::testkit::{DnsAnswer, ServerOptions};
use pulsar_probe::{FailureKind, TargetPolicy};
use support::*;

#[tokio::test]
async fn public_only_refuses_a_loopback_target_before_connecting() {
    let pki = pki();
    let server = server(&pki, ServerOptions::default()).await;
    let guarded = builder(&pki, None)
        .target_policy(TargetPolicy::PublicOnly)
        .build()
        .unwrap();
    let report = guarded.get(&server.url("/")).await;
    let failure = report.failure.as_ref().expect("refused");
    assert_eq!(failure.kind, FailureKind::TargetRefused);
    assert_eq!(
        failure.message,
        "refused by target policy: 127.0.0.1 is a loopback address"
    );
    assert_eq!(report.phases.connect, None);
    assert_eq!(server.connections(), 0, "nothing reached the server");

    // The same server with the policy off, as by default.
    let open = builder(&pki, None).build().unwrap();
    assert_eq!(open.get(&server.url("/")).await.failure, None);
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn the_policy_judges_what_dns_answered() {
    let pki = pki();
    let server = server(&pki, ServerOptions::default()).await;
    // A name that looks public, resolving to loopback and to another loopback address.
    let name = "public-looking.pulsar.test";
    let answer = DnsAnswer::Addrs(vec![
        IpAddr::from([127, 0, 0, 1]),
        IpAddr::from([127, 0, 0, 2]),
    ]);
    let dns = dns(ms(0), &[(name, answer)]).await;
    let guarded = builder(&pki, Some(&dns))
        .target_policy(TargetPolicy::PublicOnly)
        .build()
        .unwrap();
    let report = guarded.get(&server.url_for_host(name, "/")).await;
    let failure = report.failure.as_ref().expect("refused");
    assert_eq!(failure.kind, FailureKind::TargetRefused, "{report:?}");
    assert!(report.phases.dns.is_some(), "refused after the lookup");
    assert_eq!(server.connections(), 0);
}
