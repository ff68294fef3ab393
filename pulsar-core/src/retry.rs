//! When a notification that did not go through is tried again: what a receiver's answer
//! means, and the backoff between attempts (honouring `429` and `Retry-After`).

use std::time::{Duration, SystemTime};

/// What one delivery attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptVerdict {
    /// The receiver took it (2xx).
    Delivered,
    /// Worth another try: no answer, a timeout, `408`, `425`, `429` or a `5xx`. Carries the
    /// receiver's `Retry-After`, when it sent one.
    Retry(Option<Duration>),
    /// The receiver refused it for good (another `4xx`, a redirect): trying again would
    /// get the same answer, so the notification ends failed.
    Rejected,
}

impl AttemptVerdict {
    /// Judges an HTTP answer (`None`: no answer arrived).
    pub fn of_status(status: Option<u16>, retry_after: Option<Duration>) -> Self {
        match status {
            Some(200..=299) => Self::Delivered,
            None | Some(408 | 425 | 429 | 500..) => Self::Retry(retry_after),
            Some(_) => Self::Rejected,
        }
    }
}

/// A `Retry-After` header's delay at `now`: whole or decimal seconds (what Discord and Slack
/// send), or an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`; one already past is no delay).
/// Nonsense gives `None`, and the backoff applies instead.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::from_secs_f64(seconds.min(1e6)));
    }
    let at = http_date(value)?;
    Some(at.duration_since(now).unwrap_or_default())
}

/// An IMF-fixdate, the one HTTP date form servers send today.
fn http_date(value: &str) -> Option<SystemTime> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let parts: Vec<&str> = value.split_whitespace().collect();
    let [_weekday, day, month, year, clock, "GMT"] = parts.as_slice() else {
        return None;
    };
    let month = MONTHS.iter().position(|m| m == month)? + 1;
    crate::time::parse_rfc3339(&format!("{year}-{month:02}-{day:0>2}T{clock}Z")).ok()
}

/// How often and how far apart a failing notification is tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait after the first failed attempt; each later wait doubles it.
    pub first_delay: Duration,
    /// No wait is longer, `Retry-After` included.
    pub max_delay: Duration,
    /// Attempts in all, the first included; after the last the notification ends failed.
    pub max_attempts: u32,
}

/// 10 s, 20 s, 40 s … up to 10 minutes apart, 10 attempts (about 45 minutes in all).
pub const DEFAULT_RETRY: RetryPolicy = RetryPolicy {
    first_delay: Duration::from_secs(10),
    max_delay: Duration::from_secs(600),
    max_attempts: 10,
};

impl RetryPolicy {
    /// The wait before the next attempt, after `attempts` attempts of which the last came to
    /// `verdict`; `None` when there is none (delivered, rejected, or out of attempts).
    /// A receiver's `Retry-After` is honoured as given, up to `max_delay`.
    pub fn next_delay(&self, attempts: u32, verdict: AttemptVerdict) -> Option<Duration> {
        let AttemptVerdict::Retry(retry_after) = verdict else {
            return None;
        };
        if attempts >= self.max_attempts {
            return None;
        }
        let doublings = attempts.saturating_sub(1).min(30);
        let backoff = self.first_delay.saturating_mul(1 << doublings);
        Some(retry_after.unwrap_or(backoff).min(self.max_delay))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_judged_by_whether_trying_again_can_help() {
        let v = |s| AttemptVerdict::of_status(s, None);
        assert_eq!(v(Some(204)), AttemptVerdict::Delivered);
        assert_eq!(v(None), AttemptVerdict::Retry(None));
        assert_eq!(v(Some(429)), AttemptVerdict::Retry(None));
        assert_eq!(v(Some(503)), AttemptVerdict::Retry(None));
        assert_eq!(v(Some(404)), AttemptVerdict::Rejected);
        assert_eq!(v(Some(301)), AttemptVerdict::Rejected);
    }

    #[test]
    fn waits_double_up_to_the_limit_and_retry_after_wins() {
        let policy = DEFAULT_RETRY;
        let retry = AttemptVerdict::Retry(None);
        let waits: Vec<_> = (1..=10)
            .map(|n| policy.next_delay(n, retry).map(|d| d.as_secs()))
            .collect();
        assert_eq!(
            waits,
            [
                Some(10),
                Some(20),
                Some(40),
                Some(80),
                Some(160),
                Some(320),
                Some(600),
                Some(600),
                Some(600),
                None
            ]
        );
        let told = AttemptVerdict::Retry(Some(Duration::from_secs(2)));
        assert_eq!(policy.next_delay(5, told), Some(Duration::from_secs(2)));
        let too_long = AttemptVerdict::Retry(Some(Duration::from_secs(7200)));
        assert_eq!(policy.next_delay(1, too_long), Some(policy.max_delay));
        assert_eq!(policy.next_delay(1, AttemptVerdict::Rejected), None);
        assert_eq!(policy.next_delay(1, AttemptVerdict::Delivered), None);
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = crate::time::parse_rfc3339("2015-10-21T07:27:00Z").unwrap();
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after(" 0.5 ", now),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:20:00 GMT", now),
            Some(Duration::ZERO),
            "a date already past"
        );
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
