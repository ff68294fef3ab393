//! Check results and their rollups (SQLite).

use std::collections::HashSet;

use pulsar_core::{BucketSize, CheckResult, MonitorId, Rollup};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool};
use uuid::Uuid;

use super::SqliteStore;
use crate::error::Result;
use crate::fold::RollupSink;
use crate::query::TimeRange;
use crate::rows::{
    HistogramRow, ResultColumns, ResultRow, RollupColumns, RollupRow, first_per_key, ids_json,
    merge_stored_histograms, result_columns, rollup_columns,
};

/// Rows per multi-row statement: SQLite allows 32,766 bound values per statement.
const RESULT_ROWS_PER_STATEMENT: usize = 1_000;
const ROLLUP_ROWS_PER_STATEMENT: usize = 1_000;

pub(super) async fn insert(store: &SqliteStore, results: &[CheckResult]) -> Result<u64> {
    if results.is_empty() {
        return Ok(0);
    }
    let mut tx = store.begin_write().await?;
    // Writers are serialized (BEGIN IMMEDIATE), so the monitors seen here stay until commit.
    let mut ids: Vec<MonitorId> = results.iter().map(|r| r.monitor_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let known: HashSet<Uuid> = sqlx::query_scalar(
        "SELECT id FROM monitors WHERE id IN (SELECT unhex(value) FROM json_each(?1))",
    )
    .bind(ids_json(&ids))
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();
    let candidates = first_per_key(
        results.iter().filter(|r| known.contains(&r.monitor_id.0)),
        |r| (r.monitor_id, r.slot),
    );

    // Arrival order for the fold: seqs come from the cursor row under the write lock.
    let first_seq: i64 = sqlx::query_scalar(
        "UPDATE rollup_cursor SET next_seq = next_seq + ?1 RETURNING next_seq - ?1",
    )
    .bind(i64::try_from(candidates.len()).unwrap_or(i64::MAX))
    .fetch_one(&mut *tx)
    .await?;
    let mut inserted = 0;
    for (chunk_index, chunk) in candidates.chunks(RESULT_ROWS_PER_STATEMENT).enumerate() {
        let columns: Vec<ResultColumns> = chunk.iter().map(|r| ResultColumns::new(r)).collect();
        let chunk_seq = first_seq + (chunk_index * RESULT_ROWS_PER_STATEMENT) as i64;
        let mut sql = QueryBuilder::<Sqlite>::new(concat!(
            "INSERT INTO check_results (",
            result_columns!(),
            ", seq) "
        ));
        sql.push_values(columns.into_iter().enumerate(), |mut row, (i, c)| {
            row.push_bind(c.monitor_id)
                .push_bind(c.slot_ms)
                .push_bind(c.started_at_ms)
                .push_bind(c.worker)
                .push_bind(c.region)
                .push_bind(c.outcome)
                .push_bind(c.failure_kind)
                .push_bind(c.message)
                .push_bind(c.status_code)
                .push_bind(c.http_version)
                .push_bind(c.remote_addr);
            for phase in c.phases_us {
                row.push_bind(phase);
            }
            row.push_bind(c.body_bytes)
                .push_bind(c.detail)
                .push_bind(chunk_seq + i as i64);
        });
        // A redelivered result keeps its first row; rollups see each result once.
        sql.push(" ON CONFLICT (monitor_id, slot_ms) DO NOTHING");
        inserted += sql.build().execute(&mut *tx).await?.rows_affected();
    }
    tx.commit().await?;
    Ok(inserted)
}

impl RollupSink for SqliteConnection {
    async fn merge_and_add(&mut self, deltas: &mut [Rollup]) -> Result<()> {
        let keys: Vec<String> = deltas
            .iter()
            .map(|r| {
                format!(
                    "[\"{}\",{},{}]",
                    r.monitor_id.0.simple(),
                    r.bucket.seconds(),
                    pulsar_core::unix_ms(r.start)
                )
            })
            .collect();
        // The write lock held since BEGIN IMMEDIATE keeps this read and the write consistent.
        let stored: Vec<HistogramRow> = sqlx::query_as(
            "SELECT r.monitor_id, r.bucket_seconds, r.bucket_start_ms, r.histograms \
             FROM json_each(?1) AS k CROSS JOIN rollups r \
             ON r.monitor_id = unhex(k.value ->> 0) AND r.bucket_seconds = k.value ->> 1 \
             AND r.bucket_start_ms = k.value ->> 2",
        )
        .bind(format!("[{}]", keys.join(",")))
        .fetch_all(&mut *self)
        .await?;
        merge_stored_histograms(deltas, &stored)?;
        write_rollups(self, deltas, Write::Add).await?;
        Ok(())
    }

    async fn insert_new(&mut self, rows: &[Rollup]) -> Result<u64> {
        write_rollups(self, rows, Write::New).await
    }

    async fn run(&mut self, sql: &'static str) -> Result<()> {
        sqlx::query(sql).execute(self).await?;
        Ok(())
    }
}

/// How a written rollup combines with a stored one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Write {
    /// Only rows with no stored row are written.
    New,
    /// Counts and sums are deltas added to the stored ones; histograms are already merged.
    Add,
    /// The row replaces the stored one (imports).
    Replace,
}

