//! Reads of many monitors on PostgreSQL: ids bound as one `uuid[]`, and the summary's rows
//! grouped per monitor by the database.

use std::sync::LazyLock;

use pulsar_core::{MonitorId, RollupSample};
use sqlx::PgConnection;
use uuid::Uuid;

use super::PgBackend;
use crate::backend::Reads;
use crate::error::Result;
use crate::rows::{
    RESULT_SELECT, ResultRow, SAMPLE_SELECT, SampleRow, SummaryAccumulator, SummaryRow,
    SummarySpans, stats_select,
};
use crate::sql::Merge;
use crate::summary_cache::DaySpan;

/// From this many monitors on, a summary scans whole time ranges instead of seeking per
/// monitor.
const MANY_MONITORS: usize = 64;

fn uuids(ids: &[MonitorId]) -> Vec<Uuid> {
    ids.iter().map(|id| id.0).collect()
}

impl Reads for PgBackend {
    async fn pending(
        conn: &mut PgConnection,
        ids: &[MonitorId],
        (from_ms, to_ms): (i64, i64),
    ) -> Result<Vec<RollupSample>> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {SAMPLE_SELECT} FROM check_results \
                 WHERE seq > (SELECT folded_seq FROM rollup_cursor) \
                 AND monitor_id = ANY($1) AND slot_ms >= $2 AND slot_ms < $3"
            )
        });
        let rows: Vec<SampleRow> = sqlx::query_as(SQL.as_str())
            .bind(uuids(ids))
            .bind(from_ms)
            .bind(to_ms)
            .fetch_all(conn)
            .await?;
        rows.into_iter().map(SampleRow::into_sample).collect()
    }

    async fn latest_results(conn: &mut PgConnection, ids: &[MonitorId]) -> Result<Vec<ResultRow>> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT r.* FROM UNNEST($1::uuid[]) AS ids(id) CROSS JOIN LATERAL (SELECT \
                 {RESULT_SELECT} FROM check_results WHERE monitor_id = ids.id \
                 ORDER BY slot_ms DESC LIMIT 1) AS r"
            )
        });
        Ok(sqlx::query_as(SQL.as_str())
            .bind(uuids(ids))
            .fetch_all(conn)
            .await?)
    }

    async fn read_rollups(
        conn: &mut PgConnection,
        ids: &[MonitorId],
        spans: &SummarySpans,
        checked_days: Option<DaySpan>,
    ) -> Result<SummaryAccumulator> {
        static MANY: LazyLock<String> = LazyLock::new(|| summary_read(Seek::Ranges));
        static FEW: LazyLock<String> = LazyLock::new(|| summary_read(Seek::PerMonitor));
        let sql = if ids.len() >= MANY_MONITORS {
            &MANY
        } else {
            &FEW
        };
        let mut query = sqlx::query_as::<_, SummaryRow>(sql.as_str()).bind(uuids(ids));
        for (from_ms, to_ms) in spans.ranges_by_size()? {
            query = query.bind(from_ms).bind(to_ms);
        }
        let (from_ms, to_ms) = checked_days.map_or((0, 0), |days| (days.from_ms, days.to_ms));
        let rows = query.bind(from_ms).bind(to_ms).fetch_all(conn).await?;
        let mut merged = SummaryAccumulator::new(ids);
        for row in &rows {
            merged.add(row)?;
        }
        Ok(merged)
    }
}

/// How a summary finds the rows of its monitors.
#[derive(Clone, Copy)]
enum Seek {
    /// Scan the key ranges (the key is time first) and keep the requested monitors' rows.
    Ranges,
    /// Read a range of the monitor index per monitor and bucket size.
    PerMonitor,
}

/// The rows of the monitors `$1` where `ranges` holds, grouped per monitor.
fn rows_of(seek: Seek, ranges: &str) -> String {
    match seek {
        Seek::Ranges => format!(
            "FROM rollups r WHERE ({ranges}) AND r.monitor_id IN (SELECT UNNEST($1::uuid[])) \
             GROUP BY r.monitor_id"
        ),
        Seek::PerMonitor => format!(
            "FROM UNNEST($1::uuid[]) AS ids(id) JOIN rollups r ON r.monitor_id = ids.id \
             AND ({ranges}) GROUP BY r.monitor_id"
        ),
    }
}

/// One statement, so one snapshot: per monitor its rows of the spans grouped (sums,
/// min/max, and the histograms concatenated: each encoding knows its own length), and the
/// totals of its day rows in the checked days (narrow columns only). One row per monitor
/// keeps the driver's per-row cost out of the hot path. The spans are one range per bucket
/// size (`$2`…`$7`), spelled out so the planner estimates each instead of guessing at a
/// join; the checked days are `$8`, `$9`.
fn summary_read(seek: Seek) -> String {
    let counters = stats_select(|c, merge| match merge {
        Merge::Min => format!("min(r.{c}) AS {c}"),
        Merge::Max => format!("max(r.{c}) AS {c}"),
        _ => format!("CAST(sum(r.{c}) AS BIGINT) AS {c}"),
    });
    let spans = rows_of(
        seek,
        "(r.bucket_seconds = 60 AND r.bucket_start_ms >= $2 AND r.bucket_start_ms < $3) \
         OR (r.bucket_seconds = 3600 AND r.bucket_start_ms >= $4 AND r.bucket_start_ms < $5) \
         OR (r.bucket_seconds = 86400 AND r.bucket_start_ms >= $6 AND r.bucket_start_ms < $7)",
    );
    let days = rows_of(
        seek,
        "r.bucket_seconds = 86400 AND r.bucket_start_ms >= $8 AND r.bucket_start_ms < $9",
    );
    format!(
        "WITH window_rows AS (SELECT r.monitor_id, {counters}, \
         string_agg(r.histograms, ''::bytea) AS histograms {spans}), \
         checked_days AS (SELECT r.monitor_id, \
         CAST(sum(r.up_count + r.degraded_count + r.down_count) AS BIGINT) AS day_checks, \
         CAST(sum(r.total_sum_us) AS BIGINT) AS day_total_us {days}) \
         SELECT * FROM window_rows FULL JOIN checked_days USING (monitor_id)"
    )
}
