//! The monitor: what to check, how often, and what a good answer looks like.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use uuid::Uuid;

use crate::error::CoreError;
use crate::proto::v1;
use crate::time::{from_unix_ms, unix_ms};

/// Consecutive failures before a monitor is DOWN (Gatus and Uptime Kuma habits).
pub const DEFAULT_FAILURE_THRESHOLD: u32 = 3;
/// Consecutive successes before a DOWN monitor is UP again.
pub const DEFAULT_RECOVERY_THRESHOLD: u32 = 2;
/// Redirect hops followed before a check fails with "too many redirects".
pub const DEFAULT_MAX_REDIRECTS: u32 = 10;
/// How often a monitor is checked when a request leaves the interval unset.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);
/// A check's overall timeout when a request leaves it unset (shorter for short intervals,
/// see [`default_timeout`]).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The timeout of a check every `interval` that sets none: [`DEFAULT_TIMEOUT`], or 80 % of
/// a shorter interval, so a 2 s monitor needs no timeout of its own to be valid.
pub fn default_timeout(interval: Duration) -> Duration {
    DEFAULT_TIMEOUT.min(interval.mul_f64(0.8))
}
/// A new monitor is checked at once unless a request says otherwise.
pub const DEFAULT_ENABLED: bool = true;
/// Redirects are followed (up to [`DEFAULT_MAX_REDIRECTS`]) unless a request says otherwise.
pub const DEFAULT_FOLLOW_REDIRECTS: bool = true;

/// A monitor's identity: a UUID, shown and parsed in its hyphenated form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MonitorId(pub Uuid);

impl MonitorId {
    /// A fresh random id.
    pub fn new() -> Self {
        Self(Uuid::new_v4())
    }
}

impl Default for MonitorId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for MonitorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl FromStr for MonitorId {
    type Err = CoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s)
            .map(Self)
            .map_err(|e| CoreError::malformed("id", format!("not a UUID: {e}")))
    }
}

/// One request header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub value: String,
}

impl Header {
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// An inclusive range of acceptable status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusRange {
    pub min: u16,
    pub max: u16,
}

impl StatusRange {
    /// The range used when a monitor names none: any 2xx or 3xx.
    pub const DEFAULT: Self = Self { min: 200, max: 399 };

    pub fn contains(&self, status: u16) -> bool {
        (self.min..=self.max).contains(&status)
    }
}

/// A rule the response body must satisfy.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BodyAssertion {
    Contains(String),
    NotContains(String),
    /// A regular expression in Rust `regex` syntax, matched against the body bytes.
    Regex(String),
}

/// What a request looks like: everything the probe needs for one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckSpec {
    pub url: String,
    /// Upper-case HTTP method.
    pub method: String,
    pub headers: Vec<Header>,
    pub body: String,
    /// The overall deadline: a check never outlives it.
    pub timeout: Duration,
    pub follow_redirects: bool,
    pub max_redirects: u32,
    pub verify_tls: bool,
    /// Extra CA certificates (PEM) trusted for this check besides the prober's; a
    /// self-signed server certificate may be given as itself.
    pub tls_ca_pem: Option<String>,
    /// Evaluated by the probe while the body streams, so the body is never kept.
    pub body_assertion: Option<BodyAssertion>,
}

impl CheckSpec {
    /// A GET of `url` with the defaults a user expects: 10 s timeout, redirects followed,
    /// TLS verified.
    pub fn get(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            method: "GET".to_owned(),
            headers: Vec::new(),
            body: String::new(),
            timeout: DEFAULT_TIMEOUT,
            follow_redirects: DEFAULT_FOLLOW_REDIRECTS,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            verify_tls: true,
            tls_ca_pem: None,
            body_assertion: None,
        }
    }
}

/// What a good answer looks like, beyond "the request completed".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Expectations {
    /// Acceptable status codes; empty means [`StatusRange::DEFAULT`].
    pub status: Vec<StatusRange>,
    /// A successful check slower than this (total time) is DEGRADED.
    pub degraded_above: Option<Duration>,
}

impl Expectations {
    pub fn accepts_status(&self, status: u16) -> bool {
        if self.status.is_empty() {
            StatusRange::DEFAULT.contains(status)
        } else {
            self.status.iter().any(|range| range.contains(status))
        }
    }
}

