//! Rollups: per-monitor aggregates of check results per minute, hour and day, and the
//! tiling of a time window into the fewest whole rollup buckets.

use std::time::{Duration, SystemTime};

use crate::check::CheckResult;
use crate::histogram::PhaseHistograms;
use crate::monitor::MonitorId;
use crate::outcome::Outcome;
use crate::phases::Phases;
use crate::time::{from_unix_ms, unix_ms};

/// The width of a rollup bucket. Buckets are aligned to the unix epoch (days to UTC midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BucketSize {
    Minute,
    Hour,
    Day,
}

impl BucketSize {
    /// Every size, finest first.
    pub const ALL: [Self; 3] = [Self::Minute, Self::Hour, Self::Day];

    pub fn seconds(self) -> i64 {
        match self {
            Self::Minute => 60,
            Self::Hour => 3_600,
            Self::Day => 86_400,
        }
    }

    pub fn millis(self) -> i64 {
        self.seconds() * 1_000
    }

    pub fn duration(self) -> Duration {
        Duration::from_secs(self.seconds().unsigned_abs())
    }

    pub fn from_seconds(seconds: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.seconds() == seconds)
    }

    /// The start of the bucket that contains `at`.
    pub fn floor(self, at: SystemTime) -> SystemTime {
        from_unix_ms(self.floor_ms(unix_ms(at)))
    }

    pub fn floor_ms(self, ms: i64) -> i64 {
        ms.div_euclid(self.millis()) * self.millis()
    }
}

/// The additive part of a rollup: counts by outcome, total-latency min/max, per-phase sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RollupStats {
    pub up: u64,
    pub degraded: u64,
    pub down: u64,
    pub total_min_us: Option<u64>,
    pub total_max_us: Option<u64>,
    /// Sum of each phase over the checks that reached it, in [`crate::PHASE_NAMES`] order.
    pub phase_sums_us: [u64; 6],
}

impl RollupStats {
    pub fn checks(&self) -> u64 {
        self.up + self.degraded + self.down
    }

    pub fn record(&mut self, outcome: Outcome, phases: &Phases) {
        match outcome {
            Outcome::Up => self.up += 1,
            Outcome::Degraded => self.degraded += 1,
            Outcome::Down => self.down += 1,
        }
        for (sum, (_, value)) in self.phase_sums_us.iter_mut().zip(phases.named()) {
            if let Some(duration) = value {
                *sum = sum.saturating_add(micros(duration));
            }
        }
        if let Some(total) = phases.total.map(micros) {
            self.total_min_us = Some(self.total_min_us.map_or(total, |m| m.min(total)));
            self.total_max_us = Some(self.total_max_us.map_or(total, |m| m.max(total)));
        }
    }

    pub fn merge(&mut self, other: &Self) {
        self.up += other.up;
        self.degraded += other.degraded;
        self.down += other.down;
        self.total_min_us = combine(self.total_min_us, other.total_min_us, u64::min);
        self.total_max_us = combine(self.total_max_us, other.total_max_us, u64::max);
        for (mine, theirs) in self.phase_sums_us.iter_mut().zip(other.phase_sums_us) {
            *mine = mine.saturating_add(theirs);
        }
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

fn combine(a: Option<u64>, b: Option<u64>, pick: fn(u64, u64) -> u64) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(pick(a, b)),
        (a, b) => a.or(b),
    }
}

/// The aggregate of one monitor's checks whose slot falls in one bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollup {
    pub monitor_id: MonitorId,
    pub bucket: BucketSize,
    /// Start of the bucket (inclusive).
    pub start: SystemTime,
    pub stats: RollupStats,
    pub histograms: PhaseHistograms,
}

impl Rollup {
    pub fn empty(monitor_id: MonitorId, bucket: BucketSize, start: SystemTime) -> Self {
        Self {
            monitor_id,
            bucket,
            start: bucket.floor(start),
            stats: RollupStats::default(),
            histograms: PhaseHistograms::new(),
        }
    }

