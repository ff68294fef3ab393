//! [`Prober`] and its builder, with every default documented as a constant.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hickory_resolver::TokioResolver;
use pulsar_core::{BodyAssertion, CompiledAssertion};
use rustls::pki_types::CertificateDer;

use crate::cache::SharedCache;
use crate::dns::IpFamily;
use crate::error::ProbeError;
use crate::target_policy::TargetPolicy;
use crate::tls::{self, TlsConfigs};

/// Bodies are read and counted, never kept; past this many bytes a check fails with
/// `body_too_large` (10 MiB: larger than any health page, small enough to stop a runaway).
pub const DEFAULT_BODY_LIMIT_BYTES: u64 = 10 * 1024 * 1024;
/// A ceiling on redirect hops whatever a [`pulsar_core::CheckSpec`] asks for, so one
/// monitor cannot keep a worker busy on a long chain. Each check still stops at its own
/// `max_redirects` when that is lower.
pub const DEFAULT_MAX_REDIRECTS: u32 = pulsar_core::limits::MAX_REDIRECTS;
/// `None`: the system resolver configuration (/etc/resolv.conf and the hosts file).
pub const DEFAULT_DNS_SERVER: Option<SocketAddr> = None;
/// `None`: only the webpki (Mozilla) roots are trusted.
pub const DEFAULT_EXTRA_CA_FILE: Option<&Path> = None;
/// Any address may be checked: the CLI and a self-hosted server are meant to reach internal
/// services. A service that checks URLs its users type sets [`TargetPolicy::PublicOnly`].
pub const DEFAULT_TARGET_POLICY: TargetPolicy = TargetPolicy::AllowAll;
/// Both IPv4 and IPv6 addresses are tried, IPv4 first.
pub const DEFAULT_IP_FAMILY: IpFamily = IpFamily::Any;
/// Sent unless a check sets its own `User-Agent` header.
pub const DEFAULT_USER_AGENT: &str = concat!("pulsar/", env!("CARGO_PKG_VERSION"));

/// Distinct body assertions whose compiled form a prober keeps.
const COMPILED_ASSERTIONS: usize = 1024;

/// Runs phase-timed checks. Cheap to share: clone it or put it in an `Arc`; every check
/// opens its own connection, so checks never affect each other's timings through a pool.
#[derive(Debug, Clone)]
pub struct Prober {
    pub(crate) resolver: TokioResolver,
    pub(crate) tls: TlsConfigs,
    pub(crate) body_limit_bytes: u64,
    pub(crate) max_redirects: u32,
    pub(crate) ip_family: IpFamily,
    pub(crate) user_agent: String,
    pub(crate) target_policy: TargetPolicy,
    /// Each body assertion compiled once, shared by every check that uses it.
    pub(crate) assertions: Arc<SharedCache<BodyAssertion, CompiledAssertion>>,
}

impl Prober {
    pub fn builder() -> ProberBuilder {
        ProberBuilder::default()
    }

    /// A prober with every default; see [`ProberBuilder`].
    pub fn new() -> Result<Self, ProbeError> {
        Self::builder().build()
    }
}

/// Configures a [`Prober`]; `Default` gives the `DEFAULT_*` values.
#[derive(Debug, Clone)]
pub struct ProberBuilder {
    body_limit_bytes: u64,
    max_redirects: u32,
    dns_server: Option<SocketAddr>,
    extra_ca_file: Option<PathBuf>,
    extra_roots: Vec<CertificateDer<'static>>,
    ip_family: IpFamily,
    user_agent: String,
    target_policy: TargetPolicy,
}

impl Default for ProberBuilder {
    fn default() -> Self {
        Self {
            body_limit_bytes: DEFAULT_BODY_LIMIT_BYTES,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            dns_server: DEFAULT_DNS_SERVER,
            extra_ca_file: DEFAULT_EXTRA_CA_FILE.map(Path::to_owned),
            extra_roots: Vec::new(),
            ip_family: DEFAULT_IP_FAMILY,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            target_policy: DEFAULT_TARGET_POLICY,
        }
    }
}

impl ProberBuilder {
    /// Body bytes read per hop before a check fails with `body_too_large`.
    pub fn body_limit_bytes(mut self, limit: u64) -> Self {
        self.body_limit_bytes = limit;
        self
    }

    /// The ceiling on redirect hops, over any check's own `max_redirects`.
    pub fn max_redirects(mut self, hops: u32) -> Self {
        self.max_redirects = hops;
        self
    }

    /// Ask only this nameserver (UDP), ignoring the system configuration and hosts file.
    pub fn dns_server(mut self, server: Option<SocketAddr>) -> Self {
        self.dns_server = server;
        self
    }

    /// Trust the CA certificates of this PEM file besides the webpki roots. A self-signed
    /// server certificate (CA:TRUE, as `openssl req -x509` makes) may be given as itself: a
    /// server presenting exactly it is trusted, its name and dates still checked.
    pub fn extra_ca_file(mut self, path: Option<impl Into<PathBuf>>) -> Self {
        self.extra_ca_file = path.map(Into::into);
        self
    }

    /// Trust this CA certificate (DER) besides the webpki roots.
    pub fn extra_root(mut self, cert: CertificateDer<'static>) -> Self {
        self.extra_roots.push(cert);
        self
    }

    pub fn ip_family(mut self, family: IpFamily) -> Self {
        self.ip_family = family;
        self
    }

    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Which addresses checks may connect to, judged at every connect (every hop, every
    /// address DNS returned); a check refused on all of them fails with `target_refused`.
    pub fn target_policy(mut self, policy: TargetPolicy) -> Self {
        self.target_policy = policy;
        self
    }

    /// Reads the CA file and the resolver configuration: the only steps that can fail.
    pub fn build(self) -> Result<Prober, ProbeError> {
        let mut roots = self.extra_roots;
        if let Some(path) = &self.extra_ca_file {
            roots.extend(tls::read_ca_file(path)?);
        }
        Ok(Prober {
            resolver: crate::dns::resolver(self.dns_server, self.ip_family)?,
            tls: TlsConfigs::new(roots)?,
            body_limit_bytes: self.body_limit_bytes,
            max_redirects: self.max_redirects,
            ip_family: self.ip_family,
            user_agent: self.user_agent,
            target_policy: self.target_policy,
            assertions: Arc::new(SharedCache::new(COMPILED_ASSERTIONS)),
        })
    }
}
