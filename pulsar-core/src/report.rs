//! What the probe saw: per-hop phases, response facts, TLS details, and a classified failure.

use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use crate::phases::Phases;

/// The phase a failure happened in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailurePhase {
    Request,
    Dns,
    Connect,
    Tls,
    Http,
    Body,
    Redirect,
    /// The exchange completed; the answer broke an expectation.
    Expectation,
}

/// Why a check failed, sorted by phase (see the `FailureKind` enum of the schema).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureKind {
    InvalidRequest,
    DnsNoSuchName,
    DnsTimeout,
    DnsServerFailure,
    DnsNoAddress,
    ConnectRefused,
    ConnectTimeout,
    ConnectUnreachable,
    TlsHandshake,
    TlsInvalidCertificate,
    TlsExpiredCertificate,
    TlsSelfSignedCertificate,
    TlsHostnameMismatch,
    TlsTimeout,
    HttpProtocol,
    HttpTimeout,
    BodyTooLarge,
    BodyTimeout,
    BodyReset,
    RedirectLoop,
    RedirectTooMany,
    StatusUnexpected,
    BodyAssertion,
    TargetRefused,
}

impl FailureKind {
    pub const ALL: [Self; 24] = [
        Self::InvalidRequest,
        Self::DnsNoSuchName,
        Self::DnsTimeout,
        Self::DnsServerFailure,
        Self::DnsNoAddress,
        Self::ConnectRefused,
        Self::ConnectTimeout,
        Self::ConnectUnreachable,
        Self::TlsHandshake,
        Self::TlsInvalidCertificate,
        Self::TlsExpiredCertificate,
        Self::TlsSelfSignedCertificate,
        Self::TlsHostnameMismatch,
        Self::TlsTimeout,
        Self::HttpProtocol,
        Self::HttpTimeout,
        Self::BodyTooLarge,
        Self::BodyTimeout,
        Self::BodyReset,
        Self::RedirectLoop,
        Self::RedirectTooMany,
        Self::StatusUnexpected,
        Self::BodyAssertion,
        Self::TargetRefused,
    ];

    pub fn phase(self) -> FailurePhase {
        use FailureKind::*;
        match self {
            InvalidRequest => FailurePhase::Request,
            DnsNoSuchName | DnsTimeout | DnsServerFailure | DnsNoAddress => FailurePhase::Dns,
            // The target policy judges each address where a connect to it would start.
            ConnectRefused | ConnectTimeout | ConnectUnreachable | TargetRefused => {
                FailurePhase::Connect
            }
            TlsHandshake
            | TlsInvalidCertificate
            | TlsExpiredCertificate
            | TlsSelfSignedCertificate
            | TlsHostnameMismatch
            | TlsTimeout => FailurePhase::Tls,
            HttpProtocol | HttpTimeout => FailurePhase::Http,
            BodyTooLarge | BodyTimeout | BodyReset => FailurePhase::Body,
            RedirectLoop | RedirectTooMany => FailurePhase::Redirect,
            StatusUnexpected | BodyAssertion => FailurePhase::Expectation,
        }
    }

    /// A stable snake_case name, used in JSON output and logs (`dns_no_such_name`).
    pub fn as_str(self) -> &'static str {
        use FailureKind::*;
        match self {
            InvalidRequest => "invalid_request",
            DnsNoSuchName => "dns_no_such_name",
            DnsTimeout => "dns_timeout",
            DnsServerFailure => "dns_server_failure",
            DnsNoAddress => "dns_no_address",
            ConnectRefused => "connect_refused",
            ConnectTimeout => "connect_timeout",
            ConnectUnreachable => "connect_unreachable",
            TlsHandshake => "tls_handshake",
            TlsInvalidCertificate => "tls_invalid_certificate",
            TlsExpiredCertificate => "tls_expired_certificate",
            TlsSelfSignedCertificate => "tls_self_signed_certificate",
            TlsHostnameMismatch => "tls_hostname_mismatch",
            TlsTimeout => "tls_timeout",
            HttpProtocol => "http_protocol",
            HttpTimeout => "http_timeout",
            BodyTooLarge => "body_too_large",
            BodyTimeout => "body_timeout",
            BodyReset => "body_reset",
            RedirectLoop => "redirect_loop",
            RedirectTooMany => "redirect_too_many",
            StatusUnexpected => "status_unexpected",
            BodyAssertion => "body_assertion",
            TargetRefused => "target_refused",
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A classified failure with a message for humans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
}

impl Failure {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

/// TLS session and leaf-certificate details.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TlsInfo {
    /// "TLSv1.3" or "TLSv1.2".
    pub version: String,
    pub cipher: String,
    pub alpn: Option<String>,
    pub subject: String,
    pub issuer: String,
    pub sans: Vec<String>,
    pub not_before: Option<SystemTime>,
    pub not_after: Option<SystemTime>,
}

impl TlsInfo {
    /// Whole days from `now` until the certificate expires (negative once expired).
    pub fn days_to_expiry(&self, now: SystemTime) -> Option<i64> {
        let not_after = crate::time::unix_ms(self.not_after?);
        Some((not_after - crate::time::unix_ms(now)).div_euclid(86_400_000))
    }
}

/// One request/response exchange of a check.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HopReport {
    pub url: String,
    /// When the hop began, from the check's start: with its phases, it places the hop on
    /// the check's waterfall.
    pub start_offset: Duration,
    pub status: Option<u16>,
    /// "HTTP/1.1" or "HTTP/2".
    pub http_version: Option<String>,
    pub remote_addr: Option<SocketAddr>,
    pub phases: Phases,
    pub body_bytes: u64,
    pub tls: Option<TlsInfo>,
}

/// Everything one check observed, hop by hop, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeReport {
    /// The URL the check started with.
    pub url: String,
    pub started_at: SystemTime,
    pub hops: Vec<HopReport>,
    /// The per-phase sum over all hops; `total` is the whole check's wall time.
    pub phases: Phases,
    /// Set when the exchange could not complete; phases reached before it are kept.
    pub failure: Option<Failure>,
    /// The body assertion's verdict on the final body; `None` when there was none to check.
    pub body_assertion_held: Option<bool>,
}

impl ProbeReport {
    pub fn final_hop(&self) -> Option<&HopReport> {
        self.hops.last()
    }

    /// The status code of the final hop, if a response head arrived.
    pub fn status(&self) -> Option<u16> {
        self.final_hop().and_then(|h| h.status)
    }

    /// TLS details of the final hop that had TLS.
    pub fn tls(&self) -> Option<&TlsInfo> {
        self.final_hop().and_then(|h| h.tls.as_ref())
    }
}
