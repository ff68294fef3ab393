//! What a notification tells: which state changes are announced, and the facts a message
//! carries (the failure, the phase it happened in, a one-line phase summary). Built once,
//! when the state changes, and kept in the outbox until every routed channel has it.

use std::fmt;
use std::time::{Duration, SystemTime};

use crate::check::CheckResult;
use crate::error::CoreError;
use crate::incident::{Incident, IncidentId};
use crate::monitor::{Monitor, MonitorId, MonitorState};
use crate::phases::Phases;
use crate::proto::v1;
use crate::report::{Failure, FailureKind, FailurePhase};
use crate::time::{from_unix_ms, human_duration, unix_ms};

/// What a notification announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoticeEvent {
    Down,
    Degraded,
    Recovered,
    /// Still down, a while after the down notice (channels with `remind_every`).
    Reminder,
    /// The TLS certificate expires within one of the monitor's warning thresholds.
    CertificateExpiring,
    /// A host's condition (CPU, memory, a mount, zombies ...) started firing.
    HostAlert,
    /// A host's condition stopped firing.
    HostResolved,
    /// A message sent on request to try a channel.
    Test,
}

impl NoticeEvent {
    pub const ALL: [Self; 8] = [
        Self::Down,
        Self::Degraded,
        Self::Recovered,
        Self::Reminder,
        Self::CertificateExpiring,
        Self::HostAlert,
        Self::HostResolved,
        Self::Test,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Down => "down",
            Self::Degraded => "degraded",
            Self::Recovered => "recovered",
            Self::Reminder => "reminder",
            Self::CertificateExpiring => "certificate_expiring",
            Self::HostAlert => "host_alert",
            Self::HostResolved => "host_resolved",
            Self::Test => "test",
        }
    }

    /// The event a monitor's change of state announces, if any: a monitor that stops
    /// working (DOWN), one that becomes slow (DEGRADED, also on the way up from DOWN) and one
    /// that works well again after either (recovered). A first good check, a pause and a
    /// resume announce nothing.
    pub fn of_change(previous: MonitorState, current: MonitorState) -> Option<Self> {
        use MonitorState as S;
        match (previous, current) {
            (S::Paused, _) | (_, S::Paused) => None,
            (previous, S::Down) if previous != S::Down => Some(Self::Down),
            (S::Unknown | S::Up | S::Down, S::Degraded) => Some(Self::Degraded),
            (S::Down | S::Degraded, S::Up) => Some(Self::Recovered),
            _ => None,
        }
    }
}

impl fmt::Display for NoticeEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for NoticeEvent {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        Self::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| CoreError::malformed("event", format!("unknown event {s:?}")))
    }
}

/// A notification's content, whatever channel carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The idempotency key: stable across retries of one delivery.
    pub key: String,
    pub event: NoticeEvent,
    pub occurred_at: SystemTime,
    /// `None` for a test message.
    pub monitor_id: Option<MonitorId>,
    pub monitor_name: String,
    pub url: String,
    pub state: MonitorState,
    pub previous_state: MonitorState,
    /// Why the state changed.
    pub cause: String,
    /// When the open incident began.
    pub since: Option<SystemTime>,
    pub incident_id: Option<IncidentId>,
    /// The deciding check's failure (down).
    pub failure: Option<Failure>,
    /// The phase the check failed in (down) or spent the most time in (degraded), with its
    /// time.
    pub phase: Option<(String, Duration)>,
    /// The deciding check's phases.
    pub phases: Phases,
    pub status: Option<u16>,
    /// Recovered: how long the incident lasted.
    pub down_for: Option<Duration>,
    /// Host alerts: the host and the condition's key; empty otherwise.
    pub host: String,
    pub condition: String,
}

