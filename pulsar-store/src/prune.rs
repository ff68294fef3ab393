//! The retention plan both dialects run: what is pruned in which order, in bounded
//! statements. Each dialect has its DELETEs ([`PruneStatements`], as their row addressing
//! differs); each runs as its own short transaction, so checks and the dashboard keep going
//! while a prune runs.

use std::time::SystemTime;

use pulsar_core::BucketSize;
use uuid::Uuid;

use sqlx::Pool;

use crate::backend::Backend;
use crate::error::Result;
use crate::fold::{FOLD_BATCH, fold};
use crate::retention::{PruneReport, Retention};
use crate::sql::{Conn, Statement};

/// The monitors whose results are pruned, one by one.
async fn ids<C: Conn>(conn: &mut C) -> Result<Vec<Uuid>> {
    let rows: Vec<(Uuid,)> = conn
        .fetch_all(Statement::new("SELECT id FROM monitors"))
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// The hosts that have reported (the `hosts` table the sample insert keeps).
async fn hostnames<C: Conn>(conn: &mut C) -> Result<Vec<String>> {
    let statement = Statement::new("SELECT hostname FROM hosts");
    let rows: Vec<(String,)> = conn.fetch_all(statement).await?;
    Ok(rows.into_iter().map(|(host,)| host).collect())
}

/// The values a prune statement binds before its cut-off and limit.
#[derive(Clone, Copy)]
pub(crate) enum Scope<'a> {
    Everything,
    Monitor(Uuid),
    Rollups(BucketSize),
    Host(&'a str),
    HostRollups(&'a str, BucketSize),
}

impl<'a> Scope<'a> {
    /// The statement `sql` with the scope's values bound, then the cut-off and the limit.
    fn bind(self, sql: &'static str, before_ms: i64, limit: i64) -> Statement<'a> {
        let statement = Statement::new(sql);
        let statement = match self {
            Scope::Everything => statement,
            Scope::Monitor(id) => statement.bind(id),
            Scope::Rollups(bucket) => statement.bind(bucket.seconds()),
            Scope::Host(host) => statement.bind(host),
            Scope::HostRollups(host, bucket) => statement.bind(host).bind(bucket.seconds()),
        };
        statement.bind(before_ms).bind(limit)
    }
}

/// Runs `sql` until a statement removes fewer than `batch` rows; returns the total removed.
async fn in_batches<C: Conn>(
    conn: &mut C,
    sql: &'static str,
    scope: Scope<'_>,
    before_ms: i64,
    batch: i64,
) -> Result<u64> {
    let mut removed = 0;
    loop {
        let done = conn.execute(scope.bind(sql, before_ms, batch)).await?;
        removed += done;
        if done < batch as u64 {
            return Ok(removed);
        }
    }
}

/// Deletes what `retention` no longer keeps at `now`.
pub(crate) async fn prune<B: Backend>(
    pool: &Pool<B::Db>,
    now: SystemTime,
    retention: &Retention,
) -> Result<PruneReport> {
    // Raw results leave only once their rollups hold them.
    while fold::<B>(pool, FOLD_BATCH).await? >= FOLD_BATCH as u64 {}
    let sql = &B::SQL.prune;
    // Outside a transaction: each statement commits on its own.
    let mut conn = pool.acquire().await?;
    let conn = &mut *conn;
    let cut = retention.cutoffs(now);
    let batch = cut.batch_rows;
    let mut report = PruneReport::default();
    for id in ids(conn).await? {
        let scope = Scope::Monitor(id);
        report.raw_results +=
            in_batches(conn, sql.results, scope, cut.raw_results_ms, batch).await?;
    }
    for (bucket, cutoff_ms) in [
        (BucketSize::Minute, cut.minute_rollups_ms),
        (BucketSize::Hour, cut.hour_rollups_ms),
        (BucketSize::Day, cut.hour_rollups_ms),
    ] {
        // A bucket goes once all of it is older than the cut-off.
        let before_ms = bucket.floor_ms(cutoff_ms);
        let scope = Scope::Rollups(bucket);
        let removed = in_batches(conn, sql.rollups, scope, before_ms, batch).await?;
        if bucket == BucketSize::Minute {
            report.minute_rollups += removed;
        } else {
            report.hour_rollups += removed;
        }
    }
    for host in hostnames(conn).await? {
        let scope = Scope::Host(&host);
        report.host_samples +=
            in_batches(conn, sql.host_samples, scope, cut.host_samples_ms, batch).await?;
        for (bucket, cutoff_ms) in [
            (BucketSize::Minute, cut.minute_rollups_ms),
            (BucketSize::Hour, cut.hour_rollups_ms),
        ] {
            let before_ms = bucket.floor_ms(cutoff_ms);
            let scope = Scope::HostRollups(&host, bucket);
            report.host_rollups +=
                in_batches(conn, sql.host_rollups, scope, before_ms, batch).await?;
            report.host_rollups +=
                in_batches(conn, sql.host_named_rollups, scope, before_ms, batch).await?;
        }
    }
    // A host whose newest sample is older than every kept average has nothing left.
    let forget = Statement::new("DELETE FROM hosts WHERE last_seen_ms < $1")
        .bind(BucketSize::Hour.floor_ms(cut.hour_rollups_ms));
    conn.execute(forget).await?;
    report.deliveries += in_batches(
        conn,
        sql.deliveries,
        Scope::Everything,
        cut.deliveries_ms,
        batch,
    )
    .await?;
    // Settled outbox rows go with the log of their attempts.
    report.deliveries += in_batches(
        conn,
        sql.notifications,
        Scope::Everything,
        cut.deliveries_ms,
        batch,
    )
    .await?;
    Ok(report)
}
