//! Host sample rows, their minute/hour averages, and the plan of a downsampled series.

use std::collections::BTreeMap;

use prost::Message;
use pulsar_core::proto::v1;
use pulsar_core::{BucketSize, HostMetrics, from_unix_ms};

use super::to_u64;
use crate::error::{Result, StoreError};

/// The columns of one `host_samples` row.
pub(crate) struct HostSampleColumns {
    pub(crate) hostname: String,
    pub(crate) taken_at_ms: i64,
    pub(crate) metrics: [Option<f64>; 8],
    pub(crate) snapshot: Vec<u8>,
}

impl HostSampleColumns {
    pub(crate) fn new(snapshot: &v1::HostSnapshot) -> Result<Self> {
        if snapshot.hostname.is_empty() {
            return Err(StoreError::invalid("hostname", "must not be empty"));
        }
        Ok(Self {
            hostname: snapshot.hostname.clone(),
            taken_at_ms: snapshot.taken_at_unix_ms,
            metrics: HostMetrics::from_snapshot(snapshot).to_array(),
            snapshot: snapshot.encode_to_vec(),
        })
    }
}

pub(crate) fn decode_snapshot(bytes: &[u8]) -> Result<v1::HostSnapshot> {
    v1::HostSnapshot::decode(bytes).map_err(StoreError::internal)
}

/// Additive host averages of one bucket: the sample count, and per metric the sum and
/// number of samples that had it (so an average ignores samples that lacked the metric).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HostRollupDelta {
    pub(crate) hostname: String,
    pub(crate) bucket_seconds: i32,
    pub(crate) bucket_start_ms: i64,
    pub(crate) samples: i64,
    pub(crate) sums: [f64; 8],
    pub(crate) counts: [i64; 8],
}

/// The bucket sizes host averages are kept at.
pub(crate) const HOST_BUCKETS: [BucketSize; 2] = [BucketSize::Minute, BucketSize::Hour];

pub(crate) fn host_rollup_deltas(samples: &[&HostSampleColumns]) -> Vec<HostRollupDelta> {
    let mut by_key: BTreeMap<(String, i32, i64), HostRollupDelta> = BTreeMap::new();
    for sample in samples {
        for bucket in HOST_BUCKETS {
            let start = bucket.floor_ms(sample.taken_at_ms);
            let seconds = i32::try_from(bucket.seconds()).unwrap_or(i32::MAX);
            let delta = by_key
                .entry((sample.hostname.clone(), seconds, start))
                .or_insert_with(|| HostRollupDelta {
                    hostname: sample.hostname.clone(),
                    bucket_seconds: seconds,
                    bucket_start_ms: start,
                    samples: 0,
                    sums: [0.0; 8],
                    counts: [0; 8],
                });
            delta.samples += 1;
            for (i, value) in sample.metrics.iter().enumerate() {
                if let Some(v) = value {
                    delta.sums[i] += v;
                    delta.counts[i] += 1;
                }
            }
        }
    }
    by_key.into_values().collect()
}

#[derive(sqlx::FromRow)]
pub(crate) struct HostPointRow {
    pub(crate) step_index: i64,
    pub(crate) samples: i64,
    pub(crate) cpu_busy_pct: Option<f64>,
    pub(crate) load1: Option<f64>,
    pub(crate) memory_used_bytes: Option<f64>,
    pub(crate) memory_total_bytes: Option<f64>,
    pub(crate) net_rx_bytes_per_sec: Option<f64>,
    pub(crate) net_tx_bytes_per_sec: Option<f64>,
    pub(crate) disk_read_bytes_per_sec: Option<f64>,
    pub(crate) disk_write_bytes_per_sec: Option<f64>,
}

impl HostPointRow {
    pub(crate) fn into_point(self, from_ms: i64, step_ms: i64) -> pulsar_core::HostPoint {
        pulsar_core::HostPoint {
            at: from_unix_ms(from_ms + self.step_index * step_ms),
            samples: to_u64(self.samples),
            metrics: HostMetrics::from_array([
                self.cpu_busy_pct,
                self.load1,
                self.memory_used_bytes,
                self.memory_total_bytes,
                self.net_rx_bytes_per_sec,
                self.net_tx_bytes_per_sec,
                self.disk_read_bytes_per_sec,
                self.disk_write_bytes_per_sec,
            ]),
        }
    }
}

/// Where a host series is read from and how its steps align.
pub(crate) struct SeriesPlan {
    /// `None` for raw samples, else the bucket size of the averages read.
    pub(crate) source: Option<BucketSize>,
    pub(crate) from_ms: i64,
    pub(crate) to_ms: i64,
    pub(crate) step_ms: i64,
}

/// Picks the coarsest source whose bucket fits in the step, and aligns the range start and
/// the step to that source's buckets.
pub(crate) fn series_plan(range: crate::TimeRange, points: u32) -> SeriesPlan {
    let step_ms = i64::try_from(pulsar_core::series_step(range.from, range.to, points).as_millis())
        .unwrap_or(i64::MAX);
    let (from_ms, to_ms) = range.millis();
    let source = [BucketSize::Hour, BucketSize::Minute]
        .into_iter()
        .find(|b| b.millis() <= step_ms);
    match source {
        Some(bucket) => SeriesPlan {
            source,
            from_ms: bucket.floor_ms(from_ms),
            to_ms,
            // Round the step up to whole buckets.
            step_ms: (step_ms + bucket.millis() - 1) / bucket.millis() * bucket.millis(),
        },
        None => SeriesPlan {
            source,
            from_ms,
            to_ms,
            step_ms,
        },
    }
}

/// The conflict clause that adds a host-rollup delta to its stored row (the same text on
/// both dialects): averages are sums and counts, additive, so they merge in SQL.
macro_rules! host_rollup_merge {
    () => {
        " ON CONFLICT (hostname, bucket_seconds, bucket_start_ms) \
         DO UPDATE SET samples = host_rollups.samples + excluded.samples, \
         cpu_busy_pct_sum = host_rollups.cpu_busy_pct_sum + excluded.cpu_busy_pct_sum, \
         cpu_busy_pct_n = host_rollups.cpu_busy_pct_n + excluded.cpu_busy_pct_n, \
         load1_sum = host_rollups.load1_sum + excluded.load1_sum, \
         load1_n = host_rollups.load1_n + excluded.load1_n, \
         mem_used_sum = host_rollups.mem_used_sum + excluded.mem_used_sum, \
         mem_used_n = host_rollups.mem_used_n + excluded.mem_used_n, \
         mem_total_sum = host_rollups.mem_total_sum + excluded.mem_total_sum, \
         mem_total_n = host_rollups.mem_total_n + excluded.mem_total_n, \
         net_rx_sum = host_rollups.net_rx_sum + excluded.net_rx_sum, \
         net_rx_n = host_rollups.net_rx_n + excluded.net_rx_n, \
         net_tx_sum = host_rollups.net_tx_sum + excluded.net_tx_sum, \
         net_tx_n = host_rollups.net_tx_n + excluded.net_tx_n, \
         disk_read_sum = host_rollups.disk_read_sum + excluded.disk_read_sum, \
         disk_read_n = host_rollups.disk_read_n + excluded.disk_read_n, \
         disk_write_sum = host_rollups.disk_write_sum + excluded.disk_write_sum, \
         disk_write_n = host_rollups.disk_write_n + excluded.disk_write_n"
    };
}
pub(crate) use host_rollup_merge;
