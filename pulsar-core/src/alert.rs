//! The alert rule: how one check's verdict moves a monitor between UP, DEGRADED and DOWN,
//! given the run of verdicts before it and the monitor's thresholds.
//!
//! - A monitor with no verdict yet (UNKNOWN) takes the first verdict's state.
//! - DOWN after `failure_threshold` consecutive DOWN verdicts.
//! - DEGRADED (from UP) after `failure_threshold` consecutive DEGRADED verdicts: checks that
//!   succeed but are slower than the monitor's limit.
//! - Out of DOWN after `recovery_threshold` consecutive working (UP or DEGRADED) verdicts,
//!   into the state of the last one; out of DEGRADED after `recovery_threshold` consecutive
//!   UP verdicts.
//! - A paused monitor ignores verdicts. A verdict for a slot at or before the newest one
//!   applied (late, or delivered again) changes nothing, so the rule sees each slot once and
//!   in order.

use std::time::SystemTime;

use crate::monitor::{Monitor, MonitorState};
use crate::outcome::Outcome;

/// What a monitor remembers of its verdicts between checks: the runs that end at its newest
/// verdict. Stored with the monitor and updated with each result, in slot order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AlertMemory {
    /// The slot of the newest verdict applied.
    pub last_slot: Option<SystemTime>,
    /// Consecutive DOWN verdicts.
    pub down: u32,
    /// Consecutive DEGRADED verdicts.
    pub degraded: u32,
    /// Consecutive UP verdicts.
    pub up: u32,
    /// Consecutive UP or DEGRADED verdicts.
    pub working: u32,
}

impl AlertMemory {
    /// The runs after one more verdict.
    fn after(self, slot: SystemTime, outcome: Outcome) -> Self {
        let extend = |run: u32, counts: bool| if counts { run.saturating_add(1) } else { 0 };
        Self {
            last_slot: Some(slot),
            down: extend(self.down, outcome == Outcome::Down),
            degraded: extend(self.degraded, outcome == Outcome::Degraded),
            up: extend(self.up, outcome == Outcome::Up),
            working: extend(self.working, outcome != Outcome::Down),
        }
    }
}

/// A monitor's thresholds, as the rule reads them (0 counts as 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertThresholds {
    pub failure: u32,
    pub recovery: u32,
}

impl From<&Monitor> for AlertThresholds {
    fn from(monitor: &Monitor) -> Self {
        Self {
            failure: monitor.failure_threshold,
            recovery: monitor.recovery_threshold,
        }
    }
}

/// One check's verdict, as the rule sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotVerdict<'a> {
    pub slot: SystemTime,
    pub outcome: Outcome,
    /// Why (the check's failure or slowness); empty when UP.
    pub reason: &'a str,
}

/// What applying a verdict does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertStep {
    /// The memory to store (unchanged when the verdict was ignored).
    pub memory: AlertMemory,
    /// The state after the verdict.
    pub state: MonitorState,
    /// Why the state changed, for the incident and the notification; `None` when it did not.
    pub reason: Option<String>,
}

/// Applies `verdict` to a monitor in `state` with `memory` (see the module docs for the
/// rule).
pub fn alert_step(
    state: MonitorState,
    memory: AlertMemory,
    thresholds: AlertThresholds,
    verdict: SlotVerdict<'_>,
) -> AlertStep {
    let unchanged = AlertStep {
        memory,
        state,
        reason: None,
    };
    if state == MonitorState::Paused || memory.last_slot.is_some_and(|last| verdict.slot <= last) {
        return unchanged;
    }
    let memory = memory.after(verdict.slot, verdict.outcome);
    let failure = thresholds.failure.max(1);
    let recovery = thresholds.recovery.max(1);
    let of_outcome = MonitorState::from(verdict.outcome);
    let next = match state {
        MonitorState::Unknown => of_outcome,
        _ if memory.down >= failure => MonitorState::Down,
        MonitorState::Down if memory.working >= recovery => of_outcome,
        MonitorState::Up if memory.degraded >= failure => MonitorState::Degraded,
        MonitorState::Degraded if memory.up >= recovery => MonitorState::Up,
        _ => state,
    };
    if next == state {
        return AlertStep {
            memory,
            ..unchanged
        };
    }
    AlertStep {
        memory,
        state: next,
        reason: Some(reason(state, next, memory, verdict.reason)),
    }
}

