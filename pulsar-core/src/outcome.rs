//! The rule that turns what the probe saw into UP, DEGRADED or DOWN.

use std::fmt;

use crate::monitor::Expectations;
use crate::report::{FailureKind, ProbeReport};

/// The verdict on one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Up,
    /// Working, but slower than the monitor's degraded threshold.
    Degraded,
    Down,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Degraded => "degraded",
            Self::Down => "down",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An outcome with its cause: `failure_kind` is set for DOWN, `reason` for anything not UP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub outcome: Outcome,
    pub failure_kind: Option<FailureKind>,
    pub reason: String,
}

/// Classifies a report against expectations, first rule that applies wins:
/// 1. the exchange failed → DOWN with the probe's failure kind;
/// 2. no response or an unexpected status → DOWN (`StatusUnexpected`);
/// 3. the body assertion did not hold → DOWN (`BodyAssertion`);
/// 4. total time above the degraded threshold → DEGRADED;
/// 5. otherwise UP.
pub fn classify(report: &ProbeReport, expect: &Expectations) -> Verdict {
    let down = |kind: FailureKind, reason: String| Verdict {
        outcome: Outcome::Down,
        failure_kind: Some(kind),
        reason,
    };
    if let Some(failure) = &report.failure {
        return down(failure.kind, failure.message.clone());
    }
    let Some(status) = report.status() else {
        return down(FailureKind::HttpProtocol, "no response received".to_owned());
    };
    if !expect.accepts_status(status) {
        return down(
            FailureKind::StatusUnexpected,
            format!("unexpected status {status}"),
        );
    }
    if report.body_assertion_held == Some(false) {
        return down(
            FailureKind::BodyAssertion,
            "body assertion did not hold".to_owned(),
        );
    }
    if let (Some(limit), Some(total)) = (expect.degraded_above, report.phases.total)
        && total > limit
    {
        return Verdict {
            outcome: Outcome::Degraded,
            failure_kind: None,
            reason: format!(
                "took {:.1} ms, above the {} ms threshold",
                total.as_secs_f64() * 1000.0,
                limit.as_millis()
            ),
        };
    }
    Verdict {
        outcome: Outcome::Up,
        failure_kind: None,
        reason: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::monitor::StatusRange;
    use crate::phases::Phases;
    use crate::report::{Failure, HopReport};

    fn report(status: Option<u16>, total_ms: u64) -> ProbeReport {
        let phases = Phases {
            total: Some(Duration::from_millis(total_ms)),
            ..Default::default()
        };
        ProbeReport {
            url: "http://x".into(),
            started_at: UNIX_EPOCH,
            hops: vec![HopReport {
                status,
                phases,
                ..Default::default()
            }],
            phases,
            failure: None,
            body_assertion_held: None,
        }
    }

    #[test]
    fn a_transport_failure_is_down_with_its_kind() {
        let mut r = report(None, 5);
        r.failure = Some(Failure::new(
            FailureKind::ConnectRefused,
            "connection refused",
        ));
        let v = classify(&r, &Expectations::default());
        assert_eq!(v.outcome, Outcome::Down);
        assert_eq!(v.failure_kind, Some(FailureKind::ConnectRefused));
        assert_eq!(v.reason, "connection refused");
    }

    #[test]
    fn status_outside_expected_ranges_is_down() {
        let v = classify(&report(Some(503), 5), &Expectations::default());
        assert_eq!(
            (v.outcome, v.failure_kind),
            (Outcome::Down, Some(FailureKind::StatusUnexpected))
        );
        let expect = Expectations {
            status: vec![StatusRange { min: 503, max: 503 }],
            ..Default::default()
        };
        assert_eq!(
            classify(&report(Some(503), 5), &expect).outcome,
            Outcome::Up
        );
        assert_eq!(
            classify(&report(Some(200), 5), &expect).outcome,
            Outcome::Down
        );
    }

    #[test]
    fn failed_body_assertion_is_down_even_when_fast() {
        let mut r = report(Some(200), 1);
        r.body_assertion_held = Some(false);
        let v = classify(&r, &Expectations::default());
        assert_eq!(v.failure_kind, Some(FailureKind::BodyAssertion));
    }

    #[test]
    fn slow_success_is_degraded_and_fast_is_up() {
        let expect = Expectations {
            degraded_above: Some(Duration::from_millis(100)),
            ..Default::default()
        };
        let slow = classify(&report(Some(200), 150), &expect);
        assert_eq!(slow.outcome, Outcome::Degraded);
        assert!(slow.reason.contains("150.0 ms"), "{}", slow.reason);
        assert_eq!(
            classify(&report(Some(200), 100), &expect).outcome,
            Outcome::Up
        );
        // A slow failure is DOWN, not DEGRADED.
        assert_eq!(
            classify(&report(Some(500), 150), &expect).outcome,
            Outcome::Down
        );
    }
}
