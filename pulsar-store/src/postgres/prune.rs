//! Retention (PostgreSQL): bounded DELETE statements (by `ctid`), each its own short
//! transaction, so no statement holds row locks for long.

use std::time::SystemTime;

use pulsar_core::BucketSize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::Result;
use crate::retention::{PruneReport, Retention};

/// Runs `delete` (bound with `binds`, then the batch size) until a batch removes fewer
/// rows than the bound; returns the total removed.
macro_rules! delete_in_batches {
    ($pool:expr, $sql:expr, $batch:expr, $($bind:expr),+) => {{
        let mut removed = 0u64;
        loop {
            let done = sqlx::query($sql)
                $(.bind($bind))+
                .bind($batch)
                .execute($pool)
                .await?
                .rows_affected();
            removed += done;
            if done < $batch as u64 {
                break removed;
            }
        }
    }};
}

pub(super) async fn prune(
    pool: &PgPool,
    now: SystemTime,
    retention: &Retention,
) -> Result<PruneReport> {
    // Fold first: raw results leave only once their rollups hold them.
    while super::fold::fold(pool, crate::DEFAULT_FOLD_BATCH).await?
        >= crate::DEFAULT_FOLD_BATCH as u64
    {}
    let cut = retention.cutoffs(now);
    let batch = cut.batch_rows;
    let mut report = PruneReport::default();
    // Per monitor, so each batch is a range scan of the primary key. Results not yet
    // folded stay until they are: their rollups outlive them.
    let monitors: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM monitors")
        .fetch_all(pool)
        .await?;
    for id in monitors {
        report.raw_results += delete_in_batches!(
            pool,
            "DELETE FROM check_results WHERE ctid = ANY(ARRAY(SELECT ctid FROM check_results \
             WHERE monitor_id = $1 AND slot_ms < $2 \
             AND (seq IS NULL OR seq <= (SELECT folded_seq FROM rollup_cursor)) LIMIT $3))",
            batch,
            id,
            cut.raw_results_ms
        );
    }
    // Rollups are keyed time first: each batch is a range at the start of the key.
    for (bucket, cutoff_ms) in [
        (BucketSize::Minute, cut.minute_rollups_ms),
        (BucketSize::Hour, cut.hour_rollups_ms),
        (BucketSize::Day, cut.hour_rollups_ms),
    ] {
        // A bucket goes once all of it is older than the cut-off.
        let cutoff_ms = bucket.floor_ms(cutoff_ms);
        let removed = delete_in_batches!(
            pool,
            "DELETE FROM rollups WHERE ctid = ANY(ARRAY(SELECT ctid FROM rollups \
             WHERE bucket_seconds = $1 AND bucket_start_ms < $2 LIMIT $3))",
            batch,
            i32::try_from(bucket.seconds()).unwrap_or(i32::MAX),
            cutoff_ms
        );
        if bucket == BucketSize::Minute {
            report.minute_rollups += removed;
        } else {
            report.hour_rollups += removed;
        }
    }
    let hosts: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT hostname FROM host_samples \
         UNION SELECT DISTINCT hostname FROM host_rollups",
    )
    .fetch_all(pool)
    .await?;
    for host in hosts {
        report.host_samples += delete_in_batches!(
            pool,
            "DELETE FROM host_samples WHERE ctid = ANY(ARRAY(SELECT ctid FROM host_samples \
             WHERE hostname = $1 AND taken_at_ms < $2 LIMIT $3))",
            batch,
            host.as_str(),
            cut.host_samples_ms
        );
        for (bucket, cutoff_ms) in [
            (BucketSize::Minute, cut.minute_rollups_ms),
            (BucketSize::Hour, cut.hour_rollups_ms),
        ] {
            let cutoff_ms = bucket.floor_ms(cutoff_ms);
            report.host_rollups += delete_in_batches!(
                pool,
                "DELETE FROM host_rollups WHERE ctid = ANY(ARRAY(SELECT ctid FROM host_rollups \
                 WHERE hostname = $1 AND bucket_seconds = $2 AND bucket_start_ms < $3 \
                 LIMIT $4))",
                batch,
                host.as_str(),
                i32::try_from(bucket.seconds()).unwrap_or(i32::MAX),
                cutoff_ms
            );
        }
    }
    report.deliveries += delete_in_batches!(
        pool,
        "DELETE FROM deliveries WHERE ctid = ANY(ARRAY(SELECT ctid FROM deliveries \
         WHERE attempted_at_ms < $1 LIMIT $2))",
        batch,
        cut.deliveries_ms
    );
    Ok(report)
}
