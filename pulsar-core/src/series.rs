//! History charts of one monitor: which rollup level a range is read from, and how its rows
//! are merged into at most N points, each with uptime and per-phase percentiles from the
//! merged histograms (never averages of percentiles).

use std::time::{Duration, SystemTime};

use crate::error::CoreError;
use crate::proto::v1;
use crate::rollup::{BucketSize, Rollup};
use crate::summary::Summary;
use crate::time::{from_unix_ms, unix_ms};

/// The most points a series may ask for; larger requests are clamped to it.
pub const SERIES_MAX_POINTS: u32 = 1_000;
/// Points when a request names none (0).
pub const SERIES_DEFAULT_POINTS: u32 = 300;
/// The most minute rows one point merges: past that, hour rows are read, so a chart never
/// reads more than ten rows a point.
const MINUTES_PER_POINT_MAX: i64 = 10;

/// `a / b` rounded up, for `a >= 0` and `b > 0` (`i64::div_ceil` is not stable).
fn div_ceil(a: i64, b: i64) -> i64 {
    (a + b - 1) / b
}

/// The points a chart of `[from, to)` gets when it asks for `asked`: 0 means
/// [`SERIES_DEFAULT_POINTS`], more than [`SERIES_MAX_POINTS`] is clamped to it. An empty or
/// backwards range is refused, naming `to_unix_ms`.
pub fn series_points(from: SystemTime, to: SystemTime, asked: u32) -> Result<u32, CoreError> {
    if to <= from {
        return Err(CoreError::invalid(
            "to_unix_ms",
            "must be after from_unix_ms",
        ));
    }
    Ok(match asked {
        0 => SERIES_DEFAULT_POINTS,
        n => n.min(SERIES_MAX_POINTS),
    })
}

/// How a series over a range is read: rollups of `bucket`, merged into steps of `step_ms`
/// (a whole number of buckets) starting at `from_ms`, up to `to_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesPlan {
    pub bucket: BucketSize,
    pub step_ms: i64,
    /// The range's start rounded down to a step: points start at `from_ms + k × step_ms`.
    pub from_ms: i64,
    pub to_ms: i64,
}

impl SeriesPlan {
    /// The plan of at most `max_points` points (0: [`SERIES_DEFAULT_POINTS`]; clamped to
    /// [`SERIES_MAX_POINTS`]) over `[from, to)`. Minute rows are read while a point merges
    /// at most ten of them and the range starts at or after `minutes_kept_since` (retention
    /// drops older ones); day rows once a point spans a day; hour rows otherwise. The step
    /// is a whole number of the rows read, so a chart may get fewer points than it asked.
    pub fn new(
        from: SystemTime,
        to: SystemTime,
        max_points: u32,
        minutes_kept_since: SystemTime,
    ) -> Result<Self, CoreError> {
        let points = series_points(from, to, max_points)?;
        let (from_ms, to_ms) = (unix_ms(from), unix_ms(to));
        let span = to_ms - from_ms;
        let least_step = div_ceil(span, i64::from(points));
        let bucket = if least_step >= BucketSize::Day.millis() {
            BucketSize::Day
        } else if least_step > MINUTES_PER_POINT_MAX * BucketSize::Minute.millis()
            || from < minutes_kept_since
        {
            BucketSize::Hour
        } else {
            BucketSize::Minute
        };
        let mut step_ms = div_ceil(least_step, bucket.millis()).max(1) * bucket.millis();
        // Rounding the start down can add a point: widen the step until the count fits.
        loop {
            let start = from_ms.div_euclid(step_ms) * step_ms;
            if div_ceil(to_ms - start, step_ms) <= i64::from(points) {
                return Ok(Self {
                    bucket,
                    step_ms,
                    from_ms: start,
                    to_ms,
                });
            }
            step_ms += bucket.millis();
        }
    }

    /// The points of a series from its rollups (any order): one per step that has checks,
    /// oldest first, each summarizing its step's rollups merged.
    pub fn points(&self, rollups: &[Rollup]) -> Vec<Summary> {
        let mut steps: Vec<(i64, Rollup)> = Vec::new();
        let mut sorted: Vec<&Rollup> = rollups.iter().filter(|r| r.bucket == self.bucket).collect();
        sorted.sort_by_key(|r| r.start);
        for rollup in sorted {
            let start_ms = unix_ms(rollup.start);
            if start_ms < self.from_ms || start_ms >= self.to_ms {
                continue;
            }
            let step = self.from_ms + (start_ms - self.from_ms) / self.step_ms * self.step_ms;
            match steps.last_mut() {
                Some((at, merged)) if *at == step => merged.merge(rollup),
                _ => {
                    let mut merged =
                        Rollup::empty(rollup.monitor_id, self.bucket, from_unix_ms(step));
                    merged.merge(rollup);
                    steps.push((step, merged));
                }
            }
        }
        steps
            .into_iter()
            .filter(|(_, merged)| merged.stats.checks() > 0)
            .map(|(at, merged)| {
                let end = from_unix_ms(at) + Duration::from_millis(self.step_ms as u64);
                Summary::new(
                    merged.monitor_id,
                    from_unix_ms(at),
                    end,
                    &merged.stats,
                    &merged.histograms,
                )
            })
            .collect()
    }
}

/// A monitor's history chart: points `step` apart (steps without checks left out).
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseSeries {
    pub step: Duration,
    pub points: Vec<Summary>,
}

