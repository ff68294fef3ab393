//! Config as code: what applying a declared set of named objects (monitors, notification
//! channels) does to the stored set. Objects are matched by name; a declared object equal
//! to its stored twin is left alone, so applying the same file twice writes nothing.

use crate::{MaintenanceWindow, Monitor, NotificationChannel};

/// The writes that make the stored set match the declared one.
#[derive(Debug, PartialEq, Eq)]
pub struct Plan<'a, S, D> {
    /// Declared, not stored.
    pub create: Vec<&'a D>,
    /// Stored under the same name, with a different definition.
    pub update: Vec<(&'a S, &'a D)>,
    /// Stored and the same.
    pub unchanged: usize,
    /// Stored, not declared: deleted only when pruning.
    pub delete: Vec<&'a S>,
}

/// Matches `declared` to `stored` by name. With `prune`, what is stored and not declared
/// is deleted; otherwise it is left alone.
pub fn plan<'a, S, D>(
    stored: &'a [S],
    declared: &'a [D],
    stored_name: impl Fn(&S) -> &str,
    declared_name: impl Fn(&D) -> &str,
    same: impl Fn(&S, &D) -> bool,
    prune: bool,
) -> Plan<'a, S, D> {
    let mut plan = Plan {
        create: Vec::new(),
        update: Vec::new(),
        unchanged: 0,
        delete: Vec::new(),
    };
    for wanted in declared {
        match stored
            .iter()
            .find(|s| stored_name(s) == declared_name(wanted))
        {
            None => plan.create.push(wanted),
            Some(current) if same(current, wanted) => plan.unchanged += 1,
            Some(current) => plan.update.push((current, wanted)),
        }
    }
    if prune {
        plan.delete = stored
            .iter()
            .filter(|s| !declared.iter().any(|d| declared_name(d) == stored_name(s)))
            .collect();
    }
    plan
}

impl Monitor {
    /// Whether `other` defines the same check: everything but the id, the state and the
    /// timestamps, which the server keeps.
    pub fn same_definition(&self, other: &Monitor) -> bool {
        let mut kept = other.clone();
        kept.id = self.id;
        kept.state = self.state;
        kept.created_at = self.created_at;
        kept.updated_at = self.updated_at;
        *self == kept
    }
}

impl NotificationChannel {
    /// Whether `other` defines the same channel: name, kind, settings and enabled.
    pub fn same_definition(&self, other: &NotificationChannel) -> bool {
        self.name == other.name
            && self.kind == other.kind
            && self.config == other.config
            && self.enabled == other.enabled
    }
}

impl MaintenanceWindow {
    /// Whether `other` defines the same window: name, schedule and monitors.
    pub fn same_definition(&self, other: &MaintenanceWindow) -> bool {
        self.name == other.name
            && self.schedule == other.schedule
            && self.all_monitors == other.all_monitors
            && self.labels == other.labels
            && self.monitor_ids == other.monitor_ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Named = (&'static str, u32);

    fn run(
        stored: &[Named],
        declared: &[Named],
        prune: bool,
    ) -> (
        Vec<&'static str>,
        Vec<&'static str>,
        usize,
        Vec<&'static str>,
    ) {
        let plan = plan(stored, declared, |s| s.0, |d| d.0, |s, d| s.1 == d.1, prune);
        (
            plan.create.iter().map(|d| d.0).collect(),
            plan.update.iter().map(|(s, _)| s.0).collect(),
            plan.unchanged,
            plan.delete.iter().map(|s| s.0).collect(),
        )
    }

    #[test]
    fn objects_pair_by_name_and_only_pruning_deletes() {
        let stored = [("a", 1), ("b", 1), ("extra", 1)];
        let declared = [("a", 1), ("b", 2), ("new", 1)];
        assert_eq!(
            run(&stored, &declared, false),
            (vec!["new"], vec!["b"], 1, vec![])
        );
        assert_eq!(
            run(&stored, &declared, true),
            (vec!["new"], vec!["b"], 1, vec!["extra"])
        );
        // Applying what is stored changes nothing.
        assert_eq!(run(&stored, &stored, true), (vec![], vec![], 3, vec![]));
    }

    #[test]
    fn a_monitor_definition_ignores_what_the_server_keeps() {
        let a = Monitor::new("site", "https://example.com/");
        let mut b = a.clone();
        b.id = crate::MonitorId::new();
        b.state = crate::MonitorState::Down;
        b.updated_at = std::time::SystemTime::now();
        assert!(a.same_definition(&b));
        b.interval = std::time::Duration::from_secs(5);
        assert!(!a.same_definition(&b));
    }
}
