//! The dashboard's first screen: every monitor with its newest result, its day's uptime and
//! its recent checks, and the counts above the list.

use std::time::{Duration, SystemTime};

use crate::check::CheckResult;
use crate::monitor::{Monitor, MonitorState};
use crate::outcome::Outcome;
use crate::proto::v1;

/// How many recent checks the overview's status strip shows.
pub const OVERVIEW_STRIP_CHECKS: usize = 90;
/// How many recent checks the overview's latency sparkline shows (the newest of the strip).
pub const OVERVIEW_SPARKLINE_CHECKS: usize = 60;
/// The window of the overview's uptime figure.
pub const OVERVIEW_UPTIME_WINDOW: Duration = Duration::from_secs(86_400);

/// One recent check, as the strip and the sparkline draw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecentCheck {
    pub slot: SystemTime,
    pub outcome: Outcome,
    /// `None` where the check did not finish.
    pub total: Option<Duration>,
}

/// A monitor's last (at most) `keep` checks, oldest first, with `new` ones merged in: one
/// check per slot (the one already kept wins, as the first stored result does), the newest
/// `keep` slots kept. Late checks land in their place; ones older than every kept check of
/// a full strip are dropped.
pub fn merge_recent(
    kept: &mut Vec<RecentCheck>,
    new: impl IntoIterator<Item = RecentCheck>,
    keep: usize,
) {
    kept.extend(new);
    // Stable: for equal slots the check kept before the new ones stays first.
    kept.sort_by_key(|c| c.slot);
    kept.dedup_by_key(|c| c.slot);
    let excess = kept.len().saturating_sub(keep);
    kept.drain(..excess);
}

/// One monitor on the first screen.
#[derive(Debug, Clone, PartialEq)]
pub struct OverviewMonitor {
    pub monitor: Monitor,
    /// The newest result (scheduled or manual), with its phases.
    pub latest: Option<CheckResult>,
    /// Over [`OVERVIEW_UPTIME_WINDOW`]; `None` without checks.
    pub uptime_pct: Option<f64>,
    /// The last (at most) [`OVERVIEW_STRIP_CHECKS`] scheduled checks, oldest first.
    pub recent: Vec<RecentCheck>,
}

/// Monitors in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateCounts {
    pub unknown: u64,
    pub up: u64,
    pub degraded: u64,
    pub down: u64,
    pub paused: u64,
}

impl StateCounts {
    pub fn add(&mut self, state: MonitorState, count: u64) {
        let slot = match state {
            MonitorState::Unknown => &mut self.unknown,
            MonitorState::Up => &mut self.up,
            MonitorState::Degraded => &mut self.degraded,
            MonitorState::Down => &mut self.down,
            MonitorState::Paused => &mut self.paused,
        };
        *slot += count;
    }
}

impl From<OverviewMonitor> for v1::OverviewMonitor {
    /// The monitor goes out [redacted](Monitor::redacted): this is a read for people.
    fn from(o: OverviewMonitor) -> Self {
        let sparkline_from = o.recent.len().saturating_sub(OVERVIEW_SPARKLINE_CHECKS);
        Self {
            monitor: Some(o.monitor.redacted().into()),
            latest: o.latest.map(Into::into),
            uptime_24h_pct: o.uptime_pct,
            recent_total_us: o.recent[sparkline_from..]
                .iter()
                .map(|c| c.total.map_or(0, |t| t.as_micros() as u64))
                .collect(),
            recent_outcomes: o
                .recent
                .iter()
                .map(|c| v1::Outcome::from(c.outcome).into())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{from_unix_ms, unix_ms};

    #[test]
    fn the_wire_form_keeps_the_strip_and_the_newest_sparkline_points() {
        let recent: Vec<RecentCheck> = (0..90)
            .map(|i| RecentCheck {
                slot: from_unix_ms(i * 60_000),
                outcome: if i == 89 { Outcome::Down } else { Outcome::Up },
                total: (i != 89).then(|| Duration::from_micros(1_000 + i as u64)),
            })
            .collect();
        let mut monitor = Monitor::new("api", "https://api.example.com/");
        monitor
            .check
            .headers
            .push(crate::monitor::Header::new("Authorization", "Bearer x"));
        let wire = v1::OverviewMonitor::from(OverviewMonitor {
            monitor,
            latest: None,
            uptime_pct: Some(98.9),
            recent,
        });
        assert_eq!(wire.recent_outcomes.len(), 90);
        assert_eq!(wire.recent_total_us.len(), 60);
        assert_eq!(wire.recent_total_us[0], 1_030);
        assert_eq!(
            wire.recent_total_us[59], 0,
            "an unfinished check draws as 0"
        );
        assert_eq!(wire.monitor.unwrap().headers[0].value, crate::REDACTED);
    }

    fn check(minute: i64, outcome: Outcome) -> RecentCheck {
        RecentCheck {
            slot: from_unix_ms(minute * 60_000),
            outcome,
            total: Some(Duration::from_millis(minute as u64)),
        }
    }

    #[test]
    fn merging_keeps_the_newest_slots_once_each_in_order() {
        let mut kept: Vec<RecentCheck> = (0..5).map(|m| check(m, Outcome::Up)).collect();
        // A newer check, a late one in a gap, and a redelivery of a kept slot (ignored).
        let mut gap = kept.clone();
        gap.remove(2);
        let mut kept_with_gap = gap;
        merge_recent(
            &mut kept_with_gap,
            [
                check(7, Outcome::Down),
                check(2, Outcome::Up),
                check(3, Outcome::Down),
            ],
            6,
        );
        let slots: Vec<i64> = kept_with_gap
            .iter()
            .map(|c| unix_ms(c.slot) / 60_000)
            .collect();
        assert_eq!(slots, [0, 1, 2, 3, 4, 7]);
        assert_eq!(
            kept_with_gap[3].outcome,
            Outcome::Up,
            "the kept check of slot 3 stays"
        );
        // Full: the oldest go; a check older than all of a full strip is dropped.
        merge_recent(
            &mut kept,
            [check(9, Outcome::Up), check(-1, Outcome::Up)],
            3,
        );
        let slots: Vec<i64> = kept.iter().map(|c| unix_ms(c.slot) / 60_000).collect();
        assert_eq!(slots, [3, 4, 9]);
    }

    #[test]
    fn counts_add_up_by_state() {
        let mut counts = StateCounts::default();
        counts.add(MonitorState::Up, 3);
        counts.add(MonitorState::Down, 1);
        counts.add(MonitorState::Up, 2);
        assert_eq!((counts.up, counts.down, counts.paused), (5, 1, 0));
    }
}
