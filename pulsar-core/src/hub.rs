//! What a live client subscribes to, and the messages the WebSocket hub sends it.

use std::collections::BTreeSet;
use std::time::SystemTime;

use crate::event::{
    TOPIC_CHECKS, TOPIC_HOSTS, TOPIC_INCIDENTS, TOPIC_MONITOR_STATES, TOPIC_MONITORS,
};
use crate::proto::v1;
use crate::proto::v1::event::Kind;
use crate::time::unix_ms;

/// Every topic a live client may subscribe to.
pub const HUB_TOPICS: [&str; 5] = [
    TOPIC_CHECKS,
    TOPIC_MONITOR_STATES,
    TOPIC_MONITORS,
    TOPIC_INCIDENTS,
    TOPIC_HOSTS,
];

/// Which events a client wants: its topics (none: all), and where given, only those about
/// some monitors or some hosts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    pub topics: BTreeSet<String>,
    pub monitors: BTreeSet<String>,
    pub hosts: BTreeSet<String>,
}

impl EventFilter {
    /// The topics to subscribe to: those asked for that exist, or every one.
    pub fn topics(&self) -> Vec<&'static str> {
        HUB_TOPICS
            .into_iter()
            .filter(|t| self.topics.is_empty() || self.topics.contains(*t))
            .collect()
    }

    /// Whether `event` is for this client.
    pub fn matches(&self, event: &v1::Event) -> bool {
        let Some(topic) = event.topic() else {
            return false;
        };
        if !self.topics.is_empty() && !self.topics.contains(topic) {
            return false;
        }
        let wanted = |set: &BTreeSet<String>, id: &str| set.is_empty() || set.contains(id);
        match event.kind.as_ref() {
            Some(Kind::CheckCompleted(c)) => c
                .result
                .as_ref()
                .is_some_and(|r| wanted(&self.monitors, &r.monitor_id)),
            Some(Kind::MonitorStateChanged(s)) => wanted(&self.monitors, &s.monitor_id),
            Some(Kind::MonitorChanged(m)) => m
                .monitor
                .as_ref()
                .is_some_and(|m| wanted(&self.monitors, &m.id)),
            Some(Kind::IncidentChanged(i)) => i
                .incident
                .as_ref()
                .is_some_and(|i| wanted(&self.monitors, &i.monitor_id)),
            Some(Kind::HostSampled(h)) => wanted(&self.hosts, &h.host_id),
            None => false,
        }
    }
}

impl v1::HubMessage {
    pub fn hello(now: SystemTime, topics: &[&str]) -> Self {
        Self {
            kind: Some(v1::hub_message::Kind::Hello(v1::HubHello {
                server_time_unix_ms: unix_ms(now),
                topics: topics.iter().map(|t| (*t).to_owned()).collect(),
            })),
        }
    }

    pub fn event(event: v1::Event) -> Self {
        Self {
            kind: Some(v1::hub_message::Kind::Event(event)),
        }
    }

    pub fn resync(missed: u64) -> Self {
        Self {
            kind: Some(v1::hub_message::Kind::Resync(v1::HubResync { missed })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(monitor: &str) -> v1::Event {
        v1::Event::check_completed(v1::CheckResult {
            monitor_id: monitor.into(),
            ..Default::default()
        })
    }

    #[test]
    fn filters_by_topic_and_by_subject() {
        let all = EventFilter::default();
        assert_eq!(all.topics().len(), 5);
        assert!(all.matches(&check("a")));
        let incident = v1::Event::incident_changed(v1::Incident {
            monitor_id: "a".into(),
            ..Default::default()
        });
        assert!(all.matches(&incident));
        let only_b = EventFilter {
            monitors: ["b".to_owned()].into(),
            ..EventFilter::default()
        };
        assert!(!only_b.matches(&incident), "an incident of another monitor");
        let host = v1::Event::host_sampled("web-1", v1::HostSnapshot::default());
        assert!(all.matches(&host));

        let only_a = EventFilter {
            topics: [TOPIC_CHECKS.to_owned(), "nonsense".to_owned()].into(),
            monitors: ["a".to_owned()].into(),
            hosts: BTreeSet::new(),
        };
        assert_eq!(only_a.topics(), [TOPIC_CHECKS]);
        assert!(only_a.matches(&check("a")));
        assert!(!only_a.matches(&check("b")), "another monitor");
        assert!(!only_a.matches(&host), "another topic");

        let web = EventFilter {
            hosts: ["web-1".to_owned()].into(),
            ..EventFilter::default()
        };
        assert!(web.matches(&host));
        assert!(!web.matches(&v1::Event::host_sampled(
            "db-1",
            v1::HostSnapshot::default()
        )));
    }
}
