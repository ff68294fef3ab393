//! How a server certificate is judged: the webpki verifier, with the one case it refuses that
//! other clients accept, and the verifier of checks that turned verification off.

use std::sync::Arc;
use std::time::Duration;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use x509_parser::prelude::{FromDer, X509Certificate};

/// The webpki verifier, and a self-signed server certificate given as a trusted CA.
///
/// `openssl req -x509` makes certificates with CA:TRUE, and internal services serve them as
/// their own; curl, Go's net/http and blackbox_exporter accept one that is given as a CA.
/// webpki refuses a CA certificate as the server's (`CaUsedAsEndEntity`, rustls/webpki#205).
/// When the server presents, byte for byte, one of the certificates given as extra trust
/// anchors, that identity is the trust: its name and validity dates are still checked here,
/// and the handshake signature as for any certificate.
///
/// It also lists a certificate's names plainly when they do not match the host, where webpki
/// lists them as `DnsName("…")` and `IpAddress(…)`.
#[derive(Debug)]
pub(crate) struct WebPkiOrPinned {
    webpki: Arc<WebPkiServerVerifier>,
    /// The extra trust anchors' certificates, as given.
    pinned: Vec<CertificateDer<'static>>,
}

impl WebPkiOrPinned {
    pub(crate) fn new(
        webpki: Arc<WebPkiServerVerifier>,
        pinned: Vec<CertificateDer<'static>>,
    ) -> Self {
        Self { webpki, pinned }
    }
}

impl ServerCertVerifier for WebPkiOrPinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        match verdict {
            // webpki names no variant for CaUsedAsEndEntity; a self-signed CA certificate in
            // the end-entity's place is that case.
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(_)))
                if is_self_signed_ca(end_entity) =>
            {
                if self
                    .pinned
                    .iter()
                    .any(|p| p.as_ref() == end_entity.as_ref())
                {
                    verify_pinned(end_entity, server_name, now)
                } else {
                    Err(CertificateError::UnknownIssuer.into())
                }
            }
            Err(error) => Err(plain_names(error, end_entity)),
            ok => ok,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// CA:TRUE and its own issuer.
fn is_self_signed_ca(der: &CertificateDer<'_>) -> bool {
    X509Certificate::from_der(der.as_ref())
        .is_ok_and(|(_, cert)| cert.is_ca() && cert.subject() == cert.issuer())
}

/// What webpki checks of an end-entity certificate besides its chain: the validity dates,
/// then the name.
fn verify_pinned(
    der: &CertificateDer<'_>,
    server_name: &ServerName<'_>,
    now: UnixTime,
) -> Result<ServerCertVerified, rustls::Error> {
    let (_, cert) =
        X509Certificate::from_der(der.as_ref()).map_err(|_| CertificateError::BadEncoding)?;
    let at = |seconds: i64| {
        UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(seconds).unwrap_or(0)))
    };
    let not_before = at(cert.validity().not_before.timestamp());
    let not_after = at(cert.validity().not_after.timestamp());
    if now < not_before {
        return Err(CertificateError::NotValidYetContext {
            time: now,
            not_before,
        }
        .into());
    }
    if now > not_after {
        return Err(CertificateError::ExpiredContext {
            time: now,
            not_after,
        }
        .into());
    }
    let parsed = rustls::server::ParsedCertificate::try_from(der)?;
    rustls::client::verify_server_name(&parsed, server_name)
        .map_err(|error| plain_names(error, der))?;
    Ok(ServerCertVerified::assertion())
}

/// A name mismatch with the certificate's DNS and IP names as they are written.
fn plain_names(error: rustls::Error, der: &CertificateDer<'_>) -> rustls::Error {
    match error {
        rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext {
            expected,
            ..
        }) => CertificateError::NotValidForNameContext {
            expected,
            presented: X509Certificate::from_der(der.as_ref())
                .map(|(_, cert)| crate::names::subject_alt_names(&cert))
                .unwrap_or_default(),
        }
        .into(),
        other => other,
    }
}

/// Used only when a check turns verification off: accepts any certificate, but still checks
/// the handshake signatures, so the session itself is sound.
#[derive(Debug)]
pub(crate) struct AcceptAnyCertificate(pub(crate) WebPkiSupportedAlgorithms);

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