impl Notice {
    /// The notice a state change of `monitor` announces (see [`NoticeEvent::of_change`]),
    /// from the check that decided it and the incident it opened, escalated or closed.
    pub fn of_change(
        monitor: &Monitor,
        previous: MonitorState,
        current: MonitorState,
        cause: &str,
        incident: Option<&Incident>,
        result: Option<&CheckResult>,
        at: SystemTime,
    ) -> Option<Self> {
        let event = NoticeEvent::of_change(previous, current)?;
        let phases = result.map(|r| r.phases).unwrap_or_default();
        let failure = result.and_then(|r| r.failure.clone());
        let phase = match event {
            NoticeEvent::Down => failure.as_ref().and_then(|f| failed_phase(f.kind, &phases)),
            NoticeEvent::Degraded => slowest_phase(&phases),
            _ => None,
        };
        let down_for = incident
            .filter(|_| event == NoticeEvent::Recovered)
            .and_then(|i| i.closed_at.unwrap_or(at).duration_since(i.opened_at).ok());
        Some(Self {
            key: String::new(),
            event,
            occurred_at: at,
            monitor_id: Some(monitor.id),
            monitor_name: monitor.name.clone(),
            url: monitor.check.url.clone(),
            state: current,
            previous_state: previous,
            cause: cause.to_owned(),
            since: incident.map(|i| i.opened_at),
            incident_id: incident.map(|i| i.id),
            failure: failure.filter(|_| event == NoticeEvent::Down),
            phase,
            phases,
            status: result.and_then(|r| r.status),
            down_for,
            host: String::new(),
            condition: String::new(),
        })
    }

    /// A reminder that `monitor` is still down, in the open `incident`, at `at`.
    pub fn reminder(monitor: &Monitor, incident: &Incident, at: SystemTime) -> Self {
        Self {
            event: NoticeEvent::Reminder,
            monitor_id: Some(monitor.id),
            monitor_name: monitor.name.clone(),
            url: monitor.check.url.clone(),
            state: MonitorState::Down,
            previous_state: MonitorState::Down,
            cause: incident.cause.clone(),
            since: Some(incident.opened_at),
            incident_id: Some(incident.id),
            down_for: at.duration_since(incident.opened_at).ok(),
            ..Self::test("", at)
        }
    }

    /// A warning that `monitor`'s certificate expires at `not_after`: `days` whole days
    /// after `at` (0: within a day).
    pub fn certificate_expiring(
        monitor: &Monitor,
        not_after: SystemTime,
        days: u64,
        at: SystemTime,
    ) -> Self {
        let date = &crate::time::rfc3339(not_after)[..10];
        let when = match days {
            0 => "within a day".to_owned(),
            1 => "in 1 day".to_owned(),
            n => format!("in {n} days"),
        };
        Self {
            event: NoticeEvent::CertificateExpiring,
            monitor_id: Some(monitor.id),
            monitor_name: monitor.name.clone(),
            url: monitor.check.url.clone(),
            state: monitor.state,
            previous_state: monitor.state,
            cause: format!("the TLS certificate expires {when}, on {date}"),
            ..Self::test("", at)
        }
    }

    /// A clearly marked test message for the channel named `channel`.
    pub fn test(channel: &str, at: SystemTime) -> Self {
        Self {
            key: String::new(),
            event: NoticeEvent::Test,
            occurred_at: at,
            monitor_id: None,
            monitor_name: format!("Test of channel {channel}"),
            url: String::new(),
            state: MonitorState::Unknown,
            previous_state: MonitorState::Unknown,
            cause: "This is a test message from Pulsar: the channel works.".to_owned(),
            since: None,
            incident_id: None,
            failure: None,
            phase: None,
            phases: Phases::default(),
            status: None,
            down_for: None,
            host: String::new(),
            condition: String::new(),
        }
    }

    /// A host condition that started (`firing`) or stopped firing at `at`; `since` is when
    /// it started, for a resolved one.
    pub fn host_change(
        host: &str,
        condition: &crate::host_rules::HostCondition,
        firing: bool,
        since: Option<SystemTime>,
        at: SystemTime,
    ) -> Self {
        Self {
            event: if firing {
                NoticeEvent::HostAlert
            } else {
                NoticeEvent::HostResolved
            },
            monitor_name: host.to_owned(),
            cause: condition.detail.clone(),
            since,
            down_for: since
                .filter(|_| !firing)
                .and_then(|s| at.duration_since(s).ok()),
            host: host.to_owned(),
            condition: condition.key(),
            ..Self::test("", at)
        }
    }