    pub fn record(&mut self, result: &CheckResult) {
        self.record_sample(&RollupSample::from(result));
    }

    pub fn record_sample(&mut self, sample: &RollupSample) {
        self.stats.record(sample.outcome, &sample.phases);
        self.histograms.record(&sample.phases);
    }

    pub fn merge(&mut self, other: &Self) {
        self.stats.merge(&other.stats);
        self.histograms.merge(&other.histograms);
    }

    /// The rollups (every bucket size) that a set of new results adds to, keyed like the
    /// stored rows: one entry per (monitor, size, bucket start), sorted by that key so
    /// writers lock rows in one order.
    pub fn deltas(results: &[CheckResult]) -> Vec<Rollup> {
        Self::sample_deltas(results.iter().map(RollupSample::from))
    }

    /// [`Rollup::deltas`] of the parts of checks that rollups keep.
    pub fn sample_deltas(samples: impl IntoIterator<Item = RollupSample>) -> Vec<Rollup> {
        let mut by_key = std::collections::BTreeMap::new();
        for sample in samples {
            for bucket in BucketSize::ALL {
                let start = bucket.floor_ms(unix_ms(sample.slot));
                by_key
                    .entry((sample.monitor_id, bucket, start))
                    .or_insert_with(|| {
                        Rollup::empty(sample.monitor_id, bucket, from_unix_ms(start))
                    })
                    .record_sample(&sample);
            }
        }
        by_key.into_values().collect()
    }
}

/// What a rollup keeps of one check. Stores read just these columns when they fold results
/// into rollups, rather than whole results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollupSample {
    pub monitor_id: MonitorId,
    pub slot: SystemTime,
    pub outcome: Outcome,
    pub phases: Phases,
}

impl From<&CheckResult> for RollupSample {
    fn from(result: &CheckResult) -> Self {
        Self {
            monitor_id: result.monitor_id,
            slot: result.slot,
            outcome: result.outcome,
            phases: result.phases,
        }
    }
}

/// A run of consecutive whole buckets of one size: `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketSpan {
    pub bucket: BucketSize,
    pub from: SystemTime,
    pub to: SystemTime,
}

/// The start of a summary window ending at `now`: `now - window` rounded down to the
/// coarsest bucket no longer than 1/720 of the window — a minute for windows up to 12 h …
/// 7 d, an hour for 30 d. The window is then at most 0.14 % longer than asked, and its start
/// edge needs few rows.
pub fn window_start(window: Duration, now: SystemTime) -> SystemTime {
    let start = now.checked_sub(window).unwrap_or(SystemTime::UNIX_EPOCH);
    let precision_ms = i64::try_from(window.as_millis() / 720).unwrap_or(i64::MAX);
    let bucket = BucketSize::ALL
        .into_iter()
        .rev()
        .find(|b| b.millis() <= precision_ms)
        .unwrap_or(BucketSize::Minute);
    bucket.floor(start)
}

