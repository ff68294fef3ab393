//! What creating, updating, enabling, disabling and claiming do to a monitor, and when a
//! verdict may change its state: the rules a store applies around its writes, kept here so
//! that every store (and the server) applies the same ones.

use std::time::SystemTime;

use crate::error::CoreError;
use crate::incident::IncidentAction;
use crate::monitor::{Monitor, MonitorState};
use crate::schedule::{slot_after, slot_at_or_after, slot_at_or_before};
use crate::time::{from_unix_ms, unix_ms};

/// `at` with millisecond precision, as a store keeps times: what it hands back equals what a
/// later read returns.
pub fn truncate_to_ms(at: SystemTime) -> SystemTime {
    from_unix_ms(unix_ms(at))
}

/// A new monitor as stored, and its first due time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMonitor {
    /// Created and updated `now`; Unknown if enabled, else Paused.
    pub monitor: Monitor,
    /// The first point of its schedule grid at or after `now`.
    pub first_due: SystemTime,
}

impl NewMonitor {
    /// Validates `monitor` and prepares it for storing at `now`.
    pub fn new(monitor: &Monitor, now: SystemTime) -> Result<Self, CoreError> {
        monitor.validate()?;
        let mut stored = monitor.clone();
        stored.created_at = truncate_to_ms(now);
        stored.updated_at = stored.created_at;
        stored.state = if stored.enabled {
            MonitorState::Unknown
        } else {
            MonitorState::Paused
        };
        let first_due = slot_at_or_after(stored.id, stored.interval, now);
        Ok(Self {
            monitor: stored,
            first_due,
        })
    }
}

/// What an update of a stored monitor writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorUpdate {
    /// The new definition, with the stored id and creation time, updated `now`.
    pub monitor: Monitor,
    /// Where the schedule restarts, when it does: the interval changed, or the monitor was
    /// enabled again. `None` keeps the stored due time.
    pub next_due: Option<SystemTime>,
    /// The update disables the monitor: its open incident closes.
    pub pauses: bool,
}

impl MonitorUpdate {
    /// Applies `new` over the stored `old` at `now`: the id and creation time stay, and so
    /// do secrets `new` holds only as masks ([`Monitor::keep_secrets`]);
    /// disabling pauses the monitor, enabling it makes it Unknown, and otherwise its state
    /// is kept.
    pub fn new(old: &Monitor, new: &Monitor, now: SystemTime) -> Result<Self, CoreError> {
        let mut monitor = new.clone();
        // Secrets sent back masked, as a read showed them, keep their stored values.
        monitor.keep_secrets(old);
        monitor.validate()?;
        monitor.id = old.id;
        monitor.created_at = old.created_at;
        monitor.updated_at = truncate_to_ms(now);
        monitor.state = match (old.enabled, new.enabled) {
            (_, false) => MonitorState::Paused,
            (false, true) => MonitorState::Unknown,
            (true, true) => old.state,
        };
        let reschedule = (new.enabled && !old.enabled) || new.interval != old.interval;
        Ok(Self {
            next_due: reschedule.then(|| slot_at_or_after(monitor.id, monitor.interval, now)),
            pauses: old.enabled && !new.enabled,
            monitor,
        })
    }
}

/// What recording the state `to` does to a monitor in state `current` whose open incident
/// (if any) is in state `open`: the state it ends in and the incident action. A disabled
/// monitor keeps its state (Paused) whatever checks still report; only a pause applies.
pub fn state_change(
    enabled: bool,
    current: MonitorState,
    open: Option<MonitorState>,
    to: MonitorState,
) -> (MonitorState, IncidentAction) {
    if !enabled && to != MonitorState::Paused {
        return (current, IncidentAction::None);
    }
    (to, IncidentAction::on_state_change(open, to))
}

