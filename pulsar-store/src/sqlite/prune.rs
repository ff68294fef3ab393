//! Retention statements (SQLite): each bounded DELETE is its own short write transaction.
//! The plan is `crate::prune`.

use sqlx::SqlitePool;

use crate::prune::PruneStatements;

crate::prune::impl_prune_target!(
    SqlitePool,
    PruneStatements {
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
    }
);
