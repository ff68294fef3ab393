//! Host samples and their minute and hour averages, with their SQL: the same text on both
//! dialects but the batch insert of samples ([`Backend::insert_host_samples`]).

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use crate::backend::Backend;
use crate::error::{Result, StoreError};
use crate::query::{HostSummary, TimeRange};
use crate::rows::{
    HostPointRow, HostSampleColumns, METRIC_COLUMNS, SeriesPlan, decode_snapshot, first_per_key,
    host_rollup_deltas, named_rollup_deltas, series_plan,
};
use crate::sql::{
    Conn, Field, Merge, ROWS_PER_STATEMENT, Statement, Upsert, insert_values, on_conflict,
};
use pulsar_core::proto::v1::HostSnapshot;
use pulsar_core::{BucketSize, HostSeries, from_unix_ms, named_series, series_points};

/// The rows of `samples` to store: each checked, the first of each (host, time) only.
pub(crate) fn sample_rows(samples: &[HostSnapshot]) -> Result<Vec<HostSampleColumns>> {
    let all = samples
        .iter()
        .map(HostSampleColumns::new)
        .collect::<Result<Vec<_>>>()?;
    Ok(first_per_key(all, |s| (s.hostname.clone(), s.taken_at_ms)))
}

/// Adds the samples of `rows` whose keys are in `inserted` (the new ones) to their minute
/// and hour averages, in the caller's transaction; returns how many samples that was.
pub(crate) async fn add_to_averages<B: Backend>(
    tx: &mut B::Conn,
    rows: &[HostSampleColumns],
    inserted: &[(String, i64)],
) -> Result<u64> {
    let inserted: HashSet<(&str, i64)> = inserted.iter().map(|(h, t)| (h.as_str(), *t)).collect();
    let new: Vec<&HostSampleColumns> = rows
        .iter()
        .filter(|s| inserted.contains(&(s.hostname.as_str(), s.taken_at_ms)))
        .collect();
    // Averages are sums and counts, so a delta adds to the stored row in SQL.
    let deltas = host_rollup_deltas(&new);
    let deltas: Vec<Vec<Field<'_>>> = deltas.iter().map(|d| d.fields()).collect();
    merge_rows::<B>(tx, "host_rollups", &deltas).await?;
    let named = named_rollup_deltas(&new);
    let named: Vec<Vec<Field<'_>>> = named.iter().map(|d| d.fields()).collect();
    merge_rows::<B>(tx, "host_named_rollups", &named).await?;
    let mut seen: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for sample in &new {
        let (first, last) = seen
            .entry(sample.hostname.as_str())
            .or_insert((sample.taken_at_ms, sample.taken_at_ms));
        *first = (*first).min(sample.taken_at_ms);
        *last = (*last).max(sample.taken_at_ms);
    }
    let hosts: Vec<Vec<Field<'_>>> = seen
        .iter()
        .map(|(host, (first, last))| {
            vec![
                Field::key("hostname", *host),
                Field::new("first_seen_ms", Merge::Min, *first),
                Field::new("last_seen_ms", Merge::Max, *last),
            ]
        })
        .collect();
    merge_rows::<B>(tx, "hosts", &hosts).await?;
    Ok(new.len() as u64)
}

/// Upserts `rows` into `table`, each column merged as its field says.
async fn merge_rows<B: Backend>(
    tx: &mut B::Conn,
    table: &str,
    rows: &[Vec<Field<'_>>],
) -> Result<()> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let merge = on_conflict(table, &chunk[0], Upsert::Merge, B::SQL.least_greatest);
        let statement = insert_values(table, chunk, &merge, B::SQL.placeholders);
        tx.execute(statement).await?;
    }
    Ok(())
}

/// Every host that has reported, by name (byte order on both dialects), from the `hosts`
/// table the sample insert keeps: no scan of the samples.
pub(crate) async fn list<C: Conn>(conn: &mut C) -> Result<Vec<HostSummary>> {
    let statement =
        Statement::new("SELECT hostname, first_seen_ms, last_seen_ms FROM hosts ORDER BY hostname");
    let rows: Vec<(String, i64, i64)> = conn.fetch_all(statement).await?;
    Ok(rows
        .into_iter()
        .map(|(hostname, first_ms, last_ms)| HostSummary {
            hostname,
            first_seen: from_unix_ms(first_ms),
            last_seen: from_unix_ms(last_ms),
        })
        .collect())
}

/// A host's newest snapshot.
pub(crate) async fn latest<C: Conn>(conn: &mut C, hostname: &str) -> Result<HostSnapshot> {
    let statement = Statement::new(
        "SELECT snapshot FROM host_samples WHERE hostname = $1 \
         ORDER BY taken_at_ms DESC LIMIT 1",
    )
    .bind(hostname);
    let (bytes,): (Vec<u8>,) = conn
        .fetch_optional(statement)
        .await?
        .ok_or_else(|| StoreError::not_found("host", hostname))?;
    decode_snapshot(&bytes)
}

