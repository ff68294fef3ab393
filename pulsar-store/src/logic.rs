//! The rules both backends apply around their SQL: what a create, update, state change or
//! claim writes. Keeping them here keeps the two dialects from drifting apart.

use std::time::SystemTime;

use pulsar_core::{
    IncidentAction, Monitor, MonitorState, from_unix_ms, slot_after, slot_at_or_after,
    slot_at_or_before, unix_ms,
};

use crate::error::Result;

/// Stored times have millisecond precision; values handed back match what a read returns.
pub(crate) fn truncate_ms(at: SystemTime) -> SystemTime {
    from_unix_ms(unix_ms(at))
}

/// A validated new monitor as stored, and its first due time.
pub(crate) fn new_monitor(monitor: &Monitor, now: SystemTime) -> Result<(Monitor, i64)> {
    monitor.validate()?;
    let mut stored = monitor.clone();
    stored.created_at = truncate_ms(now);
    stored.updated_at = stored.created_at;
    stored.state = if stored.enabled {
        MonitorState::Unknown
    } else {
        MonitorState::Paused
    };
    let first_slot = slot_at_or_after(stored.id, stored.interval, now);
    Ok((stored, unix_ms(first_slot)))
}

/// What an update writes.
pub(crate) struct MonitorUpdate {
    pub(crate) monitor: Monitor,
    /// A new due time when the schedule restarts (interval changed, re-enabled).
    pub(crate) next_due_at_ms: Option<i64>,
    /// The update disables the monitor: its open incident closes.
    pub(crate) pauses: bool,
}

/// Applies `new` over the stored `old`: the creation time stays, enabling and disabling
/// move the state (Unknown / Paused), other state is kept.
pub(crate) fn updated_monitor(
    old: &Monitor,
    new: &Monitor,
    now: SystemTime,
) -> Result<MonitorUpdate> {
    new.validate()?;
    let mut monitor = new.clone();
    monitor.id = old.id;
    monitor.created_at = old.created_at;
    monitor.updated_at = truncate_ms(now);
    monitor.state = match (old.enabled, new.enabled) {
        (_, false) => MonitorState::Paused,
        (false, true) => MonitorState::Unknown,
        (true, true) => old.state,
    };
    let reschedule = (new.enabled && !old.enabled) || new.interval != old.interval;
    Ok(MonitorUpdate {
        next_due_at_ms: reschedule
            .then(|| unix_ms(slot_at_or_after(monitor.id, monitor.interval, now))),
        pauses: old.enabled && !new.enabled,
        monitor,
    })
}

/// What recording state `to` does for a monitor in state `current` with an open incident
/// in state `open`: the new state and the incident action. Paused monitors ignore
/// check-driven changes.
pub(crate) fn state_change(
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

/// The slot a claim at `now` runs, and the due time it leaves behind.
pub(crate) fn claimed_slot(monitor: &Monitor, now: SystemTime) -> (SystemTime, i64) {
    let slot = slot_at_or_before(monitor.id, monitor.interval, now);
    let next = slot_after(monitor.id, monitor.interval, now);
    (slot, unix_ms(next))
}
