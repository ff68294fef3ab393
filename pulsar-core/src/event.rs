//! Queue payloads and bus events: the unique-key rule for check tasks and the topic each
//! event travels on, so the scheduler, the workers and the API processes agree on both.

use crate::proto::v1;
use crate::proto::v1::event::Kind;

/// Bus topic of [`v1::CheckCompleted`] events.
pub const TOPIC_CHECKS: &str = "checks";
/// Bus topic of [`v1::MonitorStateChanged`] events.
pub const TOPIC_MONITOR_STATES: &str = "monitor-states";
/// Bus topic of [`v1::HostSampled`] events.
pub const TOPIC_HOSTS: &str = "hosts";
/// Bus topic of [`v1::MonitorChanged`] events.
pub const TOPIC_MONITORS: &str = "monitors";
/// Bus topic of [`v1::IncidentChanged`] events.
pub const TOPIC_INCIDENTS: &str = "incidents";

/// The queue's unique key of the check of `monitor_id` for the slot at `slot_unix_ms`:
/// one task per (monitor, slot), however often a scheduler tries to enqueue it.
pub fn check_task_key(monitor_id: &str, slot_unix_ms: i64) -> String {
    format!("{monitor_id}:{slot_unix_ms}")
}

impl v1::CheckTask {
    /// A task for `monitor` at the slot `slot_unix_ms`.
    pub fn for_slot(monitor: v1::Monitor, slot_unix_ms: i64) -> Self {
        Self {
            monitor_id: monitor.id.clone(),
            slot_unix_ms,
            monitor: Some(monitor),
        }
    }

    /// See [`check_task_key`].
    pub fn unique_key(&self) -> String {
        check_task_key(&self.monitor_id, self.slot_unix_ms)
    }
}

impl v1::Event {
    /// A check finished with `result`.
    pub fn check_completed(result: v1::CheckResult) -> Self {
        Self::of(Kind::CheckCompleted(v1::CheckCompleted {
            result: Some(result),
        }))
    }

    /// A monitor moved between states.
    pub fn monitor_state_changed(change: v1::MonitorStateChanged) -> Self {
        Self::of(Kind::MonitorStateChanged(change))
    }

    /// A host took a health sample.
    pub fn host_sampled(host_id: impl Into<String>, snapshot: v1::HostSnapshot) -> Self {
        Self::of(Kind::HostSampled(v1::HostSampled {
            host_id: host_id.into(),
            snapshot: Some(snapshot),
        }))
    }

    /// A monitor was created or edited (`deleted == false`) or deleted.
    pub fn monitor_changed(monitor: v1::Monitor, deleted: bool) -> Self {
        Self::of(Kind::MonitorChanged(v1::MonitorChanged {
            monitor: Some(monitor),
            deleted,
        }))
    }

    /// An incident opened, escalated or closed; `incident` is as it is now.
    pub fn incident_changed(incident: v1::Incident) -> Self {
        Self::of(Kind::IncidentChanged(v1::IncidentChanged {
            incident: Some(incident),
        }))
    }

    fn of(kind: Kind) -> Self {
        Self { kind: Some(kind) }
    }

    /// The topic this event is published on; `None` for an event without a kind (one from a
    /// newer schema this build does not know).
    pub fn topic(&self) -> Option<&'static str> {
        Some(match self.kind.as_ref()? {
            Kind::CheckCompleted(_) => TOPIC_CHECKS,
            Kind::MonitorStateChanged(_) => TOPIC_MONITOR_STATES,
            Kind::HostSampled(_) => TOPIC_HOSTS,
            Kind::MonitorChanged(_) => TOPIC_MONITORS,
            Kind::IncidentChanged(_) => TOPIC_INCIDENTS,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_has_one_key_whoever_builds_it() {
        let monitor = v1::Monitor {
            id: "m-1".into(),
            ..Default::default()
        };
        let task = v1::CheckTask::for_slot(monitor, 1_700_000_000_000);
        assert_eq!(task.unique_key(), "m-1:1700000000000");
        assert_eq!(task.unique_key(), check_task_key("m-1", 1_700_000_000_000));
    }

    #[test]
    fn every_event_kind_has_a_topic() {
        let events = [
            v1::Event::check_completed(v1::CheckResult::default()),
            v1::Event::monitor_state_changed(v1::MonitorStateChanged::default()),
            v1::Event::host_sampled("h", v1::HostSnapshot::default()),
            v1::Event::monitor_changed(v1::Monitor::default(), true),
        ];
        let topics: Vec<_> = events.iter().filter_map(v1::Event::topic).collect();
        assert_eq!(
            topics,
            [
                TOPIC_CHECKS,
                TOPIC_MONITOR_STATES,
                TOPIC_HOSTS,
                TOPIC_MONITORS
            ]
        );
        assert_eq!(v1::Event::default().topic(), None);
    }
}