/// The slot a scheduler claiming `monitor` at `now` runs — the latest at or before `now`,
/// so after downtime missed slots are skipped, not replayed — and the due time the claim
/// leaves behind: the first slot after `now`.
pub fn claimed_slot(monitor: &Monitor, now: SystemTime) -> (SystemTime, SystemTime) {
    (
        slot_at_or_before(monitor.id, monitor.interval, now),
        slot_after(monitor.id, monitor.interval, now),
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::incident::IncidentAction as Action;
    use crate::monitor::MonitorState as S;

    const NOW_MS: i64 = 1_793_622_615_123;

    fn now() -> SystemTime {
        from_unix_ms(NOW_MS) + Duration::from_micros(456)
    }

    fn monitor(enabled: bool) -> Monitor {
        let mut m = Monitor::new("api", "https://example.com/");
        m.enabled = enabled;
        m
    }

    #[test]
    fn a_new_monitor_starts_unknown_or_paused_on_its_grid() {
        let created = NewMonitor::new(&monitor(true), now()).unwrap();
        assert_eq!(created.monitor.state, S::Unknown);
        assert_eq!(unix_ms(created.monitor.created_at), NOW_MS);
        assert_eq!(created.monitor.created_at, truncate_to_ms(now()));
        assert_eq!(created.monitor.updated_at, created.monitor.created_at);
        assert!(created.first_due >= now());
        assert!(created.first_due < now() + created.monitor.interval);
        let paused = NewMonitor::new(&monitor(false), now()).unwrap();
        assert_eq!(paused.monitor.state, S::Paused);
        let mut bad = monitor(true);
        bad.name.clear();
        assert!(NewMonitor::new(&bad, now()).is_err());
    }

    #[test]
    fn updates_keep_identity_and_move_state_only_on_enable_and_disable() {
        let mut old = NewMonitor::new(&monitor(true), now()).unwrap().monitor;
        old.state = S::Down;
        let later = now() + Duration::from_secs(90);
        // (old enabled, new enabled, interval changes) → (state, restarts, pauses)
        let table = [
            (true, true, false, S::Down, false, false),
            (true, true, true, S::Down, true, false),
            (true, false, false, S::Paused, false, true),
            (false, true, false, S::Unknown, true, false),
            (false, false, false, S::Paused, false, false),
        ];
        for (was, is, new_interval, state, restarts, pauses) in table {
            let old = Monitor {
                enabled: was,
                ..old.clone()
            };
            let mut new = Monitor {
                enabled: is,
                id: crate::monitor::MonitorId::new(),
                created_at: later,
                ..old.clone()
            };
            if new_interval {
                new.interval = Duration::from_secs(30);
            }
            let update = MonitorUpdate::new(&old, &new, later).unwrap();
            let case = format!("{was} → {is}, new interval: {new_interval}");
            assert_eq!(update.monitor.id, old.id, "{case}");
            assert_eq!(update.monitor.created_at, old.created_at, "{case}");
            assert_eq!(update.monitor.updated_at, truncate_to_ms(later), "{case}");
            assert_eq!(update.monitor.state, state, "{case}");
            assert_eq!(update.next_due.is_some(), restarts, "{case}");
            assert_eq!(update.pauses, pauses, "{case}");
            if let Some(due) = update.next_due {
                assert!(
                    due >= later && due < later + update.monitor.interval,
                    "{case}"
                );
            }
        }
    }

    #[test]
    fn disabled_monitors_ignore_verdicts_but_not_a_pause() {
        // (enabled, current, open incident, to) → (state, action)
        let table = [
            (true, S::Up, None, S::Down, S::Down, Action::Open),
            (
                true,
                S::Degraded,
                Some(S::Degraded),
                S::Down,
                S::Down,
                Action::Escalate,
            ),
            (true, S::Down, Some(S::Down), S::Up, S::Up, Action::Close),
            (
                true,
                S::Down,
                Some(S::Down),
                S::Paused,
                S::Paused,
                Action::Close,
            ),
            (false, S::Paused, None, S::Down, S::Paused, Action::None),
            (
                false,
                S::Paused,
                Some(S::Down),
                S::Up,
                S::Paused,
                Action::None,
            ),
            (
                false,
                S::Paused,
                Some(S::Down),
                S::Paused,
                S::Paused,
                Action::Close,
            ),
        ];
        for (enabled, current, open, to, state, action) in table {
            assert_eq!(
                state_change(enabled, current, open, to),
                (state, action),
                "{enabled} {current:?} {open:?} {to:?}"
            );
        }
    }

    #[test]
    fn a_claim_runs_the_latest_slot_and_leaves_the_next() {
        let m = monitor(true);
        let (slot, next) = claimed_slot(&m, now());
        assert!(slot <= now() && now() < slot + m.interval);
        assert_eq!(next, slot + m.interval);
        // Ten intervals late: one slot runs, the missed ones are skipped.
        let late = now() + m.interval * 10;
        let (slot, next) = claimed_slot(&m, late);
        assert!(slot <= late && next > late);
    }
}