fn reason(from: MonitorState, to: MonitorState, memory: AlertMemory, last: &str) -> String {
    let because = |count: u32, what: &str| {
        let checks = if count == 1 { "check" } else { "checks" };
        if last.is_empty() {
            format!("{count} {what} {checks} in a row")
        } else {
            format!("{count} {what} {checks} in a row: {last}")
        }
    };
    match (from, to) {
        (MonitorState::Unknown, _) if last.is_empty() => "first check".to_owned(),
        (MonitorState::Unknown, _) => format!("first check: {last}"),
        (_, MonitorState::Down) => because(memory.down, "failed"),
        (_, MonitorState::Degraded) if from == MonitorState::Down => {
            because(memory.working, "working")
        }
        (_, MonitorState::Degraded) => because(memory.degraded, "slow"),
        (MonitorState::Down, _) => because(memory.working, "working"),
        _ => because(memory.up, "good"),
    }
}

impl From<Outcome> for MonitorState {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Up => Self::Up,
            Outcome::Degraded => Self::Degraded,
            Outcome::Down => Self::Down,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::monitor::MonitorState as S;
    use crate::outcome::Outcome::{Degraded as G, Down as D, Up as U};
    use crate::time::from_unix_ms;

    const THREE_TWO: AlertThresholds = AlertThresholds {
        failure: 3,
        recovery: 2,
    };

    fn slot(k: i64) -> SystemTime {
        from_unix_ms(1_793_622_600_000 + k * 60_000)
    }

    /// The states after each verdict of `outcomes`, one per slot, from `start`.
    fn states(start: S, thresholds: AlertThresholds, outcomes: &[Outcome]) -> Vec<S> {
        let (mut state, mut memory) = (start, AlertMemory::default());
        outcomes
            .iter()
            .enumerate()
            .map(|(k, outcome)| {
                let verdict = SlotVerdict {
                    slot: slot(k as i64),
                    outcome: *outcome,
                    reason: "",
                };
                let step = alert_step(state, memory, thresholds, verdict);
                (state, memory) = (step.state, step.memory);
                state
            })
            .collect()
    }

    #[test]
    fn the_rule_table() {
        // (start, verdicts, states after each)
        let table: &[(S, &[Outcome], &[S])] = &[
            // UNKNOWN takes the first verdict.
            (S::Unknown, &[D], &[S::Down]),
            (S::Unknown, &[G], &[S::Degraded]),
            (S::Unknown, &[U, D], &[S::Up, S::Up]),
            // DOWN after three failures in a row, not after two.
            (S::Up, &[D, D, D], &[S::Up, S::Up, S::Down]),
            (S::Up, &[D, D, U, D, D], &[S::Up; 5]),
            // DEGRADED after three slow checks in a row.
            (S::Up, &[G, G, G], &[S::Up, S::Up, S::Degraded]),
            (S::Up, &[G, G, U, G], &[S::Up; 4]),
            // A DEGRADED monitor goes DOWN on failures, and UP after two good checks.
            (
                S::Degraded,
                &[D, D, D],
                &[S::Degraded, S::Degraded, S::Down],
            ),
            (
                S::Degraded,
                &[U, G, U, U],
                &[S::Degraded, S::Degraded, S::Degraded, S::Up],
            ),
            // Out of DOWN after two working checks, into the state of the last one.
            (S::Down, &[U, D, U, U], &[S::Down, S::Down, S::Down, S::Up]),
            (S::Down, &[U, G], &[S::Down, S::Degraded]),
            (S::Down, &[G, U], &[S::Down, S::Up]),
            (S::Down, &[D, D, D, D], &[S::Down; 4]),
            // Paused ignores everything.
            (S::Paused, &[D, D, D, U], &[S::Paused; 4]),
        ];
        for (start, outcomes, expected) in table {
            assert_eq!(
                states(*start, THREE_TWO, outcomes),
                *expected,
                "from {start:?} through {outcomes:?}"
            );
        }
    }