/// A host's metrics over `range`, averaged per step: from raw samples for steps under a
/// minute, else from the minute or hour averages (see `series_plan`). At most `points`
/// points (0: the default; clamped to [`SERIES_MAX_POINTS`](pulsar_core::SERIES_MAX_POINTS)); an empty or backwards range
/// is refused.
pub(crate) async fn series<C: Conn>(
    conn: &mut C,
    hostname: &str,
    range: TimeRange,
    points: u32,
) -> Result<HostSeries> {
    let points = series_points(range.from, range.to, points)?;
    let plan = series_plan(range, points);
    let sql = match plan.source {
        None => {
            let averages: Vec<String> = METRIC_COLUMNS
                .iter()
                .map(|(raw, _, _)| format!("avg({raw}) AS {raw}"))
                .collect();
            format!(
                "SELECT (taken_at_ms - $2) / $4 AS step_index, count(*) AS samples, {} \
                 FROM host_samples WHERE hostname = $1 AND taken_at_ms >= $2 \
                 AND taken_at_ms < $3 AND $5 IS NULL GROUP BY step_index ORDER BY step_index",
                averages.join(", ")
            )
        }
        Some(_) => {
            // An average over the samples that had the metric: its sums over its counts.
            let averages: Vec<String> = METRIC_COLUMNS
                .iter()
                .map(|(raw, sum, count)| {
                    format!(
                        "sum({sum}) / CAST(nullif(sum({count}), 0) AS DOUBLE PRECISION) AS {raw}"
                    )
                })
                .collect();
            format!(
                "SELECT (bucket_start_ms - $2) / $4 AS step_index, \
                 CAST(sum(samples) AS BIGINT) AS samples, {} FROM host_rollups \
                 WHERE hostname = $1 AND bucket_seconds = $5 AND bucket_start_ms >= $2 \
                 AND bucket_start_ms < $3 GROUP BY step_index ORDER BY step_index",
                averages.join(", ")
            )
        }
    };
    let statement = Statement::composed(sql)
        .bind(hostname)
        .bind(plan.from_ms)
        .bind(plan.to_ms)
        .bind(plan.step_ms)
        .bind(plan.source.map(|b| b.seconds()));
    let rows: Vec<HostPointRow> = conn.fetch_all(statement).await?;
    let mut named = match plan.source {
        None => named_from_samples(conn, hostname, &plan).await?,
        Some(bucket) => named_from_averages(conn, hostname, &plan, bucket).await?,
    };
    let points = rows
        .into_iter()
        .map(|row| {
            let step = row.step_index;
            let mut point = row.into_point(plan.from_ms, plan.step_ms);
            point.named = named.remove(&step).unwrap_or_default();
            point
        })
        .collect();
    Ok(HostSeries {
        step: Duration::from_millis(u64::try_from(plan.step_ms).unwrap_or(0)),
        points,
    })
}

/// The named series per step index, averaged from the minute or hour averages.
async fn named_from_averages<C: Conn>(
    conn: &mut C,
    hostname: &str,
    plan: &SeriesPlan,
    bucket: BucketSize,
) -> Result<BTreeMap<i64, BTreeMap<String, f64>>> {
    let statement = Statement::new(
        "SELECT (bucket_start_ms - $2) / $4 AS step_index, name, \
         sum(value_sum) / CAST(sum(value_n) AS DOUBLE PRECISION) FROM host_named_rollups \
         WHERE hostname = $1 AND bucket_seconds = $5 AND bucket_start_ms >= $2 \
         AND bucket_start_ms < $3 GROUP BY step_index, name",
    )
    .bind(hostname)
    .bind(plan.from_ms)
    .bind(plan.to_ms)
    .bind(plan.step_ms)
    .bind(bucket.seconds());
    let rows: Vec<(i64, String, f64)> = conn.fetch_all(statement).await?;
    let mut steps: BTreeMap<i64, BTreeMap<String, f64>> = BTreeMap::new();
    for (step, name, average) in rows {
        steps.entry(step).or_default().insert(name, average);
    }
    Ok(steps)
}

/// The named series per step index, averaged from the raw snapshots (steps under a minute
/// only, so at most a few thousand snapshots).
async fn named_from_samples<C: Conn>(
    conn: &mut C,
    hostname: &str,
    plan: &SeriesPlan,
) -> Result<BTreeMap<i64, BTreeMap<String, f64>>> {
    let statement = Statement::new(
        "SELECT taken_at_ms, snapshot FROM host_samples WHERE hostname = $1 \
         AND taken_at_ms >= $2 AND taken_at_ms < $3",
    )
    .bind(hostname)
    .bind(plan.from_ms)
    .bind(plan.to_ms);
    let rows: Vec<(i64, Vec<u8>)> = conn.fetch_all(statement).await?;
    let mut sums: BTreeMap<i64, BTreeMap<String, (f64, u32)>> = BTreeMap::new();
    for (taken_at_ms, bytes) in rows {
        let step = (taken_at_ms - plan.from_ms) / plan.step_ms;
        let per_name = sums.entry(step).or_default();
        for (name, value) in named_series(&decode_snapshot(&bytes)?) {
            let (sum, count) = per_name.entry(name).or_default();
            *sum += value;
            *count += 1;
        }
    }
    Ok(sums
        .into_iter()
        .map(|(step, per_name)| {
            let averages = per_name
                .into_iter()
                .map(|(name, (sum, count))| (name, sum / f64::from(count)))
                .collect();
            (step, averages)
        })
        .collect())
}