    /// One line for a title or a subject: `[DOWN] shop: connect refused`.
    pub fn title(&self) -> String {
        let tag = match self.event {
            NoticeEvent::Test => "[TEST]",
            NoticeEvent::Down => "[DOWN]",
            NoticeEvent::Degraded => "[DEGRADED]",
            NoticeEvent::Recovered => "[RECOVERED]",
            NoticeEvent::Reminder => "[STILL DOWN]",
            NoticeEvent::CertificateExpiring => "[CERTIFICATE]",
            NoticeEvent::HostAlert => "[HOST]",
            NoticeEvent::HostResolved => "[HOST OK]",
        };
        match (self.event, &self.failure, &self.phase) {
            (NoticeEvent::Down, Some(f), _) => {
                format!("{tag} {}: {}", self.monitor_name, f.kind.as_str())
            }
            (NoticeEvent::Degraded, _, Some((phase, time))) => {
                format!(
                    "{tag} {}: slow {phase} ({})",
                    self.monitor_name,
                    human_duration(*time)
                )
            }
            (NoticeEvent::Reminder, _, _) => match self.down_for {
                Some(d) => format!("{tag} {} for {}", self.monitor_name, human_duration(d)),
                None => format!("{tag} {}", self.monitor_name),
            },
            (NoticeEvent::CertificateExpiring | NoticeEvent::HostAlert, _, _) => {
                format!("{tag} {}: {}", self.monitor_name, self.cause)
            }
            (NoticeEvent::HostResolved, _, _) => {
                format!("{tag} {}: {} resolved", self.monitor_name, self.condition)
            }
            (NoticeEvent::Recovered, _, _) => match self.down_for {
                Some(d) => format!(
                    "{tag} {} is up after {}",
                    self.monitor_name,
                    human_duration(d)
                ),
                None => format!("{tag} {} is up", self.monitor_name),
            },
            _ => format!("{tag} {}", self.monitor_name),
        }
    }

    /// `dns 12 ms · connect 30 ms · tls 85 ms · ttfb 2.1 s · download 4 ms`: the phases the
    /// check reached; empty when it reached none.
    pub fn phase_summary(&self) -> String {
        phase_summary(&self.phases)
    }

    /// The facts of the message as (label, value) pairs, in reading order: what chat embeds
    /// show as fields and plain text shows as lines. `link` is the monitor's page in the
    /// dashboard, when a public URL is configured.
    pub fn facts(&self, link: Option<&str>) -> Vec<(&'static str, String)> {
        let mut facts = Vec::new();
        if !self.host.is_empty() {
            facts.push(("Host", self.host.clone()));
            facts.push(("Condition", self.condition.clone()));
        }
        if !self.url.is_empty() {
            facts.push(("URL", self.url.clone()));
        }
        if self.event != NoticeEvent::Test && self.host.is_empty() {
            let state = self.state.as_str().to_uppercase();
            facts.push(("State", state));
        }
        if !self.cause.is_empty() {
            facts.push(("Cause", self.cause.clone()));
        }
        if let Some(failure) = &self.failure {
            facts.push(("Failure", failure.kind.as_str().to_owned()));
            if !failure.message.is_empty() && failure.message != self.cause {
                facts.push(("Error", failure.message.clone()));
            }
        }
        if let Some((phase, time)) = &self.phase {
            facts.push(("Phase", format!("{phase} ({})", human_duration(*time))));
        }
        if let Some(status) = self.status {
            facts.push(("HTTP status", status.to_string()));
        }
        if let Some(since) = self.since.filter(|_| self.event != NoticeEvent::Recovered) {
            facts.push(("Since", crate::time::rfc3339(since)));
        }
        if let Some(down_for) = self.down_for {
            facts.push(("Down for", human_duration(down_for)));
        }
        let summary = self.phase_summary();
        if !summary.is_empty() {
            facts.push(("Phases", summary));
        }
        if let Some(link) = link {
            facts.push(("Dashboard", link.to_owned()));
        }
        facts
    }
}

