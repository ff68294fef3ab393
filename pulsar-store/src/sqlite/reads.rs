//! Reads of many monitors on SQLite: ids bound as one JSON array, and the summary's rows
//! packed by the database into one value.

use std::sync::LazyLock;

use sqlx::SqliteConnection;

use crate::backend::Reads;
use crate::backend::{Seek, SummaryRead, SummaryStatements};
use crate::dialect::SqliteBackend;
use crate::error::Result;
use crate::rows::{RESULT_SELECT, STATS_COLUMNS, SummaryAccumulator};
use crate::sql::{Conn, Statement, Value};
use crate::summary_cache::DaySpan;

impl Reads for SqliteBackend {
    fn latest_results_sql() -> &'static str {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            let columns: Vec<String> = RESULT_SELECT
                .split(", ")
                .map(|c| format!("r.{}", c.trim()))
                .collect();
            format!(
                "SELECT {} FROM json_each($1) AS j CROSS JOIN check_results r \
                 ON r.monitor_id = unhex(j.value) AND r.slot_ms = ( \
                     SELECT max(x.slot_ms) FROM check_results x \
                     WHERE x.monitor_id = unhex(j.value))",
                columns.join(", ")
            )
        });
        &SQL
    }

    /// Every row packed by the database into one value.
    async fn read_rollups(
        conn: &mut SqliteConnection,
        read: &SummaryRead<'_>,
    ) -> Result<SummaryAccumulator> {
        let checked_days = read.checked_days.map(DaySpan::spans).unwrap_or_default();
        let (spans, checked_days) = (read.spans.json(), checked_days.json());
        let statement = Statement::new(SUMMARY.get(read.seek))
            .bind(Value::Ids(&read.uuids))
            .bind(&spans)
            .bind(&checked_days);
        let (rows, day_totals): (Option<Vec<u8>>, Option<Vec<u8>>) =
            conn.fetch_optional(statement).await?.unwrap_or_default();
        let mut merged = SummaryAccumulator::new(read.ids);
        merged.add_packed(rows.as_deref().unwrap_or_default())?;
        merged.add_packed_day_totals(day_totals.as_deref().unwrap_or_default())?;
        Ok(merged)
    }
}

static SUMMARY: LazyLock<SummaryStatements> =
    LazyLock::new(|| SummaryStatements::new(summary_read));

/// The rows of the monitors `$1` in the spans of the JSON parameter `spans`
/// (`[[bucket_seconds, from_ms, to_ms], …]`).
fn rows_of(seek: Seek, spans: &str) -> String {
    match seek {
        Seek::Ranges => format!(
            "FROM json_each({spans}) AS s CROSS JOIN rollups r \
             ON r.bucket_seconds = s.value ->> 0 AND r.bucket_start_ms >= s.value ->> 1 \
             AND r.bucket_start_ms < s.value ->> 2 \
             WHERE r.monitor_id IN (SELECT unhex(value) FROM json_each($1))"
        ),
        Seek::PerMonitor => format!(
            "FROM json_each($1) AS ids CROSS JOIN json_each({spans}) AS s \
             CROSS JOIN rollups AS r INDEXED BY rollups_by_monitor \
             ON r.monitor_id = unhex(ids.value) AND r.bucket_seconds = s.value ->> 0 \
             AND r.bucket_start_ms >= s.value ->> 1 AND r.bucket_start_ms < s.value ->> 2"
        ),
    }
}

/// One statement, so one snapshot: every rollup row of the spans `$2` packed into one
/// value (see `SummaryAccumulator::add_packed`: no sort, and one value through the driver
/// instead of a row per rollup; `||` and `group_concat` copy blob bytes unchanged in a
/// UTF-8 database), and per day row in `$3` `[16-byte monitor id]` and
/// `checks,total_sum_us` as ASCII, ended by `;` (see
/// `SummaryAccumulator::add_packed_day_totals`; summed in Rust, as grouping in SQLite
/// would sort).
fn summary_read(seek: Seek) -> String {
    let counters: Vec<String> = STATS_COLUMNS
        .iter()
        .map(|(c, _)| format!("coalesce(r.{c}, '')"))
        .collect();
    let counters = counters.join(" || ',' || ");
    format!(
        "SELECT (SELECT CAST(group_concat(r.monitor_id || ({counters} || ';') || r.histograms, \
         '') AS BLOB) {}) AS packed_rows, \
         (SELECT CAST(group_concat(r.monitor_id || \
         (r.up_count + r.degraded_count + r.down_count) || ',' || r.total_sum_us || ';', '') \
         AS BLOB) {}) AS day_totals",
        rows_of(seek, "$2"),
        rows_of(seek, "$3")
    )
}
