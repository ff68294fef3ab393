//! A failed TLS handshake, sorted into what a user fixes (the certificate's dates, its
//! issuer, its names, or the handshake as a whole) and told in their terms: dates as dates,
//! names as names, and a plain HTTP answer as what it is.

use std::io;

use pulsar_core::{Failure, FailureKind};
use rustls::CertificateError;
use rustls::pki_types::UnixTime;

/// Classifies a handshake error; `first_bytes` are the first bytes the server sent.
pub(crate) fn classify(e: &io::Error, first_bytes: &[u8]) -> Failure {
    if let Some(message) = not_tls(first_bytes) {
        return Failure::new(FailureKind::TlsHandshake, message);
    }
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
    let rustls::Error::InvalidCertificate(cert) = rustls_error else {
        return Failure::new(FailureKind::TlsHandshake, format!("TLS: {rustls_error}"));
    };
    let kind = match cert {
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            FailureKind::TlsExpiredCertificate
        }
        CertificateError::UnknownIssuer => FailureKind::TlsSelfSignedCertificate,
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            FailureKind::TlsHostnameMismatch
        }
        _ => FailureKind::TlsInvalidCertificate,
    };
    Failure::new(kind, certificate_message(cert))
}

/// What a server that does not speak TLS answered, when its first bytes say so.
fn not_tls(first_bytes: &[u8]) -> Option<&'static str> {
    // A TLS record starts with its content type: 20 to 24.
    let first = *first_bytes.first()?;
    if first_bytes.starts_with(b"HTTP/") {
        Some("the server answered with plain HTTP, not TLS (is this an http:// port?)")
    } else if (20..=24).contains(&first) {
        None
    } else {
        Some("the server answered with something other than TLS")
    }
}

fn certificate_message(error: &CertificateError) -> String {
    match error {
        CertificateError::ExpiredContext { time, not_after } => format!(
            "TLS: the certificate expired on {} (now {})",
            utc(*not_after),
            utc(*time)
        ),
        CertificateError::NotValidYetContext { time, not_before } => format!(
            "TLS: the certificate is not valid before {} (now {})",
            utc(*not_before),
            utc(*time)
        ),
        CertificateError::NotValidForNameContext {
            expected,
            presented,
        } => {
            let expected = expected.to_str();
            if presented.is_empty() {
                format!("TLS: the certificate names no host, not {expected}")
            } else {
                let names = presented.join(", ");
                format!("TLS: the certificate is valid for {names}, not {expected}")
            }
        }
        CertificateError::UnknownIssuer => {
            "certificate not trusted: self-signed or issued by an unknown CA".to_owned()
        }
        CertificateError::Expired => "TLS: the certificate has expired".to_owned(),
        CertificateError::NotValidYet => "TLS: the certificate is not valid yet".to_owned(),
        CertificateError::NotValidForName => {
            "TLS: the certificate is not valid for this host".to_owned()
        }
        CertificateError::BadEncoding => "TLS: the certificate is malformed".to_owned(),
        CertificateError::BadSignature => {
            "TLS: the certificate's signature does not verify".to_owned()
        }
        CertificateError::Revoked => "TLS: the certificate has been revoked".to_owned(),
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "TLS: the certificate is not meant for a TLS server (extended key usage)".to_owned()
        }
        // rustls names the rest in its own terms; webpki's reasons arrive as `Other`.
        CertificateError::Other(reason) => format!("TLS: invalid certificate: {reason}"),
        other => format!("TLS: invalid certificate: {other:?}"),
    }
}

