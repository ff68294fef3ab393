//! How a summary reads its window, on either backend.
//!
//! A window `[from, now)` of two whole past days or more is read in three parts: the edge
//! `[from, D0)` up to its first midnight (minute and hour rows), the whole past days
//! `[D0, D1)` up to today's midnight (day rows), and the live part `[D1, now)` (today's day
//! row, updated by every fold). The edge and the live part are read on every call; the past
//! days come merged from the [`SummaryCache`] while the database says they have not changed
//! (see `summary_cache` for the rule). Shorter windows are read whole on every call.
//! Results not yet folded into rollups are merged from their raw rows in every case.

use std::time::{Duration, SystemTime};

use pulsar_core::{
    BucketSize, MonitorId, Summary, cover, from_unix_ms, truncate_to_ms, unix_ms, window_start,
};
use sqlx::Pool;

use crate::backend::{Backend, SummaryRead};
use crate::dialect::begin_read;
use crate::error::{Result, StoreError};
use crate::results;
use crate::rows::SummarySpans;
use crate::summary_cache::{DaySpan, Lookup, SummaryCache};

/// Whole past days worth caching start at two: a 24-hour window has none, and a single
/// cached day row would save little over reading it.
const MIN_CACHED_DAYS: i64 = 2;

/// What a summary of `window` ending at `now` reads.
#[derive(Debug, PartialEq, Eq)]
struct SummaryPlan {
    from: SystemTime,
    to: SystemTime,
    /// Rows read on every call: the edge and the live part, or the whole window.
    read: SummarySpans,
    /// The whole past days taken from the cache, if there are enough of them.
    cached_days: Option<DaySpan>,
    /// The slots of every bucket the window reads, `[from_ms, to_ms)`: where pending
    /// results count.
    slots: (i64, i64),
}

impl SummaryPlan {
    fn new(window: Duration, now: SystemTime) -> Self {
        let from = window_start(window, now);
        let whole = cover(from, now);
        let slots = match (whole.first(), whole.last()) {
            (Some(first), Some(last)) => (unix_ms(first.from), unix_ms(last.to)),
            _ => (0, 0),
        };
        let day_ms = BucketSize::Day.millis();
        let first_midnight = BucketSize::Day.floor_ms(unix_ms(from).saturating_add(day_ms - 1));
        let today = BucketSize::Day.floor_ms(unix_ms(now));
        let (read, cached_days) = if today - first_midnight >= MIN_CACHED_DAYS * day_ms {
            // The edge is minute and hour rows and the live part today's day row, so the
            // two still read at most one span per bucket size.
            let mut read = cover(from, from_unix_ms(first_midnight));
            read.extend(cover(from_unix_ms(today), now));
            let days = DaySpan {
                from_ms: first_midnight,
                to_ms: today,
            };
            (read, Some(days))
        } else {
            (whole, None)
        };
        Self {
            from,
            to: truncate_to_ms(now),
            read: SummarySpans::new(read),
            cached_days,
            slots,
        }
    }
}

/// Summaries of `ids` (in their order) over `window` ending at `now`, read in one
/// snapshot; the whole past days of long windows come from `cache` where still valid.
/// The longest window a summary covers: as long as hour and day rollups are kept by default.
pub const MAX_SUMMARY_WINDOW: Duration = Duration::from_secs(400 * 86_400);
/// The most monitors one summary read takes (a page of them).
pub const MAX_SUMMARY_MONITORS: usize = crate::MAX_PAGE_LIMIT as usize;

pub(crate) async fn summarize<B: Backend>(
    pool: &Pool<B::Db>,
    cache: &SummaryCache,
    ids: &[MonitorId],
    window: Duration,
    now: SystemTime,
) -> Result<Vec<Summary>> {
    if window < Duration::from_secs(60) || window > MAX_SUMMARY_WINDOW {
        return Err(StoreError::invalid(
            "window_seconds",
            format!("must be 60..={} seconds", MAX_SUMMARY_WINDOW.as_secs()),
        ));
    }
    if ids.len() > MAX_SUMMARY_MONITORS {
        return Err(StoreError::invalid(
            "monitor_ids",
            format!("at most {MAX_SUMMARY_MONITORS} monitors"),
        ));
    }
    let plan = SummaryPlan::new(window, now);
    // A repeated id must not be read twice (joins would count its rows twice).
    let mut unique = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    if unique.is_empty() {
        return Ok(Vec::new());
    }
    // Before the snapshot: a clear after this, for an import that may have committed after
    // the snapshot was taken, voids what this read stores.
    let cache = cache.reader();
    // A cache holding nothing of these monitors' days (a new process, the first read after
    // midnight, or no cache) would find every one stale: skip checking totals it has nothing
    // to compare with, which would read every day row twice.
    let checked_days = plan
        .cached_days
        .filter(|&days| cache.holds_any(days, &unique));
    let mut tx = begin_read::<B>(pool).await?;
    let read = SummaryRead::new(&unique, &plan.read, checked_days);
    let mut merged = B::read_rollups(&mut tx, &read).await?;
    merged.add_results(&results::pending::<B>(&mut tx, &unique, plan.slots).await?);
    if let Some(days) = plan.cached_days {
        let lookup = match checked_days {
            Some(_) => cache.lookup(days, &unique, |id| merged.day_totals(id)),
            None => Lookup {
                valid: Vec::new(),
                stale: unique.clone(),
            },
        };
        tracing::debug!(
            cached = lookup.valid.len(),
            reread = lookup.stale.len(),
            "whole past days of a summary"
        );
        for (id, part) in &lookup.valid {
            merged.merge_part(*id, part);
        }
        if !lookup.stale.is_empty() {
            // Their pending results are merged already: the slots above span the days.
            let spans = days.spans();
            let read = SummaryRead::new(&lookup.stale, &spans, None);
            let fetched = B::read_rollups(&mut tx, &read).await?.into_parts();
            for (id, part) in &fetched {
                merged.merge_part(MonitorId(*id), part);
            }
            cache.store(days, fetched);
        }
    }
    tx.commit().await?;
    Ok(merged.finish(ids, plan.from, plan.to))
}

