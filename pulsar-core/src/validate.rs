//! User-facing validation of a monitor, every broken rule reported with its field.

use std::time::Duration;

use crate::error::{CoreError, FieldError};
use crate::monitor::{BodyAssertion, CheckSpec, Monitor};

/// Size limits on every string and list a user can send.
pub mod limits {
    use std::time::Duration;

    pub const NAME_CHARS: usize = 200;
    pub const URL_BYTES: usize = 2048;
    pub const METHOD_BYTES: usize = 16;
    pub const HEADERS: usize = 50;
    pub const HEADER_NAME_BYTES: usize = 256;
    pub const HEADER_VALUE_BYTES: usize = 8192;
    pub const BODY_BYTES: usize = 64 * 1024;
    pub const STATUS_RANGES: usize = 20;
    pub const PATTERN_BYTES: usize = 1024;
    pub const TLS_CA_PEM_BYTES: usize = 64 * 1024;
    /// A monitor's reminders: at least a minute apart, at most a week.
    pub const MIN_REMIND_EVERY: Duration = Duration::from_secs(60);
    pub const MAX_REMIND_EVERY: Duration = Duration::from_secs(7 * 86_400);
    pub const LABELS: usize = 32;
    pub const LABEL_KEY_BYTES: usize = 64;
    pub const LABEL_VALUE_BYTES: usize = 256;
    pub const MAX_REDIRECTS: u32 = 30;
    pub const THRESHOLD_MAX: u32 = 100;
    pub const MIN_INTERVAL: Duration = Duration::from_secs(1);
    pub const MAX_INTERVAL: Duration = Duration::from_secs(24 * 60 * 60);
    pub const MIN_TIMEOUT: Duration = Duration::from_millis(100);
}

#[derive(Default)]
struct Report(Vec<FieldError>);

impl Report {
    fn check(&mut self, ok: bool, field: impl Into<String>, message: impl Into<String>) {
        if !ok {
            self.0.push(FieldError::new(field, message));
        }
    }

    fn into_result(self) -> Result<(), CoreError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(CoreError::Invalid(self.0))
        }
    }

    fn max_len(&mut self, value: &str, limit: usize, field: impl Into<String>) {
        self.check(
            value.len() <= limit,
            field,
            format!("at most {limit} bytes"),
        );
    }
}

