//! Check results and the rollup rows read from them, with their SQL. The batch insert and
//! the reads of many monitors at once bind id lists, which the dialects do differently
//! ([`Ingest::insert_results`](crate::backend::Ingest::insert_results),
//! [`Reads::latest_results_sql`](crate::backend::Reads::latest_results_sql)).

use std::collections::BTreeMap;

use pulsar_core::{BucketSize, CheckResult, MonitorId, Rollup, RollupSample, unix_ms};
use sqlx::Pool;
use uuid::Uuid;

use crate::backend::Backend;
use crate::dialect::begin_read;
use crate::error::{Result, StoreError};
use crate::query::{Page, PageRequest, ResultFilter, TimeRange};
use crate::rows::{
    RESULT_SELECT, ResultColumns, ResultRow, RollupRow, SAMPLE_SELECT, SampleRow, bucket_seconds,
    first_per_key, rollup_select,
};
use crate::sql::{Conn, Statement, Value};

/// The rows of `results` to store: the first of each `(monitor_id, slot)` only.
pub(crate) fn result_rows(results: &[CheckResult]) -> Vec<ResultColumns> {
    first_per_key(results, |r| (r.monitor_id, r.slot))
        .into_iter()
        .map(ResultColumns::new)
        .collect()
}

/// One monitor's results that pass `filter`, newest first, by keyset pages on the slot.
pub(crate) async fn list<C: Conn>(
    conn: &mut C,
    monitor_id: MonitorId,
    filter: &ResultFilter,
    page: &PageRequest,
) -> Result<Page<CheckResult>> {
    let (from_ms, to_ms) = filter.range.millis();
    let before_ms = page.cursor_i64()?.unwrap_or(i64::MAX);
    let mut sql = format!(
        "SELECT {RESULT_SELECT} FROM check_results WHERE monitor_id = $1 AND slot_ms >= $2 \
         AND slot_ms < $3 AND slot_ms < $4"
    );
    let mut values: Vec<Value<'_>> = vec![
        monitor_id.0.into(),
        from_ms.into(),
        to_ms.into(),
        before_ms.into(),
    ];
    for (column, wanted) in [("worker", &filter.worker), ("region", &filter.region)] {
        if let Some(wanted) = wanted {
            values.push(wanted.into());
            sql.push_str(&format!(" AND {column} = ${}", values.len()));
        }
    }
    values.push(page.fetch_limit().into());
    sql.push_str(&format!(" ORDER BY slot_ms DESC LIMIT ${}", values.len()));
    let statement = Statement::composed(sql).bind_all(values);
    let rows: Vec<ResultRow> = conn.fetch_all(statement).await?;
    if rows.is_empty() {
        // An empty page of a monitor that does not exist is an error, not a page.
        let exists = Statement::new("SELECT 1 FROM monitors WHERE id = $1").bind(monitor_id.0);
        if conn.fetch_optional::<(i32,)>(exists).await?.is_none() {
            return Err(StoreError::not_found("monitor", monitor_id));
        }
    }
    let results = rows
        .into_iter()
        .map(ResultRow::into_result)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::from_rows(results, page, |r| {
        unix_ms(r.slot).to_string()
    }))
}

/// The newest result of each given monitor that has one.
pub(crate) async fn latest<B: Backend>(
    conn: &mut B::Conn,
    ids: &[MonitorId],
) -> Result<Vec<CheckResult>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = ids.iter().map(|id| id.0).collect();
    let statement = Statement::new(B::latest_results_sql()).bind(Value::Ids(&ids));
    let rows: Vec<ResultRow> = conn.fetch_all(statement).await?;
    rows.into_iter().map(ResultRow::into_result).collect()
}

/// A monitor's rollups of one bucket size with starts in `range`, oldest first, with the
/// results not yet folded merged in, read in one snapshot.
pub(crate) async fn rollups<B: Backend>(
    pool: &Pool<B::Db>,
    monitor_id: MonitorId,
    bucket: BucketSize,
    range: TimeRange,
) -> Result<Vec<Rollup>> {
    let (from_ms, to_ms) = range.millis();
    if to_ms <= from_ms {
        return Err(StoreError::invalid(
            "to_unix_ms",
            "must be after from_unix_ms",
        ));
    }
    let mut tx = begin_read::<B>(pool).await?;
    let sql = format!(
        "SELECT {} FROM rollups WHERE monitor_id = $1 AND bucket_seconds = $2 \
         AND bucket_start_ms >= $3 AND bucket_start_ms < $4 ORDER BY bucket_start_ms",
        rollup_select()
    );
    let statement = Statement::composed(sql)
        .bind(monitor_id.0)
        .bind(bucket_seconds(bucket))
        .bind(from_ms)
        .bind(to_ms);
    let rows: Vec<RollupRow> = tx.fetch_all(statement).await?;
    // Every result that belongs in a bucket starting in the range.
    let slots = (
        bucket.floor_ms(from_ms),
        to_ms.saturating_add(bucket.millis()),
    );
    let pending = pending::<B>(&mut tx, &[monitor_id], slots).await?;
    tx.commit().await?;
    with_pending(rows, &pending, bucket, (from_ms, to_ms))
}

/// What rollups keep of the pending (not yet folded) results of `ids` with slots in
/// `[from_ms, to_ms)`. Run it in the transaction that reads the rollups, so both come from
/// one snapshot. Found through the `seq` index: the pending results are at most a fold
/// interval's worth, where a seek per monitor would walk each one's history in the range.
pub(crate) async fn pending<B: Backend>(
    conn: &mut B::Conn,
    ids: &[MonitorId],
    (from_ms, to_ms): (i64, i64),
) -> Result<Vec<RollupSample>> {
    let ids: Vec<Uuid> = ids.iter().map(|id| id.0).collect();
    let sql = format!(
        "SELECT {SAMPLE_SELECT} FROM check_results \
         WHERE seq > (SELECT folded_seq FROM rollup_cursor) AND NOT manual \
         AND {}monitor_id{} AND slot_ms >= $2 AND slot_ms < $3",
        B::SQL.no_index,
        B::SQL.in_ids
    );
    let statement = Statement::composed(sql)
        .bind(Value::Ids(&ids))
        .bind(from_ms)
        .bind(to_ms);
    let rows: Vec<SampleRow> = conn.fetch_all(statement).await?;
    rows.into_iter().map(SampleRow::into_sample).collect()
}

/// A monitor's stored rollups of one bucket size (oldest first) with the pending results
/// merged in: what the rollups will be once those results are folded.
fn with_pending(
    stored: Vec<RollupRow>,
    pending: &[RollupSample],
    bucket: BucketSize,
    (from_ms, to_ms): (i64, i64),
) -> Result<Vec<Rollup>> {
    let mut by_start = BTreeMap::new();
    for row in stored {
        let rollup = row.into_rollup()?;
        by_start.insert(unix_ms(rollup.start), rollup);
    }
    // Recorded straight into the one bucket size read: no deltas of the other sizes.
    for sample in pending {
        let start = bucket.floor_ms(unix_ms(sample.slot));
        if start < from_ms || start >= to_ms {
            continue;
        }
        by_start
            .entry(start)
            .or_insert_with(|| Rollup::empty(sample.monitor_id, bucket, sample.slot))
            .record_sample(sample);
    }
    Ok(by_start.into_values().collect())
}
