//! Notification channels (where alerts go) and the log of delivery attempts.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{CoreError, FieldError};
use crate::incident::IncidentId;
use crate::monitor::MonitorId;
use crate::proto::v1;
use crate::time::{from_unix_ms, unix_ms};

/// Size limits of a channel's fields.
pub mod channel_limits {
    pub const NAME_CHARS: usize = 200;
    pub const KIND_BYTES: usize = 32;
    pub const CONFIG_ENTRIES: usize = 32;
    pub const CONFIG_KEY_BYTES: usize = 64;
    pub const CONFIG_VALUE_BYTES: usize = 4096;
}

/// The setting, of any channel kind, that asks for reminders while a monitor stays down:
/// a duration such as `30m`.
pub const REMIND_EVERY: &str = "remind_every";
/// Reminders come at most this often.
pub const MIN_REMINDER_INTERVAL: Duration = Duration::from_secs(60);

/// A channel's id, assigned by the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelId(pub i64);

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where alerts go. `config` holds kind-specific settings, secrets included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationChannel {
    pub id: ChannelId,
    pub name: String,
    /// Lower-case kind, e.g. "webhook", "slack", "email"; the notifier knows what each means.
    pub kind: String,
    pub config: BTreeMap<String, String>,
    pub enabled: bool,
    pub created_at: SystemTime,
    pub updated_at: SystemTime,
}

impl NotificationChannel {
    /// An enabled channel without settings; the store assigns the id.
    pub fn new(name: impl Into<String>, kind: impl Into<String>) -> Self {
        Self {
            id: ChannelId(0),
            name: name.into(),
            kind: kind.into(),
            config: BTreeMap::new(),
            enabled: true,
            created_at: UNIX_EPOCH,
            updated_at: UNIX_EPOCH,
        }
    }

    /// Checks every rule and reports all broken ones at once, each with its field.
    pub fn validate(&self) -> Result<(), CoreError> {
        use channel_limits as L;
        let mut errors = Vec::new();
        let mut check = |ok: bool, field: String, message: String| {
            if !ok {
                errors.push(FieldError::new(field, message));
            }
        };
        check(
            !self.name.trim().is_empty(),
            "name".into(),
            "must not be empty".into(),
        );
        check(
            self.name.chars().count() <= L::NAME_CHARS && !self.name.chars().any(char::is_control),
            "name".into(),
            format!(
                "at most {} characters, no control characters",
                L::NAME_CHARS
            ),
        );
        check(
            !self.kind.is_empty()
                && self.kind.len() <= L::KIND_BYTES
                && self.kind.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                }),
            "kind".into(),
            format!(
                "1..={} lower-case letters, digits, '_' or '-'",
                L::KIND_BYTES
            ),
        );
        check(
            self.config.len() <= L::CONFIG_ENTRIES,
            "config".into(),
            format!("at most {} entries", L::CONFIG_ENTRIES),
        );
        for (key, value) in &self.config {
            check(
                !key.is_empty() && key.len() <= L::CONFIG_KEY_BYTES,
                format!("config.{key}"),
                format!("keys are 1..={} bytes", L::CONFIG_KEY_BYTES),
            );
            check(
                value.len() <= L::CONFIG_VALUE_BYTES,
                format!("config.{key}"),
                format!("at most {} bytes", L::CONFIG_VALUE_BYTES),
            );
        }
        if let Some(raw) = self.config.get(REMIND_EVERY) {
            match crate::time::parse_duration(raw) {
                Ok(every) if every >= MIN_REMINDER_INTERVAL => {}
                Ok(_) => errors.push(FieldError::new(
                    format!("config.{REMIND_EVERY}"),
                    "at least 1m",
                )),
                Err(message) => {
                    errors.push(FieldError::new(format!("config.{REMIND_EVERY}"), message));
                }
            }
        }
        // The kind's own settings, once the map itself is sound.
        if errors.is_empty()
            && let Err(CoreError::Invalid(kind_errors)) =
                crate::destination::Destination::read(&self.kind, &self.config)
        {
            errors.extend(kind_errors);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(CoreError::Invalid(errors))
        }
    }

    /// How often the channel is reminded of a monitor that stays down (its
    /// `remind_every` setting); `None`: never.
    pub fn reminder_interval(&self) -> Option<Duration> {
        let raw = self.config.get(REMIND_EVERY)?;
        crate::time::parse_duration(raw)
            .ok()
            .filter(|every| *every >= MIN_REMINDER_INTERVAL)
    }

    /// The channel's settings, read and checked (see [`Destination::read`]).
    ///
    /// [`Destination::read`]: crate::Destination::read
    pub fn destination(&self) -> Result<crate::destination::Destination, CoreError> {
        crate::destination::Destination::read(&self.kind, &self.config)
    }
}

impl From<NotificationChannel> for v1::NotificationChannel {
    fn from(c: NotificationChannel) -> Self {
        Self {
            id: c.id.0,
            name: c.name,
            kind: c.kind,
            config: c.config,
            enabled: c.enabled,
            created_at_unix_ms: unix_ms(c.created_at),
            updated_at_unix_ms: unix_ms(c.updated_at),
        }
    }
}

