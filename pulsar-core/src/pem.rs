//! Just enough PEM to validate the CA certificates a user gives a monitor: every block must be
//! a CERTIFICATE whose base64 decodes to one DER structure. The probe parses the text again
//! with rustls when it uses it; this check lets a create or update request fail with a field
//! message instead of every later check failing.

/// Counts the CERTIFICATE blocks of `pem`, or says what is wrong with it. Text outside the
/// blocks is ignored, as in the bundles `openssl` writes (`subject=…` lines).
pub(crate) fn count_certificates(pem: &str) -> Result<usize, String> {
    let mut count = 0;
    let mut block: Option<(&str, String)> = None;
    for line in pem.lines().map(str::trim) {
        match (&mut block, marker(line, "BEGIN"), marker(line, "END")) {
            (None, Some(label), _) => block = Some((label, String::new())),
            (None, None, Some(label)) => return Err(format!("END {label} without a BEGIN")),
            (None, None, None) => {}
            (Some((open, _)), Some(_), _) => return Err(format!("BEGIN inside the {open} block")),
            (Some((open, body)), None, Some(label)) => {
                if label != *open {
                    return Err(format!("the {open} block ends with END {label}"));
                }
                if *open != "CERTIFICATE" {
                    // A private key pasted here would be stored with the monitor in clear.
                    return Err(format!(
                        "holds a {open} block: only certificates belong here"
                    ));
                }
                count += 1;
                let der = decode_base64(body)
                    .ok_or_else(|| format!("certificate {count} is not valid base64"))?;
                if !is_one_der_sequence(&der) {
                    return Err(format!("certificate {count} is not a DER certificate"));
                }
                block = None;
            }
            (Some((_, body)), None, None) => body.push_str(line),
        }
    }
    if let Some((open, _)) = block {
        return Err(format!("the {open} block has no END line"));
    }
    if count == 0 {
        return Err("no CERTIFICATE block found".to_owned());
    }
    Ok(count)
}

/// The label of a `-----BEGIN LABEL-----` (or END) line.
fn marker<'a>(line: &'a str, which: &str) -> Option<&'a str> {
    line.strip_prefix("-----")?
        .strip_prefix(which)?
        .strip_prefix(' ')?
        .strip_suffix("-----")
}

/// Standard base64 with `=` padding; `None` on any other character.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let digits = text.trim_end_matches('=');
    if !text.len().is_multiple_of(4) || text.len() - digits.len() > 2 {
        return None;
    }
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for byte in digits.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// A certificate is one DER SEQUENCE whose length covers exactly the bytes given.
fn is_one_der_sequence(der: &[u8]) -> bool {
    let [0x30, first, rest @ ..] = der else {
        return false;
    };
    let (length, header) = match *first {
        short @ 0..=0x7f => (usize::from(short), 2),
        long @ 0x81..=0x84 => {
            let width = usize::from(long & 0x7f);
            let Some(bytes) = rest.get(..width) else {
                return false;
            };
            let length = bytes.iter().fold(0, |n, b| (n << 8) | usize::from(*b));
            (length, 2 + width)
        }
        _ => return false,
    };
    header + length == der.len()
}

/// A self-signed certificate made with `openssl req -x509` (CA:TRUE, for internal.example),
/// for the tests of what takes PEM.
#[cfg(test)]
pub(crate) const TEST_CA_PEM: &str = "-----BEGIN CERTIFICATE-----
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_and_a_bundle_with_openssl_comments_count() {
        assert_eq!(count_certificates(TEST_CA_PEM), Ok(1));
        let bundle = format!("subject=CN = internal.example\n{TEST_CA_PEM}\r\n{TEST_CA_PEM}");
        assert_eq!(count_certificates(&bundle), Ok(2));
    }

    #[test]
    fn what_is_not_a_certificate_is_named() {
        let broken = |find: &str, replace: &str| {
            count_certificates(&TEST_CA_PEM.replacen(find, replace, 1)).unwrap_err()
        };
        assert_eq!(
            count_certificates(""),
            Err("no CERTIFICATE block found".into())
        );
        assert_eq!(
            count_certificates("just text"),
            Err("no CERTIFICATE block found".into())
        );
        assert!(broken("MIIB", "M!IB").contains("not valid base64"));
        // Valid base64 of bytes that are not one DER structure.
        assert!(broken("MIIBqTCC", "AAAAqTCC").contains("not a DER certificate"));
        assert!(broken("-----END CERTIFICATE-----", "").contains("no END line"));
        assert!(broken("END CERTIFICATE", "END X509 CRL").contains("ends with END X509 CRL"));
        let key = "-----BEGIN PRIVATE KEY-----\nMIGHAgEA\n-----END PRIVATE KEY-----\n";
        let with_key = format!("{TEST_CA_PEM}{key}");
        assert_eq!(
            count_certificates(&with_key),
            Err("holds a PRIVATE KEY block: only certificates belong here".into())
        );
    }

    #[test]
    fn base64_padding_and_der_lengths() {
        assert_eq!(decode_base64("TWE="), Some(b"Ma".to_vec()));
        assert_eq!(decode_base64("TWFu"), Some(b"Man".to_vec()));
        assert_eq!(decode_base64("TQ=="), Some(b"M".to_vec()));
        assert_eq!(decode_base64("TQ="), None);
        assert_eq!(decode_base64("T==="), None);
        assert!(is_one_der_sequence(&[0x30, 0x01, 0x00]));
        assert!(!is_one_der_sequence(&[0x30, 0x02, 0x00]));
        assert!(is_one_der_sequence(&[0x30, 0x81, 0x01, 0x00]));
        assert!(!is_one_der_sequence(&[0x30, 0x82, 0x01]));
        assert!(!is_one_der_sequence(&[0x31, 0x00]));
    }
}
