//! Folding results into rollups after they are written.
//!
//! Ingest writes one row per result and nothing else; a fold later merges the pending
//! results (those with a `seq` above the cursor) into their minute, hour and day rollups in
//! one transaction. Many results share each rollup row in a fold (every result of a monitor
//! in the same hour lands in one hour row), so a fold writes far fewer rows than results.
//! Reads stay exact in between: they merge the pending results from the raw rows, read in
//! the same snapshot as the rollups and the cursor.
//!
//! The dialects differ in how a fold knows which results have committed
//! ([`Backend::settled_seq`]), in holding the folded monitors against a concurrent delete
//! ([`Backend::keep_live_monitors`]), and in writing rollup rows.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use pulsar_core::{
    BucketSize, MonitorId, OVERVIEW_STRIP_CHECKS, RecentCheck, Rollup, RollupSample, merge_recent,
};
use sqlx::Pool;
use uuid::Uuid;

use crate::backend::Backend;
use crate::dialect::begin_write;
use crate::error::Result;
use crate::rows::{PendingRow, SAMPLE_SELECT, decode_recent, encode_recent, to_u64};
use crate::sql::{
    Conn, Field, Merge, ROWS_PER_STATEMENT, Statement, Upsert, Value, insert_values, on_conflict,
};

/// How often a store's background task folds pending results into rollups. A read never
/// waits for it (pending results are merged into reads), so this only bounds how many raw
/// rows a read merges: at most this long's worth of results.
pub const DEFAULT_FOLD_INTERVAL: Duration = Duration::from_secs(1);

/// How long the background fold's lease lasts: ten ticks, so a holder that stalls for a
/// tick or two keeps the role, and one that died hands it on within seconds.
pub(crate) fn lease_ttl(interval: Duration) -> Duration {
    interval.saturating_mul(10).max(Duration::from_millis(500))
}

/// Results folded per transaction by the background task and before a prune: bounds how
/// long one fold holds its locks and memory.
pub(crate) const FOLD_BATCH: usize = 20_000;

/// The background fold task of a store; aborted when the last handle to the store drops
/// (or the store is closed).
#[derive(Debug)]
pub(crate) struct Folder {
    task: tokio::task::JoinHandle<()>,
}

impl Folder {
    /// Runs `fold` every `interval` until it reports fewer than a full batch (caught up).
    /// Errors are logged and retried at the next tick: a fold that fails leaves its results
    /// pending, and reads still see them.
    pub(crate) fn spawn<F, Fut>(interval: Duration, fold: F) -> Arc<Self>
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = Result<u64>> + Send + 'static,
    {
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                loop {
                    match fold().await {
                        Ok(folded) if folded as usize >= FOLD_BATCH => continue,
                        Ok(_) => break,
                        Err(error) => {
                            tracing::warn!(%error, "folding results into rollups failed; retrying");
                            break;
                        }
                    }
                }
            }
        });
        Arc::new(Self { task })
    }

    pub(crate) fn stop(&self) {
        self.task.abort();
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Folds up to `max_results` pending results (oldest first) into their rollups and moves
/// the cursor past them, in one transaction; returns how many were folded. Concurrent folds
/// queue on the cursor row.
pub(crate) async fn fold<B: Backend>(pool: &Pool<B::Db>, max_results: usize) -> Result<u64> {
    let settled = B::settled_seq(pool).await?;
    let mut tx = begin_write::<B>(pool).await?;
    let cursor = format!("SELECT folded_seq FROM rollup_cursor{}", B::SQL.lock_rows);
    let (folded,): (i64,) = tx
        .fetch_optional(Statement::composed(cursor))
        .await?
        .unwrap_or((0,));
    let up_to = settled.unwrap_or(i64::MAX);
    if up_to <= folded {
        return Ok(0);
    }
    let sql = format!(
        "SELECT seq, {SAMPLE_SELECT} FROM check_results WHERE seq > $1 AND seq <= $2 \
         AND NOT manual ORDER BY seq LIMIT $3"
    );
    let statement = Statement::composed(sql)
        .bind(folded)
        .bind(up_to)
        .bind(i64::try_from(max_results).unwrap_or(i64::MAX));
    let rows: Vec<PendingRow> = tx.fetch_all(statement).await?;
    // A full batch stops at its last row; a short one read everything settled.
    let moved_to = match (rows.last(), settled) {
        (Some(last), _) if rows.len() >= max_results => last.seq,
        (_, Some(settled)) => settled,
        (Some(last), None) => last.seq,
        (None, None) => return Ok(0),
    };
    let mut samples = rows
        .into_iter()
        .map(|row| row.sample.into_sample())
        .collect::<Result<Vec<_>>>()?;
    B::keep_live_monitors(&mut tx, &mut samples).await?;
    add_to_rollups::<B>(&mut tx, &samples).await?;
    add_to_strips::<B>(&mut tx, &samples).await?;
    let advance = Statement::new("UPDATE rollup_cursor SET folded_seq = $1").bind(moved_to);
    tx.execute(advance).await?;
    tx.commit().await?;
    Ok(samples.len() as u64)
}

/// Merges folded results into their monitors' strips of recent checks (the overview's):
/// one read of the strips, one upsert.
async fn add_to_strips<B: Backend>(tx: &mut B::Conn, new: &[RollupSample]) -> Result<()> {
    if new.is_empty() {
        return Ok(());
    }
    let mut by_monitor: BTreeMap<MonitorId, Vec<RecentCheck>> = BTreeMap::new();
    for sample in new {
        by_monitor
            .entry(sample.monitor_id)
            .or_default()
            .push(RecentCheck {
                slot: sample.slot,
                outcome: sample.outcome,
                total: sample.phases.total,
            });
    }
    let ids: Vec<MonitorId> = by_monitor.keys().copied().collect();
    let mut strips = strips::<B>(tx, &ids).await?;
    let packed: Vec<(Uuid, Vec<u8>)> = by_monitor
        .into_iter()
        .map(|(id, checks)| {
            let strip = strips.entry(id).or_default();
            merge_recent(strip, checks, OVERVIEW_STRIP_CHECKS);
            (id.0, encode_recent(strip))
        })
        .collect();
    for chunk in packed.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<Vec<Field<'_>>> = chunk
            .iter()
            .map(|(id, checks)| {
                vec![
                    Field::key("monitor_id", *id),
                    Field::new("checks", Merge::Replace, checks),
                ]
            })
            .collect();
        let upsert = on_conflict(
            "recent_checks",
            &rows[0],
            Upsert::Merge,
            B::SQL.least_greatest,
        );
        tx.execute(insert_values(
            "recent_checks",
            &rows,
            &upsert,
            B::SQL.placeholders,
        ))
        .await?;
    }
    Ok(())
}

