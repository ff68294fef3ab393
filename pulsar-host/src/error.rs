//! The one error type of pulsar-host.
//!
//! Reading the host never fails as a whole: a section that cannot be read arrives as a
//! `SectionUnavailable` inside the snapshot. What remains are failures of running a sample.

/// Errors of pulsar-host, sorted by what the caller does about them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// The async runtime is shutting down and dropped the sampling task: stop sampling.
    #[error("the runtime is shutting down; the host sample was cancelled")]
    Cancelled,
    /// Sampling panicked: a bug in pulsar-host, worth a report. The collector stays usable;
    /// its next snapshot starts over without rates.
    #[error("host sampling panicked: {0}")]
    Panicked(String),
}
