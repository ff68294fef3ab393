//! Uptime and latency over a window, computed from merged rollups.

use std::time::{Duration, SystemTime};

use crate::error::CoreError;
use crate::histogram::PhaseHistograms;
use crate::monitor::MonitorId;
use crate::proto::v1;
use crate::rollup::RollupStats;
use crate::time::{from_unix_ms, unix_ms};

/// The windows a dashboard shows: 1 h, 24 h, 7 d and 30 d.
pub const SUMMARY_WINDOWS: [Duration; 4] = [
    Duration::from_secs(3_600),
    Duration::from_secs(86_400),
    Duration::from_secs(7 * 86_400),
    Duration::from_secs(30 * 86_400),
];

/// Share of checks that were UP or DEGRADED (working, if slowly), in percent;
/// `None` without checks.
pub fn uptime_pct(up: u64, degraded: u64, down: u64) -> Option<f64> {
    let checks = up + degraded + down;
    (checks > 0).then(|| (up + degraded) as f64 * 100.0 / checks as f64)
}

/// p50 / p95 / p99 and mean of one phase over a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhaseLatency {
    pub phase: &'static str,
    pub samples: u64,
    pub p50: Duration,
    pub p95: Duration,
    pub p99: Duration,
    pub mean: Duration,
}

/// Uptime and per-phase latency of one monitor over `[from, to)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub monitor_id: MonitorId,
    pub from: SystemTime,
    pub to: SystemTime,
    pub up: u64,
    pub degraded: u64,
    pub down: u64,
    pub uptime_pct: Option<f64>,
    /// One entry per phase that at least one check reached, in phase order.
    pub latency: Vec<PhaseLatency>,
    pub total_min: Option<Duration>,
    pub total_max: Option<Duration>,
}

impl Summary {
    /// Builds the summary from the merged stats and histograms of every rollup in the window.
    pub fn new(
        monitor_id: MonitorId,
        from: SystemTime,
        to: SystemTime,
        stats: &RollupStats,
        histograms: &PhaseHistograms,
    ) -> Self {
        let latency = histograms
            .named()
            .zip(stats.phase_sums_us)
            .filter_map(|((phase, histogram), sum_us)| {
                let samples = histogram.count();
                let at = |q| histogram.percentile(q);
                Some(PhaseLatency {
                    phase,
                    samples,
                    p50: at(50.0)?,
                    p95: at(95.0)?,
                    p99: at(99.0)?,
                    mean: Duration::from_micros(sum_us / samples.max(1)),
                })
            })
            .collect();
        Self {
            monitor_id,
            from,
            to,
            up: stats.up,
            degraded: stats.degraded,
            down: stats.down,
            uptime_pct: uptime_pct(stats.up, stats.degraded, stats.down),
            latency,
            total_min: stats.total_min_us.map(Duration::from_micros),
            total_max: stats.total_max_us.map(Duration::from_micros),
        }
    }

    pub fn checks(&self) -> u64 {
        self.up + self.degraded + self.down
    }

    /// The latency of phase `name` (one of [`crate::PHASE_NAMES`]), if any check reached it.
    pub fn phase(&self, name: &str) -> Option<&PhaseLatency> {
        self.latency.iter().find(|l| l.phase == name)
    }
}

fn us(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

impl From<Summary> for v1::Summary {
    fn from(s: Summary) -> Self {
        Self {
            monitor_id: s.monitor_id.to_string(),
            from_unix_ms: unix_ms(s.from),
            to_unix_ms: unix_ms(s.to),
            checks: s.checks(),
            up: s.up,
            degraded: s.degraded,
            down: s.down,
            uptime_pct: s.uptime_pct,
            latency: s
                .latency
                .iter()
                .map(|l| v1::PhaseLatency {
                    phase: l.phase.to_owned(),
                    samples: l.samples,
                    p50_us: us(l.p50),
                    p95_us: us(l.p95),
                    p99_us: us(l.p99),
                    mean_us: us(l.mean),
                })
                .collect(),
            total_min_us: s.total_min.map(us),
            total_max_us: s.total_max.map(us),
        }
    }
}

impl TryFrom<v1::Summary> for Summary {
    type Error = CoreError;

    fn try_from(w: v1::Summary) -> Result<Self, CoreError> {
        let latency = w
            .latency
            .into_iter()
            .map(|l| {
                let phase = crate::PHASE_NAMES
                    .into_iter()
                    .find(|p| *p == l.phase)
                    .ok_or_else(|| CoreError::malformed("latency.phase", "unknown phase"))?;
                Ok(PhaseLatency {
                    phase,
                    samples: l.samples,
                    p50: Duration::from_micros(l.p50_us),
                    p95: Duration::from_micros(l.p95_us),
                    p99: Duration::from_micros(l.p99_us),
                    mean: Duration::from_micros(l.mean_us),
                })
            })
            .collect::<Result<_, CoreError>>()?;
        Ok(Self {
            monitor_id: w.monitor_id.parse()?,
            from: from_unix_ms(w.from_unix_ms),
            to: from_unix_ms(w.to_unix_ms),
            up: w.up,
            degraded: w.degraded,
            down: w.down,
            uptime_pct: w.uptime_pct,
            latency,
            total_min: w.total_min_us.map(Duration::from_micros),
            total_max: w.total_max_us.map(Duration::from_micros),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Outcome;
    use crate::phases::Phases;

    #[test]
    fn uptime_counts_degraded_as_working() {
        assert_eq!(uptime_pct(0, 0, 0), None);
        assert_eq!(uptime_pct(98, 1, 1), Some(99.0));
        assert_eq!(uptime_pct(0, 0, 3), Some(0.0));
    }

    #[test]
    fn a_summary_reports_reached_phases_and_round_trips() {
        let ms = Duration::from_millis;
        let mut stats = RollupStats::default();
        let mut histograms = PhaseHistograms::new();
        for total in [10, 20, 30, 40] {
            let phases = Phases {
                connect: Some(ms(2)),
                total: Some(ms(total)),
                ..Default::default()
            };
            stats.record(Outcome::Up, &phases);
            histograms.record(&phases);
        }
        stats.record(Outcome::Down, &Phases::default());
        let summary = Summary::new(
            MonitorId::new(),
            from_unix_ms(0),
            from_unix_ms(3_600_000),
            &stats,
            &histograms,
        );
        assert_eq!(summary.checks(), 5);
        assert_eq!(summary.uptime_pct, Some(80.0));
        let phases: Vec<_> = summary.latency.iter().map(|l| l.phase).collect();
        assert_eq!(phases, ["connect", "total"]);
        let total = summary.phase("total").unwrap();
        assert_eq!((total.samples, total.mean), (4, ms(25)));
        assert_eq!(summary.total_max, Some(ms(40)));
        // The wire carries whole microseconds; a second trip changes nothing.
        let wire = v1::Summary::from(summary.clone());
        let back = Summary::try_from(wire.clone()).unwrap();
        assert_eq!(back.monitor_id, summary.monitor_id);
        assert_eq!(v1::Summary::from(back), wire);
    }
}
