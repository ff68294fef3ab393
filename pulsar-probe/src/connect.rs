//! TCP connect to resolved addresses, in order, until one answers.

use std::io;
use std::net::{IpAddr, SocketAddr};

use pulsar_core::{Failure, FailureKind};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};

use crate::target_policy::TargetPolicy;

/// Connects to the first address that accepts, of those `policy` allows: it judges the very
/// addresses connected to, so what DNS answers this time is what is judged. Each attempt
/// gets an equal share of the time left (as Go's dialer does), so one black-holed address
/// cannot eat the whole budget while a working one waits behind it; the last attempt gets
/// everything that remains.
pub(crate) async fn connect(
    addrs: &[IpAddr],
    port: u16,
    deadline: Instant,
    policy: TargetPolicy,
) -> Result<(TcpStream, SocketAddr), Failure> {
    let mut refusal = None;
    let addrs: Vec<IpAddr> = addrs
        .iter()
        .copied()
        .filter(|ip| match policy.check(*ip) {
            Ok(()) => true,
            Err(refused) => {
                refusal.get_or_insert(refused);
                false
            }
        })
        .collect();
    if let (true, Some(refused)) = (addrs.is_empty(), refusal) {
        return Err(Failure::new(
            FailureKind::TargetRefused,
            format!("refused by target policy: {refused}"),
        ));
    }
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
    match e.kind() {
        io::ErrorKind::ConnectionRefused => Failure::new(
            FailureKind::ConnectRefused,
            format!("connect to {addr}: connection refused"),
        ),
        io::ErrorKind::TimedOut => Failure::new(
            FailureKind::ConnectTimeout,
            format!("connect to {addr} timed out"),
        ),
        _ => Failure::new(
            FailureKind::ConnectUnreachable,
            format!("connect to {addr}: unreachable ({e})"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_errors_map_to_what_a_user_fixes() {
        let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let kind = |e: io::ErrorKind| classify(addr, &io::Error::from(e)).kind;
        assert_eq!(
            kind(io::ErrorKind::ConnectionRefused),
            FailureKind::ConnectRefused
        );
        assert_eq!(kind(io::ErrorKind::TimedOut), FailureKind::ConnectTimeout);
        assert_eq!(
            kind(io::ErrorKind::NetworkUnreachable),
            FailureKind::ConnectUnreachable
        );
        assert_eq!(
            kind(io::ErrorKind::HostUnreachable),
            FailureKind::ConnectUnreachable
        );
        let refused = classify(addr, &io::Error::from(io::ErrorKind::ConnectionRefused));
        assert!(
            refused.message.contains("127.0.0.1:9"),
            "{}",
            refused.message
        );
    }
}
