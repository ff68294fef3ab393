//! Rollup rows: their columns, named once in [`STATS_COLUMNS`] for every statement that
//! reads or writes them, and their conversion to and from [`Rollup`].

use std::collections::HashMap;

use pulsar_core::{
    BucketSize, MonitorId, PhaseHistograms, Rollup, RollupStats, from_unix_ms, unix_ms,
};
use uuid::Uuid;

use super::{to_i64, to_u64};
use crate::error::{Result, StoreError};
use crate::sql::{Field, Merge};

/// The counters of a rollup row, by column name, with how a fold adds a delta to each. Every
/// statement that reads or writes them is built from this list, and [`StatsColumns`] holds
/// their values in its order: adding a counter is one entry here, its line in
/// [`StatsColumns::stats`] and [`StatsColumns::new`], and the migrations.
pub(crate) const STATS_COLUMNS: [(&str, Merge); 11] = [
    ("up_count", Merge::Add),
    ("degraded_count", Merge::Add),
    ("down_count", Merge::Add),
    ("total_min_us", Merge::Min),
    ("total_max_us", Merge::Max),
    ("dns_sum_us", Merge::Add),
    ("connect_sum_us", Merge::Add),
    ("tls_sum_us", Merge::Add),
    ("ttfb_sum_us", Merge::Add),
    ("download_sum_us", Merge::Add),
    ("total_sum_us", Merge::Add),
];

/// The columns of [`STATS_COLUMNS`] joined by `", "`, each written by `each`.
pub(crate) fn stats_select(each: impl Fn(&str, Merge) -> String) -> String {
    let items: Vec<String> = STATS_COLUMNS.iter().map(|(c, m)| each(c, *m)).collect();
    items.join(", ")
}

/// The counters of one rollup row (or of several, summed), in [`STATS_COLUMNS`] order;
/// absent where the row has none (min/max of a row without timings, or no row at all).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct StatsColumns([Option<i64>; STATS_COLUMNS.len()]);

impl StatsColumns {
    pub(crate) fn new(stats: &RollupStats) -> Self {
        let mut c = [None; STATS_COLUMNS.len()];
        let [dns, connect, tls, ttfb, download, total] = stats.phase_sums_us.map(to_i64);
        c[const { column("up_count") }] = Some(to_i64(stats.up));
        c[const { column("degraded_count") }] = Some(to_i64(stats.degraded));
        c[const { column("down_count") }] = Some(to_i64(stats.down));
        c[const { column("total_min_us") }] = stats.total_min_us.map(to_i64);
        c[const { column("total_max_us") }] = stats.total_max_us.map(to_i64);
        c[const { column("dns_sum_us") }] = Some(dns);
        c[const { column("connect_sum_us") }] = Some(connect);
        c[const { column("tls_sum_us") }] = Some(tls);
        c[const { column("ttfb_sum_us") }] = Some(ttfb);
        c[const { column("download_sum_us") }] = Some(download);
        c[const { column("total_sum_us") }] = Some(total);
        Self(c)
    }

    pub(crate) fn stats(&self) -> RollupStats {
        let c = &self.0;
        let count = |value: Option<i64>| value.map_or(0, to_u64);
        RollupStats {
            up: count(c[const { column("up_count") }]),
            degraded: count(c[const { column("degraded_count") }]),
            down: count(c[const { column("down_count") }]),
            total_min_us: c[const { column("total_min_us") }].map(to_u64),
            total_max_us: c[const { column("total_max_us") }].map(to_u64),
            phase_sums_us: [
                count(c[const { column("dns_sum_us") }]),
                count(c[const { column("connect_sum_us") }]),
                count(c[const { column("tls_sum_us") }]),
                count(c[const { column("ttfb_sum_us") }]),
                count(c[const { column("download_sum_us") }]),
                count(c[const { column("total_sum_us") }]),
            ],
        }
    }

    /// The counters from values in [`STATS_COLUMNS`] order (a packed read).
    pub(crate) fn from_values(values: [Option<i64>; STATS_COLUMNS.len()]) -> Self {
        Self(values)
    }

    /// The counters as written columns.
    pub(crate) fn fields<'a>(self) -> impl Iterator<Item = Field<'a>> {
        STATS_COLUMNS
            .iter()
            .zip(self.0)
            .map(|(&(column, merge), value)| Field::new(column, merge, value))
    }
}

/// The place of the counter `name` in [`STATS_COLUMNS`], found while the crate compiles
/// (`const { column("…") }`): a name that is not there fails the build, and reads by name
/// cost an index.
const fn column(name: &str) -> usize {
    let mut i = 0;
    while i < STATS_COLUMNS.len() {
        if equal(STATS_COLUMNS[i].0.as_bytes(), name.as_bytes()) {
            return i;
        }
        i += 1;
    }
    panic!("not a rollup counter")
}