/// The warning a certificate with `days_left` whole days to live is due, given a monitor's
/// `thresholds` (days) and the smallest threshold already warned of for this certificate:
/// the smallest threshold reached, if not warned of yet. A certificate first seen well
/// inside several thresholds is warned of once, at the smallest it reached.
pub fn certificate_warning(thresholds: &[u32], days_left: i64, warned: Option<u32>) -> Option<u32> {
    let reached = thresholds
        .iter()
        .copied()
        .filter(|t| days_left <= i64::from(*t))
        .min()?;
    match warned {
        Some(warned) if warned <= reached => None,
        _ => Some(reached),
    }
}

/// See [`Notice::phase_summary`].
pub fn phase_summary(phases: &Phases) -> String {
    phases
        .named()
        .into_iter()
        .filter(|(name, _)| *name != "total")
        // A zero phase was not needed (no lookup for an IP address): not worth a word.
        .filter_map(|(name, time)| {
            let time = time.filter(|t| !t.is_zero())?;
            Some(format!("{name} {}", human_duration(time)))
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The phase a failure of `kind` happened in, and the time the check spent there: the
/// phase's own time when it was measured, else what the check spent after the phases it
/// completed (a timeout ends its phase without a measurement).
fn failed_phase(kind: FailureKind, phases: &Phases) -> Option<(String, Duration)> {
    let name = match kind.phase() {
        FailurePhase::Dns => "dns",
        FailurePhase::Connect => "connect",
        FailurePhase::Tls => "tls",
        FailurePhase::Http => "ttfb",
        FailurePhase::Body => "download",
        _ => return None,
    };
    let measured = phases
        .named()
        .into_iter()
        .find(|(n, _)| *n == name)
        .and_then(|(_, t)| t);
    let time = measured.unwrap_or_else(|| {
        let completed: Duration = phases
            .named()
            .into_iter()
            .filter(|(n, _)| *n != "total")
            .filter_map(|(_, t)| t)
            .sum();
        phases.total.unwrap_or_default().saturating_sub(completed)
    });
    Some((name.to_owned(), time))
}

/// The phase a slow check spent the most time in.
fn slowest_phase(phases: &Phases) -> Option<(String, Duration)> {
    phases
        .named()
        .into_iter()
        .filter(|(name, _)| *name != "total")
        .filter_map(|(name, time)| time.map(|t| (name.to_owned(), t)))
        .max_by_key(|(_, t)| *t)
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

impl From<&Notice> for v1::Notification {
    fn from(n: &Notice) -> Self {
        let us = |d: Option<Duration>| d.map(micros);
        Self {
            key: n.key.clone(),
            event: n.event.as_str().to_owned(),
            occurred_at_unix_ms: unix_ms(n.occurred_at),
            monitor_id: n.monitor_id.map(|m| m.to_string()).unwrap_or_default(),
            monitor_name: n.monitor_name.clone(),
            url: n.url.clone(),
            state: v1::MonitorState::from(n.state).into(),
            previous_state: v1::MonitorState::from(n.previous_state).into(),
            cause: n.cause.clone(),
            since_unix_ms: n.since.map_or(0, unix_ms),
            incident_id: n.incident_id.map_or(0, |i| i.0),
            failure_kind: n
                .failure
                .as_ref()
                .map_or(v1::FailureKind::Unspecified, |f| f.kind.into())
                .into(),
            failure_message: n
                .failure
                .as_ref()
                .map(|f| f.message.clone())
                .unwrap_or_default(),
            phase: n.phase.as_ref().map(|p| p.0.clone()).unwrap_or_default(),
            phase_us: n.phase.as_ref().map_or(0, |p| micros(p.1)),
            dns_us: us(n.phases.dns),
            connect_us: us(n.phases.connect),
            tls_us: us(n.phases.tls),
            ttfb_us: us(n.phases.ttfb),
            download_us: us(n.phases.download),
            status_code: n.status.map_or(0, u32::from),
            down_for_ms: n
                .down_for
                .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            host: n.host.clone(),
            condition: n.condition.clone(),
        }
    }
}

impl TryFrom<v1::Notification> for Notice {
    type Error = CoreError;
    fn try_from(w: v1::Notification) -> Result<Self, CoreError> {
        let state = |raw: i32| {
            v1::MonitorState::try_from(raw)
                .map(MonitorState::from)
                .map_err(|_| CoreError::malformed("state", format!("unknown state {raw}")))
        };
        let failure = match v1::FailureKind::try_from(w.failure_kind) {
            Ok(v1::FailureKind::Unspecified) | Err(_) => None,
            Ok(kind) => Some(Failure::new(
                FailureKind::try_from(kind)?,
                w.failure_message,
            )),
        };
        let us = |v: Option<u64>| v.map(Duration::from_micros);
        let phases = Phases {
            dns: us(w.dns_us),
            connect: us(w.connect_us),
            tls: us(w.tls_us),
            ttfb: us(w.ttfb_us),
            download: us(w.download_us),
            total: None,
        };
        Ok(Self {
            key: w.key,
            event: w.event.parse()?,
            occurred_at: from_unix_ms(w.occurred_at_unix_ms),
            monitor_id: if w.monitor_id.is_empty() {
                None
            } else {
                Some(w.monitor_id.parse()?)
            },
            monitor_name: w.monitor_name,
            url: w.url,
            state: state(w.state)?,
            previous_state: state(w.previous_state)?,
            cause: w.cause,
            since: (w.since_unix_ms != 0).then(|| from_unix_ms(w.since_unix_ms)),
            incident_id: (w.incident_id != 0).then_some(IncidentId(w.incident_id)),
            failure,
            phase: (!w.phase.is_empty()).then(|| (w.phase, Duration::from_micros(w.phase_us))),
            phases,
            status: u16::try_from(w.status_code).ok().filter(|s| *s != 0),
            down_for: (w.down_for_ms != 0).then(|| Duration::from_millis(w.down_for_ms)),
            host: w.host,
            condition: w.condition,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::MonitorState as S;
    use crate::outcome::Outcome;

    #[test]
    fn only_changes_people_act_on_are_announced() {
        let e = NoticeEvent::of_change;
        assert_eq!(e(S::Up, S::Down), Some(NoticeEvent::Down));
        assert_eq!(e(S::Unknown, S::Down), Some(NoticeEvent::Down));
        assert_eq!(e(S::Degraded, S::Down), Some(NoticeEvent::Down));
        assert_eq!(e(S::Up, S::Degraded), Some(NoticeEvent::Degraded));
        assert_eq!(e(S::Down, S::Degraded), Some(NoticeEvent::Degraded));
        assert_eq!(e(S::Down, S::Up), Some(NoticeEvent::Recovered));
        assert_eq!(e(S::Degraded, S::Up), Some(NoticeEvent::Recovered));
        assert_eq!(
            e(S::Unknown, S::Up),
            None,
            "a first good check is news to no one"
        );
        assert_eq!(
            e(S::Down, S::Paused),
            None,
            "a pause is a person's own doing"
        );
        assert_eq!(e(S::Paused, S::Unknown), None);
        assert_eq!(e(S::Down, S::Down), None);
    }

    fn monitor() -> Monitor {
        Monitor::new("shop", "https://shop.example/health")
    }

    fn result(outcome: Outcome, failure: Option<Failure>, phases: Phases) -> CheckResult {
        let mut result = CheckResult::new(
            MonitorId::new(),
            from_unix_ms(0),
            "w",
            "",
            crate::report::ProbeReport {
                url: String::new(),
                started_at: from_unix_ms(0),
                hops: Vec::new(),
                phases,
                failure: failure.clone(),
                body_assertion_held: None,
            },
            crate::outcome::Verdict {
                outcome,
                failure_kind: None,
                reason: String::new(),
            },
        );
        result.failure = failure;
        result
    }

    #[test]
    fn down_names_the_failed_phase_and_the_time_spent_in_it() {
        let ms = Duration::from_millis;
        let phases = Phases {
            dns: Some(ms(12)),
            connect: None,
            total: Some(ms(3012)),
            ..Phases::default()
        };
        let failure = Failure::new(FailureKind::ConnectTimeout, "connect timed out after 3 s");
        let check = result(Outcome::Down, Some(failure), phases);
        let notice = Notice::of_change(
            &monitor(),
            S::Up,
            S::Down,
            "3 failed checks in a row: connect timed out after 3 s",
            None,
            Some(&check),
            from_unix_ms(10_000),
        )
        .unwrap();
        assert_eq!(notice.event, NoticeEvent::Down);
        assert_eq!(notice.phase, Some(("connect".to_owned(), ms(3000))));
        assert_eq!(notice.title(), "[DOWN] shop: connect_timeout");
        assert_eq!(notice.phase_summary(), "dns 12 ms");
        let facts = notice.facts(Some("https://pulsar.example/monitors/x"));
        let labels: Vec<_> = facts.iter().map(|(l, _)| *l).collect();
        assert_eq!(
            labels,
            [
                "URL",
                "State",
                "Cause",
                "Failure",
                "Error",
                "Phase",
                "Phases",
                "Dashboard"
            ]
        );
        assert!(facts.contains(&("Phase", "connect (3.0 s)".to_owned())));
    }

    #[test]
    fn degraded_names_the_slowest_phase_and_recovered_how_long_it_was_down() {
        let ms = Duration::from_millis;
        let phases = Phases {
            dns: Some(ms(12)),
            connect: Some(ms(30)),
            tls: Some(ms(85)),
            ttfb: Some(ms(2100)),
            download: Some(ms(4)),
            total: Some(ms(2231)),
        };
        let check = result(Outcome::Degraded, None, phases);
        let slow = Notice::of_change(
            &monitor(),
            S::Up,
            S::Degraded,
            "",
            None,
            Some(&check),
            from_unix_ms(0),
        )
        .unwrap();
        assert_eq!(slow.phase, Some(("ttfb".to_owned(), ms(2100))));
        assert_eq!(
            slow.phase_summary(),
            "dns 12 ms · connect 30 ms · tls 85 ms · ttfb 2.1 s · download 4.0 ms"
        );
        let incident = Incident {
            id: IncidentId(4),
            monitor_id: MonitorId::new(),
            state: S::Down,
            opened_at: from_unix_ms(0),
            closed_at: Some(from_unix_ms(185_000)),
            cause: String::new(),
            resolution: String::new(),
        };
        let up = Notice::of_change(
            &monitor(),
            S::Down,
            S::Up,
            "2 working checks in a row",
            Some(&incident),
            None,
            from_unix_ms(185_000),
        )
        .unwrap();
        assert_eq!(up.down_for, Some(Duration::from_secs(185)));
        assert_eq!(up.title(), "[RECOVERED] shop is up after 3 min");
    }

    #[test]
    fn each_certificate_threshold_is_warned_of_once() {
        let days = [14, 7, 1];
        assert_eq!(certificate_warning(&days, 30, None), None);
        assert_eq!(certificate_warning(&days, 14, None), Some(14));
        assert_eq!(
            certificate_warning(&days, 13, Some(14)),
            None,
            "once per threshold"
        );
        assert_eq!(certificate_warning(&days, 7, Some(14)), Some(7));
        assert_eq!(
            certificate_warning(&days, 5, None),
            Some(7),
            "first seen at 5 days"
        );
        assert_eq!(certificate_warning(&days, 0, Some(7)), Some(1));
        assert_eq!(certificate_warning(&days, -2, Some(1)), None);
        assert_eq!(certificate_warning(&[], 0, None), None, "warnings off");
    }

    #[test]
    fn notices_round_trip_through_proto() {
        let check = result(
            Outcome::Down,
            Some(Failure::new(FailureKind::ConnectRefused, "refused")),
            Phases {
                dns: Some(Duration::from_micros(120)),
                total: Some(Duration::from_micros(900)),
                ..Phases::default()
            },
        );
        let mut notice = Notice::of_change(
            &monitor(),
            S::Up,
            S::Down,
            "refused",
            None,
            Some(&check),
            from_unix_ms(1_700_000_000_000),
        )
        .unwrap();
        notice.key = "k".into();
        notice.phases.total = None;
        let back = Notice::try_from(v1::Notification::from(&notice)).unwrap();
        assert_eq!(back, notice);
        let test = Notice::test("ops", from_unix_ms(5));
        assert_eq!(
            Notice::try_from(v1::Notification::from(&test)).unwrap(),
            test
        );
        assert_eq!(test.title(), "[TEST] Test of channel ops");
    }
}
