//! Check results and their rollups (PostgreSQL).

use std::collections::HashSet;

use pulsar_core::{BucketSize, CheckResult, MonitorId, Rollup};
use sqlx::postgres::PgArguments;
use sqlx::{Arguments, PgConnection, PgPool, Postgres};
use uuid::Uuid;

use super::PgStore;
use crate::error::{Result, StoreError, is_foreign_key_violation};
use crate::fold::RollupSink;
use crate::query::TimeRange;
use crate::rows::{
    HistogramRow, ResultColumns, ResultRow, RollupColumns, RollupRow, first_per_key,
    merge_stored_histograms, result_columns, rollup_columns, rollup_key, uuids,
};

/// Attempts of a result batch that keeps meeting concurrent writers (deadlock, a rollup
/// row created under it) before the conflict is reported.
const INSERT_ATTEMPTS: usize = 5;

pub(super) async fn insert(store: &PgStore, results: &[CheckResult]) -> Result<u64> {
    if results.is_empty() {
        return Ok(0);
    }
    let unique = first_per_key(results, |r| (r.monitor_id, r.slot));
    let columns: Vec<ResultColumns> = unique.iter().map(|r| ResultColumns::new(r)).collect();
    let mut attempt = 1;
    loop {
        match try_insert(&store.pool, &columns).await {
            Err(StoreError::Conflict(source)) if attempt < INSERT_ATTEMPTS => {
                tracing::debug!(attempt, error = %source, "result batch met a concurrent writer; retrying");
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

async fn try_insert(pool: &PgPool, c: &[ResultColumns]) -> Result<u64> {
    let mut tx = pool.begin().await?;
    // Held until commit: a fold waits for this batch before it reads past its seqs.
    super::fold::share_ingest_lock(&mut tx).await?;
    // One statement for the whole batch: each column travels as one array. A redelivered
    // result keeps its first row; rollups see each result once.
    let inserted = sqlx::query(concat!(
        "INSERT INTO check_results (",
        result_columns!(),
        ") SELECT u.* FROM UNNEST($1::uuid[], $2::bigint[], $3::bigint[], $4::text[], \
         $5::text[], $6::int[], $7::int[], $8::text[], $9::int[], $10::text[], $11::text[], \
         $12::bigint[], $13::bigint[], $14::bigint[], $15::bigint[], $16::bigint[], \
         $17::bigint[], $18::bigint[], $19::bytea[]) AS u(",
        result_columns!(),
        ") WHERE EXISTS (SELECT 1 FROM monitors m WHERE m.id = u.monitor_id) \
         ON CONFLICT (monitor_id, slot_ms) DO NOTHING"
    ))
    .bind(c.iter().map(|r| r.monitor_id).collect::<Vec<_>>())
    .bind(c.iter().map(|r| r.slot_ms).collect::<Vec<_>>())
    .bind(c.iter().map(|r| r.started_at_ms).collect::<Vec<_>>())
    .bind(c.iter().map(|r| r.worker.as_str()).collect::<Vec<_>>())
    .bind(c.iter().map(|r| r.region.as_str()).collect::<Vec<_>>())
    .bind(c.iter().map(|r| r.outcome).collect::<Vec<_>>())
    .bind(c.iter().map(|r| r.failure_kind).collect::<Vec<_>>())
    .bind(c.iter().map(|r| r.message.as_str()).collect::<Vec<_>>())
    .bind(c.iter().map(|r| r.status_code).collect::<Vec<_>>())
    .bind(
        c.iter()
            .map(|r| r.http_version.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(
        c.iter()
            .map(|r| r.remote_addr.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(c.iter().map(|r| r.phases_us[0]).collect::<Vec<_>>())
    .bind(c.iter().map(|r| r.phases_us[1]).collect::<Vec<_>>())
    .bind(c.iter().map(|r| r.phases_us[2]).collect::<Vec<_>>())
    .bind(c.iter().map(|r| r.phases_us[3]).collect::<Vec<_>>())
    .bind(c.iter().map(|r| r.phases_us[4]).collect::<Vec<_>>())
    .bind(c.iter().map(|r| r.phases_us[5]).collect::<Vec<_>>())
    .bind(c.iter().map(|r| r.body_bytes).collect::<Vec<_>>())
    .bind(c.iter().map(|r| r.detail.as_slice()).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        // A monitor deleted while the batch was written: retry, and its results are skipped.
        if is_foreign_key_violation(&e) {
            StoreError::Conflict(e.into())
        } else {
            e.into()
        }
    })?;
    tx.commit().await?;
    Ok(inserted.rows_affected())
}

impl RollupSink for PgConnection {
    /// Stored rows are locked in key order; if a concurrent batch created one of the
    /// others first, the attempt is a `Conflict` and reruns.
    async fn merge_and_add(&mut self, deltas: &mut [Rollup]) -> Result<()> {
        let keys: Vec<_> = deltas.iter().map(rollup_key).collect();
        let stored: Vec<HistogramRow> = sqlx::query_as(
            "SELECT monitor_id, bucket_seconds, bucket_start_ms, histograms FROM rollups \
             WHERE (bucket_seconds, bucket_start_ms, monitor_id) IN ( \
                 SELECT * FROM UNNEST($1::int[], $2::bigint[], $3::uuid[])) \
             ORDER BY bucket_seconds, bucket_start_ms, monitor_id FOR UPDATE",
        )
        .bind(keys.iter().map(|k| k.1).collect::<Vec<_>>())
        .bind(keys.iter().map(|k| k.2).collect::<Vec<_>>())
        .bind(keys.iter().map(|k| k.0).collect::<Vec<_>>())
        .fetch_all(&mut *self)
        .await?;
        let existed: HashSet<_> = stored
            .iter()
            .map(|r| (r.monitor_id, r.bucket_seconds, r.bucket_start_ms))
            .collect();
        merge_stored_histograms(deltas, &stored)?;
        let written = write_rollups(self, deltas, ADD_TO_STORED).await?;
        let raced = written
            .iter()
            .any(|(key, inserted)| !inserted && !existed.contains(key));
        if raced {
            return Err(StoreError::Conflict(
                "a rollup row was created by a concurrent batch".into(),
            ));
        }
        Ok(())
    }

    async fn insert_new(&mut self, rows: &[Rollup]) -> Result<u64> {
        Ok(sqlx::query_with(INSERT_NEW, rollup_arrays(rows)?)
            .execute(self)
            .await?
            .rows_affected())
    }

    async fn run(&mut self, sql: &'static str) -> Result<()> {
        sqlx::query(sql).execute(self).await?;
        Ok(())
    }
}

/// Counts and sums of the written row are deltas added to the stored ones; histograms are
/// already merged.
macro_rules! add_to_stored {
    () => {
        " ON CONFLICT (bucket_seconds, bucket_start_ms, monitor_id) DO UPDATE SET \
         up_count = rollups.up_count + EXCLUDED.up_count, \
         degraded_count = rollups.degraded_count + EXCLUDED.degraded_count, \
         down_count = rollups.down_count + EXCLUDED.down_count, \
         total_min_us = LEAST(rollups.total_min_us, EXCLUDED.total_min_us), \
         total_max_us = GREATEST(rollups.total_max_us, EXCLUDED.total_max_us), \
         dns_sum_us = rollups.dns_sum_us + EXCLUDED.dns_sum_us, \
         connect_sum_us = rollups.connect_sum_us + EXCLUDED.connect_sum_us, \
         tls_sum_us = rollups.tls_sum_us + EXCLUDED.tls_sum_us, \
         ttfb_sum_us = rollups.ttfb_sum_us + EXCLUDED.ttfb_sum_us, \
         download_sum_us = rollups.download_sum_us + EXCLUDED.download_sum_us, \
         total_sum_us = rollups.total_sum_us + EXCLUDED.total_sum_us, \
         histograms = EXCLUDED.histograms"
    };
}

/// The written row replaces the stored one (imports).
macro_rules! replace_stored {
    () => {
        " ON CONFLICT (bucket_seconds, bucket_start_ms, monitor_id) DO UPDATE SET \
         up_count = EXCLUDED.up_count, degraded_count = EXCLUDED.degraded_count, \
         down_count = EXCLUDED.down_count, total_min_us = EXCLUDED.total_min_us, \
         total_max_us = EXCLUDED.total_max_us, dns_sum_us = EXCLUDED.dns_sum_us, \
         connect_sum_us = EXCLUDED.connect_sum_us, tls_sum_us = EXCLUDED.tls_sum_us, \
         ttfb_sum_us = EXCLUDED.ttfb_sum_us, download_sum_us = EXCLUDED.download_sum_us, \
         total_sum_us = EXCLUDED.total_sum_us, histograms = EXCLUDED.histograms"
    };
}

macro_rules! upsert_rollups {
    ($on_conflict:expr $(, $returning:expr)?) => {
        concat!(
            "INSERT INTO rollups (",
            rollup_columns!(),
            ") SELECT * FROM UNNEST($1::uuid[], $2::int[], $3::bigint[], $4::bigint[], \
             $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], \
             $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[], \
             $15::bytea[])",
            $on_conflict,
            $($returning)?
        )
    };
}

/// Each written row's key, and whether it was inserted (not updated).
macro_rules! returning_keys {
    () => {
        " RETURNING monitor_id, bucket_seconds, bucket_start_ms, (xmax = 0) AS inserted"
    };
}

const ADD_TO_STORED: &str = upsert_rollups!(add_to_stored!(), returning_keys!());
const INSERT_NEW: &str = upsert_rollups!(" ON CONFLICT DO NOTHING");
const REPLACE_STORED: &str = upsert_rollups!(replace_stored!(), returning_keys!());

/// Upserts rollup rows with `sql` (one of the two above); returns the key of each row
/// written, with whether it was inserted (not updated).
async fn write_rollups(
    conn: &mut PgConnection,
    rollups: &[Rollup],
    sql: &'static str,
) -> Result<Vec<((Uuid, i32, i64), bool)>> {
    let rows: Vec<(Uuid, i32, i64, bool)> = sqlx::query_as_with(sql, rollup_arrays(rollups)?)
        .fetch_all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, seconds, start, inserted)| ((id, seconds, start), inserted))
        .collect())
}

/// The rollups as the column arrays `upsert_rollups!` unnests.
fn rollup_arrays(rollups: &[Rollup]) -> Result<PgArguments> {
    fn add<T>(args: &mut PgArguments, column: Vec<T>) -> Result<()>
    where
        for<'q> Vec<T>: sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres>,
    {
        args.add(column).map_err(StoreError::internal)
    }
    let c: Vec<RollupColumns> = rollups.iter().map(RollupColumns::new).collect();
    let mut args = PgArguments::default();
    add(&mut args, c.iter().map(|r| r.monitor_id).collect())?;
    add(&mut args, c.iter().map(|r| r.bucket_seconds).collect())?;
    add(&mut args, c.iter().map(|r| r.bucket_start_ms).collect())?;
    for i in 0..3 {
        add(&mut args, c.iter().map(|r| r.counts[i]).collect())?;
    }
    add(&mut args, c.iter().map(|r| r.total_min_us).collect())?;
    add(&mut args, c.iter().map(|r| r.total_max_us).collect())?;
    for i in 0..6 {
        add(&mut args, c.iter().map(|r| r.phase_sums_us[i]).collect())?;
    }
    add(&mut args, c.into_iter().map(|r| r.histograms).collect())?;
    Ok(args)
}

pub(super) async fn import_rollups(pool: &PgPool, rollups: &[Rollup]) -> Result<()> {
    let mut tx = pool.begin().await?;
    for chunk in rollups.chunks(10_000) {
        write_rollups(&mut tx, chunk, REPLACE_STORED).await?;
    }
    tx.commit().await?;
    Ok(())
}

crate::portable::result_page_statements!(PgPool);

pub(super) async fn latest(pool: &PgPool, ids: &[MonitorId]) -> Result<Vec<CheckResult>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<ResultRow> = sqlx::query_as(concat!(
        "SELECT r.* FROM UNNEST($1::uuid[]) AS ids(id) CROSS JOIN LATERAL (SELECT ",
        result_columns!(),
        " FROM check_results WHERE monitor_id = ids.id ORDER BY slot_ms DESC LIMIT 1) AS r"
    ))
    .bind(uuids(ids))
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(ResultRow::into_result).collect()
}

pub(super) async fn rollups(
    pool: &PgPool,
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
        " FROM rollups WHERE monitor_id = $1 AND bucket_seconds = $2 \
         AND bucket_start_ms >= $3 AND bucket_start_ms < $4 ORDER BY bucket_start_ms"
    ))
    .bind(monitor_id.0)
    .bind(i32::try_from(bucket.seconds()).unwrap_or(i32::MAX))
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(&mut *tx)
    .await?;
    let slots = crate::fold::pending_slots(bucket, (from_ms, to_ms));
    let pending = super::fold::pending(&mut tx, &[monitor_id], slots).await?;
    tx.commit().await?;
    crate::fold::with_pending(rows, &pending, bucket, (from_ms, to_ms))
}
