//! Reads of many monitors on SQLite: ids bound as one JSON array, and the summary's rows
//! packed by the database into one value.

use std::sync::LazyLock;

use pulsar_core::{MonitorId, RollupSample};
use sqlx::SqliteConnection;
use uuid::Uuid;

use super::SqliteBackend;
use crate::backend::Reads;
use crate::error::Result;
use crate::rows::{
    RESULT_SELECT, ResultRow, SAMPLE_SELECT, STATS_COLUMNS, SampleRow, SummaryAccumulator,
    SummarySpans,
};
use crate::summary_cache::DaySpan;

/// From this many monitors on, a summary scans whole time ranges instead of seeking per
/// monitor.
const MANY_MONITORS: usize = 64;

/// Ids as a JSON array of hex strings, for `json_each` lookups of many ids.
pub(super) fn ids_json<'a>(ids: impl IntoIterator<Item = &'a Uuid>) -> String {
    let mut json = String::from("[");
    for (i, id) in ids.into_iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push('"');
        json.push_str(id.simple().encode_lower(&mut Uuid::encode_buffer()));
        json.push('"');
    }
    json.push(']');
    json
}

fn monitor_ids_json(ids: &[MonitorId]) -> String {
    ids_json(ids.iter().map(|id| &id.0))
}

impl Reads for SqliteBackend {
    async fn pending(
        conn: &mut SqliteConnection,
        ids: &[MonitorId],
        (from_ms, to_ms): (i64, i64),
    ) -> Result<Vec<RollupSample>> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {SAMPLE_SELECT} FROM check_results \
                 WHERE seq > (SELECT folded_seq FROM rollup_cursor) \
                 AND monitor_id IN (SELECT unhex(value) FROM json_each($1)) \
                 AND slot_ms >= $2 AND slot_ms < $3"
            )
        });
        let rows: Vec<SampleRow> = sqlx::query_as(SQL.as_str())
            .bind(monitor_ids_json(ids))
            .bind(from_ms)
            .bind(to_ms)
            .fetch_all(conn)
            .await?;
        rows.into_iter().map(SampleRow::into_sample).collect()
    }

    async fn latest_results(
        conn: &mut SqliteConnection,
        ids: &[MonitorId],
    ) -> Result<Vec<ResultRow>> {
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
        Ok(sqlx::query_as(SQL.as_str())
            .bind(monitor_ids_json(ids))
            .fetch_all(conn)
            .await?)
    }

    async fn read_rollups(
        conn: &mut SqliteConnection,
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
        let checked_days = checked_days.map(DaySpan::spans).unwrap_or_default();
        let (rows, day_totals): (Option<Vec<u8>>, Option<Vec<u8>>) = sqlx::query_as(sql.as_str())
            .bind(monitor_ids_json(ids))
            .bind(spans.json())
            .bind(checked_days.json())
            .fetch_one(conn)
            .await?;
        let mut merged = SummaryAccumulator::new(ids);
        merged.add_packed(rows.as_deref().unwrap_or_default())?;
        merged.add_packed_day_totals(day_totals.as_deref().unwrap_or_default())?;
        Ok(merged)
    }
}

/// How a summary finds the rows of its monitors.
#[derive(Clone, Copy)]
enum Seek {
    /// Scan each span's key range once (the key is time first).
    Ranges,
    /// Seek per monitor and span in the monitor index.
    PerMonitor,
}

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
