//! The one error type of pulsar-probe: building a [`crate::Prober`] can fail; running a check
//! cannot (a failed check is data in its [`pulsar_core::ProbeReport`]).

use std::path::PathBuf;

/// Why a [`crate::Prober`] could not be built, sorted by what the caller does about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProbeError {
    /// The extra CA file could not be read: fix the path or its permissions. The OS error
    /// is the `source()`, so a report of the chain names it once.
    #[error("cannot read CA file {}", path.display())]
    CaFileUnreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The extra CA file holds no usable certificate: point at a PEM file of CA certificates.
    #[error("CA file {}: {reason}", path.display())]
    CaFileInvalid { path: PathBuf, reason: String },
    /// A given CA certificate was rejected by the TLS library (not a CA, bad encoding).
    #[error("CA certificate rejected: {0}")]
    CaCertificateRejected(String),
    /// The system resolver configuration (/etc/resolv.conf) could not be used: fix it or
    /// name a DNS server explicitly.
    #[error("cannot use the system DNS configuration: {0}")]
    SystemDns(String),
    /// The TLS client could not be set up with the ring provider (a build problem, not input).
    #[error("cannot set up TLS: {0}")]
    TlsSetup(String),
}