/// A monitor's state after the alert rules have seen its recent checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MonitorState {
    /// No verdict yet.
    #[default]
    Unknown,
    Up,
    Degraded,
    Down,
    /// Disabled: not scheduled, never alerts.
    Paused,
}

impl MonitorState {
    /// Lower-case, as stores keep it and messages show it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Up => "up",
            Self::Degraded => "degraded",
            Self::Down => "down",
            Self::Paused => "paused",
        }
    }
}

/// A website check, its schedule and its alerting thresholds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Monitor {
    pub id: MonitorId,
    pub name: String,
    pub check: CheckSpec,
    pub interval: Duration,
    pub expect: Expectations,
    pub failure_threshold: u32,
    pub recovery_threshold: u32,
    pub enabled: bool,
    pub labels: BTreeMap<String, String>,
    /// Days before the TLS certificate expires at which to warn, once each, largest first;
    /// empty: never.
    pub cert_expiry_days: Vec<u32>,
    /// How often its channels are reminded while it stays down, whatever their own
    /// setting; `None` leaves it to each channel (see [`Monitor::reminder_interval`]).
    pub remind_every: Option<Duration>,
    pub state: MonitorState,
    pub created_at: SystemTime,
    pub updated_at: SystemTime,
}

/// When a monitor warns of its certificate's expiry unless told otherwise: 14, 7 and 1 days
/// before.
pub const DEFAULT_CERT_EXPIRY_DAYS: [u32; 3] = [14, 7, 1];

impl Monitor {
    /// A monitor with a fresh id and the documented defaults: GET every 60 s, 10 s timeout,
    /// any 2xx/3xx accepted, DOWN after 3 failures, UP after 2 successes.
    pub fn new(name: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            id: MonitorId::new(),
            name: name.into(),
            check: CheckSpec::get(url),
            interval: DEFAULT_INTERVAL,
            expect: Expectations::default(),
            failure_threshold: DEFAULT_FAILURE_THRESHOLD,
            recovery_threshold: DEFAULT_RECOVERY_THRESHOLD,
            enabled: DEFAULT_ENABLED,
            labels: BTreeMap::new(),
            cert_expiry_days: DEFAULT_CERT_EXPIRY_DAYS.to_vec(),
            remind_every: None,
            state: MonitorState::Unknown,
            created_at: UNIX_EPOCH,
            updated_at: UNIX_EPOCH,
        }
    }

    /// How often `channel` is reminded of this monitor while it stays down: the monitor's
    /// own interval where it sets one (it speaks for every channel that alerts for it, so a
    /// critical site can page more often), else the channel's; `None`: never.
    pub fn reminder_interval(&self, channel: &crate::NotificationChannel) -> Option<Duration> {
        self.remind_every.or_else(|| channel.reminder_interval())
    }
}

// ---- conversions to and from the wire ----

impl From<MonitorState> for v1::MonitorState {
    fn from(state: MonitorState) -> Self {
        match state {
            MonitorState::Unknown => Self::Unspecified,
            MonitorState::Up => Self::Up,
            MonitorState::Degraded => Self::Degraded,
            MonitorState::Down => Self::Down,
            MonitorState::Paused => Self::Paused,
        }
    }
}

impl From<v1::MonitorState> for MonitorState {
    fn from(state: v1::MonitorState) -> Self {
        match state {
            v1::MonitorState::Unspecified => Self::Unknown,
            v1::MonitorState::Up => Self::Up,
            v1::MonitorState::Degraded => Self::Degraded,
            v1::MonitorState::Down => Self::Down,
            v1::MonitorState::Paused => Self::Paused,
        }
    }
}

impl From<BodyAssertion> for v1::BodyAssertion {
    fn from(assertion: BodyAssertion) -> Self {
        let (kind, pattern) = match assertion {
            BodyAssertion::Contains(p) => (v1::BodyAssertionKind::Contains, p),
            BodyAssertion::NotContains(p) => (v1::BodyAssertionKind::NotContains, p),
            BodyAssertion::Regex(p) => (v1::BodyAssertionKind::Regex, p),
        };
        Self {
            kind: kind.into(),
            pattern,
        }
    }
}

