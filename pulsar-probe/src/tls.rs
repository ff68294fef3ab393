//! TLS with rustls (ring provider only): client configuration, the handshake, what it tells
//! about the session and the leaf certificate, and how its failures are classified.

use std::io;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pulsar_core::{Failure, FailureKind, TlsInfo};
use rustls::client::Resumption;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::error::ProbeError;

/// ALPN offer: HTTP/2 first, so a server that speaks it is measured over it, as browsers do.
const ALPN_H2: &[u8] = b"h2";
const ALPN_HTTP11: &[u8] = b"http/1.1";

/// The two client configurations a prober needs: one that verifies (the default) and one for
/// checks that turned verification off.
#[derive(Debug, Clone)]
pub(crate) struct TlsConfigs {
    pub(crate) verified: Arc<ClientConfig>,
    pub(crate) unverified: Arc<ClientConfig>,
}

/// Reads every certificate of a PEM file.
pub(crate) fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, ProbeError> {
    let pem = std::fs::read(path).map_err(|source| ProbeError::CaFileUnreadable {
        path: path.to_owned(),
        source,
    })?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ProbeError::CaFileInvalid {
            path: path.to_owned(),
            reason: format!("not PEM: {e}"),
        })?;
    if certs.is_empty() {
        return Err(ProbeError::CaFileInvalid {
            path: path.to_owned(),
            reason: "no CERTIFICATE block found".to_owned(),
        });
    }
    Ok(certs)
}

pub(crate) fn configs(extra_roots: Vec<CertificateDer<'static>>) -> Result<TlsConfigs, ProbeError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for cert in extra_roots {
        roots
            .add(cert)
            .map_err(|e| ProbeError::CaCertificateRejected(e.to_string()))?;
    }
    let builder = || {
        ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| ProbeError::TlsSetup(e.to_string()))
    };
    let verified = builder()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let unverified = builder()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(
            provider.signature_verification_algorithms,
        )))
        .with_no_client_auth();
    Ok(TlsConfigs {
        verified: Arc::new(fresh_handshakes(verified)),
        unverified: Arc::new(fresh_handshakes(unverified)),
    })
}

/// Every check must pay for a full handshake, as a first-time visitor does: no resumption.
fn fresh_handshakes(mut config: ClientConfig) -> ClientConfig {
    config.resumption = Resumption::disabled();
    config.alpn_protocols = vec![ALPN_H2.to_vec(), ALPN_HTTP11.to_vec()];
    config
}

/// The server name to verify and send as SNI: IP literals are verified against IP SANs.
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>, Failure> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(ServerName::IpAddress(ip.into()));
    }
    ServerName::try_from(bare.to_owned()).map_err(|e| {
        Failure::new(
            FailureKind::InvalidRequest,
            format!("{host} is not a valid TLS server name: {e}"),
        )
    })
}

pub(crate) async fn handshake(
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
    tcp: TcpStream,
) -> Result<TlsStream<TcpStream>, Failure> {
    TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(|e| classify(&e))
}

/// Session and leaf-certificate facts of a finished handshake.
pub(crate) fn info(stream: &TlsStream<TcpStream>) -> TlsInfo {
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
        if let Ok(Some(san)) = cert.subject_alternative_name() {
            info.sans = san
                .value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    GeneralName::DNSName(dns) => Some((*dns).to_owned()),
                    GeneralName::IPAddress(bytes) => ip_from_san(bytes).map(|ip| ip.to_string()),
                    _ => None,
                })
                .collect();
        }
    }
    info
}

fn ip_from_san(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

fn unix_seconds(secs: i64) -> SystemTime {
    let magnitude = Duration::from_secs(secs.unsigned_abs());
    if secs >= 0 {
        UNIX_EPOCH + magnitude
    } else {
        UNIX_EPOCH - magnitude
    }
}

/// Sorts a handshake failure into what a user fixes: the certificate's dates, its issuer,
/// its names, or the handshake as a whole.
fn classify(e: &io::Error) -> Failure {
    let rustls_error = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    let Some(rustls_error) = rustls_error else {
        let message = if e.kind() == io::ErrorKind::UnexpectedEof {
            "the server closed the connection during the TLS handshake".to_owned()
        } else {
            format!("TLS handshake failed: {e}")
        };
        return Failure::new(FailureKind::TlsHandshake, message);
    };
    let kind = match rustls_error {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                FailureKind::TlsExpiredCertificate
            }
            CertificateError::UnknownIssuer => FailureKind::TlsSelfSignedCertificate,
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                FailureKind::TlsHostnameMismatch
            }
            _ => FailureKind::TlsInvalidCertificate,
        },
        _ => FailureKind::TlsHandshake,
    };
    let message = match kind {
        FailureKind::TlsSelfSignedCertificate => {
            "certificate not trusted: self-signed or issued by an unknown CA".to_owned()
        }
        _ => format!("TLS: {rustls_error}"),
    };
    Failure::new(kind, message)
}

/// Used only when a check turns verification off: accepts any certificate, but still checks
/// the handshake signatures, so the session itself is sound.
#[derive(Debug)]
struct AcceptAnyCertificate(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind_of(error: rustls::Error) -> FailureKind {
        classify(&io::Error::new(io::ErrorKind::InvalidData, error)).kind
    }

    #[test]
    fn certificate_errors_map_to_their_kinds() {
        use CertificateError::*;
        let cert = |e| kind_of(rustls::Error::InvalidCertificate(e));
        assert_eq!(cert(Expired), FailureKind::TlsExpiredCertificate);
        assert_eq!(cert(UnknownIssuer), FailureKind::TlsSelfSignedCertificate);
        assert_eq!(cert(NotValidForName), FailureKind::TlsHostnameMismatch);
        assert_eq!(cert(NotValidYet), FailureKind::TlsInvalidCertificate);
        assert_eq!(cert(Revoked), FailureKind::TlsInvalidCertificate);
        assert_eq!(cert(BadSignature), FailureKind::TlsInvalidCertificate);
        let alert = rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure);
        assert_eq!(kind_of(alert), FailureKind::TlsHandshake);
        let eof = classify(&io::Error::from(io::ErrorKind::UnexpectedEof));
        assert_eq!(eof.kind, FailureKind::TlsHandshake);
        assert!(eof.message.contains("closed"), "{}", eof.message);
    }

    #[test]
    fn ip_literals_become_ip_server_names() {
        assert!(matches!(server_name("[::1]"), Ok(ServerName::IpAddress(_))));
        assert!(matches!(
            server_name("127.0.0.1"),
            Ok(ServerName::IpAddress(_))
        ));
        assert!(matches!(
            server_name("example.com"),
            Ok(ServerName::DnsName(_))
        ));
    }
}