const fn equal(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for StatsColumns
where
    for<'n> &'n str: sqlx::ColumnIndex<R>,
    Option<i64>: for<'v> sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
{
    /// Reads the counters by name.
    fn from_row(row: &'r R) -> sqlx::Result<Self> {
        let mut columns = Self::default();
        for (i, (name, _)) in STATS_COLUMNS.iter().enumerate() {
            columns.0[i] = row.try_get(*name)?;
        }
        Ok(columns)
    }
}

/// One `rollups` row, read by column name and written through [`RollupRow::fields`].
#[derive(sqlx::FromRow)]
pub(crate) struct RollupRow {
    pub(crate) monitor_id: Uuid,
    pub(crate) bucket_seconds: i32,
    pub(crate) bucket_start_ms: i64,
    #[sqlx(flatten)]
    pub(crate) stats: StatsColumns,
    pub(crate) histograms: Vec<u8>,
}

/// The columns a rollup read selects, from [`STATS_COLUMNS`].
pub(crate) fn rollup_select() -> String {
    format!(
        "monitor_id, bucket_seconds, bucket_start_ms, {}, histograms",
        stats_select(|c, _| c.to_owned())
    )
}

impl RollupRow {
    pub(crate) fn new(rollup: &Rollup) -> Self {
        Self {
            monitor_id: rollup.monitor_id.0,
            bucket_seconds: bucket_seconds(rollup.bucket),
            bucket_start_ms: unix_ms(rollup.start),
            stats: StatsColumns::new(&rollup.stats),
            histograms: rollup.histograms.encode(),
        }
    }

    /// The row as written columns: the key, the counters, and the histograms (merged
    /// before they are written, so they replace the stored ones).
    pub(crate) fn fields(&self) -> Vec<Field<'_>> {
        let mut fields = vec![
            Field::key("monitor_id", self.monitor_id),
            Field::key("bucket_seconds", self.bucket_seconds),
            Field::key("bucket_start_ms", self.bucket_start_ms),
        ];
        fields.extend(self.stats.fields());
        fields.push(Field::new("histograms", Merge::Replace, &self.histograms));
        fields
    }

    pub(crate) fn into_rollup(self) -> Result<Rollup> {
        let bucket = BucketSize::from_seconds(i64::from(self.bucket_seconds)).ok_or_else(|| {
            StoreError::internal(format!("unknown bucket size {}", self.bucket_seconds))
        })?;
        Ok(Rollup {
            monitor_id: MonitorId(self.monitor_id),
            bucket,
            start: from_unix_ms(self.bucket_start_ms),
            stats: self.stats.stats(),
            histograms: PhaseHistograms::decode(&self.histograms)?,
        })
    }
}

pub(crate) fn bucket_seconds(bucket: BucketSize) -> i32 {
    i32::try_from(bucket.seconds()).unwrap_or(i32::MAX)
}

/// The key of a rollup row, for matching fetched rows to computed deltas.
pub(crate) type RollupKey = (Uuid, i32, i64);

pub(crate) fn rollup_key(rollup: &Rollup) -> RollupKey {
    (
        rollup.monitor_id.0,
        bucket_seconds(rollup.bucket),
        unix_ms(rollup.start),
    )
}

/// The stored histograms of a rollup row: all a fold needs to read, since counts and sums
/// are added in SQL.
#[derive(sqlx::FromRow)]
pub(crate) struct HistogramRow {
    pub(crate) monitor_id: Uuid,
    pub(crate) bucket_seconds: i32,
    pub(crate) bucket_start_ms: i64,
    pub(crate) histograms: Vec<u8>,
}

impl HistogramRow {
    pub(crate) fn key(&self) -> RollupKey {
        (self.monitor_id, self.bucket_seconds, self.bucket_start_ms)
    }
}

/// Merges stored histograms into the deltas they belong to: the histograms to write back.
/// The deltas' stats stay deltas.
pub(crate) fn merge_stored_histograms(
    deltas: &mut [Rollup],
    stored: &[HistogramRow],
) -> Result<()> {
    let index: HashMap<RollupKey, usize> = deltas
        .iter()
        .enumerate()
        .map(|(i, r)| (rollup_key(r), i))
        .collect();
    for row in stored {
        if let Some(&i) = index.get(&row.key()) {
            deltas[i].histograms.merge_encoded(&row.histograms)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_counter_round_trips_by_name() {
        let stats = RollupStats {
            up: 1,
            degraded: 2,
            down: 3,
            total_min_us: Some(4),
            total_max_us: None,
            phase_sums_us: [5, 6, 7, 8, 9, 10],
        };
        let columns = StatsColumns::new(&stats);
        assert_eq!(columns.stats(), stats);
        assert_eq!(columns.0[column("down_count")], Some(3));
        assert_eq!(columns.0[column("total_max_us")], None);
        let written: Vec<&str> = columns.fields().map(|f| f.column).collect();
        assert_eq!(written.len(), STATS_COLUMNS.len());
        assert_eq!(written[0], "up_count");
    }
}
