//! Folding pending results into rollups, and reading them where rollups are read
//! (PostgreSQL).
//!
//! Results get their `seq` from a sequence when their insert runs, but commit in any order,
//! so a fold must not move its cursor past a seq whose transaction is still open. Every
//! ingest transaction holds a shared advisory lock; a fold first takes that lock
//! exclusively for an instant — which waits until every ingest that started before has
//! committed — and reads the highest seq then: every seq up to it is settled. Ingests that
//! start later take later seqs.

use std::collections::HashSet;

use pulsar_core::{MonitorId, RollupSample};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::error::Result;
use crate::fold::add_to_rollups;
use crate::rows::{PendingRow, SampleRow, sample_columns, uuids};

/// First key of the advisory lock that ingest shares and a fold takes alone; the second is
/// a hash of the schema, so stores in different schemas of one database never wait for
/// each other.
const INGEST_LOCK: i32 = 0x5055_4c53; // "PULS"

/// Takes the ingest lock in shared mode for the rest of the transaction `conn` is in.
pub(super) async fn share_ingest_lock(conn: &mut PgConnection) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock_shared($1, hashtext(current_schema()))")
        .bind(INGEST_LOCK)
        .execute(conn)
        .await?;
    Ok(())
}

/// The highest seq whose transaction has ended (committed or rolled back).
async fn settled_seq(pool: &PgPool) -> Result<i64> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))")
        .bind(INGEST_LOCK)
        .execute(&mut *tx)
        .await?;
    let settled: i64 = sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM check_results")
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(settled)
}

/// Folds up to `max_results` pending results (oldest first) into their rollups and moves
/// the cursor past them, in one transaction; returns how many were folded. Concurrent folds
/// queue on the cursor row.
pub(super) async fn fold(pool: &PgPool, max_results: usize) -> Result<u64> {
    let settled = settled_seq(pool).await?;
    let mut tx = pool.begin().await?;
    let folded: i64 = sqlx::query_scalar("SELECT folded_seq FROM rollup_cursor FOR UPDATE")
        .fetch_one(&mut *tx)
        .await?;
    if settled <= folded {
        return Ok(0);
    }
    let rows: Vec<PendingRow> = sqlx::query_as(concat!(
        "SELECT seq, ",
        sample_columns!(),
        " FROM check_results WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3"
    ))
    .bind(folded)
    .bind(settled)
    .bind(i64::try_from(max_results).unwrap_or(i64::MAX))
    .fetch_all(&mut *tx)
    .await?;
    let cursor = match rows.last() {
        Some(last) if rows.len() >= max_results => last.seq,
        _ => settled,
    };
    let mut samples = rows
        .into_iter()
        .map(|row| row.sample.into_sample())
        .collect::<Result<Vec<_>>>()?;
    // Key-share the monitors until commit: a concurrent delete waits for this fold and then
    // deletes the rollups it wrote; a monitor deleted before is skipped (its rows are gone).
    let mut ids: Vec<MonitorId> = samples.iter().map(|r| r.monitor_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let live: HashSet<Uuid> =
        sqlx::query_scalar("SELECT id FROM monitors WHERE id = ANY($1) ORDER BY id FOR KEY SHARE")
            .bind(uuids(&ids))
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
    samples.retain(|r| live.contains(&r.monitor_id.0));
    add_to_rollups(&mut *tx, &samples).await?;
    sqlx::query("UPDATE rollup_cursor SET folded_seq = $1")
        .bind(cursor)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(samples.len() as u64)
}

/// A read-only transaction on one snapshot: rollups, cursor and pending results agree.
pub(super) async fn begin_snapshot(pool: &PgPool) -> Result<Transaction<'static, Postgres>> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

/// What rollups keep of the pending results of the given monitors with slots in `[from_ms, to_ms)`. Run it in
/// the transaction that reads the rollups, so both come from one snapshot.
pub(super) async fn pending(
    conn: &mut PgConnection,
    ids: &[MonitorId],
    (from_ms, to_ms): (i64, i64),
) -> Result<Vec<RollupSample>> {
    let rows: Vec<SampleRow> = sqlx::query_as(concat!(
        "SELECT ",
        sample_columns!(),
        " FROM check_results WHERE seq > (SELECT folded_seq FROM rollup_cursor) \
         AND monitor_id = ANY($1) AND slot_ms >= $2 AND slot_ms < $3"
    ))
    .bind(uuids(ids))
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(SampleRow::into_sample).collect()
}

crate::portable::fold_statements!(PgPool);
