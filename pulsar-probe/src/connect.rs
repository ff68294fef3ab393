//! TCP connect to resolved addresses, in order, until one answers.

use std::io;
use std::net::{IpAddr, SocketAddr};

use pulsar_core::{Failure, FailureKind};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};

/// Connects to the first address that accepts. Each attempt gets an equal share of the time
/// left (as Go's dialer does), so one black-holed address cannot eat the whole budget while a
/// working one waits behind it; the last attempt gets everything that remains.
pub(crate) async fn connect(
    addrs: &[IpAddr],
    port: u16,
    deadline: Instant,
) -> Result<(TcpStream, SocketAddr), Failure> {
    let mut last = Failure::new(FailureKind::ConnectUnreachable, "no address to connect to");
    for (i, ip) in addrs.iter().enumerate() {
        let addr = SocketAddr::new(*ip, port);
        let left = deadline.saturating_duration_since(Instant::now());
        let attempts_left = u32::try_from(addrs.len() - i).unwrap_or(u32::MAX);
        let attempt_deadline = Instant::now() + left / attempts_left;
        match timeout_at(attempt_deadline, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                // Requests are small and written at once: waiting to coalesce them (Nagle)
                // would only add to time to first byte.
                let _ = stream.set_nodelay(true);
                return Ok((stream, addr));
            }
            Ok(Err(e)) => last = classify(addr, &e),
            Err(_) => {
                last = Failure::new(
                    FailureKind::ConnectTimeout,
                    format!("connect to {addr} timed out"),
                );
            }
        }
    }
    Err(last)
}

fn classify(addr: SocketAddr, e: &io::Error) -> Failure {
    let kind = match e.kind() {
        io::ErrorKind::ConnectionRefused => FailureKind::ConnectRefused,
        io::ErrorKind::TimedOut => FailureKind::ConnectTimeout,
        _ => FailureKind::ConnectUnreachable,
    };
    let what = match kind {
        FailureKind::ConnectRefused => "connection refused",
        FailureKind::ConnectTimeout => "timed out",
        _ => "unreachable",
    };
    Failure::new(kind, format!("connect to {addr}: {what} ({e})"))
}
