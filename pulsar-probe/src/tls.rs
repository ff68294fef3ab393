//! TLS with rustls (ring provider only): client configurations, the handshake, and what it
//! tells about the session and the leaf certificate.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pulsar_core::{Failure, FailureKind, TlsInfo};
use rustls::client::{Resumption, WebPkiServerVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::cache::SharedCache;
use crate::error::ProbeError;
use crate::io::{RecordingTcp, TlsTcp};
use crate::names::subject_alt_names;
use crate::verify::{AcceptAnyCertificate, WebPkiOrPinned};

/// ALPN offer: HTTP/2 first, so a server that speaks it is measured over it, as browsers do.
const ALPN_H2: &[u8] = b"h2";
const ALPN_HTTP11: &[u8] = b"http/1.1";

/// Distinct CA sets of checks (`CheckSpec::tls_ca_pem`) whose client configuration is kept.
const CHECK_CA_CONFIGS: usize = 256;

/// The client configurations a prober needs: one that verifies (the default), one for checks
/// that turned verification off, and one per CA set that checks bring, each built once.
#[derive(Debug, Clone)]
pub(crate) struct TlsConfigs {
    provider: Arc<CryptoProvider>,
    /// The prober's own extra CAs (CA file, `extra_root`), trusted by every check.
    extra_roots: Arc<[CertificateDer<'static>]>,
    verified: Arc<ClientConfig>,
    unverified: Arc<ClientConfig>,
    /// By the PEM text a check gave.
    with_check_cas: Arc<SharedCache<String, Arc<ClientConfig>>>,
}

impl TlsConfigs {
    pub(crate) fn new(extra_roots: Vec<CertificateDer<'static>>) -> Result<Self, ProbeError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let unverified = builder(&provider)
            .map_err(|e| ProbeError::TlsSetup(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(
                provider.signature_verification_algorithms,
            )))
            .with_no_client_auth();
        // The builder did not fail above, so what can fail here is a certificate.
        let verified = verified_config(&provider, extra_roots.clone())
            .map_err(ProbeError::CaCertificateRejected)?;
        Ok(Self {
            provider,
            extra_roots: extra_roots.into(),
            verified: Arc::new(verified),
            unverified: Arc::new(fresh_handshakes(unverified)),
            with_check_cas: Arc::new(SharedCache::new(CHECK_CA_CONFIGS)),
        })
    }

    /// The configuration for a check that verifies or not, trusting `ca_pem` (if any)
    /// besides the prober's roots.
    pub(crate) fn for_check(
        &self,
        verify: bool,
        ca_pem: Option<&str>,
    ) -> Result<Arc<ClientConfig>, Failure> {
        match (verify, ca_pem) {
            (false, _) => Ok(self.unverified.clone()),
            (true, None) => Ok(self.verified.clone()),
            (true, Some(pem)) => self.with_check_cas.get_or_try_insert(&pem.to_owned(), || {
                let invalid = |reason: String| {
                    Failure::new(FailureKind::InvalidRequest, format!("tls_ca_pem: {reason}"))
                };
                let mut roots = self.extra_roots.to_vec();
                roots.extend(parse_pem(pem.as_bytes()).map_err(invalid)?);
                verified_config(&self.provider, roots)
                    .map(Arc::new)
                    .map_err(invalid)
            }),
        }
    }

    #[cfg(test)]
    pub(crate) fn check_ca_configs(&self) -> usize {
        self.with_check_cas.len()
    }
}

/// Reads every certificate of a PEM file.
pub(crate) fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, ProbeError> {
    let pem = std::fs::read(path).map_err(|source| ProbeError::CaFileUnreadable {
        path: path.to_owned(),
        source,
    })?;
    parse_pem(&pem).map_err(|reason| ProbeError::CaFileInvalid {
        path: path.to_owned(),
        reason,
    })
}

fn parse_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not PEM: {e}"))?;
    if certs.is_empty() {
        return Err("no CERTIFICATE block found".to_owned());
    }
    Ok(certs)
}

/// The webpki roots and `extra_roots`, with a self-signed server certificate among
/// `extra_roots` accepted as itself (see [`WebPkiOrPinned`]).
fn verified_config(
    provider: &Arc<CryptoProvider>,
    extra_roots: Vec<CertificateDer<'static>>,
) -> Result<ClientConfig, String> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for cert in &extra_roots {
        roots.add(cert.clone()).map_err(|e| e.to_string())?;
    }
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| e.to_string())?;
    let config = builder(provider)
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(WebPkiOrPinned::new(webpki, extra_roots)))
        .with_no_client_auth();
    Ok(fresh_handshakes(config))
}

fn builder(
    provider: &Arc<CryptoProvider>,
) -> Result<rustls::ConfigBuilder<ClientConfig, rustls::WantsVerifier>, rustls::Error> {
    ClientConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions()
}

