//! The merged whole past days of summary windows, kept in process and checked against the
//! database on every read.
//!
//! A 30-day summary spends most of its time decoding and merging the histograms of its day
//! rows, and the rows of past days rarely change: only a late result adds to one, and only
//! retention, imports and monitor deletion remove or replace them. So the number of checks
//! in a monitor's day rows and the sum of their total latencies ([`DayTotals`]) tell whether
//! they changed since they were merged. Every summary read fetches both per monitor, in the
//! same statement (one snapshot) as the rest of its window — narrow columns, no histograms —
//! and a cached part is used only while its own totals equal them; otherwise the days are
//! read again and the part replaced. Nothing is written on the read path and ingest knows
//! nothing of the cache, so processes sharing a database stay coherent.
//!
//! What the totals cannot see: day rows replaced by rows with the same check count and the
//! same latency sum to the microsecond, but other histograms. This process's
//! `import_rollups` clears the cache anyway.
//!
//! Memory: storing days that end at a later midnight drops every entry that ends earlier
//! (yesterday's windows), days ending before the latest seen are not stored, and past
//! [`MAX_SUMMARY_CACHE_ENTRIES`] the cache is emptied. So a process holds about one entry
//! per monitor and window length it summarises today.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use pulsar_core::MonitorId;
use uuid::Uuid;

use crate::rows::{DayTotals, MergedRollups};
use crate::summaries::DaySpan;

/// The most merged day spans a store keeps (one per monitor and window length summarised
/// today); past it the cache is emptied and refills. An entry holds decoded histograms,
/// 8 bytes per bucket between each phase's fastest and slowest check: typically 1–4 KB.
pub const MAX_SUMMARY_CACHE_ENTRIES: usize = 100_000;

/// Shared by the clones of a store; a std mutex, held only for map operations (never across
/// an `.await`).
#[derive(Debug, Clone, Default)]
pub(crate) struct SummaryCache {
    entries: Arc<Mutex<Entries>>,
}

#[derive(Debug, Default)]
struct Entries {
    parts: HashMap<(Uuid, DaySpan), Arc<MergedRollups>>,
    /// The latest end of cached days seen: entries ending earlier belong to past days'
    /// windows and are dropped.
    newest_end_ms: i64,
    /// Bumped by every clear: a read that began before one must not store what it read.
    generation: u64,
}

/// The cached parts still valid for a read, and the monitors whose days must be read again.
pub(crate) struct Lookup {
    pub(crate) valid: Vec<(MonitorId, Arc<MergedRollups>)>,
    pub(crate) stale: Vec<MonitorId>,
}

/// One summary read's use of the cache, begun before its database snapshot is taken: if
/// the cache is cleared after that (an import committed), what the read stores is dropped,
/// as its snapshot may predate the import.
pub(crate) struct CacheReader<'a> {
    cache: &'a SummaryCache,
    generation: u64,
}

impl SummaryCache {
    pub(crate) fn reader(&self) -> CacheReader<'_> {
        CacheReader {
            cache: self,
            generation: self.lock().generation,
        }
    }

    /// Forgets everything, including what reads running now would store.
    pub(crate) fn clear(&self) {
        let mut entries = self.lock();
        entries.parts.clear();
        entries.generation += 1;
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        // A panic while locked cannot leave a half-made entry (entries are inserted whole),
        // so a poisoned map is still sound.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().parts.len()
    }
}

impl CacheReader<'_> {
    /// Splits `ids` into monitors whose cached `days` still match `stored(id)` — the totals
    /// of their day rows in the read's snapshot — and the rest.
    pub(crate) fn lookup(
        &self,
        days: DaySpan,
        ids: &[MonitorId],
        stored: impl Fn(MonitorId) -> DayTotals,
    ) -> Lookup {
        let entries = self.cache.lock();
        let mut lookup = Lookup {
            valid: Vec::new(),
            stale: Vec::new(),
        };
        for &id in ids {
            match entries.parts.get(&(id.0, days)) {
                Some(part) if DayTotals::of(part) == stored(id) => {
                    lookup.valid.push((id, Arc::clone(part)));
                }
                _ => lookup.stale.push(id),
            }
        }
        lookup
    }

    /// Keeps the days read again for stale monitors. Each part's own totals are what later
    /// reads compare with, so a part always matches its data.
    pub(crate) fn store(&self, days: DaySpan, parts: HashMap<Uuid, MergedRollups>) {
        let mut entries = self.cache.lock();
        if self.generation != entries.generation || days.to_ms < entries.newest_end_ms {
            // Cleared since the read began, or a window of a past day: not worth keeping.
            return;
        }
        if days.to_ms > entries.newest_end_ms {
            entries
                .parts
                .retain(|(_, cached), _| cached.to_ms >= days.to_ms);
            entries.newest_end_ms = days.to_ms;
        }
        for (id, part) in parts {
            if entries.parts.len() >= MAX_SUMMARY_CACHE_ENTRIES {
                entries.parts.clear();
            }
            entries.parts.insert((id, days), Arc::new(part));
        }
    }
}

