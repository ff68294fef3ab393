//! Reads of many monitors on PostgreSQL: ids bound as one `uuid[]`, and the summary's rows
//! grouped per monitor by the database.

use std::sync::LazyLock;

use sqlx::PgConnection;

use crate::backend::Reads;
use crate::backend::{Seek, SummaryRead, SummaryStatements};
use crate::dialect::PgBackend;
use crate::error::Result;
use crate::rows::{RESULT_SELECT, SummaryAccumulator, SummaryRow, stats_select};
use crate::sql::Merge;
use crate::sql::{Conn, Statement, Value};

impl Reads for PgBackend {
    fn latest_results_sql() -> &'static str {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT r.* FROM UNNEST($1::uuid[]) AS ids(id) CROSS JOIN LATERAL (SELECT \
                 {RESULT_SELECT} FROM check_results WHERE monitor_id = ids.id \
                 ORDER BY slot_ms DESC LIMIT 1) AS r"
            )
        });
        &SQL
    }

    /// Per monitor, its rows grouped by the database.
    async fn read_rollups(
        conn: &mut PgConnection,
        read: &SummaryRead<'_>,
    ) -> Result<SummaryAccumulator> {
        let mut statement = Statement::new(SUMMARY.get(read.seek)).bind(Value::Ids(&read.uuids));
        for (from_ms, to_ms) in read.spans.ranges_by_size()? {
            statement = statement.bind(from_ms).bind(to_ms);
        }
        let days = read.checked_days;
        let (from_ms, to_ms) = days.map_or((0, 0), |days| (days.from_ms, days.to_ms));
        let rows: Vec<SummaryRow> = conn.fetch_all(statement.bind(from_ms).bind(to_ms)).await?;
        let mut merged = SummaryAccumulator::new(read.ids);
        for row in &rows {
            merged.add(row)?;
        }
        Ok(merged)
    }
}

static SUMMARY: LazyLock<SummaryStatements> =
    LazyLock::new(|| SummaryStatements::new(summary_read));

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
