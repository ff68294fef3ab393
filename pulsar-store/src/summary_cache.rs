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
//! (yesterday's windows), and days ending before the latest seen are not stored. So a
//! process holds about one entry per monitor and window length it summarises today, and
//! never more than its byte budget ([`DEFAULT_SUMMARY_CACHE_BYTES`] unless the store's
//! options say otherwise): once full, the cache keeps what it has and new parts are not kept
//! (those monitors' days are read on every call, as without a cache) until the next midnight
//! drops yesterday's windows. Emptying it instead would let each read evict the last.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use pulsar_core::{BucketSize, BucketSpan, MonitorId, from_unix_ms};
use uuid::Uuid;

use crate::rows::{DayTotals, MergedRollups, SummarySpans};

/// The memory a store's summary cache may hold by default: 64 MiB. An entry holds decoded
/// histograms, 8 bytes per bucket between each phase's fastest and slowest check (typically
/// 1–4 KB), plus about 420 bytes of its own: 15,000–45,000 entries, so the 30-day and
/// 7-day windows of at least 7,000 monitors.
pub const DEFAULT_SUMMARY_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// What an entry costs beyond its histograms' buckets: its key and value in the map, the
/// `Arc` around the value, and the map's own slot.
const ENTRY_OVERHEAD_BYTES: usize = std::mem::size_of::<(Uuid, DaySpan)>()
    + std::mem::size_of::<Arc<MergedRollups>>()
    + std::mem::size_of::<MergedRollups>()
    + 2 * std::mem::size_of::<usize>()
    + 16;

/// The bytes one cached part costs.
fn entry_bytes(part: &MergedRollups) -> usize {
    ENTRY_OVERHEAD_BYTES + part.histograms.heap_bytes()
}

/// Whole UTC days `[from_ms, to_ms)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct DaySpan {
    pub(crate) from_ms: i64,
    pub(crate) to_ms: i64,
}

impl DaySpan {
    pub(crate) fn spans(self) -> SummarySpans {
        SummarySpans::new(vec![BucketSpan {
            bucket: BucketSize::Day,
            from: from_unix_ms(self.from_ms),
            to: from_unix_ms(self.to_ms),
        }])
    }
}

/// Shared by the clones of a store; a std mutex, held only for map operations (never across
/// an `.await`).
#[derive(Debug, Clone)]
pub(crate) struct SummaryCache {
    entries: Arc<Mutex<Entries>>,
}

#[derive(Debug, Default)]
struct Entries {
    parts: HashMap<(Uuid, DaySpan), Arc<MergedRollups>>,
    /// What `parts` costs, by [`entry_bytes`]; never above `budget`.
    bytes: usize,
    budget: usize,
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
    /// A cache that holds at most `budget` bytes; 0 keeps nothing.
    pub(crate) fn with_budget(budget: usize) -> Self {
        Self {
            entries: Arc::new(Mutex::new(Entries {
                budget,
                ..Entries::default()
            })),
        }
    }

    pub(crate) fn reader(&self) -> CacheReader<'_> {
        CacheReader {
            cache: self,
            generation: self.lock().generation,
        }
    }

    /// Forgets everything, including what reads running now would store.
    #[cfg(any(test, feature = "bench"))]
    pub(crate) fn clear(&self) {
        let mut entries = self.lock();
        entries.empty();
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

    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.lock().bytes
    }
}

impl Entries {
    #[cfg(any(test, feature = "bench"))]
    fn empty(&mut self) {
        self.parts.clear();
        self.bytes = 0;
    }

    fn remove(&mut self, key: &(Uuid, DaySpan)) {
        if let Some(old) = self.parts.remove(key) {
            self.bytes -= entry_bytes(&old);
        }
    }

    fn insert(&mut self, key: (Uuid, DaySpan), part: MergedRollups) {
        let bytes = entry_bytes(&part);
        if let Some(old) = self.parts.insert(key, Arc::new(part)) {
            self.bytes -= entry_bytes(&old);
        }
        self.bytes += bytes;
    }
}

