//! Host samples and their minute/hour averages (PostgreSQL).

use std::collections::HashSet;

use pulsar_core::proto::v1::HostSnapshot;
use pulsar_core::{HostPoint, from_unix_ms};
use sqlx::PgPool;

use super::PgStore;
use crate::error::Result;
use crate::query::{HostSummary, TimeRange};
use crate::rows::{
    HostPointRow, HostSampleColumns, first_per_key, host_rollup_deltas, host_rollup_merge,
    series_plan, to_u64,
};

pub(super) async fn insert(store: &PgStore, samples: &[HostSnapshot]) -> Result<u64> {
    let all = samples
        .iter()
        .map(HostSampleColumns::new)
        .collect::<Result<Vec<_>>>()?;
    let c = first_per_key(&all, |s| (s.hostname.clone(), s.taken_at_ms));
    if c.is_empty() {
        return Ok(0);
    }
    let metric = |i: usize| c.iter().map(|s| s.metrics[i]).collect::<Vec<_>>();
    let mut tx = store.pool.begin().await?;
    let inserted: Vec<(String, i64)> = sqlx::query_as(
        "INSERT INTO host_samples (hostname, taken_at_ms, cpu_busy_pct, load1, \
         memory_used_bytes, memory_total_bytes, net_rx_bytes_per_sec, net_tx_bytes_per_sec, \
         disk_read_bytes_per_sec, disk_write_bytes_per_sec, snapshot) \
         SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::float8[], $4::float8[], \
         $5::float8[], $6::float8[], $7::float8[], $8::float8[], $9::float8[], $10::float8[], \
         $11::bytea[]) \
         ON CONFLICT (hostname, taken_at_ms) DO NOTHING RETURNING hostname, taken_at_ms",
    )
    .bind(c.iter().map(|s| s.hostname.as_str()).collect::<Vec<_>>())
    .bind(c.iter().map(|s| s.taken_at_ms).collect::<Vec<_>>())
    .bind(metric(0))
    .bind(metric(1))
    .bind(metric(2))
    .bind(metric(3))
    .bind(metric(4))
    .bind(metric(5))
    .bind(metric(6))
    .bind(metric(7))
    .bind(c.iter().map(|s| s.snapshot.as_slice()).collect::<Vec<_>>())
    .fetch_all(&mut *tx)
    .await?;
    let inserted: HashSet<(String, i64)> = inserted.into_iter().collect();
    let new: Vec<&HostSampleColumns> = c
        .into_iter()
        .filter(|s| inserted.contains(&(s.hostname.clone(), s.taken_at_ms)))
        .collect();
    let d = host_rollup_deltas(&new);
    if !d.is_empty() {
        let sum = |i: usize| d.iter().map(|r| r.sums[i]).collect::<Vec<_>>();
        let count = |i: usize| d.iter().map(|r| r.counts[i]).collect::<Vec<_>>();
        sqlx::query(concat!(
            "INSERT INTO host_rollups (hostname, bucket_seconds, bucket_start_ms, samples, \
             cpu_busy_pct_sum, cpu_busy_pct_n, load1_sum, load1_n, mem_used_sum, mem_used_n, \
             mem_total_sum, mem_total_n, net_rx_sum, net_rx_n, net_tx_sum, net_tx_n, \
             disk_read_sum, disk_read_n, disk_write_sum, disk_write_n) \
             SELECT * FROM UNNEST($1::text[], $2::int[], $3::bigint[], $4::bigint[], \
             $5::float8[], $6::bigint[], $7::float8[], $8::bigint[], $9::float8[], \
             $10::bigint[], $11::float8[], $12::bigint[], $13::float8[], $14::bigint[], \
             $15::float8[], $16::bigint[], $17::float8[], $18::bigint[], $19::float8[], \
             $20::bigint[])",
            host_rollup_merge!()
        ))
        .bind(d.iter().map(|r| r.hostname.as_str()).collect::<Vec<_>>())
        .bind(d.iter().map(|r| r.bucket_seconds).collect::<Vec<_>>())
        .bind(d.iter().map(|r| r.bucket_start_ms).collect::<Vec<_>>())
        .bind(d.iter().map(|r| r.samples).collect::<Vec<_>>())
        .bind(sum(0))
        .bind(count(0))
        .bind(sum(1))
        .bind(count(1))
        .bind(sum(2))
        .bind(count(2))
        .bind(sum(3))
        .bind(count(3))
        .bind(sum(4))
        .bind(count(4))
        .bind(sum(5))
        .bind(count(5))
        .bind(sum(6))
        .bind(count(6))
        .bind(sum(7))
        .bind(count(7))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(new.len() as u64)
}

pub(super) async fn list(pool: &PgPool) -> Result<Vec<HostSummary>> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT hostname, max(taken_at_ms), count(*) FROM host_samples \
         GROUP BY hostname ORDER BY hostname COLLATE \"C\"",
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

crate::portable::host_statements!(PgPool);

pub(super) async fn series(
    pool: &PgPool,
    hostname: &str,
    range: TimeRange,
    points: u32,
) -> Result<Vec<HostPoint>> {
    let plan = series_plan(range, points);
    let query = match plan.source {
        None => sqlx::query_as::<_, HostPointRow>(
            "SELECT (taken_at_ms - $2) / $4 AS step_index, count(*) AS samples, \
             avg(cpu_busy_pct) AS cpu_busy_pct, avg(load1) AS load1, \
             avg(memory_used_bytes) AS memory_used_bytes, \
             avg(memory_total_bytes) AS memory_total_bytes, \
             avg(net_rx_bytes_per_sec) AS net_rx_bytes_per_sec, \
             avg(net_tx_bytes_per_sec) AS net_tx_bytes_per_sec, \
             avg(disk_read_bytes_per_sec) AS disk_read_bytes_per_sec, \
             avg(disk_write_bytes_per_sec) AS disk_write_bytes_per_sec \
             FROM host_samples WHERE hostname = $1 AND taken_at_ms >= $2 AND taken_at_ms < $3 \
             AND $5::int IS NULL GROUP BY step_index ORDER BY step_index",
        ),
        Some(_) => sqlx::query_as::<_, HostPointRow>(
            "SELECT (bucket_start_ms - $2) / $4 AS step_index, sum(samples)::bigint AS samples, \
             sum(cpu_busy_pct_sum) / nullif(sum(cpu_busy_pct_n), 0)::float8 AS cpu_busy_pct, \
             sum(load1_sum) / nullif(sum(load1_n), 0)::float8 AS load1, \
             sum(mem_used_sum) / nullif(sum(mem_used_n), 0)::float8 AS memory_used_bytes, \
             sum(mem_total_sum) / nullif(sum(mem_total_n), 0)::float8 AS memory_total_bytes, \
             sum(net_rx_sum) / nullif(sum(net_rx_n), 0)::float8 AS net_rx_bytes_per_sec, \
             sum(net_tx_sum) / nullif(sum(net_tx_n), 0)::float8 AS net_tx_bytes_per_sec, \
             sum(disk_read_sum) / nullif(sum(disk_read_n), 0)::float8 \
                 AS disk_read_bytes_per_sec, \
             sum(disk_write_sum) / nullif(sum(disk_write_n), 0)::float8 \
                 AS disk_write_bytes_per_sec \
             FROM host_rollups WHERE hostname = $1 AND bucket_seconds = $5 \
             AND bucket_start_ms >= $2 AND bucket_start_ms < $3 \
             GROUP BY step_index ORDER BY step_index",
        ),
    };
    let rows = query
        .bind(hostname)
        .bind(plan.from_ms)
        .bind(plan.to_ms)
        .bind(plan.step_ms)
        .bind(
            plan.source
                .map(|b| i32::try_from(b.seconds()).unwrap_or(i32::MAX)),
        )
        .fetch_all(pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| row.into_point(plan.from_ms, plan.step_ms))
        .collect())
}