impl From<v1::NotificationChannel> for NotificationChannel {
    fn from(w: v1::NotificationChannel) -> Self {
        Self {
            id: ChannelId(w.id),
            name: w.name,
            kind: w.kind,
            config: w.config,
            enabled: w.enabled,
            created_at: from_unix_ms(w.created_at_unix_ms),
            updated_at: from_unix_ms(w.updated_at_unix_ms),
        }
    }
}

/// A delivery's id, assigned by the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeliveryId(pub i64);

/// One attempt to deliver a notification over a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: DeliveryId,
    pub channel_id: ChannelId,
    pub monitor_id: Option<MonitorId>,
    pub incident_id: Option<IncidentId>,
    /// What was announced: "down", "degraded", "recovered", "reminder",
    /// "certificate_expiring" or "test".
    pub event: String,
    pub attempted_at: SystemTime,
    /// 1 for the first attempt.
    pub attempt: u32,
    pub success: bool,
    /// The error, or a short account of the peer's answer.
    pub detail: String,
    pub latency: Duration,
}

impl From<Delivery> for v1::Delivery {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id.0,
            channel_id: d.channel_id.0,
            monitor_id: d.monitor_id.map(|m| m.to_string()).unwrap_or_default(),
            incident_id: d.incident_id.map_or(0, |i| i.0),
            event: d.event,
            attempted_at_unix_ms: unix_ms(d.attempted_at),
            attempt: d.attempt,
            success: d.success,
            detail: d.detail,
            latency_us: u64::try_from(d.latency.as_micros()).unwrap_or(u64::MAX),
        }
    }
}

impl TryFrom<v1::Delivery> for Delivery {
    type Error = CoreError;

    fn try_from(w: v1::Delivery) -> Result<Self, CoreError> {
        Ok(Self {
            id: DeliveryId(w.id),
            channel_id: ChannelId(w.channel_id),
            monitor_id: if w.monitor_id.is_empty() {
                None
            } else {
                Some(w.monitor_id.parse()?)
            },
            incident_id: (w.incident_id != 0).then_some(IncidentId(w.incident_id)),
            event: w.event,
            attempted_at: from_unix_ms(w.attempted_at_unix_ms),
            attempt: w.attempt,
            success: w.success,
            detail: w.detail,
            latency: Duration::from_micros(w.latency_us),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::REDACTED;

    #[test]
    fn validation_reports_every_broken_field() {
        let mut channel = NotificationChannel::new(" ", "Web Hook");
        channel.config.insert(String::new(), "x".repeat(5000));
        let err = channel.validate().unwrap_err();
        let fields: Vec<_> = err
            .field_errors()
            .iter()
            .map(|e| e.field.as_str())
            .collect();
        assert_eq!(fields, ["name", "kind", "config.", "config."]);
        let mut good = NotificationChannel::new("ops", "webhook");
        good.config
            .insert("url".into(), "https://hooks.example/pulsar".into());
        assert!(good.validate().is_ok());
        let missing = NotificationChannel::new("ops", "webhook")
            .validate()
            .unwrap_err();
        assert_eq!(missing.field_errors()[0].field, "config.url");
    }

    #[test]
    fn reminders_are_asked_for_with_a_duration_of_a_minute_or_more() {
        let mut channel = NotificationChannel::new("ops", "webhook");
        channel
            .config
            .insert("url".into(), "https://hooks.example/p".into());
        assert_eq!(channel.reminder_interval(), None);
        channel.config.insert(REMIND_EVERY.into(), "30m".into());
        assert_eq!(channel.reminder_interval(), Some(Duration::from_secs(1800)));
        assert!(channel.validate().is_ok());
        for bad in ["10s", "soon"] {
            channel.config.insert(REMIND_EVERY.into(), bad.into());
            let error = channel.validate().unwrap_err();
            assert_eq!(
                error.field_errors()[0].field,
                "config.remind_every",
                "{bad}"
            );
        }
    }

    #[test]
    fn redaction_hides_secrets_and_keeps_the_rest() {
        let mut channel = NotificationChannel::new("ops", "slack");
        channel
            .config
            .insert("webhook_url".into(), "https://hooks/x".into());
        channel.config.insert("api_token".into(), "t0p".into());
        channel.config.insert("channel".into(), "#ops".into());
        let shown = channel.redacted();
        assert_eq!(shown.config["webhook_url"], REDACTED);
        assert_eq!(shown.config["api_token"], REDACTED);
        assert_eq!(shown.config["channel"], "#ops");
    }

    #[test]
    fn channels_and_deliveries_round_trip_through_proto() {
        let mut channel = NotificationChannel::new("ops", "webhook");
        channel.id = ChannelId(3);
        channel
            .config
            .insert("url".into(), "https://example.com/hook".into());
        let back = NotificationChannel::from(v1::NotificationChannel::from(channel.clone()));
        assert_eq!(back, channel);
        let delivery = Delivery {
            id: DeliveryId(9),
            channel_id: ChannelId(3),
            monitor_id: Some(MonitorId::new()),
            incident_id: Some(IncidentId(4)),
            event: "down".into(),
            attempted_at: from_unix_ms(1_700_000_000_000),
            attempt: 2,
            success: false,
            detail: "HTTP 502".into(),
            latency: Duration::from_millis(120),
        };
        let back = Delivery::try_from(v1::Delivery::from(delivery.clone())).unwrap();
        assert_eq!(back, delivery);
    }
}
