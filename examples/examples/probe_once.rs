//! Runs one phase-timed check with pulsar-probe alone and prints the report.
//!
//! ```text
//! cargo run -p pulsar-examples --example probe_once -- https://example.com/
//! cargo run -p pulsar-examples --example probe_once        # against a local test server
//! ```
//!
//! Without a URL it starts a loopback HTTPS server (HTTP/2, a throwaway CA, 20 ms injected
//! into TLS, time to first byte and download) so the example runs offline.

use std::time::Duration;

use pulsar_probe::testkit::{Delays, Leaf, ServerOptions, TestPki, TestServer};
use pulsar_probe::{CheckSpec, Prober};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let pki = TestPki::new()?;
    let mut local = None;
    let url = match std::env::args().nth(1) {
        Some(url) => url,
        None => {
            let options = ServerOptions {
                tls: Some(Leaf::Valid),
                http2: true,
                delays: Delays {
                    tls: Duration::from_millis(20),
                    ttfb: Duration::from_millis(20),
                    between_chunks: Duration::from_millis(20),
                },
            };
            let server = TestServer::start(&pki, options).await?;
            let url = server.url("/");
            local = Some(server);
            url
        }
    };
    // The test CA is trusted only for the local server; a real URL uses the webpki roots.
    let mut builder = Prober::builder();
    if local.is_some() {
        builder = builder.extra_root(pki.ca_der());
    }
    let prober = builder.build()?;

    let mut spec = CheckSpec::get(&url);
    spec.timeout = Duration::from_secs(10);
    let report = prober.check(&spec).await;

    for hop in &report.hops {
        println!(
            "{} {} via {} ({})",
            hop.status.map_or("---".to_owned(), |s| s.to_string()),
            hop.url,
            hop.remote_addr.map_or("-".to_owned(), |a| a.to_string()),
            hop.http_version.as_deref().unwrap_or("-"),
        );
    }
    for (phase, duration) in report.phases.named() {
        let shown = duration.map_or("-".to_owned(), |d| {
            format!("{:.3} ms", d.as_secs_f64() * 1e3)
        });
        println!("  {phase:<9}{shown:>14}");
    }
    if let Some(tls) = report.tls() {
        println!("  {} {} alpn={:?}", tls.version, tls.cipher, tls.alpn);
        println!("  certificate {} (issuer {})", tls.subject, tls.issuer);
    }
    match &report.failure {
        Some(failure) => println!("failed: {failure}"),
        None => println!("ok"),
    }
    Ok(())
}