/// Returns how many rows were inserted or updated.
async fn write_rollups(conn: &mut SqliteConnection, rollups: &[Rollup], how: Write) -> Result<u64> {
    let mut written = 0;
    for chunk in rollups.chunks(ROLLUP_ROWS_PER_STATEMENT) {
        let mut sql =
            QueryBuilder::<Sqlite>::new(concat!("INSERT INTO rollups (", rollup_columns!(), ") "));
        sql.push_values(chunk.iter().map(RollupColumns::new), |mut row, c| {
            row.push_bind(c.monitor_id)
                .push_bind(c.bucket_seconds)
                .push_bind(c.bucket_start_ms);
            for count in c.counts {
                row.push_bind(count);
            }
            row.push_bind(c.total_min_us).push_bind(c.total_max_us);
            for sum in c.phase_sums_us {
                row.push_bind(sum);
            }
            row.push_bind(c.histograms);
        });
        sql.push(match how {
            Write::New => " ON CONFLICT DO NOTHING",
            Write::Add => ADD_TO_STORED,
            Write::Replace => REPLACE_STORED,
        });
        written += sql.build().execute(&mut *conn).await?.rows_affected();
    }
    Ok(written)
}

const ADD_TO_STORED: &str = " ON CONFLICT (bucket_seconds, bucket_start_ms, monitor_id) \
     DO UPDATE SET up_count = rollups.up_count + excluded.up_count, \
     degraded_count = rollups.degraded_count + excluded.degraded_count, \
     down_count = rollups.down_count + excluded.down_count, \
     total_min_us = min(coalesce(rollups.total_min_us, excluded.total_min_us), \
                        coalesce(excluded.total_min_us, rollups.total_min_us)), \
     total_max_us = max(coalesce(rollups.total_max_us, excluded.total_max_us), \
                        coalesce(excluded.total_max_us, rollups.total_max_us)), \
     dns_sum_us = rollups.dns_sum_us + excluded.dns_sum_us, \
     connect_sum_us = rollups.connect_sum_us + excluded.connect_sum_us, \
     tls_sum_us = rollups.tls_sum_us + excluded.tls_sum_us, \
     ttfb_sum_us = rollups.ttfb_sum_us + excluded.ttfb_sum_us, \
     download_sum_us = rollups.download_sum_us + excluded.download_sum_us, \
     total_sum_us = rollups.total_sum_us + excluded.total_sum_us, \
     histograms = excluded.histograms";

const REPLACE_STORED: &str = " ON CONFLICT (bucket_seconds, bucket_start_ms, monitor_id) \
     DO UPDATE SET up_count = excluded.up_count, degraded_count = excluded.degraded_count, \
     down_count = excluded.down_count, total_min_us = excluded.total_min_us, \
     total_max_us = excluded.total_max_us, dns_sum_us = excluded.dns_sum_us, \
     connect_sum_us = excluded.connect_sum_us, tls_sum_us = excluded.tls_sum_us, \
     ttfb_sum_us = excluded.ttfb_sum_us, download_sum_us = excluded.download_sum_us, \
     total_sum_us = excluded.total_sum_us, histograms = excluded.histograms";

pub(super) async fn import_rollups(pool: &SqlitePool, rollups: &[Rollup]) -> Result<()> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    write_rollups(&mut tx, rollups, Write::Replace).await?;
    tx.commit().await?;
    Ok(())
}

crate::portable::result_page_statements!(SqlitePool);

pub(super) async fn latest(pool: &SqlitePool, ids: &[MonitorId]) -> Result<Vec<CheckResult>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<ResultRow> = sqlx::query_as(concat!(
        "SELECT ",
        result_columns!(),
        " FROM json_each(?1) AS j CROSS JOIN check_results r \
         ON r.monitor_id = unhex(j.value) AND r.slot_ms = ( \
             SELECT max(x.slot_ms) FROM check_results x WHERE x.monitor_id = unhex(j.value))"
    ))
    .bind(ids_json(ids))
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(ResultRow::into_result).collect()
}

pub(super) async fn rollups(
    pool: &SqlitePool,
    monitor_id: MonitorId,
    bucket: BucketSize,
    range: TimeRange,
) -> Result<Vec<Rollup>> {
    let (from_ms, to_ms) = range.millis();
    // One snapshot for the rollups, the cursor and the pending results.
    let mut tx = super::fold::begin_snapshot(pool).await?;
    let rows: Vec<RollupRow> = sqlx::query_as(concat!(
        "SELECT ",
        rollup_columns!(),
        " FROM rollups WHERE monitor_id = ?1 AND bucket_seconds = ?2 \
         AND bucket_start_ms >= ?3 AND bucket_start_ms < ?4 ORDER BY bucket_start_ms"
    ))
    .bind(monitor_id.0)
    .bind(bucket.seconds())
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(&mut *tx)
    .await?;
    let slots = crate::fold::pending_slots(bucket, (from_ms, to_ms));
    let pending = super::fold::pending(&mut tx, &[monitor_id], slots).await?;
    tx.commit().await?;
    crate::fold::with_pending(rows, &pending, bucket, (from_ms, to_ms))
}
