//! What one delivery attempt may take and what it came to, shared by every channel kind.

use std::time::Duration;

use pulsar_core::AttemptVerdict;

/// How long one attempt may take, from the first DNS query to the last byte of the answer.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// What an attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub verdict: AttemptVerdict,
    /// The receiver's status and the start of its answer, or the error.
    pub detail: String,
    pub latency: Duration,
}