fn has_crlf(s: &str) -> bool {
    s.contains(['\r', '\n'])
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

impl Monitor {
    /// Checks every rule and reports all broken ones at once, each with its field.
    pub fn validate(&self) -> Result<(), CoreError> {
        let mut r = Report::default();
        let name = self.name.trim();
        r.check(!name.is_empty(), "name", "must not be empty");
        r.check(
            self.name.chars().count() <= limits::NAME_CHARS,
            "name",
            format!("at most {} characters", limits::NAME_CHARS),
        );
        r.check(
            !self.name.chars().any(char::is_control),
            "name",
            "must not contain control characters",
        );
        validate_request(&mut r, &self.check);
        validate_timing(&mut r, self.interval, self.check.timeout);
        r.check(
            self.check.max_redirects <= limits::MAX_REDIRECTS,
            "max_redirects",
            format!("at most {}", limits::MAX_REDIRECTS),
        );
        r.check(
            self.expect.status.len() <= limits::STATUS_RANGES,
            "expected_status",
            format!("at most {} ranges", limits::STATUS_RANGES),
        );
        for (i, range) in self.expect.status.iter().enumerate() {
            r.check(
                (100..=599).contains(&range.min)
                    && (100..=599).contains(&range.max)
                    && range.min <= range.max,
                format!("expected_status[{i}]"),
                "must be a range of status codes within 100..=599, min <= max",
            );
        }
        if let Some(assertion) = &self.check.body_assertion {
            validate_assertion(&mut r, assertion, true);
        }
        if let Some(degraded) = self.expect.degraded_above {
            r.check(
                degraded < self.check.timeout,
                "degraded_above_ms",
                "must be below the timeout",
            );
        }
        for (field, value) in [
            ("failure_threshold", self.failure_threshold),
            ("recovery_threshold", self.recovery_threshold),
        ] {
            r.check(
                (1..=limits::THRESHOLD_MAX).contains(&value),
                field,
                format!("must be within 1..={}", limits::THRESHOLD_MAX),
            );
        }
        if let Some(every) = self.remind_every {
            r.check(
                (limits::MIN_REMIND_EVERY..=limits::MAX_REMIND_EVERY).contains(&every),
                "remind_every_seconds",
                "must be within 60..=604800 seconds (1 minute to 7 days), or 0 for the channels' own",
            );
        }
        r.check(
            self.cert_expiry_days.len() <= 10
                && self.cert_expiry_days.iter().all(|d| (1..=365).contains(d)),
            "cert_expiry.days",
            "at most 10 thresholds, each 1..=365 days",
        );
        r.check(
            self.labels.len() <= limits::LABELS,
            "labels",
            format!("at most {} labels", limits::LABELS),
        );
        for (key, value) in &self.labels {
            r.check(
                !key.is_empty()
                    && key.len() <= limits::LABEL_KEY_BYTES
                    && !key.chars().any(char::is_control),
                format!("labels.{key}"),
                format!(
                    "key must be 1..={} bytes without control characters",
                    limits::LABEL_KEY_BYTES
                ),
            );
            r.check(
                value.len() <= limits::LABEL_VALUE_BYTES && !value.chars().any(char::is_control),
                format!("labels.{key}"),
                format!(
                    "value must be at most {} bytes without control characters",
                    limits::LABEL_VALUE_BYTES
                ),
            );
        }
        r.into_result()
    }
}

impl CheckSpec {
    /// Checks the request rules (URL, method, headers, body, redirect limit, body assertion)
    /// and reports all broken ones at once. A monitor's [`Monitor::validate`] applies these
    /// and its schedule rules.
    pub fn validate(&self) -> Result<(), CoreError> {
        self.check_rules(true)
    }

    /// As [`CheckSpec::validate`], but a regex body assertion is not compiled: for a caller
    /// that compiles it anyway with [`crate::CompiledAssertion::new`], which reports the same
    /// field error, and keeps it compiled across checks (a prober).
    pub fn validate_except_regex(&self) -> Result<(), CoreError> {
        self.check_rules(false)
    }

    fn check_rules(&self, compile_regex: bool) -> Result<(), CoreError> {
        let mut r = Report::default();
        validate_request(&mut r, self);
        r.check(
            self.max_redirects <= limits::MAX_REDIRECTS,
            "max_redirects",
            format!("at most {}", limits::MAX_REDIRECTS),
        );
        if let Some(assertion) = &self.body_assertion {
            validate_assertion(&mut r, assertion, compile_regex);
        }
        r.into_result()
    }
}

fn validate_url(r: &mut Report, raw: &str) {
    r.max_len(raw, limits::URL_BYTES, "url");
    match url::Url::parse(raw) {
        Err(e) => r.check(false, "url", format!("not a URL: {e}")),
        Ok(url) => {
            // One message per field: the first broken rule is the one to fix.
            let problem = if !matches!(url.scheme(), "http" | "https") {
                Some("scheme must be http or https")
            } else if url.host_str().is_none_or(str::is_empty) {
                Some("must name a host")
            } else if !url.username().is_empty() || url.password().is_some() {
                Some("must not carry credentials; use an Authorization header")
            } else {
                None
            };
            if let Some(problem) = problem {
                r.check(false, "url", problem);
            }
        }
    }
}

/// The rules of the request itself (URL, method, headers, body): shared by a monitor and a
/// one-off check.
fn validate_request(r: &mut Report, check: &CheckSpec) {
    validate_url(r, &check.url);
    r.check(
        is_token(&check.method),
        "method",
        "must be an HTTP method token",
    );
    r.max_len(&check.method, limits::METHOD_BYTES, "method");
    r.check(
        check.headers.len() <= limits::HEADERS,
        "headers",
        format!("at most {} headers", limits::HEADERS),
    );
    for (i, h) in check.headers.iter().enumerate() {
        r.check(
            is_token(&h.name),
            format!("headers[{i}].name"),
            "must be a header name token",
        );
        r.check(
            !has_crlf(&h.value),
            format!("headers[{i}].value"),
            "must not contain CR or LF",
        );
        r.max_len(
            &h.name,
            limits::HEADER_NAME_BYTES,
            format!("headers[{i}].name"),
        );
        r.max_len(
            &h.value,
            limits::HEADER_VALUE_BYTES,
            format!("headers[{i}].value"),
        );
    }
    r.max_len(&check.body, limits::BODY_BYTES, "body");
    if let Some(pem) = &check.tls_ca_pem {
        r.max_len(pem, limits::TLS_CA_PEM_BYTES, "tls_ca_pem");
        if let Err(problem) = crate::pem::count_certificates(pem) {
            r.check(false, "tls_ca_pem", problem);
        }
    }
}

fn validate_timing(r: &mut Report, interval: Duration, timeout: Duration) {
    r.check(
        (limits::MIN_INTERVAL..=limits::MAX_INTERVAL).contains(&interval),
        "interval_seconds",
        "must be between 1 second and 24 hours",
    );
    r.check(
        timeout >= limits::MIN_TIMEOUT,
        "timeout_ms",
        "must be at least 100 ms",
    );
    r.check(
        timeout < interval,
        "timeout_ms",
        "must be below the interval",
    );
}

fn validate_assertion(r: &mut Report, assertion: &BodyAssertion, compile_regex: bool) {
    let pattern = match assertion {
        BodyAssertion::Contains(p) | BodyAssertion::NotContains(p) | BodyAssertion::Regex(p) => p,
    };
    r.check(
        !pattern.is_empty(),
        "body_assertion.pattern",
        "must not be empty",
    );
    r.max_len(pattern, limits::PATTERN_BYTES, "body_assertion.pattern");
    if let BodyAssertion::Regex(p) = assertion
        && compile_regex
        && let Err(problem) = crate::body::compile_regex(p)
    {
        r.check(false, "body_assertion.pattern", problem);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::{Header, StatusRange};

    fn fields(m: &Monitor) -> Vec<String> {
        m.validate()
            .err()
            .map(|e| e.field_errors().iter().map(|f| f.field.clone()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn defaults_are_valid() {
        Monitor::new("site", "https://example.com")
            .validate()
            .unwrap();
    }

    #[test]
    fn only_http_and_https() {
        for url in [
            "ftp://example.com",
            "file:///etc/passwd",
            "not a url",
            "http://",
        ] {
            assert_eq!(fields(&Monitor::new("x", url)), vec!["url"], "{url}");
        }
    }

    #[test]
    fn interval_bounds_and_timeout_below_interval() {
        let mut m = Monitor::new("x", "http://a");
        m.interval = Duration::from_millis(500);
        m.check.timeout = Duration::from_millis(200);
        assert_eq!(fields(&m), vec!["interval_seconds"]);
        m.interval = Duration::from_secs(86_401);
        assert_eq!(fields(&m), vec!["interval_seconds"]);
        m.interval = Duration::from_secs(5);
        m.check.timeout = Duration::from_secs(5);
        assert_eq!(fields(&m), vec!["timeout_ms"]);
    }

    #[test]
    fn crlf_in_headers_is_rejected_with_the_field_index() {
        let mut m = Monitor::new("x", "http://a");
        m.check.headers = vec![
            Header::new("Ok", "fine"),
            Header::new("X-Evil\r\n", "a\r\nInjected: 1"),
        ];
        assert_eq!(fields(&m), vec!["headers[1].name", "headers[1].value"]);
    }

    #[test]
    fn size_limits_apply_to_strings_and_lists() {
        let mut m = Monitor::new("n".repeat(201), "http://a");
        m.check.headers = vec![Header::new("A", "b"); 51];
        m.check.body = "x".repeat(limits::BODY_BYTES + 1);
        m.labels = (0..33).map(|i| (format!("k{i}"), "v".into())).collect();
        assert_eq!(fields(&m), vec!["name", "headers", "body", "labels"]);
    }

    #[test]
    fn status_ranges_and_regex_are_checked() {
        let mut m = Monitor::new("x", "http://a");
        m.expect.status = vec![StatusRange { min: 300, max: 200 }];
        m.check.body_assertion = Some(BodyAssertion::Regex("(unclosed".into()));
        assert_eq!(
            fields(&m),
            vec!["expected_status[0]", "body_assertion.pattern"]
        );
    }

    #[test]
    fn a_regex_that_compiles_too_big_is_a_field_violation() {
        let mut m = Monitor::new("x", "http://a");
        m.check.body_assertion = Some(BodyAssertion::Regex("(a{1000}){1000}".into()));
        let err = m.validate().unwrap_err();
        let violation = &err.field_errors()[0];
        assert_eq!(violation.field, "body_assertion.pattern");
        assert!(violation.message.starts_with("too complex"), "{violation}");
    }

    #[test]
    fn tls_ca_pem_must_hold_certificates_and_nothing_else() {
        let mut m = Monitor::new("x", "https://internal.example");
        m.check.tls_ca_pem = Some(crate::pem::TEST_CA_PEM.into());
        m.validate().unwrap();
        let violation = |pem: String| {
            let mut m = m.clone();
            m.check.tls_ca_pem = Some(pem);
            let err = m.validate().unwrap_err();
            assert_eq!(err.field_errors().len(), 1, "{err}");
            let field = &err.field_errors()[0];
            assert_eq!(field.field, "tls_ca_pem");
            field.message.clone()
        };
        assert_eq!(violation("   ".into()), "no CERTIFICATE block found");
        assert!(violation(crate::pem::TEST_CA_PEM.replace("MIIB", "M@IB")).contains("base64"));
        let key = "-----BEGIN PRIVATE KEY-----\nMIGHAgEA\n-----END PRIVATE KEY-----\n";
        assert!(violation(key.into()).contains("only certificates"));
        let huge = crate::pem::TEST_CA_PEM.repeat(limits::TLS_CA_PEM_BYTES / 600 + 1);
        assert_eq!(violation(huge), "at most 65536 bytes");
    }

    #[test]
    fn every_error_has_a_message() {
        let m = Monitor::new("", "gopher://x");
        let err = m.validate().unwrap_err();
        assert!(err.to_string().contains("name: must not be empty"), "{err}");
        assert!(
            err.to_string()
                .contains("url: scheme must be http or https"),
            "{err}"
        );
    }

    #[test]
    fn a_one_off_check_gets_the_request_rules_alone() {
        let mut spec = crate::monitor::CheckSpec::get("https://example.com/health");
        spec.timeout = Duration::from_millis(10);
        spec.validate().unwrap();
        spec.url = "gopher://x".into();
        spec.headers = vec![Header::new("Bad Name", "v")];
        spec.body_assertion = Some(BodyAssertion::Contains(String::new()));
        let err = spec.validate().unwrap_err();
        let fields: Vec<_> = err
            .field_errors()
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(
            fields,
            vec!["url", "headers[0].name", "body_assertion.pattern"]
        );
    }

    #[test]
    fn a_prober_may_leave_the_regex_to_its_own_compile() {
        let mut spec = crate::monitor::CheckSpec::get("https://example.com/health");
        spec.body_assertion = Some(BodyAssertion::Regex("(unclosed".into()));
        assert!(spec.validate().is_err());
        spec.validate_except_regex().unwrap();
        spec.body_assertion = Some(BodyAssertion::Regex(String::new()));
        let err = spec.validate_except_regex().unwrap_err();
        assert_eq!(err.field_errors()[0].field, "body_assertion.pattern");
    }
}
