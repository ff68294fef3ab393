//! The retention plan both dialects run: what is pruned in which order, in bounded
//! statements. A dialect supplies the statements ([`PruneTarget`]); each runs as its own
//! short transaction, so checks and the dashboard keep going while a prune runs.

use std::time::SystemTime;

use pulsar_core::BucketSize;
use uuid::Uuid;

use crate::error::Result;
use crate::retention::{PruneReport, Retention};

/// The monitors whose results are pruned, one by one.
pub(crate) const MONITOR_IDS: &str = "SELECT id FROM monitors";
/// The hosts with samples or rollups.
pub(crate) const HOSTNAMES: &str = "SELECT DISTINCT hostname FROM host_samples \
                                    UNION SELECT DISTINCT hostname FROM host_rollups";

/// A column type both dialects decode.
pub(crate) trait Column:
    Send
    + Unpin
    + for<'r> sqlx::Decode<'r, sqlx::Sqlite>
    + sqlx::Type<sqlx::Sqlite>
    + for<'r> sqlx::Decode<'r, sqlx::Postgres>
    + sqlx::Type<sqlx::Postgres>
{
}

impl Column for Uuid {}
impl Column for String {}

/// One bounded DELETE per kind of row, in a dialect's SQL. Each binds the [`Scope`]'s
/// values first, then the cut-off (unix ms; rows older go), then the row limit.
pub(crate) struct PruneStatements {
    /// [`Scope::Monitor`]: one monitor's folded results, a range scan of the primary key.
    /// Results not yet folded stay until they are, as their rollups outlive them.
    pub(crate) results: &'static str,
    /// [`Scope::Rollups`]: rollups of one bucket size, a range at the start of the
    /// time-first key.
    pub(crate) rollups: &'static str,
    /// [`Scope::Host`].
    pub(crate) host_samples: &'static str,
    /// [`Scope::HostRollups`].
    pub(crate) host_rollups: &'static str,
    /// [`Scope::Everything`].
    pub(crate) deliveries: &'static str,
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

/// What pruning needs of a dialect; each statement runs as its own transaction.
pub(crate) trait PruneTarget: Sync {
    const STATEMENTS: PruneStatements;
    /// Folds up to a full batch of pending results; returns how many it folded.
    async fn fold_batch(&self) -> Result<u64>;
    /// The values of the one column `sql` selects.
    async fn column<T: Column>(&self, sql: &'static str) -> Result<Vec<T>>;
    /// Runs one of [`Self::STATEMENTS`]; returns the rows it removed.
    async fn delete(
        &self,
        sql: &'static str,
        scope: Scope<'_>,
        before_ms: i64,
        limit: i64,
    ) -> Result<u64>;
}

/// Implements [`PruneTarget`] for a dialect's pool with its statements: the rest is the
/// same text on both (`bucket_seconds` binds as a 64-bit integer, which PostgreSQL compares
/// with its INTEGER column through the index's cross-type operators).
macro_rules! impl_prune_target {
    ($pool:ty, $statements:expr) => {
        impl $crate::prune::PruneTarget for $pool {
            const STATEMENTS: $crate::prune::PruneStatements = $statements;

            async fn fold_batch(&self) -> $crate::Result<u64> {
                super::fold::fold(self, $crate::DEFAULT_FOLD_BATCH).await
            }

            async fn column<T: $crate::prune::Column>(
                &self,
                sql: &'static str,
            ) -> $crate::Result<Vec<T>> {
                Ok(sqlx::query_scalar(sql).fetch_all(self).await?)
            }

            async fn delete(
                &self,
                sql: &'static str,
                scope: $crate::prune::Scope<'_>,
                before_ms: i64,
                limit: i64,
            ) -> $crate::Result<u64> {
                use $crate::prune::Scope;
                let query = match scope {
                    Scope::Everything => sqlx::query(sql),
                    Scope::Monitor(id) => sqlx::query(sql).bind(id),
                    Scope::Rollups(bucket) => sqlx::query(sql).bind(bucket.seconds()),
                    Scope::Host(host) => sqlx::query(sql).bind(host),
                    Scope::HostRollups(host, bucket) => {
                        sqlx::query(sql).bind(host).bind(bucket.seconds())
                    }
                };
                let done = query.bind(before_ms).bind(limit).execute(self).await?;
                Ok(done.rows_affected())
            }
        }
    };
}
pub(crate) use impl_prune_target;

/// Runs `sql` until a statement removes fewer than `batch` rows; returns the total removed.
async fn in_batches<T: PruneTarget>(
    target: &T,
    sql: &'static str,
    scope: Scope<'_>,
    before_ms: i64,
    batch: i64,
) -> Result<u64> {
    let mut removed = 0;
    loop {
        let done = target.delete(sql, scope, before_ms, batch).await?;
        removed += done;
        if done < batch as u64 {
            return Ok(removed);
        }
    }
}

/// Deletes what `retention` no longer keeps at `now`.
pub(crate) async fn prune<T: PruneTarget>(
    target: &T,
    now: SystemTime,
    retention: &Retention,
) -> Result<PruneReport> {
    // Raw results leave only once their rollups hold them.
    while target.fold_batch().await? >= crate::DEFAULT_FOLD_BATCH as u64 {}
    let sql = T::STATEMENTS;
    let cut = retention.cutoffs(now);
    let batch = cut.batch_rows;
    let mut report = PruneReport::default();
    for id in target.column::<Uuid>(MONITOR_IDS).await? {
        let scope = Scope::Monitor(id);
        report.raw_results +=
            in_batches(target, sql.results, scope, cut.raw_results_ms, batch).await?;
    }
    for (bucket, cutoff_ms) in [
        (BucketSize::Minute, cut.minute_rollups_ms),
        (BucketSize::Hour, cut.hour_rollups_ms),
        (BucketSize::Day, cut.hour_rollups_ms),
    ] {
        // A bucket goes once all of it is older than the cut-off.
        let before_ms = bucket.floor_ms(cutoff_ms);
        let scope = Scope::Rollups(bucket);
        let removed = in_batches(target, sql.rollups, scope, before_ms, batch).await?;
        if bucket == BucketSize::Minute {
            report.minute_rollups += removed;
        } else {
            report.hour_rollups += removed;
        }
    }
    for host in target.column::<String>(HOSTNAMES).await? {
        let scope = Scope::Host(&host);
        report.host_samples +=
            in_batches(target, sql.host_samples, scope, cut.host_samples_ms, batch).await?;
        for (bucket, cutoff_ms) in [
            (BucketSize::Minute, cut.minute_rollups_ms),
            (BucketSize::Hour, cut.hour_rollups_ms),
        ] {
            let before_ms = bucket.floor_ms(cutoff_ms);
            let scope = Scope::HostRollups(&host, bucket);
            report.host_rollups +=
                in_batches(target, sql.host_rollups, scope, before_ms, batch).await?;
        }
    }
    report.deliveries += in_batches(
        target,
        sql.deliveries,
        Scope::Everything,
        cut.deliveries_ms,
        batch,
    )
    .await?;
    Ok(report)
}
