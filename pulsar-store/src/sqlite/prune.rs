//! Retention statements (SQLite): each bounded DELETE is its own short write transaction.
//! The plan is `crate::prune`.

use sqlx::SqlitePool;

use crate::error::Result;
use crate::prune::{Column, PruneStatements, PruneTarget, Scope};

impl PruneTarget for SqlitePool {
    const STATEMENTS: PruneStatements = PruneStatements {
        results: "DELETE FROM check_results WHERE rowid IN (SELECT rowid FROM check_results \
                  WHERE monitor_id = ?1 AND slot_ms < ?2 \
                  AND (seq IS NULL OR seq <= (SELECT folded_seq FROM rollup_cursor)) LIMIT ?3)",
        rollups: "DELETE FROM rollups WHERE (bucket_seconds, bucket_start_ms, monitor_id) IN ( \
                  SELECT bucket_seconds, bucket_start_ms, monitor_id FROM rollups \
                  WHERE bucket_seconds = ?1 AND bucket_start_ms < ?2 LIMIT ?3)",
        host_samples: "DELETE FROM host_samples WHERE hostname = ?1 AND taken_at_ms IN ( \
                       SELECT taken_at_ms FROM host_samples \
                       WHERE hostname = ?1 AND taken_at_ms < ?2 LIMIT ?3)",
        host_rollups: "DELETE FROM host_rollups WHERE hostname = ?1 AND bucket_seconds = ?2 \
                       AND bucket_start_ms IN (SELECT bucket_start_ms FROM host_rollups \
                       WHERE hostname = ?1 AND bucket_seconds = ?2 AND bucket_start_ms < ?3 \
                       LIMIT ?4)",
        deliveries: "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries \
                     WHERE attempted_at_ms < ?1 LIMIT ?2)",
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
        let query = match scope {
            Scope::Everything => sqlx::query(sql),
            Scope::Monitor(id) => sqlx::query(sql).bind(id),
            Scope::Rollups(bucket) => sqlx::query(sql).bind(bucket.seconds()),
            Scope::Host(host) => sqlx::query(sql).bind(host),
            Scope::HostRollups(host, bucket) => sqlx::query(sql).bind(host).bind(bucket.seconds()),
        };
        let done = query.bind(before_ms).bind(limit).execute(self).await?;
        Ok(done.rows_affected())
    }
}
