//! What a summary reads: the spans of its window, and the per-monitor accumulation of
//! grouped or packed rollup rows.

use std::time::Duration;

use pulsar_core::{BucketSize, MonitorId, PhaseHistograms, RollupStats, unix_ms};
use uuid::Uuid;

use super::to_u64;
use crate::error::{Result, StoreError};

/// One monitor's rollups in a summary window, grouped by the database: sums, min/max, and
/// the concatenation of the rows' encoded histograms.
#[derive(sqlx::FromRow)]
pub(crate) struct SummaryRow {
    monitor_id: Uuid,
    up_count: i64,
    degraded_count: i64,
    down_count: i64,
    total_min_us: Option<i64>,
    total_max_us: Option<i64>,
    dns_sum_us: i64,
    connect_sum_us: i64,
    tls_sum_us: i64,
    ttfb_sum_us: i64,
    download_sum_us: i64,
    total_sum_us: i64,
    histograms: Vec<u8>,
}

/// Summaries of the given ids from merged rollup rows, in the order of the ids.
pub(crate) struct SummaryAccumulator {
    order: Vec<MonitorId>,
    merged: std::collections::HashMap<Uuid, (RollupStats, PhaseHistograms)>,
}

impl SummaryAccumulator {
    pub(crate) fn new(ids: &[MonitorId]) -> Self {
        Self {
            order: ids.to_vec(),
            merged: ids
                .iter()
                .map(|id| (id.0, (RollupStats::default(), PhaseHistograms::new())))
                .collect(),
        }
    }

    /// Merges one monitor's grouped rollups.
    pub(crate) fn add(&mut self, row: &SummaryRow) -> Result<()> {
        if let Some((stats, histograms)) = self.merged.get_mut(&row.monitor_id) {
            stats.merge(&RollupStats {
                up: to_u64(row.up_count),
                degraded: to_u64(row.degraded_count),
                down: to_u64(row.down_count),
                total_min_us: row.total_min_us.map(to_u64),
                total_max_us: row.total_max_us.map(to_u64),
                phase_sums_us: [
                    row.dns_sum_us,
                    row.connect_sum_us,
                    row.tls_sum_us,
                    row.ttfb_sum_us,
                    row.download_sum_us,
                    row.total_sum_us,
                ]
                .map(to_u64),
            });
            histograms.merge_encoded(&row.histograms)?;
        }
        Ok(())
    }

    /// Merges the rows of a summary window, packed by the database into one value: per row
    /// `[16-byte monitor id]`, the counters as ASCII
    /// `up,degraded,down,total_min,total_max,dns,connect,tls,ttfb,download,total;` (min/max
    /// empty when absent), then the encoded histograms, which know their own length. One
    /// value instead of a row per rollup keeps the driver's per-row cost and the database's
    /// sort out of the hot path.
    pub(crate) fn add_packed(&mut self, mut packed: &[u8]) -> Result<()> {
        let corrupt = || StoreError::internal("malformed packed rollups");
        while !packed.is_empty() {
            let (id, rest) = packed.split_first_chunk::<16>().ok_or_else(corrupt)?;
            let mut counters = [None; 11];
            let mut field = 0;
            let mut at = 0;
            // ASCII decimals separated by ',' and ended by ';'; an empty field is absent.
            loop {
                let byte = *rest.get(at).ok_or_else(corrupt)?;
                at += 1;
                match byte {
                    b'0'..=b'9' => {
                        let digit = u64::from(byte - b'0');
                        let value = counters.get_mut(field).ok_or_else(corrupt)?;
                        *value = Some(
                            value
                                .unwrap_or(0u64)
                                .saturating_mul(10)
                                .saturating_add(digit),
                        );
                    }
                    b',' => field += 1,
                    b';' if field == counters.len() - 1 => break,
                    _ => return Err(corrupt()),
                }
            }
            packed = &rest[at..];
            let mut stats = RollupStats {
                up: counters[0].unwrap_or(0),
                degraded: counters[1].unwrap_or(0),
                down: counters[2].unwrap_or(0),
                total_min_us: counters[3],
                total_max_us: counters[4],
                phase_sums_us: [0; 6],
            };
            for (sum, counter) in stats.phase_sums_us.iter_mut().zip(&counters[5..]) {
                *sum = counter.unwrap_or(0);
            }
            let mut scratch = (RollupStats::default(), PhaseHistograms::new());
            let (merged_stats, histograms) = self
                .merged
                .get_mut(&Uuid::from_bytes(*id))
                .unwrap_or(&mut scratch);
            merged_stats.merge(&stats);
            histograms.merge_one_encoded(&mut packed)?;
        }
        Ok(())
    }

    pub(crate) fn finish(
        self,
        from: std::time::SystemTime,
        to: std::time::SystemTime,
    ) -> Vec<pulsar_core::Summary> {
        self.order
            .iter()
            .map(|id| {
                // Every id was seeded in `new`, repeated ones included.
                let empty = (RollupStats::default(), PhaseHistograms::new());
                let (stats, histograms) = self.merged.get(&id.0).unwrap_or(&empty);
                pulsar_core::Summary::new(*id, from, to, stats, histograms)
            })
            .collect()
    }
}

fn logic_now(now: std::time::SystemTime) -> std::time::SystemTime {
    crate::logic::truncate_ms(now)
}

/// The spans of whole buckets a summary reads, as parallel columns for a query.
pub(crate) struct SummarySpans {
    pub(crate) from: std::time::SystemTime,
    pub(crate) to: std::time::SystemTime,
    pub(crate) bucket_seconds: Vec<i32>,
    pub(crate) from_ms: Vec<i64>,
    pub(crate) to_ms: Vec<i64>,
}

impl SummarySpans {
    pub(crate) fn new(window: Duration, now: std::time::SystemTime) -> Self {
        let from = pulsar_core::window_start(window, now);
        let spans = pulsar_core::cover(from, now);
        Self {
            from,
            to: logic_now(now),
            bucket_seconds: spans
                .iter()
                .map(|s| i32::try_from(s.bucket.seconds()).unwrap_or(i32::MAX))
                .collect(),
            from_ms: spans.iter().map(|s| unix_ms(s.from)).collect(),
            to_ms: spans.iter().map(|s| unix_ms(s.to)).collect(),
        }
    }

    /// One `[from, to)` range per bucket size (minute, hour, day); `(0, 0)` for a size the
    /// window does not use. [`pulsar_core::cover`] yields at most one span per size.
    pub(crate) fn ranges_by_size(&self) -> [(i64, i64); 3] {
        let mut ranges = [(0, 0); 3];
        for i in 0..self.bucket_seconds.len() {
            let slot = BucketSize::ALL
                .iter()
                .position(|b| b.seconds() == i64::from(self.bucket_seconds[i]))
                .unwrap_or(0);
            ranges[slot] = (self.from_ms[i], self.to_ms[i]);
        }
        ranges
    }

    /// The spans as a JSON array of `[bucket_seconds, from_ms, to_ms]`, for SQLite.
    pub(crate) fn json(&self) -> String {
        let items: Vec<String> = (0..self.bucket_seconds.len())
            .map(|i| {
                format!(
                    "[{},{},{}]",
                    self.bucket_seconds[i], self.from_ms[i], self.to_ms[i]
                )
            })
            .collect();
        format!("[{}]", items.join(","))
    }
}
