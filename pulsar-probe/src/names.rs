//! The names TLS verifies: the server name a check sends and verifies, and the names a
//! certificate is valid for. Below both the handshake (`tls`) and the verifier (`verify`).

use std::net::IpAddr;

use pulsar_core::{Failure, FailureKind};
use rustls::pki_types::ServerName;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::X509Certificate;

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

/// The DNS names and IP addresses a certificate is valid for, as written.
pub(crate) fn subject_alt_names(cert: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    san.value
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::DNSName(dns) => Some((*dns).to_owned()),
            GeneralName::IPAddress(bytes) => ip_from_san(bytes).map(|ip| ip.to_string()),
            _ => None,
        })
        .collect()
}

fn ip_from_san(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