fn body_assertion_from_wire(
    wire: Option<v1::BodyAssertion>,
) -> Result<Option<BodyAssertion>, CoreError> {
    let Some(wire) = wire else { return Ok(None) };
    let kind = v1::BodyAssertionKind::try_from(wire.kind)
        .map_err(|_| CoreError::malformed("body_assertion.kind", "unknown kind"))?;
    Ok(match kind {
        v1::BodyAssertionKind::Unspecified => None,
        v1::BodyAssertionKind::Contains => Some(BodyAssertion::Contains(wire.pattern)),
        v1::BodyAssertionKind::NotContains => Some(BodyAssertion::NotContains(wire.pattern)),
        v1::BodyAssertionKind::Regex => Some(BodyAssertion::Regex(wire.pattern)),
    })
}

fn duration_ms(duration: Duration) -> u32 {
    u32::try_from(duration.as_millis()).unwrap_or(u32::MAX)
}

fn or_default(value: u32, default: u32) -> u32 {
    if value == 0 { default } else { value }
}

impl From<Monitor> for v1::Monitor {
    fn from(m: Monitor) -> Self {
        Self {
            id: m.id.to_string(),
            name: m.name,
            url: m.check.url,
            method: m.check.method,
            headers: m
                .check
                .headers
                .into_iter()
                .map(|h| v1::Header {
                    name: h.name,
                    value: h.value,
                })
                .collect(),
            body: m.check.body,
            interval_seconds: u32::try_from(m.interval.as_secs()).unwrap_or(u32::MAX),
            timeout_ms: duration_ms(m.check.timeout),
            expected_status: m
                .expect
                .status
                .iter()
                .map(|r| v1::StatusRange {
                    min: r.min.into(),
                    max: r.max.into(),
                })
                .collect(),
            body_assertion: m.check.body_assertion.map(Into::into),
            follow_redirects: Some(m.check.follow_redirects),
            max_redirects: m.check.max_redirects,
            skip_tls_verify: !m.check.verify_tls,
            tls_ca_pem: m.check.tls_ca_pem.unwrap_or_default(),
            degraded_above_ms: m.expect.degraded_above.map_or(0, duration_ms),
            failure_threshold: m.failure_threshold,
            recovery_threshold: m.recovery_threshold,
            enabled: Some(m.enabled),
            labels: m.labels,
            created_at_unix_ms: unix_ms(m.created_at),
            updated_at_unix_ms: unix_ms(m.updated_at),
            state: v1::MonitorState::from(m.state).into(),
            cert_expiry: Some(v1::CertificateExpiry {
                days: m.cert_expiry_days,
            }),
            remind_every_seconds: m.remind_every.map_or(0, |every| {
                u32::try_from(every.as_secs()).unwrap_or(u32::MAX)
            }),
        }
    }
}

impl TryFrom<v1::Monitor> for Monitor {
    type Error = CoreError;

    /// Builds the domain value; an empty id gets a fresh one (a create request; see
    /// [`Monitor::from_update`] for updates), and unset fields get their documented defaults
    /// (`DEFAULT_*`: enabled, following redirects, every 60 s with a 10 s timeout, 200–399
    /// accepted, DOWN after 3 failures, UP after 2 successes). Call [`Monitor::validate`] for
    /// the user-facing rules.
    fn try_from(w: v1::Monitor) -> Result<Self, CoreError> {
        let id = if w.id.is_empty() {
            MonitorId::new()
        } else {
            w.id.parse()?
        };
        let status = w
            .expected_status
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let code = |v: u32, end: &str| {
                    u16::try_from(v).map_err(|_| {
                        CoreError::invalid(
                            format!("expected_status[{i}].{end}"),
                            "not a status code",
                        )
                    })
                };
                Ok(StatusRange {
                    min: code(r.min, "min")?,
                    max: code(r.max, "max")?,
                })
            })
            .collect::<Result<Vec<_>, CoreError>>()?;
        let state = v1::MonitorState::try_from(w.state)
            .map_err(|_| CoreError::malformed("state", "unknown state"))?;
        let interval = match w.interval_seconds {
            0 => DEFAULT_INTERVAL,
            seconds => Duration::from_secs(seconds.into()),
        };
        let method = if w.method.is_empty() {
            "GET".to_owned()
        } else {
            w.method.to_ascii_uppercase()
        };
        Ok(Self {
            id,
            name: w.name,
            check: CheckSpec {
                url: w.url,
                method,
                headers: w
                    .headers
                    .into_iter()
                    .map(|h| Header::new(h.name, h.value))
                    .collect(),
                body: w.body,
                timeout: match w.timeout_ms {
                    0 => default_timeout(interval),
                    ms => Duration::from_millis(ms.into()),
                },
                follow_redirects: w.follow_redirects.unwrap_or(DEFAULT_FOLLOW_REDIRECTS),
                max_redirects: or_default(w.max_redirects, DEFAULT_MAX_REDIRECTS),
                verify_tls: !w.skip_tls_verify,
                tls_ca_pem: (!w.tls_ca_pem.is_empty()).then_some(w.tls_ca_pem),
                body_assertion: body_assertion_from_wire(w.body_assertion)?,
            },
            interval,
            expect: Expectations {
                status,
                degraded_above: (w.degraded_above_ms > 0)
                    .then(|| Duration::from_millis(w.degraded_above_ms.into())),
            },
            failure_threshold: or_default(w.failure_threshold, DEFAULT_FAILURE_THRESHOLD),
            recovery_threshold: or_default(w.recovery_threshold, DEFAULT_RECOVERY_THRESHOLD),
            enabled: w.enabled.unwrap_or(DEFAULT_ENABLED),
            labels: w.labels,
            cert_expiry_days: match w.cert_expiry {
                None => DEFAULT_CERT_EXPIRY_DAYS.to_vec(),
                Some(expiry) => {
                    let mut days = expiry.days;
                    days.sort_unstable_by(|a, b| b.cmp(a));
                    days.dedup();
                    days
                }
            },
            remind_every: (w.remind_every_seconds > 0)
                .then(|| Duration::from_secs(w.remind_every_seconds.into())),
            state: state.into(),
            created_at: from_unix_ms(w.created_at_unix_ms),
            updated_at: from_unix_ms(w.updated_at_unix_ms),
        })
    }
}

