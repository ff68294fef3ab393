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

/// One monitor on the first screen.
#[derive(Debug, Clone, PartialEq)]
pub struct OverviewMonitor {
    pub monitor: Monitor,
    /// The newest result (scheduled or manual), with its phases.
    pub latest: Option<CheckResult>,
    /// Over [`OVERVIEW_UPTIME_WINDOW`]; `None` without checks.
    pub uptime_pct: Option<f64>,
    /// The last (at most) [`OVERVIEW_STRIP_CHECKS`] checks, oldest first.
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
    use crate::time::from_unix_ms;

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

    #[test]
    fn counts_add_up_by_state() {
        let mut counts = StateCounts::default();
        counts.add(MonitorState::Up, 3);
        counts.add(MonitorState::Down, 1);
        counts.add(MonitorState::Up, 2);
        assert_eq!((counts.up, counts.down, counts.paused), (5, 1, 0));
    }
}
