//! Serves pulsar-probe's loopback test servers until stdin closes: used by
//! `scripts/probe-vs-curl.sh` to compare `pulsar probe` with `curl -w` on the same server.
//!
//! ```text
//! cargo run -p pulsar-examples --example probe_test_server -- CA_FILE [DELAY_MS]
//! ```
//!
//! Writes the test CA to CA_FILE, prints `http=URL` and `https=URL` (HTTPS offers HTTP/2),
//! each injecting DELAY_MS (default 50) into TLS, time to first byte and download.

use std::io::Write;
use std::time::Duration;

use anyhow::Context;
use pulsar_probe::testkit::{Delays, Leaf, ServerOptions, TestPki, TestServer};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let ca_file = args
        .next()
        .context("usage: probe_test_server CA_FILE [DELAY_MS]")?;
    let delay_ms: u64 = args.next().map_or(Ok(50), |d| d.parse())?;
    let delay = Duration::from_millis(delay_ms);
    let delays = Delays {
        tls: delay,
        ttfb: delay,
        between_chunks: delay,
    };
    let pki = TestPki::new()?;
    std::fs::write(&ca_file, pki.ca_pem())?;
    let http = TestServer::start(
        &pki,
        ServerOptions {
            tls: None,
            http2: false,
            delays,
        },
    )
    .await?;
    let https = TestServer::start(
        &pki,
        ServerOptions {
            tls: Some(Leaf::Valid),
            http2: true,
            delays,
        },
    )
    .await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "http={}", http.url_for_host("localhost", "/"))?;
    writeln!(out, "https={}", https.url_for_host("localhost", "/"))?;
    out.flush()?;
    drop(out);
    tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        while std::io::stdin().read_line(&mut line).is_ok_and(|n| n > 0) {}
    })
    .await?;
    Ok(())
}