impl Monitor {
    /// The monitor of an update request: as [`TryFrom`], but the request must name the
    /// monitor it changes, so an update never mints an id.
    pub fn from_update(w: v1::Monitor) -> Result<Self, CoreError> {
        if w.id.is_empty() {
            return Err(CoreError::invalid("id", "required to update a monitor"));
        }
        Self::try_from(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pem::TEST_CA_PEM;

    fn full_monitor() -> Monitor {
        let mut m = Monitor::new("api", "https://api.example.com/health?x=1");
        m.check.method = "POST".into();
        m.check.headers = vec![Header::new("Accept", "application/json")];
        m.check.body = "{\"ping\":true}".into();
        m.check.timeout = Duration::from_millis(2500);
        m.check.follow_redirects = false;
        m.check.max_redirects = 4;
        m.check.verify_tls = false;
        m.check.tls_ca_pem = Some(TEST_CA_PEM.into());
        m.check.body_assertion = Some(BodyAssertion::Regex("\"ok\":\\s*true".into()));
        m.interval = Duration::from_secs(30);
        m.expect.status = vec![
            StatusRange { min: 200, max: 204 },
            StatusRange { min: 301, max: 301 },
        ];
        m.expect.degraded_above = Some(Duration::from_millis(800));
        m.failure_threshold = 5;
        m.recovery_threshold = 1;
        m.enabled = false;
        m.labels.insert("team".into(), "payments".into());
        m.remind_every = Some(Duration::from_secs(900));
        m.state = MonitorState::Degraded;
        m.created_at = from_unix_ms(1_700_000_000_000);
        m.updated_at = from_unix_ms(1_700_000_100_000);
        m
    }

    #[test]
    fn monitor_round_trips_through_proto() {
        let m = full_monitor();
        let wire: v1::Monitor = m.clone().into();
        assert!(wire.skip_tls_verify);
        assert_eq!(Monitor::try_from(wire).unwrap(), m);
    }

    #[test]
    fn monitor_round_trips_through_proto_json_and_binary() {
        let wire: v1::Monitor = full_monitor().into();
        let json = serde_json::to_string(&wire).unwrap();
        assert!(json.contains("\"intervalSeconds\":30"), "{json}");
        assert!(json.contains("BODY_ASSERTION_KIND_REGEX"), "{json}");
        let back: v1::Monitor = serde_json::from_str(&json).unwrap();
        assert_eq!(back, wire);
        let bytes = prost::Message::encode_to_vec(&wire);
        assert_eq!(
            <v1::Monitor as prost::Message>::decode(bytes.as_slice()).unwrap(),
            wire
        );
    }

    #[test]
    fn zero_values_on_the_wire_get_documented_defaults() {
        let wire = v1::Monitor {
            name: "x".into(),
            url: "http://x".into(),
            ..Default::default()
        };
        let m = Monitor::try_from(wire).unwrap();
        assert!(m.enabled);
        assert!(m.check.follow_redirects);
        assert_eq!(m.interval, DEFAULT_INTERVAL);
        assert_eq!(m.check.timeout, DEFAULT_TIMEOUT);
        let quick = Monitor::try_from(v1::Monitor {
            name: "quick".into(),
            url: "https://example.com/".into(),
            interval_seconds: 2,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(quick.check.timeout, Duration::from_millis(1600));
        assert!(quick.validate().is_ok());
        assert!(m.expect.accepts_status(200) && m.expect.accepts_status(399));
        assert!(!m.expect.accepts_status(400));
        assert_eq!(m.validate(), Ok(()));
        assert_eq!(m.check.method, "GET");
        assert_eq!(m.failure_threshold, DEFAULT_FAILURE_THRESHOLD);
        assert_eq!(m.recovery_threshold, DEFAULT_RECOVERY_THRESHOLD);
        assert_eq!(m.check.max_redirects, DEFAULT_MAX_REDIRECTS);
        assert!(m.check.verify_tls);
        assert_eq!(m.check.tls_ca_pem, None);
        assert_eq!(m.expect.degraded_above, None);
    }

    #[test]
    fn explicit_false_stays_false() {
        let wire = v1::Monitor {
            url: "http://x".into(),
            enabled: Some(false),
            follow_redirects: Some(false),
            ..Default::default()
        };
        let m = Monitor::try_from(wire).unwrap();
        assert!(!m.enabled && !m.check.follow_redirects);
        let back = v1::Monitor::from(m);
        assert_eq!(
            (back.enabled, back.follow_redirects),
            (Some(false), Some(false))
        );
    }

    #[test]
    fn an_update_never_mints_an_id() {
        let wire = v1::Monitor {
            url: "http://x".into(),
            ..Default::default()
        };
        let error = Monitor::from_update(wire.clone()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid input: id: required to update a monitor"
        );
        let id = MonitorId::new();
        let with_id = v1::Monitor {
            id: id.to_string(),
            ..wire
        };
        assert_eq!(Monitor::from_update(with_id).unwrap().id, id);
    }

    #[test]
    fn bad_ids_and_status_codes_are_rejected() {
        let wire = v1::Monitor {
            id: "nope".into(),
            ..Default::default()
        };
        assert!(matches!(
            Monitor::try_from(wire),
            Err(CoreError::Malformed { .. })
        ));
        let wire = v1::Monitor {
            expected_status: vec![v1::StatusRange {
                min: 200,
                max: 70_000,
            }],
            ..Default::default()
        };
        let err = Monitor::try_from(wire).unwrap_err();
        assert_eq!(err.field_errors()[0].field, "expected_status[0].max");
    }

    #[test]
    fn default_status_range_is_2xx_and_3xx() {
        let e = Expectations::default();
        assert!(e.accepts_status(200) && e.accepts_status(399));
        assert!(!e.accepts_status(199) && !e.accepts_status(404));
    }

    #[test]
    fn a_monitor_s_reminder_interval_speaks_for_all_its_channels() {
        let mut channel = crate::NotificationChannel::new("ops", "slack");
        let mut m = Monitor::new("api", "https://api.example.com/");
        assert_eq!(m.reminder_interval(&channel), None, "neither asks");
        channel
            .config
            .insert(crate::REMIND_EVERY.into(), "30m".into());
        assert_eq!(
            m.reminder_interval(&channel),
            Some(Duration::from_secs(1800)),
            "the channel's"
        );
        m.remind_every = Some(Duration::from_secs(300));
        assert_eq!(
            m.reminder_interval(&channel),
            Some(Duration::from_secs(300)),
            "the monitor's, over the channel's"
        );
        channel.config.clear();
        assert_eq!(
            m.reminder_interval(&channel),
            Some(Duration::from_secs(300)),
            "and for a channel that asks for none"
        );
        let wire = v1::Monitor::from(m.clone());
        assert_eq!(wire.remind_every_seconds, 300);
        m.remind_every = Some(Duration::from_secs(30));
        assert_eq!(
            m.validate().unwrap_err().field_errors()[0].field,
            "remind_every_seconds"
        );
    }
}
