//! Summaries (PostgreSQL): the rows of a window grouped per monitor; the splitting,
//! caching and merging are shared with SQLite (`crate::summaries`).

use pulsar_core::MonitorId;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};

use crate::error::Result;
use crate::rows::{SummaryAccumulator, SummaryRow, SummarySpans, uuids};
use crate::summaries::{DaySpan, RollupSource};

/// From this many monitors on, a summary scans whole time ranges instead of seeking per
/// monitor.
const MANY_MONITORS: usize = 64;

/// Per monitor in the spans: sums, min/max and the histograms concatenated (each encoding
/// knows its own length). One row per monitor keeps the driver's per-row cost out of the
/// hot path.
macro_rules! grouped_rows {
    () => {
        "SELECT r.monitor_id, sum(r.up_count)::bigint AS up_count, \
         sum(r.degraded_count)::bigint AS degraded_count, \
         sum(r.down_count)::bigint AS down_count, min(r.total_min_us) AS total_min_us, \
         max(r.total_max_us) AS total_max_us, sum(r.dns_sum_us)::bigint AS dns_sum_us, \
         sum(r.connect_sum_us)::bigint AS connect_sum_us, \
         sum(r.tls_sum_us)::bigint AS tls_sum_us, sum(r.ttfb_sum_us)::bigint AS ttfb_sum_us, \
         sum(r.download_sum_us)::bigint AS download_sum_us, \
         sum(r.total_sum_us)::bigint AS total_sum_us, \
         string_agg(r.histograms, ''::bytea) AS histograms "
    };
}

/// The spans, one range per bucket size, spelled out so the planner estimates each range
/// instead of guessing at a join.
macro_rules! span_ranges {
    () => {
        "(r.bucket_seconds = 60 AND r.bucket_start_ms >= $2 AND r.bucket_start_ms < $3) \
         OR (r.bucket_seconds = 3600 AND r.bucket_start_ms >= $4 AND r.bucket_start_ms < $5) \
         OR (r.bucket_seconds = 86400 AND r.bucket_start_ms >= $6 AND r.bucket_start_ms < $7)"
    };
}

macro_rules! checked_day_range {
    () => {
        "r.bucket_seconds = 86400 AND r.bucket_start_ms >= $8 AND r.bucket_start_ms < $9"
    };
}

/// The rows of the monitors `$1` in `$ranges`, grouped per monitor: many monitors scan the
/// key ranges (the key is time first) and keep the requested monitors' rows; a few read a
/// range of the monitor index per monitor and bucket size.
macro_rules! rows_of {
    (many, $($ranges:tt)+) => {
        concat!(
            "FROM rollups r WHERE (",
            $($ranges)+,
            ") AND r.monitor_id IN (SELECT UNNEST($1::uuid[])) GROUP BY r.monitor_id"
        )
    };
    (few, $($ranges:tt)+) => {
        concat!(
            "FROM UNNEST($1::uuid[]) AS ids(id) JOIN rollups r ON r.monitor_id = ids.id AND (",
            $($ranges)+,
            ") GROUP BY r.monitor_id"
        )
    };
}

/// One statement, so one snapshot: per monitor its grouped rows of the spans and the
/// totals of its day rows in the checked days (narrow columns only).
macro_rules! summary_read {
    ($how:ident) => {
        concat!(
            "WITH window_rows AS (",
            grouped_rows!(),
            rows_of!($how, span_ranges!()),
            "), checked_days AS (SELECT r.monitor_id, \
             sum(r.up_count + r.degraded_count + r.down_count)::bigint AS day_checks, \
             sum(r.total_sum_us)::bigint AS day_total_us ",
            rows_of!($how, checked_day_range!()),
            ") SELECT * FROM window_rows FULL JOIN checked_days USING (monitor_id)"
        )
    };
}

impl RollupSource for PgConnection {
    async fn read_rollups(
        &mut self,
        ids: &[MonitorId],
        spans: &SummarySpans,
        checked_days: Option<DaySpan>,
        pending_slots: Option<(i64, i64)>,
    ) -> Result<SummaryAccumulator> {
        let sql = if ids.len() >= MANY_MONITORS {
            summary_read!(many)
        } else {
            summary_read!(few)
        };
        let mut query = sqlx::query_as::<_, SummaryRow>(sql).bind(uuids(ids));
        for (from_ms, to_ms) in spans.ranges_by_size()? {
            query = query.bind(from_ms).bind(to_ms);
        }
        let (from_ms, to_ms) = checked_days.map_or((0, 0), |days| (days.from_ms, days.to_ms));
        let rows = query
            .bind(from_ms)
            .bind(to_ms)
            .fetch_all(&mut *self)
            .await?;
        let mut merged = SummaryAccumulator::new(ids);
        for row in &rows {
            merged.add(row)?;
        }
        if let Some(slots) = pending_slots {
            merged.add_results(&super::fold::pending(self, ids, slots).await?);
        }
        Ok(merged)
    }
}

/// The snapshot a summary reads: repeatable read, so every statement sees the same data.
pub(super) async fn begin_read(pool: &PgPool) -> Result<Transaction<'static, Postgres>> {
    let mut tx = super::fold::begin_snapshot(pool).await?;
    // Grouping a month of histograms needs more than the default 4 MB of work memory
    // (without it PostgreSQL sorts on disk), and the plan must see the time ranges: a
    // generic plan of the prepared statement cannot, and falls back to a full scan.
    sqlx::query(
        "SELECT set_config('work_mem', '64MB', true), \
         set_config('plan_cache_mode', 'force_custom_plan', true)",
    )
    .execute(&mut *tx)
    .await?;
    Ok(tx)
}