/// "2026-01-02 03:04:05 UTC".
fn utc(time: UnixTime) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(time.as_secs());
    let stamp = pulsar_core::rfc3339(at);
    format!("{} {} UTC", &stamp[..10], &stamp[11..19])
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rustls::pki_types::ServerName;

    use super::*;

    fn failure(error: rustls::Error) -> Failure {
        classify(
            &io::Error::new(io::ErrorKind::InvalidData, error),
            &[22, 3, 3],
        )
    }

    fn at(secs: u64) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(secs))
    }

    #[test]
    fn certificate_errors_map_to_their_kinds() {
        use CertificateError::*;
        let cert = |e| failure(rustls::Error::InvalidCertificate(e)).kind;
        assert_eq!(cert(Expired), FailureKind::TlsExpiredCertificate);
        assert_eq!(cert(UnknownIssuer), FailureKind::TlsSelfSignedCertificate);
        assert_eq!(cert(NotValidForName), FailureKind::TlsHostnameMismatch);
        assert_eq!(cert(NotValidYet), FailureKind::TlsInvalidCertificate);
        assert_eq!(cert(Revoked), FailureKind::TlsInvalidCertificate);
        assert_eq!(cert(BadSignature), FailureKind::TlsInvalidCertificate);
        let alert = rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure);
        assert_eq!(failure(alert).kind, FailureKind::TlsHandshake);
        let eof = classify(&io::Error::from(io::ErrorKind::UnexpectedEof), &[]);
        assert_eq!(eof.kind, FailureKind::TlsHandshake);
        assert!(eof.message.contains("closed"), "{}", eof.message);
    }

    #[test]
    fn validity_dates_read_as_dates() {
        let expired = CertificateError::ExpiredContext {
            time: at(1_767_323_045),
            not_after: at(1_609_459_200),
        };
        assert_eq!(
            failure(expired.into()).message,
            "TLS: the certificate expired on 2021-01-01 00:00:00 UTC \
             (now 2026-01-02 03:04:05 UTC)"
        );
        let early = CertificateError::NotValidYetContext {
            time: at(951_782_400),
            not_before: at(4_102_444_799),
        };
        assert_eq!(
            failure(early.into()).message,
            "TLS: the certificate is not valid before 2099-12-31 23:59:59 UTC \
             (now 2000-02-29 00:00:00 UTC)"
        );
        assert_eq!(utc(at(0)), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(at(68_169_600)), "1972-02-29 00:00:00 UTC");
    }

    #[test]
    fn other_certificate_faults_read_as_words() {
        use CertificateError::*;
        let message = |e| failure(rustls::Error::InvalidCertificate(e)).message;
        assert_eq!(message(Expired), "TLS: the certificate has expired");
        assert_eq!(message(Revoked), "TLS: the certificate has been revoked");
        assert_eq!(
            message(BadSignature),
            "TLS: the certificate's signature does not verify"
        );
        assert_eq!(message(BadEncoding), "TLS: the certificate is malformed");
    }

    #[test]
    fn names_read_as_names() {
        let mismatch = |expected: &str, presented: &[&str]| {
            let error = CertificateError::NotValidForNameContext {
                expected: ServerName::try_from(expected.to_owned()).unwrap(),
                presented: presented.iter().map(|n| (*n).to_owned()).collect(),
            };
            failure(error.into()).message
        };
        assert_eq!(
            mismatch("c.example", &["a.example", "b.example", "10.0.0.1"]),
            "TLS: the certificate is valid for a.example, b.example, 10.0.0.1, not c.example"
        );
        assert_eq!(
            mismatch("::1", &["localhost"]),
            "TLS: the certificate is valid for localhost, not ::1"
        );
        assert_eq!(
            mismatch("c.example", &[]),
            "TLS: the certificate names no host, not c.example"
        );
    }

    #[test]
    fn an_answer_that_is_not_tls_is_named() {
        let garbage = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType),
        );
        let http = classify(&garbage, b"HTTP/1.1 400 Bad Request\r\n");
        assert_eq!(http.kind, FailureKind::TlsHandshake);
        assert_eq!(
            http.message,
            "the server answered with plain HTTP, not TLS (is this an http:// port?)"
        );
        let ssh = classify(&garbage, b"SSH-2.0-");
        assert_eq!(
            ssh.message,
            "the server answered with something other than TLS"
        );
    }
}
