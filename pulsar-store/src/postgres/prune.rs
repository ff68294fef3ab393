//! Retention statements (PostgreSQL): bounded DELETEs by `ctid`, each its own short
//! transaction, so no statement holds row locks for long. The plan is `crate::prune`.

use sqlx::PgPool;

use crate::prune::PruneStatements;

crate::prune::impl_prune_target!(
    PgPool,
    PruneStatements {
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
    }
);
