//! Host sample rows, their minute/hour averages, and the plan of a downsampled series.

use std::collections::BTreeMap;

use prost::Message;
use pulsar_core::proto::v1;
use pulsar_core::{BucketSize, HostMetrics, from_unix_ms, named_series};

use super::to_u64;
use crate::error::{Result, StoreError};
use crate::sql::{Field, Merge};

/// The scalar metrics a host history keeps, in [`HostMetrics::to_array`] order, by column:
/// the raw sample's column, and the sum and count columns of its minute and hour averages.
pub(crate) const METRIC_COLUMNS: [(&str, &str, &str); 8] = [
    ("cpu_busy_pct", "cpu_busy_pct_sum", "cpu_busy_pct_n"),
    ("load1", "load1_sum", "load1_n"),
    ("memory_used_bytes", "mem_used_sum", "mem_used_n"),
    ("memory_total_bytes", "mem_total_sum", "mem_total_n"),
    ("net_rx_bytes_per_sec", "net_rx_sum", "net_rx_n"),
    ("net_tx_bytes_per_sec", "net_tx_sum", "net_tx_n"),
    ("disk_read_bytes_per_sec", "disk_read_sum", "disk_read_n"),
    ("disk_write_bytes_per_sec", "disk_write_sum", "disk_write_n"),
];

/// The columns of one `host_samples` row.
pub(crate) struct HostSampleColumns {
    pub(crate) hostname: String,
    pub(crate) taken_at_ms: i64,
    metrics: [Option<f64>; 8],
    /// Not a column: what the sample adds to `host_named_rollups`.
    named: Vec<(String, f64)>,
    snapshot: Vec<u8>,
}

impl HostSampleColumns {
    pub(crate) fn new(snapshot: &v1::HostSnapshot) -> Result<Self> {
        let host = host_identity(snapshot);
        if host.is_empty() {
            return Err(StoreError::invalid(
                "host",
                "no host identity: the hostname is empty, so set `host`",
            ));
        }
        Ok(Self {
            hostname: host.to_owned(),
            taken_at_ms: snapshot.taken_at_unix_ms,
            metrics: HostMetrics::from_snapshot(snapshot).to_array(),
            named: named_series(snapshot),
            snapshot: snapshot.encode_to_vec(),
        })
    }
}

impl HostSampleColumns {
    /// The row as written columns.
    pub(crate) fn fields(&self) -> Vec<Field<'_>> {
        let mut fields = vec![
            Field::key("hostname", &self.hostname),
            Field::key("taken_at_ms", self.taken_at_ms),
        ];
        for ((column, _, _), value) in METRIC_COLUMNS.iter().zip(self.metrics) {
            fields.push(Field::plain(column, value));
        }
        fields.push(Field::plain("snapshot", &self.snapshot));
        fields
    }
}

/// Who a snapshot is from: its `host`, or its hostname when that is unset. Stored in the
/// `hostname` columns, which key a host's samples and averages.
pub(crate) fn host_identity(snapshot: &v1::HostSnapshot) -> &str {
    if snapshot.host.is_empty() {
        &snapshot.hostname
    } else {
        &snapshot.host
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

impl HostRollupDelta {
    /// The row as written columns: averages are sums and counts, so a delta adds to the
    /// stored row.
    pub(crate) fn fields(&self) -> Vec<Field<'_>> {
        let mut fields = vec![
            Field::key("hostname", &self.hostname),
            Field::key("bucket_seconds", self.bucket_seconds),
            Field::key("bucket_start_ms", self.bucket_start_ms),
            Field::new("samples", Merge::Add, self.samples),
        ];
        for (i, (_, sum, count)) in METRIC_COLUMNS.iter().enumerate() {
            fields.push(Field::new(sum, Merge::Add, Some(self.sums[i])));
            fields.push(Field::new(count, Merge::Add, self.counts[i]));
        }
        fields
    }
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
            named: BTreeMap::new(),
        }
    }
}

/// One named series' additive average in one bucket (`host_named_rollups`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NamedRollupDelta {
    pub(crate) hostname: String,
    pub(crate) bucket_seconds: i32,
    pub(crate) bucket_start_ms: i64,
    pub(crate) name: String,
    pub(crate) sum: f64,
    pub(crate) count: i64,
}

impl NamedRollupDelta {
    pub(crate) fn fields(&self) -> Vec<Field<'_>> {
        vec![
            Field::key("hostname", &self.hostname),
            Field::key("bucket_seconds", self.bucket_seconds),
            Field::key("bucket_start_ms", self.bucket_start_ms),
            Field::key("name", &self.name),
            Field::new("value_sum", Merge::Add, Some(self.sum)),
            Field::new("value_n", Merge::Add, self.count),
        ]
    }
}

pub(crate) fn named_rollup_deltas(samples: &[&HostSampleColumns]) -> Vec<NamedRollupDelta> {
    let mut by_key: BTreeMap<(&str, i32, i64, &str), (f64, i64)> = BTreeMap::new();
    for sample in samples {
        for bucket in HOST_BUCKETS {
            let start = bucket.floor_ms(sample.taken_at_ms);
            let seconds = i32::try_from(bucket.seconds()).unwrap_or(i32::MAX);
            for (name, value) in &sample.named {
                let key = (sample.hostname.as_str(), seconds, start, name.as_str());
                let (sum, count) = by_key.entry(key).or_default();
                *sum += value;
                *count += 1;
            }
        }
    }
    by_key
        .into_iter()
        .map(
            |((hostname, bucket_seconds, bucket_start_ms, name), (sum, count))| NamedRollupDelta {
                hostname: hostname.to_owned(),
                bucket_seconds,
                bucket_start_ms,
                name: name.to_owned(),
                sum,
                count,
            },
        )
        .collect()
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
pub(crate) fn series_plan(range: crate::query::TimeRange, points: u32) -> SeriesPlan {
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
