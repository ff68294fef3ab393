//! Retention statements (PostgreSQL): bounded DELETEs by `ctid`, each its own short
//! transaction, so no statement holds row locks for long. The plan is `crate::prune`.

use sqlx::PgPool;

use crate::error::Result;
use crate::prune::{Column, PruneStatements, PruneTarget, Scope};

impl PruneTarget for PgPool {
    const STATEMENTS: PruneStatements = PruneStatements {
        results: "DELETE FROM check_results WHERE ctid = ANY(ARRAY(SELECT ctid FROM check_results \
                  WHERE monitor_id = $1 AND slot_ms < $2 \
                  AND (seq IS NULL OR seq <= (SELECT folded_seq FROM rollup_cursor)) LIMIT $3))",
        rollups: "DELETE FROM rollups WHERE ctid = ANY(ARRAY(SELECT ctid FROM rollups \
                  WHERE bucket_seconds = $1 AND bucket_start_ms < $2 LIMIT $3))",
        host_samples: "DELETE FROM host_samples WHERE ctid = ANY(ARRAY(SELECT ctid FROM host_samples \
                       WHERE hostname = $1 AND taken_at_ms < $2 LIMIT $3))",
        host_rollups: "DELETE FROM host_rollups WHERE ctid = ANY(ARRAY(SELECT ctid FROM host_rollups \
                       WHERE hostname = $1 AND bucket_seconds = $2 AND bucket_start_ms < $3 \
                       LIMIT $4))",
        deliveries: "DELETE FROM deliveries WHERE ctid = ANY(ARRAY(SELECT ctid FROM deliveries \
                     WHERE attempted_at_ms < $1 LIMIT $2))",
    };

    async fn fold_batch(&self) -> Result<u64> {
        super::fold::fold(self, crate::DEFAULT_FOLD_BATCH).await
    }

    async fn column<T: Column>(&self, sql: &'static str) -> Result<Vec<T>> {
        Ok(sqlx::query_scalar(sql).fetch_all(self).await?)
    }

    async fn delete(
        &self,
        sql: &'static str,
        scope: Scope<'_>,
        before_ms: i64,
        limit: i64,
    ) -> Result<u64> {
        // bucket_seconds is an INTEGER column here.
        let seconds =
            |bucket: pulsar_core::BucketSize| i32::try_from(bucket.seconds()).unwrap_or(i32::MAX);
        let query = match scope {
            Scope::Everything => sqlx::query(sql),
            Scope::Monitor(id) => sqlx::query(sql).bind(id),
            Scope::Rollups(bucket) => sqlx::query(sql).bind(seconds(bucket)),
            Scope::Host(host) => sqlx::query(sql).bind(host),
            Scope::HostRollups(host, bucket) => sqlx::query(sql).bind(host).bind(seconds(bucket)),
        };
        let done = query.bind(before_ms).bind(limit).execute(self).await?;
        Ok(done.rows_affected())
    }
}
