//! `pulsar healthcheck`: asks the Pulsar process beside it whether it is healthy, for a
//! container's `HEALTHCHECK` (the image carries no curl). Healthy when `/healthz` answers
//! 200 on a worker's operations address (`PULSAR_METRICS_LISTEN`, asked first when set)
//! or on the API's address (`PULSAR_LISTEN`), so one command serves every role. An
//! unspecified address (`0.0.0.0`, `::`) is asked on loopback. Exit 0 when healthy, 1 when
//! not: what Docker's `HEALTHCHECK` reads.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

#[derive(Debug, Args)]
pub(crate) struct HealthcheckArgs {
    /// The API's address.
    #[arg(long, env = "PULSAR_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// A worker's operations address, asked first.
    #[arg(long, env = "PULSAR_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
    /// How long each address may take to answer, e.g. 3s.
    #[arg(long, default_value = "3s", value_parser = pulsar_core::parse_duration)]
    timeout: Duration,
}

pub(crate) fn run(args: HealthcheckArgs) -> anyhow::Result<ExitCode> {
    let mut failures = Vec::new();
    for address in args.metrics_listen.into_iter().chain([args.listen]) {
        let address = reachable(address);
        match ask(address, args.timeout) {
            Ok(()) => {
                println!("healthy: http://{address}/healthz answered 200");
                return Ok(ExitCode::SUCCESS);
            }
            Err(reason) => failures.push(format!("{address}: {reason}")),
        }
    }
    eprintln!("pulsar: unhealthy: {}", failures.join("; "));
    Ok(ExitCode::FAILURE)
}

/// Where a process listening on `address` is reached from the same host.
fn reachable(address: SocketAddr) -> SocketAddr {
    match address.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, address.port()).into(),
        IpAddr::V6(ip) if ip.is_unspecified() => (Ipv6Addr::LOCALHOST, address.port()).into(),
        _ => address,
    }
}

/// One `GET /healthz`; `Ok` only for a 200.
fn ask(address: SocketAddr, timeout: Duration) -> Result<(), String> {
    let mut stream =
        TcpStream::connect_timeout(&address, timeout).map_err(|error| error.to_string())?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|error| error.to_string())?;
    let request = format!("GET /healthz HTTP/1.0\r\nHost: {address}\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|error| error.to_string())?;
    // The status line is all that is read; 64 bytes hold it.
    let mut head = [0u8; 64];
    let mut filled = 0;
    while filled < head.len() {
        match stream.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) => return Err(error.to_string()),
        }
    }
    let status_line = String::from_utf8_lossy(&head[..filled]);
    let status_line = status_line.lines().next().unwrap_or_default();
    match status_line.split_whitespace().nth(1) {
        Some("200") => Ok(()),
        Some(code) => Err(format!("answered {code}")),
        None => Err("no HTTP answer".to_owned()),
    }
}
