//! A throwaway certificate authority and the leaf certificates the tests need.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, date_time_ymd,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The names every valid test leaf covers: loopback by name and address, and the test DNS
/// zone `pulsar.test` served by [`crate::testkit::TestDns`].
pub const LEAF_NAMES: [&str; 5] = [
    "localhost",
    "127.0.0.1",
    "::1",
    "pulsar.test",
    "*.pulsar.test",
];

/// Which certificate a TLS test server presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Leaf {
    /// Signed by the test CA for [`LEAF_NAMES`], valid from last January to January in two
    /// years (so a clock near New Year never sees it expired).
    Valid,
    /// Signed by the test CA, but its validity ended in 2021.
    Expired,
    /// Signed by the test CA for `other.invalid` only.
    WrongHost,
    /// Self-signed for [`LEAF_NAMES`]: no CA vouches for it.
    SelfSigned,
    /// Self-signed for [`LEAF_NAMES`] with CA:TRUE, as `openssl req -x509` makes them: an
    /// internal service's certificate, trusted by giving it as a CA ([`Identity::leaf_pem`]).
    SelfSignedCa,
    /// As [`Leaf::SelfSignedCa`], but its validity ended in 2021.
    ExpiredSelfSignedCa,
    /// Signed by the test CA for [`LEAF_NAMES`], its subject's names holding terminal
    /// control codes ([`HOSTILE_NAME`]): what a hostile server can put in front of a user.
    HostileNames,
}

/// The common name of [`Leaf::HostileNames`]: an OSC title change, a screen clear, a
/// carriage return over the line before it, and a bell.
pub const HOSTILE_NAME: &str = "\u{1b}]0;pwned\u{7}evil\u{1b}[2J\rok\u{7}";

/// A certificate chain and its key, ready for a rustls server.
#[derive(Debug)]
pub struct Identity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivatePkcs8KeyDer<'static>,
    /// The first certificate of `chain`, as PEM.
    pub leaf_pem: String,
}

impl Identity {
    pub fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(self.key.clone_key())
    }
}

/// A CA made at start-up, with one identity per [`Leaf`].
#[derive(Debug)]
pub struct TestPki {
    ca_der: CertificateDer<'static>,
    ca_pem: String,
    valid: Arc<Identity>,
    expired: Arc<Identity>,
    wrong_host: Arc<Identity>,
    self_signed: Arc<Identity>,
    self_signed_ca: Arc<Identity>,
    expired_self_signed_ca: Arc<Identity>,
    hostile_names: Arc<Identity>,
}

type Result<T> = std::result::Result<T, rcgen::Error>;

impl TestPki {
    pub fn new() -> Result<Self> {
        let this_year = this_year();
        let ca_key = KeyPair::generate()?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca_params.distinguished_name = name("Pulsar Test CA");
        ca_params.not_before = date_time_ymd(this_year - 1, 1, 1);
        ca_params.not_after = date_time_ymd(this_year + 10, 1, 1);
        let ca_cert = ca_params.self_signed(&ca_key)?;
        let ca_der = ca_cert.der().clone();
        let ca_pem = ca_cert.pem();
        let issuer = Issuer::new(ca_params, ca_key);

        let signed_as = |names: &[&str], subject: DistinguishedName, from: i32, until: i32| {
            let key = KeyPair::generate()?;
            let mut params = leaf_params(names)?;
            params.distinguished_name = subject;
            params.not_before = date_time_ymd(from, 1, 1);
            params.not_after = date_time_ymd(until, 1, 1);
            let cert = params.signed_by(&key, &issuer)?;
            Ok::<_, rcgen::Error>(Arc::new(Identity {
                chain: vec![cert.der().clone(), ca_der.clone()],
                key: PrivatePkcs8KeyDer::from(key.serialize_der()),
                leaf_pem: cert.pem(),
            }))
        };
        let signed = |names: &[&str], from: i32, until: i32| {
            signed_as(
                names,
                name(names.first().copied().unwrap_or("leaf")),
                from,
                until,
            )
        };
        let valid = signed(&LEAF_NAMES, this_year - 1, this_year + 2)?;
        let expired = signed(&LEAF_NAMES, 2020, 2021)?;
        let wrong_host = signed(&["other.invalid"], this_year - 1, this_year + 2)?;
        let mut hostile = name(HOSTILE_NAME);
        hostile.push(DnType::OrganizationName, HOSTILE_NAME);
        let hostile_names = signed_as(&LEAF_NAMES, hostile, this_year - 1, this_year + 2)?;

        let self_signed_as = |is_ca: IsCa, from: i32, until: i32| {
            let key = KeyPair::generate()?;
            let mut params = leaf_params(&LEAF_NAMES)?;
            params.is_ca = is_ca;
            params.not_before = date_time_ymd(from, 1, 1);
            params.not_after = date_time_ymd(until, 1, 1);
            let cert = params.self_signed(&key)?;
            Ok::<_, rcgen::Error>(Arc::new(Identity {
                chain: vec![cert.der().clone()],
                key: PrivatePkcs8KeyDer::from(key.serialize_der()),
                leaf_pem: cert.pem(),
            }))
        };
        let self_signed = self_signed_as(IsCa::NoCa, this_year - 1, this_year + 2)?;
        let unconstrained = || IsCa::Ca(BasicConstraints::Unconstrained);
        let self_signed_ca = self_signed_as(unconstrained(), this_year - 1, this_year + 2)?;
        let expired_self_signed_ca = self_signed_as(unconstrained(), 2020, 2021)?;

        Ok(Self {
            ca_der,
            ca_pem,
            valid,
            expired,
            wrong_host,
            self_signed,
            self_signed_ca,
            expired_self_signed_ca,
            hostile_names,
        })
    }

    /// The CA certificate, for [`crate::ProberBuilder::extra_root`].
    pub fn ca_der(&self) -> CertificateDer<'static> {
        self.ca_der.clone()
    }

    /// The CA certificate as PEM, for a file given to `extra_ca_file` or `--ca-file`.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    pub fn identity(&self, leaf: Leaf) -> Arc<Identity> {
        match leaf {
            Leaf::Valid => self.valid.clone(),
            Leaf::Expired => self.expired.clone(),
            Leaf::WrongHost => self.wrong_host.clone(),
            Leaf::SelfSigned => self.self_signed.clone(),
            Leaf::SelfSignedCa => self.self_signed_ca.clone(),
            Leaf::ExpiredSelfSignedCa => self.expired_self_signed_ca.clone(),
            Leaf::HostileNames => self.hostile_names.clone(),
        }
    }
}

fn leaf_params(names: &[&str]) -> Result<CertificateParams> {
    let mut params =
        CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())?;
    params.distinguished_name = name(names.first().copied().unwrap_or("leaf"));
    Ok(params)
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn.push(DnType::OrganizationName, "Pulsar tests");
    dn
}

/// The current year, near enough for validity windows that span years.
fn this_year() -> i32 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    1970 + i32::try_from(secs / 31_556_952).unwrap_or(0)
}