/// Every check must pay for a full handshake, as a first-time visitor does: no resumption.
fn fresh_handshakes(mut config: ClientConfig) -> ClientConfig {
    config.resumption = Resumption::disabled();
    config.alpn_protocols = vec![ALPN_H2.to_vec(), ALPN_HTTP11.to_vec()];
    config
}

pub(crate) async fn handshake(
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
    tcp: TcpStream,
) -> Result<TlsTcp, Failure> {
    TlsConnector::from(config)
        .connect(name, RecordingTcp::new(tcp))
        .into_fallible()
        .await
        .map_err(|(e, tcp)| crate::tls_failure::classify(&e, tcp.first_bytes()))
}

/// Session and leaf-certificate facts of a finished handshake.
pub(crate) fn info(stream: &TlsTcp) -> TlsInfo {
    let (_, session) = stream.get_ref();
    let mut info = TlsInfo {
        version: session
            .protocol_version()
            .map(|v| match v {
                rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".to_owned(),
                rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".to_owned(),
                other => format!("{other:?}"),
            })
            .unwrap_or_default(),
        cipher: session
            .negotiated_cipher_suite()
            .map(|s| format!("{:?}", s.suite()))
            .unwrap_or_default(),
        alpn: session
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned()),
        ..TlsInfo::default()
    };
    if let Some(leaf) = session.peer_certificates().and_then(<[_]>::first)
        && let Ok((_, cert)) = X509Certificate::from_der(leaf.as_ref())
    {
        info.subject = cert.subject().to_string();
        info.issuer = cert.issuer().to_string();
        info.not_before = Some(unix_seconds(cert.validity().not_before.timestamp()));
        info.not_after = Some(unix_seconds(cert.validity().not_after.timestamp()));
        info.sans = subject_alt_names(&cert);
    }
    info
}

fn unix_seconds(secs: i64) -> SystemTime {
    let magnitude = Duration::from_secs(secs.unsigned_abs());
    if secs >= 0 {
        UNIX_EPOCH + magnitude
    } else {
        UNIX_EPOCH - magnitude
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Made by `openssl req -x509` (CA:TRUE, for internal.example).
    const SELF_SIGNED_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBqTCCAU6gAwIBAgIUNRA5n6FGMxJa7B5QNWt4tzBjtV4wCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQaW50ZXJuYWwuZXhhbXBsZTAeFw0yNjExMjkxNzUwNDFaFw0z
NjExMjYxNzUwNDFaMBsxGTAXBgNVBAMMEGludGVybmFsLmV4YW1wbGUwWTATBgcq
hkjOPQIBBggqhkjOPQMBBwNCAASQPEMs29STanzIZe14K5SdhHSVZihjm6FDRPGN
rRplL1XGznJjeEGTwN7HQlnFFcY8tuS350oykTNNZ3hNdhf0o3AwbjAdBgNVHQ4E
FgQUCY8D3LrkO+wrqQ6rsQgmg5Egde8wHwYDVR0jBBgwFoAUCY8D3LrkO+wrqQ6r
sQgmg5Egde8wDwYDVR0TAQH/BAUwAwEB/zAbBgNVHREEFDASghBpbnRlcm5hbC5l
eGFtcGxlMAoGCCqGSM49BAMCA0kAMEYCIQCCkOFAt/8fNuNM7IhoTly9aBs5dLYK
pM3f1v2AplUyTwIhAJFsmCu9zEzIDJE7iQ9ioRMafUEvyZ+92C+TVxCahSLx
-----END CERTIFICATE-----
";

    #[test]
    fn a_check_ca_set_is_built_once_and_a_bad_one_is_an_invalid_request() {
        let configs = TlsConfigs::new(Vec::new()).unwrap();
        let first = configs.for_check(true, Some(SELF_SIGNED_PEM)).unwrap();
        let again = configs.for_check(true, Some(SELF_SIGNED_PEM)).unwrap();
        assert!(Arc::ptr_eq(&first, &again), "the same configuration");
        assert!(!Arc::ptr_eq(
            &first,
            &configs.for_check(true, None).unwrap()
        ));
        let unverified = configs.for_check(false, Some(SELF_SIGNED_PEM)).unwrap();
        assert!(Arc::ptr_eq(&unverified, &configs.unverified));
        assert_eq!(configs.check_ca_configs(), 1);
        let bad = configs.for_check(true, Some("nothing")).unwrap_err();
        assert_eq!(bad.kind, FailureKind::InvalidRequest);
        assert_eq!(bad.message, "tls_ca_pem: no CERTIFICATE block found");
        assert_eq!(configs.check_ca_configs(), 1);
    }
}