#[cfg(test)]
mod tests {
    use pulsar_core::BucketSpan;

    use super::*;

    const DAY: i64 = 86_400_000;
    const HOUR: i64 = 3_600_000;
    const MINUTE: i64 = 60_000;

    fn plan(window_days: u64, now_ms: i64) -> SummaryPlan {
        SummaryPlan::new(
            Duration::from_secs(window_days * 86_400),
            from_unix_ms(now_ms),
        )
    }

    fn ranges(spans: &SummarySpans) -> Vec<(BucketSize, i64, i64)> {
        spans
            .spans()
            .iter()
            .map(|s| (s.bucket, unix_ms(s.from), unix_ms(s.to)))
            .collect()
    }

    #[test]
    fn a_thirty_day_window_reads_its_edge_and_today_and_caches_the_days_between() {
        let midnight = 20_000 * DAY;
        let now = midnight + 12 * HOUR + 30 * MINUTE + 15_000;
        let plan = plan(30, now);
        let from = midnight - 30 * DAY + 12 * HOUR;
        assert_eq!(unix_ms(plan.from), from);
        assert_eq!(
            ranges(&plan.read),
            [
                (BucketSize::Hour, from, midnight - 29 * DAY),
                (BucketSize::Day, midnight, midnight + DAY),
            ]
        );
        assert_eq!(
            plan.cached_days,
            Some(DaySpan {
                from_ms: midnight - 29 * DAY,
                to_ms: midnight
            })
        );
        assert_eq!(plan.slots, (from, midnight + DAY));
        assert!(plan.read.ranges_by_size().is_ok());
    }

    #[test]
    fn the_parts_tile_what_the_whole_window_would_read() {
        let midnight = 20_000 * DAY;
        for now in [
            midnight,
            midnight + 1,
            midnight + 59 * MINUTE + 1,
            midnight + 23 * HOUR + 59 * MINUTE,
        ] {
            for window_days in [2, 3, 7, 30, 90] {
                let plan = plan(window_days, now);
                let whole = cover(plan.from, from_unix_ms(now));
                let mut parts = plan.read.spans().to_vec();
                parts.extend(plan.cached_days.map(|d| d.spans().spans()[0]));
                // Every bucket the whole window reads is read by exactly one part.
                let buckets = |spans: &[BucketSpan]| {
                    let mut buckets: Vec<(BucketSize, i64)> = spans
                        .iter()
                        .flat_map(|s| {
                            let step = s.bucket.millis();
                            (unix_ms(s.from)..unix_ms(s.to))
                                .step_by(step as usize)
                                .map(move |at| (s.bucket, at))
                        })
                        .collect();
                    buckets.sort_unstable();
                    buckets
                };
                assert_eq!(buckets(&parts), buckets(&whole), "{window_days} d at {now}");
                assert_eq!(
                    plan.cached_days.is_some(),
                    // Two days: only while the window still starts at a midnight.
                    window_days > 2 || now < midnight + MINUTE,
                    "{window_days} d at {now}"
                );
                assert!(plan.read.ranges_by_size().is_ok());
            }
        }
    }

    #[test]
    fn short_windows_are_read_whole() {
        let now = 20_000 * DAY + 12 * HOUR;
        for window in [3_600, 86_400] {
            let plan = SummaryPlan::new(Duration::from_secs(window), from_unix_ms(now));
            assert_eq!(plan.cached_days, None);
            assert_eq!(plan.read.spans(), cover(plan.from, from_unix_ms(now)));
        }
    }
}
