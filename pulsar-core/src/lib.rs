#![doc = include_str!("../README.md")]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod body;
mod check;
mod error;
mod monitor;
mod outcome;
mod phases;
mod report;
mod stats;
mod time;
mod validate;

pub mod proto;

pub use body::BodyMatcher;
pub use body::REGEX_WINDOW_BYTES;
pub use check::CheckResult;
pub use error::{CoreError, FieldError};
pub use monitor::{
    BodyAssertion, CheckSpec, DEFAULT_FAILURE_THRESHOLD, DEFAULT_MAX_REDIRECTS,
    DEFAULT_RECOVERY_THRESHOLD, Expectations, Header, Monitor, MonitorId, MonitorState,
    StatusRange,
};
pub use outcome::{Outcome, Verdict, classify};
pub use phases::PHASE_NAMES;
pub use phases::Phases;
pub use report::{Failure, FailureKind, FailurePhase, HopReport, ProbeReport, TlsInfo};
pub use stats::{PhasePercentiles, percentile};
pub use time::{from_unix_ms, unix_ms};
pub use validate::limits;
