//! Folding pending results into rollups, and reading them where rollups are read (SQLite).
//! Writers are serialized by `BEGIN IMMEDIATE`, so a fold sees every result written
//! before it, in seq order.

use pulsar_core::{MonitorId, RollupSample};
use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};

use crate::error::Result;
use crate::fold::add_to_rollups;
use crate::rows::{PendingRow, SampleRow, ids_json, sample_columns};

/// Folds up to `max_results` pending results (oldest first) into their rollups and moves
/// the cursor past them, in one transaction; returns how many were folded.
pub(super) async fn fold(pool: &SqlitePool, max_results: usize) -> Result<u64> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let folded: i64 = sqlx::query_scalar("SELECT folded_seq FROM rollup_cursor")
        .fetch_one(&mut *tx)
        .await?;
    let rows: Vec<PendingRow> = sqlx::query_as(concat!(
        "SELECT seq, ",
        sample_columns!(),
        " FROM check_results WHERE seq > ?1 ORDER BY seq LIMIT ?2"
    ))
    .bind(folded)
    .bind(i64::try_from(max_results).unwrap_or(i64::MAX))
    .fetch_all(&mut *tx)
    .await?;
    let Some(last) = rows.last().map(|row| row.seq) else {
        return Ok(0);
    };
    let samples = rows
        .into_iter()
        .map(|row| row.sample.into_sample())
        .collect::<Result<Vec<_>>>()?;
    add_to_rollups(&mut *tx, &samples).await?;
    sqlx::query("UPDATE rollup_cursor SET folded_seq = ?1")
        .bind(last)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(samples.len() as u64)
}

/// A read transaction: in WAL mode it reads one snapshot from its first statement on.
pub(super) async fn begin_snapshot(pool: &SqlitePool) -> Result<Transaction<'static, Sqlite>> {
    Ok(pool.begin().await?)
}

/// What rollups keep of the pending results of the given monitors with slots in `[from_ms, to_ms)`. Run it in
/// the transaction that reads the rollups, so both come from one snapshot.
pub(super) async fn pending(
    conn: &mut SqliteConnection,
    ids: &[MonitorId],
    (from_ms, to_ms): (i64, i64),
) -> Result<Vec<RollupSample>> {
    let rows: Vec<SampleRow> = sqlx::query_as(concat!(
        "SELECT ",
        sample_columns!(),
        " FROM check_results WHERE seq > (SELECT folded_seq FROM rollup_cursor) \
         AND monitor_id IN (SELECT unhex(value) FROM json_each(?1)) \
         AND slot_ms >= ?2 AND slot_ms < ?3"
    ))
    .bind(ids_json(ids))
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(SampleRow::into_sample).collect()
}

crate::portable::fold_statements!(SqlitePool);