/// The stored strips of recent checks of `ids` (monitors without one are absent).
pub(crate) async fn strips<B: Backend>(
    conn: &mut B::Conn,
    ids: &[MonitorId],
) -> Result<BTreeMap<MonitorId, Vec<RecentCheck>>> {
    let uuids: Vec<Uuid> = ids.iter().map(|id| id.0).collect();
    let sql = format!(
        "SELECT monitor_id, checks FROM recent_checks WHERE monitor_id{}",
        B::SQL.in_ids
    );
    let rows: Vec<(Uuid, Vec<u8>)> = conn
        .fetch_all(Statement::composed(sql).bind(Value::Ids(&uuids)))
        .await?;
    rows.into_iter()
        .map(|(id, bytes)| Ok((MonitorId(id), decode_recent(&bytes)?)))
        .collect()
}

/// How many results wait to be folded (manual ones never are: the fold passes over them).
pub(crate) async fn lag<C: Conn>(conn: &mut C) -> Result<u64> {
    let statement = Statement::new(
        "SELECT count(*) FROM check_results \
         WHERE seq > (SELECT folded_seq FROM rollup_cursor) AND NOT manual",
    );
    let (pending,): (i64,) = conn.fetch_optional(statement).await?.unwrap_or((0,));
    Ok(to_u64(pending))
}

/// Rows per blind insert of minute rows: a chunk that meets a stored row is redone with a
/// merge.
const NEW_ROWS_PER_STATEMENT: usize = 1_000;

/// Adds the results to their rollups: counts and sums are added in SQL, histograms merge
/// in Rust, so stored histograms are read first.
///
/// Hour and day rows mostly exist already and are read and merged. Minute rows are mostly
/// new (a monitor checked once a minute puts one result in each), so they are inserted
/// without a read; only a chunk that meets stored rows is rolled back and merged.
async fn add_to_rollups<B: Backend>(tx: &mut B::Conn, new: &[RollupSample]) -> Result<()> {
    let (mut minutes, mut coarser): (Vec<Rollup>, Vec<Rollup>) =
        Rollup::sample_deltas(new.iter().copied())
            .into_iter()
            .partition(|r| r.bucket == BucketSize::Minute);
    if !coarser.is_empty() {
        B::merge_and_add(tx, &mut coarser).await?;
    }
    for chunk in minutes.chunks_mut(NEW_ROWS_PER_STATEMENT) {
        tx.execute(Statement::new("SAVEPOINT new_minutes")).await?;
        if B::insert_new_rollups(tx, chunk).await? < chunk.len() as u64 {
            tx.execute(Statement::new("ROLLBACK TO SAVEPOINT new_minutes"))
                .await?;
            B::merge_and_add(tx, chunk).await?;
        }
        tx.execute(Statement::new("RELEASE SAVEPOINT new_minutes"))
            .await?;
    }
    Ok(())
}