/// Tiles the time from `from` (rounded down to a minute) to `to` with the fewest whole
/// buckets: each step takes the largest bucket that starts there — minutes up to an hour
/// boundary, hours up to midnight, then days.
///
/// The last buckets may end after `to`: a bucket that contains `to` is read whole. With
/// `to` = now that is exact, since nothing is stored for slots after now, and it spares the
/// minute and hour rows of the current day.
pub fn cover(from: SystemTime, to: SystemTime) -> Vec<BucketSpan> {
    let mut at = BucketSize::Minute.floor_ms(unix_ms(from));
    let end = unix_ms(to);
    let mut spans: Vec<BucketSpan> = Vec::new();
    while at < end {
        let bucket = BucketSize::ALL
            .into_iter()
            .rev()
            .find(|b| at % b.millis() == 0)
            .unwrap_or(BucketSize::Minute);
        let next = at + bucket.millis();
        match spans.last_mut() {
            Some(last) if last.bucket == bucket && unix_ms(last.to) == at => {
                last.to = from_unix_ms(next);
            }
            _ => spans.push(BucketSpan {
                bucket,
                from: from_unix_ms(at),
                to: from_unix_ms(next),
            }),
        }
        at = next;
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;
    const HOUR: i64 = 3_600_000;
    const MINUTE: i64 = 60_000;

    fn spans(from: i64, to: i64) -> Vec<(BucketSize, i64, i64)> {
        cover(from_unix_ms(from), from_unix_ms(to))
            .into_iter()
            .map(|s| (s.bucket, unix_ms(s.from), unix_ms(s.to)))
            .collect()
    }

    #[test]
    fn a_thirty_day_window_starts_on_an_hour_and_reads_days_through_today() {
        let midnight = 20_000 * DAY;
        let now = midnight + 12 * HOUR + 30 * MINUTE + 15_000;
        let window = Duration::from_secs(30 * 86_400);
        let start = window_start(window, from_unix_ms(now));
        assert_eq!(unix_ms(start), now - 30 * DAY - 30 * MINUTE - 15_000);
        assert_eq!(
            spans(unix_ms(start), now),
            vec![
                (BucketSize::Hour, unix_ms(start), midnight - 29 * DAY),
                // The last day is today: its row holds everything up to now.
                (BucketSize::Day, midnight - 29 * DAY, midnight + DAY),
            ]
        );
    }

    #[test]
    fn short_windows_start_on_a_minute() {
        let midnight = 20_000 * DAY;
        let now = midnight + 12 * HOUR + 30 * MINUTE + 15_000;
        let hour = window_start(Duration::from_secs(3_600), from_unix_ms(now));
        assert_eq!(unix_ms(hour), now - HOUR - 15_000);
        assert_eq!(
            spans(unix_ms(hour), now),
            vec![
                (
                    BucketSize::Minute,
                    now - HOUR - 15_000,
                    midnight + 12 * HOUR
                ),
                (BucketSize::Hour, midnight + 12 * HOUR, midnight + 13 * HOUR),
            ]
        );
        let week = window_start(Duration::from_secs(7 * 86_400), from_unix_ms(now));
        assert_eq!(unix_ms(week) % MINUTE, 0);
        assert!(now - 7 * DAY - unix_ms(week) < MINUTE);
    }

    #[test]
    fn the_tiling_is_contiguous_aligned_and_reaches_the_end() {
        for (from, to) in [
            (5 * DAY + 1, 5 * DAY + 2),
            (5 * DAY + 59 * MINUTE, 5 * DAY + 3 * HOUR),
            (7 * DAY - 1, 9 * DAY + 1),
            (3 * DAY, 3 * DAY),
        ] {
            let got = spans(from, to);
            let mut at = from.div_euclid(MINUTE) * MINUTE;
            for (bucket, a, b) in &got {
                assert_eq!(*a, at);
                assert_eq!((b - a) % bucket.millis(), 0);
                assert_eq!(a % bucket.millis(), 0);
                at = *b;
            }
            assert!(at >= to, "{got:?}");
            assert_eq!(got.is_empty(), from == to);
        }
    }

    #[test]
    fn stats_merge_like_recording_everything_once() {
        let ms = Duration::from_millis;
        let p = |total| Phases {
            dns: Some(ms(1)),
            total: Some(ms(total)),
            ..Default::default()
        };
        let mut a = RollupStats::default();
        a.record(Outcome::Up, &p(10));
        a.record(Outcome::Down, &Phases::default());
        let mut b = RollupStats::default();
        b.record(Outcome::Degraded, &p(30));
        let mut merged = a;
        merged.merge(&b);
        assert_eq!((merged.up, merged.degraded, merged.down), (1, 1, 1));
        assert_eq!(merged.total_min_us, Some(10_000));
        assert_eq!(merged.total_max_us, Some(30_000));
        assert_eq!(merged.phase_sums_us[0], 2_000);
        assert_eq!(merged.phase_sums_us[5], 40_000);
    }
}