#[cfg(test)]
mod tests {
    use pulsar_core::{Outcome, Phases};

    use super::*;

    const DAY_MS: i64 = 86_400_000;

    fn days(from_day: i64, to_day: i64) -> DaySpan {
        DaySpan {
            from_ms: from_day * DAY_MS,
            to_ms: to_day * DAY_MS,
        }
    }

    /// A part of `checks` checks of 1 ms each.
    fn part(checks: u64) -> MergedRollups {
        let mut part = MergedRollups::default();
        let phases = Phases {
            total: Some(std::time::Duration::from_millis(1)),
            ..Phases::default()
        };
        for _ in 0..checks {
            part.stats.record(Outcome::Up, &phases);
        }
        part
    }

    /// What the database holds for a [`part`] of `checks` checks.
    fn stored(checks: u64) -> DayTotals {
        DayTotals {
            checks,
            total_us: checks * 1_000,
        }
    }

    fn fill(cache: &SummaryCache, span: DaySpan, ids: &[MonitorId], checks: u64) {
        let reader = cache.reader();
        let lookup = reader.lookup(span, ids, |_| stored(checks));
        let parts = lookup.stale.iter().map(|id| (id.0, part(checks))).collect();
        reader.store(span, parts);
    }

    #[test]
    fn a_part_is_valid_while_its_totals_equal_the_stored_ones() {
        let cache = SummaryCache::default();
        let ids = [MonitorId::new(), MonitorId::new(), MonitorId::new()];
        let span = days(100, 129);
        assert_eq!(cache.reader().lookup(span, &ids, |_| stored(0)).stale, ids);
        fill(&cache, span, &ids, 5);
        let lookup = cache.reader().lookup(span, &ids, |id| {
            if id == ids[0] {
                stored(5)
            } else if id == ids[1] {
                stored(6)
            } else {
                // As many checks, other latencies: a day row dropped while as many late
                // checks arrived.
                DayTotals {
                    checks: 5,
                    total_us: 4_321,
                }
            }
        });
        assert_eq!(lookup.valid.len(), 1);
        assert_eq!(lookup.valid[0].0, ids[0]);
        assert_eq!(lookup.stale, [ids[1], ids[2]]);
        // Another window's days are another entry.
        assert_eq!(
            cache
                .reader()
                .lookup(days(122, 129), &ids, |_| stored(5))
                .stale,
            ids
        );
    }

    #[test]
    fn a_later_end_drops_earlier_windows_and_an_earlier_one_is_not_kept() {
        let cache = SummaryCache::default();
        let ids = [MonitorId::new()];
        fill(&cache, days(100, 129), &ids, 1);
        fill(&cache, days(122, 129), &ids, 1);
        assert_eq!(cache.len(), 2);
        fill(&cache, days(101, 130), &ids, 1);
        assert_eq!(cache.len(), 1);
        fill(&cache, days(100, 129), &ids, 1);
        assert_eq!(cache.len(), 1);
        assert_eq!(
            cache
                .reader()
                .lookup(days(100, 129), &ids, |_| stored(1))
                .stale,
            ids
        );
    }

    #[test]
    fn a_clear_discards_what_reads_begun_before_it_would_store() {
        let cache = SummaryCache::default();
        let ids = [MonitorId::new()];
        let span = days(100, 129);
        let reader = cache.reader();
        cache.clear();
        reader.store(span, HashMap::from([(ids[0].0, part(3))]));
        assert_eq!(cache.len(), 0);
        fill(&cache, span, &ids, 3);
        assert_eq!(
            cache.reader().lookup(span, &ids, |_| stored(3)).valid.len(),
            1
        );
    }

    #[test]
    fn the_cache_empties_when_full() {
        let cache = SummaryCache::default();
        let span = days(100, 129);
        let ids: Vec<MonitorId> = (0..MAX_SUMMARY_CACHE_ENTRIES)
            .map(|_| MonitorId::new())
            .collect();
        fill(&cache, span, &ids, 0);
        assert_eq!(cache.len(), MAX_SUMMARY_CACHE_ENTRIES);
        fill(&cache, span, &[MonitorId::new()], 0);
        assert_eq!(cache.len(), 1);
    }
}
