//! Shared set-up for pulsar-probe's tests: a CA, test servers and a prober that trusts them.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use pulsar_probe::testkit::{DnsAnswer, ServerOptions, TestDns, TestPki, TestServer};
use pulsar_probe::{CheckSpec, Prober, ProberBuilder};

/// The name the test DNS responder resolves to 127.0.0.1.
pub const APP_HOST: &str = "app.pulsar.test";

pub fn pki() -> TestPki {
    TestPki::new().expect("test CA")
}

/// A prober that trusts the test CA and asks `dns` (if any) for names.
pub fn prober(pki: &TestPki, dns: Option<&TestDns>) -> Prober {
    builder(pki, dns).build().expect("prober")
}

pub fn builder(pki: &TestPki, dns: Option<&TestDns>) -> ProberBuilder {
    Prober::builder()
        .extra_root(pki.ca_der())
        .dns_server(dns.map(TestDns::addr))
}

pub async fn server(pki: &TestPki, options: ServerOptions) -> TestServer {
    TestServer::start(pki, options).await.expect("test server")
}

/// A responder that knows [`APP_HOST`] (127.0.0.1) and answers after `delay`.
pub async fn dns(delay: Duration, extra: &[(&str, DnsAnswer)]) -> TestDns {
    let mut names = HashMap::from([(
        APP_HOST.to_owned(),
        DnsAnswer::Addrs(vec![IpAddr::from([127, 0, 0, 1])]),
    )]);
    for (name, answer) in extra {
        names.insert((*name).to_owned(), answer.clone());
    }
    TestDns::start(names, delay).await.expect("test DNS")
}

pub fn spec(url: impl Into<String>, timeout: Duration) -> CheckSpec {
    let mut spec = CheckSpec::get(url);
    spec.timeout = timeout;
    spec
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}
