//! What a summary reads: the spans of its window, and the per-monitor accumulation of
//! grouped or packed rollup rows.

use std::collections::HashMap;
use std::time::SystemTime;

use pulsar_core::{
    BucketSize, BucketSpan, MonitorId, PhaseHistograms, RollupSample, RollupStats, Summary, unix_ms,
};
use uuid::Uuid;

use super::rollups::{STATS_COLUMNS, StatsColumns};
use super::{to_i64, to_u64};
use crate::error::{Result, StoreError};

/// Rollups of one monitor merged into one: what a summary is computed from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct MergedRollups {
    pub(crate) stats: RollupStats,
    pub(crate) histograms: PhaseHistograms,
}

impl MergedRollups {
    pub(crate) fn merge(&mut self, other: &Self) {
        self.stats.merge(&other.stats);
        self.histograms.merge(&other.histograms);
    }
}

/// One monitor's rollups in a summary read, grouped by the database: sums, min/max and the
/// concatenation of the encoded histograms of the read spans (all absent when the monitor
/// has rows only in the checked days), and the checks of its rows in the checked days.
#[derive(sqlx::FromRow)]
pub(crate) struct SummaryRow {
    monitor_id: Uuid,
    #[sqlx(flatten)]
    stats: StatsColumns,
    histograms: Option<Vec<u8>>,
    day_checks: Option<i64>,
    day_total_us: Option<i64>,
}

/// What a summary read checks a cached part against: the checks in a monitor's day rows,
/// and the sum of their total latencies. Late results raise both; a day row dropped, or
/// replaced by an import, while as many checks arrive elsewhere changes the sum.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct DayTotals {
    pub(crate) checks: u64,
    pub(crate) total_us: u64,
}

impl DayTotals {
    pub(crate) fn of(part: &MergedRollups) -> Self {
        Self {
            checks: part.stats.checks(),
            total_us: part.stats.phase_sums_us[5],
        }
    }

    fn add(&mut self, checks: u64, total_us: u64) {
        self.checks = self.checks.saturating_add(checks);
        self.total_us = self.total_us.saturating_add(total_us);
    }
}

/// The rollups of the requested monitors, merged per monitor as rows arrive, and the
/// [`DayTotals`] of the day rows a read was asked to check (see `crate::summaries`).
pub(crate) struct SummaryAccumulator {
    merged: HashMap<Uuid, MergedRollups>,
    day_totals: HashMap<Uuid, DayTotals>,
}

impl SummaryAccumulator {
    pub(crate) fn new(ids: &[MonitorId]) -> Self {
        Self {
            merged: ids
                .iter()
                .map(|id| (id.0, MergedRollups::default()))
                .collect(),
            day_totals: HashMap::new(),
        }
    }

    /// Merges one monitor's grouped rollups.
    pub(crate) fn add(&mut self, row: &SummaryRow) -> Result<()> {
        if let Some(checks) = row.day_checks {
            let total_us = row.day_total_us.map_or(0, to_u64);
            self.day_totals
                .entry(row.monitor_id)
                .or_default()
                .add(to_u64(checks), total_us);
        }
        if let Some(merged) = self.merged.get_mut(&row.monitor_id) {
            merged.stats.merge(&row.stats.stats());
            if let Some(histograms) = &row.histograms {
                merged.histograms.merge_encoded(histograms)?;
            }
        }
        Ok(())
    }

    /// Merges the rows of a summary read, packed by the database into one value: per row
    /// `[16-byte monitor id]`, the counters of [`STATS_COLUMNS`] as ASCII decimals in its
    /// order, separated by `,` and ended by `;` (empty when absent), then the encoded
    /// histograms, which know their own length. One value instead of a row per rollup
    /// keeps the driver's per-row cost and the database's sort out of the hot path.
    pub(crate) fn add_packed(&mut self, mut packed: &[u8]) -> Result<()> {
        while !packed.is_empty() {
            let (id, rest) = packed.split_first_chunk::<16>().ok_or_else(corrupt)?;
            let mut counters = [None; STATS_COLUMNS.len()];
            packed = read_decimals(rest, &mut counters)?;
            let stats = StatsColumns::from_values(counters.map(|c| c.map(to_i64))).stats();
            let mut scratch = MergedRollups::default();
            let merged = self
                .merged
                .get_mut(&Uuid::from_bytes(*id))
                .unwrap_or(&mut scratch);
            merged.stats.merge(&stats);
            merged.histograms.merge_one_encoded(&mut packed)?;
        }
        Ok(())
    }

    /// Adds up the [`DayTotals`] of the checked days' rows, packed by the database into one
    /// value: per row `[16-byte monitor id]` and `checks,total_sum_us` as ASCII, ended by `;`.
    pub(crate) fn add_packed_day_totals(&mut self, mut packed: &[u8]) -> Result<()> {
        while !packed.is_empty() {
            let (id, rest) = packed.split_first_chunk::<16>().ok_or_else(corrupt)?;
            let mut totals = [None; 2];
            packed = read_decimals(rest, &mut totals)?;
            self.day_totals
                .entry(Uuid::from_bytes(*id))
                .or_default()
                .add(totals[0].unwrap_or(0), totals[1].unwrap_or(0));
        }
        Ok(())
    }

    /// Merges results that are not in the rollups yet (pending a fold).
    pub(crate) fn add_results(&mut self, samples: &[RollupSample]) {
        for sample in samples {
            if let Some(merged) = self.merged.get_mut(&sample.monitor_id.0) {
                merged.stats.record(sample.outcome, &sample.phases);
                merged.histograms.record(&sample.phases);
            }
        }
    }