impl From<PhaseSeries> for v1::GetPhaseSeriesResponse {
    fn from(series: PhaseSeries) -> Self {
        Self {
            step_ms: i64::try_from(series.step.as_millis()).unwrap_or(i64::MAX),
            points: series
                .points
                .into_iter()
                .map(|point| {
                    let summary = v1::Summary::from(point);
                    v1::PhaseSeriesPoint {
                        at_unix_ms: summary.from_unix_ms,
                        checks: summary.checks,
                        up: summary.up,
                        degraded: summary.degraded,
                        down: summary.down,
                        uptime_pct: summary.uptime_pct,
                        latency: summary.latency,
                    }
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::MonitorId;
    use crate::outcome::Outcome;
    use crate::phases::Phases;
    use crate::rollup::RollupSample;

    const MINUTE: i64 = 60_000;
    const HOUR: i64 = 3_600_000;
    const DAY: i64 = 86_400_000;
    const NOW: i64 = 1_793_622_615_000;

    fn plan(span_ms: i64, points: u32, minutes_kept_ms: i64) -> SeriesPlan {
        SeriesPlan::new(
            from_unix_ms(NOW - span_ms),
            from_unix_ms(NOW),
            points,
            from_unix_ms(NOW - minutes_kept_ms),
        )
        .unwrap()
    }

    #[test]
    fn the_level_and_step_follow_the_range_and_the_points() {
        // (range, points asked, minute rows kept for) -> (level, step)
        let cases = [
            (HOUR, 0, 30 * DAY, BucketSize::Minute, MINUTE),
            (HOUR, 60, 30 * DAY, BucketSize::Minute, 2 * MINUTE),
            (DAY, 300, 30 * DAY, BucketSize::Minute, 5 * MINUTE),
            (DAY, 1_000, 30 * DAY, BucketSize::Minute, 2 * MINUTE),
            (7 * DAY, 300, 30 * DAY, BucketSize::Hour, HOUR),
            (3 * HOUR, 18, 30 * DAY, BucketSize::Minute, 11 * MINUTE),
            (7 * DAY, 100, 30 * DAY, BucketSize::Hour, 2 * HOUR),
            (30 * DAY, 1_000, 30 * DAY, BucketSize::Hour, HOUR),
            (2 * DAY, 1_000, DAY, BucketSize::Hour, HOUR),
            (365 * DAY, 300, 30 * DAY, BucketSize::Day, 2 * DAY),
            (30 * DAY, 5_000, 30 * DAY, BucketSize::Hour, HOUR),
        ];
        for (span, points, kept, bucket, step) in cases {
            let plan = plan(span, points, kept);
            assert_eq!(
                (plan.bucket, plan.step_ms),
                (bucket, step),
                "{span} ms in {points}"
            );
            let asked = if points == 0 {
                SERIES_DEFAULT_POINTS
            } else {
                points.min(SERIES_MAX_POINTS)
            };
            assert!(div_ceil(plan.to_ms - plan.from_ms, plan.step_ms) <= i64::from(asked));
            assert_eq!(plan.from_ms % plan.step_ms, 0);
        }
    }

    #[test]
    fn an_empty_or_backwards_range_names_its_field() {
        let at = from_unix_ms(NOW);
        let Err(CoreError::Invalid(errors)) = SeriesPlan::new(at, at, 10, at) else {
            panic!("an empty range is refused");
        };
        assert_eq!(errors[0].field, "to_unix_ms");
    }

    #[test]
    fn points_merge_histograms_per_step_and_skip_empty_steps() {
        let id = MonitorId::new();
        let plan = SeriesPlan {
            bucket: BucketSize::Minute,
            step_ms: 10 * MINUTE,
            from_ms: 0,
            to_ms: 30 * MINUTE,
        };
        // Minutes 0..10 hold totals 1..=10 ms; minutes 20..22 hold one failed check each.
        let mut rollups = Vec::new();
        for minute in 0..10 {
            let mut r = Rollup::empty(id, BucketSize::Minute, from_unix_ms(minute * MINUTE));
            r.record_sample(&RollupSample {
                monitor_id: id,
                slot: r.start,
                outcome: Outcome::Up,
                phases: Phases {
                    total: Some(Duration::from_millis(minute as u64 + 1)),
                    ..Phases::default()
                },
            });
            rollups.push(r);
        }
        for minute in 20..22 {
            let mut r = Rollup::empty(id, BucketSize::Minute, from_unix_ms(minute * MINUTE));
            r.record_sample(&RollupSample {
                monitor_id: id,
                slot: r.start,
                outcome: Outcome::Down,
                phases: Phases::default(),
            });
            rollups.push(r);
        }
        rollups.reverse();
        let points = plan.points(&rollups);
        assert_eq!(points.len(), 2, "the empty step 10..20 is left out");
        let first = &points[0];
        assert_eq!((first.up, first.uptime_pct), (10, Some(100.0)));
        let total = first.latency.iter().find(|l| l.phase == "total").unwrap();
        // The median of 1..=10 ms from the merged histogram, within its bucket precision.
        assert!(total.p50.abs_diff(Duration::from_millis(5)) <= Duration::from_micros(300));
        assert!(total.p99 >= Duration::from_millis(9));
        let second = &points[1];
        assert_eq!(unix_ms(second.from), 20 * MINUTE);
        assert_eq!((second.down, second.uptime_pct), (2, Some(0.0)));
    }
}
