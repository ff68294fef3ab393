//! Which notification channels alert for which monitors: the routing rule.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{CoreError, FieldError};
use crate::monitor::MonitorId;
use crate::notification::ChannelId;
use crate::proto::v1;
use crate::validate::limits;

/// The most monitors one channel may list by id; past this, labels say it better.
pub const ROUTED_MONITORS_MAX: usize = 10_000;

/// The monitors a channel alerts for. The three ways add up: every monitor
/// (`all_monitors`, a default channel), the monitors carrying every one of `labels`, and the
/// monitors listed in `monitor_ids`. A new channel routes nothing until told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelRouting {
    pub channel_id: ChannelId,
    pub all_monitors: bool,
    /// Empty: no monitor is routed by labels (not "every monitor").
    pub labels: BTreeMap<String, String>,
    pub monitor_ids: BTreeSet<MonitorId>,
    /// The channel also alerts for hosts (their rules firing and resolving).
    pub hosts: bool,
}

impl ChannelRouting {
    /// Routes nothing.
    pub fn none(channel_id: ChannelId) -> Self {
        Self {
            channel_id,
            all_monitors: false,
            labels: BTreeMap::new(),
            monitor_ids: BTreeSet::new(),
            hosts: false,
        }
    }

    /// Whether the channel alerts for the monitor `id` carrying `labels`.
    pub fn routes(&self, id: MonitorId, labels: &BTreeMap<String, String>) -> bool {
        selects(
            self.all_monitors,
            &self.labels,
            &self.monitor_ids,
            id,
            labels,
        )
    }

    /// Checks the sizes, reporting every broken rule with its field.
    pub fn validate(&self) -> Result<(), CoreError> {
        let mut errors = Vec::new();
        if self.labels.len() > limits::LABELS {
            let message = format!("at most {} labels", limits::LABELS);
            errors.push(FieldError::new("labels", message));
        }
        for key in self.labels.keys() {
            if key.is_empty() || key.len() > limits::LABEL_KEY_BYTES {
                let message = format!("key must be 1..={} bytes", limits::LABEL_KEY_BYTES);
                errors.push(FieldError::new(format!("labels.{key}"), message));
            }
        }
        if self.monitor_ids.len() > ROUTED_MONITORS_MAX {
            let message = format!("at most {ROUTED_MONITORS_MAX} monitors");
            errors.push(FieldError::new("monitor_ids", message));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(CoreError::Invalid(errors))
        }
    }
}

/// The selection rule routing and maintenance windows share: every monitor (`all`), the
/// monitors carrying every one of `wanted` labels (none when it is empty), and the `listed`
/// ones, added up.
pub(crate) fn selects(
    all: bool,
    wanted: &BTreeMap<String, String>,
    listed: &BTreeSet<MonitorId>,
    id: MonitorId,
    labels: &BTreeMap<String, String>,
) -> bool {
    all || listed.contains(&id)
        || (!wanted.is_empty() && wanted.iter().all(|(k, v)| labels.get(k) == Some(v)))
}

impl From<ChannelRouting> for v1::ChannelRouting {
    fn from(r: ChannelRouting) -> Self {
        Self {
            channel_id: r.channel_id.0,
            all_monitors: r.all_monitors,
            labels: r.labels.into_iter().collect(),
            monitor_ids: r.monitor_ids.iter().map(ToString::to_string).collect(),
            hosts: r.hosts,
        }
    }
}

/// The `monitor_ids` of a selection on the wire, each error naming its index.
pub(crate) fn parse_monitor_ids(ids: &[String]) -> Result<BTreeSet<MonitorId>, CoreError> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| {
            id.parse()
                .map_err(|_| CoreError::invalid(format!("monitor_ids[{i}]"), "not a monitor id"))
        })
        .collect()
}

impl TryFrom<v1::ChannelRouting> for ChannelRouting {
    type Error = CoreError;
    fn try_from(r: v1::ChannelRouting) -> Result<Self, CoreError> {
        let monitor_ids = parse_monitor_ids(&r.monitor_ids)?;
        Ok(Self {
            channel_id: ChannelId(r.channel_id),
            all_monitors: r.all_monitors,
            labels: r.labels.into_iter().collect(),
            monitor_ids,
            hosts: r.hosts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_three_ways_add_up() {
        let listed = MonitorId::new();
        let other = MonitorId::new();
        let prod = labels(&[("env", "prod"), ("team", "web")]);
        let mut routing = ChannelRouting::none(ChannelId(1));
        // (routing change, listed monitor with no labels, other monitor with `prod` labels)
        assert!(!routing.routes(listed, &BTreeMap::new()));
        assert!(!routing.routes(other, &prod), "no labels routes nothing");
        routing.monitor_ids.insert(listed);
        assert!(routing.routes(listed, &BTreeMap::new()));
        assert!(!routing.routes(other, &prod));
        routing.labels = labels(&[("env", "prod")]);
        assert!(routing.routes(other, &prod));
        routing.labels = labels(&[("env", "prod"), ("team", "db")]);
        assert!(!routing.routes(other, &prod), "every label must match");
        routing.all_monitors = true;
        assert!(routing.routes(other, &BTreeMap::new()));
    }

    #[test]
    fn wire_form_round_trips_and_bad_ids_name_their_field() {
        let mut routing = ChannelRouting::none(ChannelId(7));
        routing.labels = labels(&[("env", "prod")]);
        routing.monitor_ids.insert(MonitorId::new());
        let wire = v1::ChannelRouting::from(routing.clone());
        assert_eq!(ChannelRouting::try_from(wire.clone()).unwrap(), routing);
        let mut bad = wire;
        bad.monitor_ids.push("nope".into());
        let Err(CoreError::Invalid(errors)) = ChannelRouting::try_from(bad) else {
            panic!("a bad id is invalid");
        };
        assert_eq!(errors[0].field, "monitor_ids[1]");
    }

    #[test]
    fn sizes_are_checked() {
        let mut routing = ChannelRouting::none(ChannelId(1));
        routing.labels = (0..=limits::LABELS)
            .map(|i| (format!("k{i}"), "v".into()))
            .collect();
        routing.labels.insert(String::new(), "v".into());
        let Err(CoreError::Invalid(errors)) = routing.validate() else {
            panic!("too many labels and an empty key");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["labels", "labels."]);
    }
}
