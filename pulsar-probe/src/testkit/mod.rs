//! Loopback test peers for pulsar-probe's tests, the benchmarks and the examples (feature
//! `testkit`): an HTTP/HTTPS server with per-phase delays, misbehaving servers, a DNS
//! responder and a throwaway CA. Everything binds 127.0.0.1 and nothing else.

mod dns;
mod pki;
mod raw;
mod server;

pub use dns::{DnsAnswer, TestDns};
pub use pki::{HOSTILE_NAME, Identity, LEAF_NAMES, Leaf, TestPki};
pub use raw::{FullBacklog, Misbehaviour, RawServer};
pub use server::{Delays, ROOT_BODY, ServerOptions, TestServer};

use crate::http::AbortOnDrop;

/// Sleeps `delay` to within tens of microseconds. tokio's timer rounds a sleep up to its next
/// millisecond tick, which would add up to a millisecond of the server's own overshoot to
/// every injected delay and blur the accuracy figures; the last 2 ms are spent yielding.
async fn precise_sleep(delay: std::time::Duration) {
    const SPIN: std::time::Duration = std::time::Duration::from_millis(2);
    if delay.is_zero() {
        return;
    }
    let deadline = tokio::time::Instant::now() + delay;
    if delay > SPIN {
        tokio::time::sleep_until(deadline - SPIN).await;
    }
    while tokio::time::Instant::now() < deadline {
        tokio::task::yield_now().await;
    }
}