impl CacheReader<'_> {
    /// Whether the `days` of any of `ids` are cached: one keyed lookup per monitor, not a
    /// scan of the cache.
    pub(crate) fn holds_any(&self, days: DaySpan, ids: &[MonitorId]) -> bool {
        let entries = self.cache.lock();
        ids.iter()
            .any(|id| entries.parts.contains_key(&(id.0, days)))
    }

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
            let mut freed = 0;
            entries.parts.retain(|(_, cached), part| {
                let keep = cached.to_ms >= days.to_ms;
                if !keep {
                    freed += entry_bytes(part);
                }
                keep
            });
            entries.bytes -= freed;
            entries.newest_end_ms = days.to_ms;
        }
        for (id, mut part) in parts {
            let key = (id, days);
            part.histograms.shrink_to_fit();
            let bytes = entry_bytes(&part);
            let replaced = entries.parts.get(&key).map_or(0, |old| entry_bytes(old));
            if entries.bytes - replaced + bytes > entries.budget {
                // Full: what is cached stays (it is what today's reads found first), this
                // monitor's days are read on every call until midnight frees the cache, and
                // its stale part goes, as it can never match again.
                entries.remove(&key);
                continue;
            }
            entries.insert(key, part);
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
            part.histograms.record(&phases);
        }
        // As the cache keeps it, so its bytes are what the cache counts.
        part.histograms.shrink_to_fit();
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
        let cache = SummaryCache::with_budget(DEFAULT_SUMMARY_CACHE_BYTES);
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
        let cache = SummaryCache::with_budget(DEFAULT_SUMMARY_CACHE_BYTES);
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
        let cache = SummaryCache::with_budget(DEFAULT_SUMMARY_CACHE_BYTES);
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

    /// The bytes of `n` parts of one check each.
    fn parts_bytes(n: usize) -> usize {
        n * entry_bytes(&part(1))
    }

    #[test]
    fn a_full_cache_keeps_what_it_has() {
        let cache = SummaryCache::with_budget(parts_bytes(10));
        let span = days(100, 129);
        let first: Vec<MonitorId> = (0..10).map(|_| MonitorId::new()).collect();
        fill(&cache, span, &first, 1);
        assert_eq!((cache.len(), cache.bytes()), (10, parts_bytes(10)));
        // Refreshing a stored part replaces it in place.
        let reader = cache.reader();
        reader.store(span, HashMap::from([(first[0].0, part(1))]));
        assert_eq!((cache.len(), cache.bytes()), (10, parts_bytes(10)));
        // A new monitor does not fit: nothing is evicted for it.
        let late = MonitorId::new();
        fill(&cache, span, &[late], 1);
        assert_eq!((cache.len(), cache.bytes()), (10, parts_bytes(10)));
        let lookup = cache.reader().lookup(span, &first, |_| stored(1));
        assert_eq!(lookup.valid.len(), 10);
        // A stale part whose refresh no longer fits goes.
        let reader = cache.reader();
        reader.store(span, HashMap::from([(first[0].0, wide_part())]));
        assert_eq!((cache.len(), cache.bytes()), (9, parts_bytes(9)));
    }

    /// A part whose total-latency histogram spans 1 ms to 1 s.
    fn wide_part() -> MergedRollups {
        let mut wide = part(1);
        let phases = Phases {
            total: Some(std::time::Duration::from_secs(1)),
            ..Phases::default()
        };
        wide.stats.record(Outcome::Up, &phases);
        wide.histograms.record(&phases);
        wide.histograms.shrink_to_fit();
        wide
    }

    #[test]
    fn one_read_larger_than_the_budget_keeps_what_fits() {
        let cache = SummaryCache::with_budget(parts_bytes(10));
        let span = days(100, 129);
        let ids: Vec<MonitorId> = (0..25).map(|_| MonitorId::new()).collect();
        fill(&cache, span, &ids, 1);
        assert_eq!((cache.len(), cache.bytes()), (10, parts_bytes(10)));
        let lookup = cache.reader().lookup(span, &ids, |_| stored(1));
        assert_eq!((lookup.valid.len(), lookup.stale.len()), (10, 15));
    }

    #[test]
    fn dropped_windows_give_their_bytes_back() {
        let cache = SummaryCache::with_budget(parts_bytes(10));
        let ids = [MonitorId::new(), MonitorId::new()];
        fill(&cache, days(100, 129), &ids, 1);
        fill(&cache, days(101, 130), &ids[..1], 1);
        assert_eq!((cache.len(), cache.bytes()), (1, parts_bytes(1)));
        cache.clear();
        assert_eq!(cache.bytes(), 0);
    }

    #[test]
    fn a_zero_budget_keeps_nothing() {
        let cache = SummaryCache::with_budget(0);
        fill(&cache, days(100, 129), &[MonitorId::new()], 1);
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn wider_histograms_cost_more() {
        assert!(entry_bytes(&wide_part()) > entry_bytes(&part(1)) + 80 * 8);
    }

    #[test]
    fn a_part_larger_than_the_budget_leaves_the_cache_as_it_is() {
        let cache = SummaryCache::with_budget(parts_bytes(2));
        let span = days(100, 129);
        let ids = [MonitorId::new(), MonitorId::new()];
        fill(&cache, span, &ids[..1], 1);
        cache
            .reader()
            .store(span, HashMap::from([(ids[1].0, wide_part())]));
        assert_eq!((cache.len(), cache.bytes()), (1, parts_bytes(1)));
    }
}