    /// Merges a part of a monitor's window that was read before (the cached days).
    pub(crate) fn merge_part(&mut self, id: MonitorId, part: &MergedRollups) {
        if let Some(merged) = self.merged.get_mut(&id.0) {
            merged.merge(part);
        }
    }

    /// The totals of a monitor's rows of the checked days: zero without rows.
    pub(crate) fn day_totals(&self, id: MonitorId) -> DayTotals {
        self.day_totals.get(&id.0).copied().unwrap_or_default()
    }

    /// The merged rollups of every requested monitor.
    pub(crate) fn into_parts(self) -> HashMap<Uuid, MergedRollups> {
        self.merged
    }

    /// One summary per id, in the order given (repeats included).
    pub(crate) fn finish(
        &self,
        ids: &[MonitorId],
        from: SystemTime,
        to: SystemTime,
    ) -> Vec<Summary> {
        let empty = MergedRollups::default();
        ids.iter()
            .map(|id| {
                let merged = self.merged.get(&id.0).unwrap_or(&empty);
                Summary::new(*id, from, to, &merged.stats, &merged.histograms)
            })
            .collect()
    }
}

fn corrupt() -> StoreError {
    StoreError::internal("malformed packed rollups")
}

/// Reads ASCII decimals separated by `,` and ended by `;` into `fields` (an empty field is
/// absent); returns the bytes after the `;`.
fn read_decimals<'a>(input: &'a [u8], fields: &mut [Option<u64>]) -> Result<&'a [u8]> {
    let mut field = 0;
    for (at, &byte) in input.iter().enumerate() {
        match byte {
            b'0'..=b'9' => {
                let value = fields.get_mut(field).ok_or_else(corrupt)?;
                let digit = u64::from(byte - b'0');
                *value = Some(value.unwrap_or(0).saturating_mul(10).saturating_add(digit));
            }
            b',' => field += 1,
            b';' if field + 1 == fields.len() => return Ok(&input[at + 1..]),
            _ => return Err(corrupt()),
        }
    }
    Err(corrupt())
}

/// Spans of whole buckets a summary read merges, each read whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SummarySpans(Vec<BucketSpan>);

impl SummarySpans {
    pub(crate) fn new(spans: Vec<BucketSpan>) -> Self {
        Self(spans)
    }

    #[cfg(test)]
    pub(crate) fn spans(&self) -> &[BucketSpan] {
        &self.0
    }

    /// One `[from, to)` range per bucket size (minute, hour, day); `(0, 0)` for a size the
    /// spans do not use. An error (a bug) if two spans have the same size: each tiling of
    /// [`pulsar_core::cover`] yields at most one span per size, and a summary reads the
    /// minute and hour rows of its start edge beside the day rows of the days after it.
    pub(crate) fn ranges_by_size(&self) -> Result<[(i64, i64); 3]> {
        let mut ranges = [None; 3];
        for span in &self.0 {
            let slot = BucketSize::ALL
                .iter()
                .position(|b| *b == span.bucket)
                .unwrap_or(0);
            if ranges[slot]
                .replace((unix_ms(span.from), unix_ms(span.to)))
                .is_some()
            {
                return Err(StoreError::internal(
                    "a summary read two spans of one bucket size",
                ));
            }
        }
        Ok(ranges.map(|range| range.unwrap_or((0, 0))))
    }

    /// The spans as a JSON array of `[bucket_seconds, from_ms, to_ms]`, for SQLite.
    pub(crate) fn json(&self) -> String {
        let items: Vec<String> = self
            .0
            .iter()
            .map(|s| {
                format!(
                    "[{},{},{}]",
                    s.bucket.seconds(),
                    unix_ms(s.from),
                    unix_ms(s.to)
                )
            })
            .collect();
        format!("[{}]", items.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_rows_and_day_totals_parse_and_reject_garbage() {
        let id = MonitorId::new();
        let mut accumulator = SummaryAccumulator::new(&[id]);
        let mut histograms = PhaseHistograms::new();
        histograms.record(&pulsar_core::Phases {
            total: Some(std::time::Duration::from_millis(7)),
            ..Default::default()
        });
        let mut packed = id.0.as_bytes().to_vec();
        packed.extend(b"2,1,0,7000,7000,0,0,0,0,0,21000;");
        packed.extend(histograms.encode());
        accumulator.add_packed(&packed).unwrap();
        let mut checks = id.0.as_bytes().to_vec();
        checks.extend(b"1440,86400000;");
        checks.extend_from_within(..);
        accumulator.add_packed_day_totals(&checks).unwrap();
        let expected = DayTotals {
            checks: 2_880,
            total_us: 172_800_000,
        };
        assert_eq!(accumulator.day_totals(id), expected);
        assert_eq!(
            accumulator.day_totals(MonitorId::new()),
            DayTotals::default()
        );
        let merged = &accumulator.into_parts()[&id.0];
        assert_eq!((merged.stats.up, merged.stats.degraded), (2, 1));
        assert_eq!(merged.stats.total_min_us, Some(7_000));
        assert_eq!(merged.histograms, histograms);

        let mut fresh = SummaryAccumulator::new(&[id]);
        for bad in [&checks[..20], &checks[..16], b"too short".as_slice()] {
            assert!(fresh.add_packed_day_totals(bad).is_err());
        }
        let mut letters = id.0.as_bytes().to_vec();
        letters.extend(b"12x;");
        assert!(fresh.add_packed_day_totals(&letters).is_err());
    }
}
