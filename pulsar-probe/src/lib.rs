#![doc = include_str!("../README.md")]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod builder;
mod cache;
mod check;
mod connect;
mod dns;
mod error;
mod http;
mod io;
mod names;
mod target_policy;
mod tls;
mod tls_failure;
mod verify;

#[cfg(feature = "testkit")]
pub mod testkit;

pub use builder::{
    DEFAULT_BODY_LIMIT_BYTES, DEFAULT_DNS_SERVER, DEFAULT_EXTRA_CA_FILE, DEFAULT_IP_FAMILY,
    DEFAULT_MAX_REDIRECTS, DEFAULT_TARGET_POLICY, DEFAULT_USER_AGENT, Prober, ProberBuilder,
};
pub use check::{ANSWER_EXCERPT_BYTES, Answer};
pub use dns::IpFamily;
pub use error::ProbeError;
pub use pulsar_core::{
    BodyAssertion, CheckSpec, Failure, FailureKind, Header, HopReport, Phases, ProbeReport, TlsInfo,
};
pub use target_policy::{AddressClass, Refusal, TargetPolicy};
