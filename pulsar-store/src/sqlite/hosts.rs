//! Host samples and their minute/hour averages (SQLite).

use std::collections::HashSet;

use pulsar_core::proto::v1::HostSnapshot;
use pulsar_core::{HostPoint, from_unix_ms};
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use super::SqliteStore;
use crate::error::Result;
use crate::query::{HostSummary, TimeRange};
use crate::rows::{
    HostPointRow, HostSampleColumns, first_per_key, host_rollup_deltas, host_rollup_merge,
    series_plan, to_u64,
};

/// 12 values per sample row and 20 per averages row stay under SQLite's bound-value limit.
const ROWS_PER_STATEMENT: usize = 1_000;

pub(super) async fn insert(store: &SqliteStore, samples: &[HostSnapshot]) -> Result<u64> {
    let all = samples
        .iter()
        .map(HostSampleColumns::new)
        .collect::<Result<Vec<_>>>()?;
    let columns = first_per_key(&all, |s| (s.hostname.clone(), s.taken_at_ms));
    if columns.is_empty() {
        return Ok(0);
    }
    let mut tx = store.begin_write().await?;
    let mut inserted: HashSet<(String, i64)> = HashSet::new();
    for chunk in columns.chunks(ROWS_PER_STATEMENT) {
        let mut sql = QueryBuilder::<Sqlite>::new(
            "INSERT INTO host_samples (hostname, taken_at_ms, cpu_busy_pct, load1, \
             memory_used_bytes, memory_total_bytes, net_rx_bytes_per_sec, \
             net_tx_bytes_per_sec, disk_read_bytes_per_sec, disk_write_bytes_per_sec, \
             snapshot) ",
        );
        sql.push_values(chunk, |mut row, c| {
            row.push_bind(c.hostname.clone()).push_bind(c.taken_at_ms);
            for metric in c.metrics {
                row.push_bind(metric);
            }
            row.push_bind(c.snapshot.clone());
        });
        sql.push(" ON CONFLICT (hostname, taken_at_ms) DO NOTHING RETURNING hostname, taken_at_ms");
        let keys: Vec<(String, i64)> = sql.build_query_as().fetch_all(&mut *tx).await?;
        inserted.extend(keys);
    }
    let new: Vec<&HostSampleColumns> = columns
        .into_iter()
        .filter(|s| inserted.contains(&(s.hostname.clone(), s.taken_at_ms)))
        .collect();
    // Averages are sums and counts: additive, so they merge in SQL.
    for chunk in host_rollup_deltas(&new).chunks(ROWS_PER_STATEMENT) {
        let mut sql = QueryBuilder::<Sqlite>::new(
            "INSERT INTO host_rollups (hostname, bucket_seconds, bucket_start_ms, samples, \
             cpu_busy_pct_sum, cpu_busy_pct_n, load1_sum, load1_n, mem_used_sum, mem_used_n, \
             mem_total_sum, mem_total_n, net_rx_sum, net_rx_n, net_tx_sum, net_tx_n, \
             disk_read_sum, disk_read_n, disk_write_sum, disk_write_n) ",
        );
        sql.push_values(chunk, |mut row, d| {
            row.push_bind(d.hostname.clone())
                .push_bind(d.bucket_seconds)
                .push_bind(d.bucket_start_ms)
                .push_bind(d.samples);
            for (sum, count) in d.sums.iter().zip(d.counts) {
                row.push_bind(*sum).push_bind(count);
            }
        });
        sql.push(host_rollup_merge!());
        sql.build().execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(new.len() as u64)
}

pub(super) async fn list(pool: &SqlitePool) -> Result<Vec<HostSummary>> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT hostname, max(taken_at_ms), count(*) FROM host_samples \
         GROUP BY hostname ORDER BY hostname",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(hostname, last_ms, samples)| HostSummary {
            hostname,
            last_seen: from_unix_ms(last_ms),
            samples: to_u64(samples),
        })
        .collect())
}

crate::portable::host_statements!(SqlitePool);

pub(super) async fn series(
    pool: &SqlitePool,
    hostname: &str,
    range: TimeRange,
    points: u32,
) -> Result<Vec<HostPoint>> {
    let plan = series_plan(range, points);
    let query = match plan.source {
        None => sqlx::query_as::<_, HostPointRow>(
            "SELECT (taken_at_ms - ?2) / ?4 AS step_index, count(*) AS samples, \
             avg(cpu_busy_pct) AS cpu_busy_pct, avg(load1) AS load1, \
             avg(memory_used_bytes) AS memory_used_bytes, \
             avg(memory_total_bytes) AS memory_total_bytes, \
             avg(net_rx_bytes_per_sec) AS net_rx_bytes_per_sec, \
             avg(net_tx_bytes_per_sec) AS net_tx_bytes_per_sec, \
             avg(disk_read_bytes_per_sec) AS disk_read_bytes_per_sec, \
             avg(disk_write_bytes_per_sec) AS disk_write_bytes_per_sec \
             FROM host_samples WHERE hostname = ?1 AND taken_at_ms >= ?2 AND taken_at_ms < ?3 \
             AND ?5 IS NULL GROUP BY step_index ORDER BY step_index",
        ),
        Some(_) => sqlx::query_as::<_, HostPointRow>(
            "SELECT (bucket_start_ms - ?2) / ?4 AS step_index, sum(samples) AS samples, \
             sum(cpu_busy_pct_sum) / nullif(sum(cpu_busy_pct_n), 0) AS cpu_busy_pct, \
             sum(load1_sum) / nullif(sum(load1_n), 0) AS load1, \
             sum(mem_used_sum) / nullif(sum(mem_used_n), 0) AS memory_used_bytes, \
             sum(mem_total_sum) / nullif(sum(mem_total_n), 0) AS memory_total_bytes, \
             sum(net_rx_sum) / nullif(sum(net_rx_n), 0) AS net_rx_bytes_per_sec, \
             sum(net_tx_sum) / nullif(sum(net_tx_n), 0) AS net_tx_bytes_per_sec, \
             sum(disk_read_sum) / nullif(sum(disk_read_n), 0) AS disk_read_bytes_per_sec, \
             sum(disk_write_sum) / nullif(sum(disk_write_n), 0) AS disk_write_bytes_per_sec \
             FROM host_rollups WHERE hostname = ?1 AND bucket_seconds = ?5 \
             AND bucket_start_ms >= ?2 AND bucket_start_ms < ?3 \
             GROUP BY step_index ORDER BY step_index",
        ),
    };
    let rows = query
        .bind(hostname)
        .bind(plan.from_ms)
        .bind(plan.to_ms)
        .bind(plan.step_ms)
        .bind(plan.source.map(|b| b.seconds()))
        .fetch_all(pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| row.into_point(plan.from_ms, plan.step_ms))
        .collect())
}