    #[test]
    fn thresholds_of_zero_or_one_act_at_once() {
        for failure in [0, 1] {
            let at_once = AlertThresholds {
                failure,
                recovery: failure,
            };
            assert_eq!(states(S::Up, at_once, &[D, U]), [S::Down, S::Up]);
            assert_eq!(states(S::Up, at_once, &[G, U]), [S::Degraded, S::Up]);
        }
    }

    #[test]
    fn late_and_repeated_verdicts_change_nothing() {
        let memory = AlertMemory {
            last_slot: Some(slot(5)),
            down: 2,
            ..AlertMemory::default()
        };
        let verdict = |k, outcome| SlotVerdict {
            slot: slot(k),
            outcome,
            reason: "refused",
        };
        for late in [verdict(5, D), verdict(4, D), verdict(5, U)] {
            let step = alert_step(S::Up, memory, THREE_TWO, late);
            assert_eq!(
                step,
                AlertStep {
                    memory,
                    state: S::Up,
                    reason: None
                }
            );
        }
        // The next slot counts: the third failure in a row.
        let step = alert_step(S::Up, memory, THREE_TWO, verdict(6, D));
        assert_eq!(step.state, S::Down);
        assert_eq!(step.memory.last_slot, Some(slot(6)));
        assert_eq!(
            step.reason.as_deref(),
            Some("3 failed checks in a row: refused")
        );
    }

    #[test]
    fn reasons_say_how_many_and_why() {
        let step = |state, memory, outcome, reason| {
            let verdict = SlotVerdict {
                slot: slot(10),
                outcome,
                reason,
            };
            alert_step(state, memory, THREE_TWO, verdict).reason
        };
        let runs = |down, degraded, up, working| AlertMemory {
            last_slot: Some(slot(9)),
            down,
            degraded,
            up,
            working,
        };
        let cases = [
            (
                S::Unknown,
                AlertMemory::default(),
                D,
                "timed out",
                "first check: timed out",
            ),
            (S::Unknown, AlertMemory::default(), U, "", "first check"),
            (
                S::Up,
                runs(0, 2, 0, 2),
                G,
                "took 900 ms",
                "3 slow checks in a row: took 900 ms",
            ),
            (
                S::Down,
                runs(0, 0, 1, 1),
                U,
                "",
                "2 working checks in a row",
            ),
            (
                S::Degraded,
                runs(0, 0, 1, 1),
                U,
                "",
                "2 good checks in a row",
            ),
        ];
        for (state, memory, outcome, why, expected) in cases {
            assert_eq!(
                step(state, memory, outcome, why).as_deref(),
                Some(expected),
                "{state:?} {outcome:?}"
            );
        }
        assert_eq!(step(S::Up, runs(0, 0, 4, 4), U, ""), None);
    }

    #[test]
    fn a_long_run_saturates_instead_of_overflowing() {
        let memory = AlertMemory {
            last_slot: Some(slot(0)),
            down: u32::MAX,
            working: 0,
            ..AlertMemory::default()
        };
        let verdict = SlotVerdict {
            slot: slot(1) + Duration::from_millis(1),
            outcome: D,
            reason: "",
        };
        let step = alert_step(S::Down, memory, THREE_TWO, verdict);
        assert_eq!((step.state, step.memory.down), (S::Down, u32::MAX));
    }
}
