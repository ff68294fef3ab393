//! Summaries (SQLite): the rows of a window packed into one value per statement; the
//! splitting, caching and merging are shared with PostgreSQL (`crate::summaries`).

use pulsar_core::MonitorId;
use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};

use crate::error::Result;
use crate::rows::{SummaryAccumulator, SummarySpans, ids_json};
use crate::summaries::{DaySpan, RollupSource};

/// From this many monitors on, a summary scans whole time ranges instead of seeking per
/// monitor.
const MANY_MONITORS: usize = 64;

/// Every rollup row of the spans packed into one value (see
/// `SummaryAccumulator::add_packed`): no sort, and one value through the driver instead of
/// a row per rollup. `||` and `group_concat` copy blob bytes unchanged in a UTF-8 database.
macro_rules! packed_rows {
    () => {
        "SELECT CAST(group_concat(r.monitor_id || (r.up_count || ',' || \
         r.degraded_count || ',' || r.down_count || ',' || coalesce(r.total_min_us, '') \
         || ',' || coalesce(r.total_max_us, '') || ',' || r.dns_sum_us || ',' || \
         r.connect_sum_us || ',' || r.tls_sum_us || ',' || r.ttfb_sum_us || ',' || \
         r.download_sum_us || ',' || r.total_sum_us || ';') || r.histograms, '') AS \
         BLOB) "
    };
}

/// The rows of the spans in the JSON parameter `$spans`: many monitors scan each span's
/// key range once (the key is time first); a few seek per monitor and span in the monitor
/// index.
macro_rules! rows_of {
    (many, $spans:literal) => {
        concat!(
            "FROM json_each(",
            $spans,
            ") AS s CROSS JOIN rollups r \
             ON r.bucket_seconds = s.value ->> 0 AND r.bucket_start_ms >= s.value ->> 1 \
             AND r.bucket_start_ms < s.value ->> 2 \
             WHERE r.monitor_id IN (SELECT unhex(value) FROM json_each(?1))"
        )
    };
    (few, $spans:literal) => {
        concat!(
            "FROM json_each(?1) AS ids CROSS JOIN json_each(",
            $spans,
            ") AS s CROSS JOIN rollups AS r INDEXED BY rollups_by_monitor \
             ON r.monitor_id = unhex(ids.value) AND r.bucket_seconds = s.value ->> 0 \
             AND r.bucket_start_ms >= s.value ->> 1 AND r.bucket_start_ms < s.value ->> 2"
        )
    };
}

/// One statement, so one snapshot: the packed rows of the spans `?2`, and per day row in
/// `?3` `[16-byte monitor id]` and `checks,total_sum_us` as ASCII, ended by `;` (see
/// `SummaryAccumulator::add_packed_day_totals`; summed in Rust, as grouping in SQLite
/// would sort).
macro_rules! summary_read {
    ($how:ident) => {
        concat!(
            "SELECT (",
            packed_rows!(),
            rows_of!($how, "?2"),
            ") AS packed_rows, (SELECT CAST(group_concat(r.monitor_id || \
             (r.up_count + r.degraded_count + r.down_count) || ',' || r.total_sum_us || ';', '') \
             AS BLOB) ",
            rows_of!($how, "?3"),
            ") AS day_totals"
        )
    };
}

impl RollupSource for SqliteConnection {
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
        let checked_days = checked_days.map(DaySpan::spans).unwrap_or_default();
        let (rows, day_totals): (Option<Vec<u8>>, Option<Vec<u8>>) = sqlx::query_as(sql)
            .bind(ids_json(ids))
            .bind(spans.json())
            .bind(checked_days.json())
            .fetch_one(&mut *self)
            .await?;
        let mut merged = SummaryAccumulator::new(ids);
        merged.add_packed(rows.as_deref().unwrap_or_default())?;
        merged.add_packed_day_totals(day_totals.as_deref().unwrap_or_default())?;
        if let Some(slots) = pending_slots {
            merged.add_results(&super::fold::pending(self, ids, slots).await?);
        }
        Ok(merged)
    }
}

/// The snapshot a summary reads: in WAL mode, a read transaction reads one snapshot.
pub(super) async fn begin_read(pool: &SqlitePool) -> Result<Transaction<'static, Sqlite>> {
    super::fold::begin_snapshot(pool).await
}
