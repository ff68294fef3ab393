//! The overview read: a page of monitors with what the first screen shows of each, in a
//! fixed number of queries whatever the page size: the page, the newest results, the counts,
//! the strips of recent checks (kept by the fold, with the pending results merged in) and
//! the day's check counts.

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use pulsar_core::{
    BucketSize, MonitorId, OVERVIEW_STRIP_CHECKS, OVERVIEW_UPTIME_WINDOW, Outcome, OverviewMonitor,
    RecentCheck, StateCounts, merge_recent, unix_ms, uptime_pct,
};
use sqlx::Pool;
use uuid::Uuid;

use crate::backend::Backend;
use crate::dialect::begin_read;
use crate::error::Result;
use crate::monitors;
use crate::query::{MonitorFilter, Overview, Page, PageRequest};
use crate::rows::{parse_state, to_u64};
use crate::sql::{Conn, Statement, Value};
use crate::{fold, results};

pub(crate) async fn read<B: Backend>(
    pool: &Pool<B::Db>,
    filter: &MonitorFilter,
    page: &PageRequest,
    now: SystemTime,
) -> Result<Overview> {
    let mut conn = pool.acquire().await?;
    let monitors = monitors::list(&mut *conn, filter, page).await?;
    let ids: Vec<MonitorId> = monitors.items.iter().map(|m| m.id).collect();
    let mut latest: HashMap<MonitorId, _> = results::latest::<B>(&mut conn, &ids)
        .await?
        .into_iter()
        .map(|r| (r.monitor_id, r))
        .collect();
    let (counts, open_incidents) = counts(&mut *conn).await?;
    drop(conn);
    let Checks {
        mut strips,
        mut day_counts,
    } = checks::<B>(pool, &ids, now).await?;
    let items = monitors
        .items
        .into_iter()
        .map(|monitor| OverviewMonitor {
            latest: latest.remove(&monitor.id),
            uptime_pct: day_counts
                .remove(&monitor.id)
                .and_then(|(up, degraded, down)| uptime_pct(up, degraded, down)),
            recent: strips.remove(&monitor.id).unwrap_or_default(),
            monitor,
        })
        .collect();
    Ok(Overview {
        monitors: Page {
            items,
            next_cursor: monitors.next_cursor,
        },
        counts,
        open_incidents,
    })
}

/// What the overview reads of each monitor's checks, in one snapshot: its strip of recent
/// checks, and its check counts (up, degraded, down) since [`OVERVIEW_UPTIME_WINDOW`] before
/// `now` rounded down to the hour.
#[derive(Default)]
struct Checks {
    strips: BTreeMap<MonitorId, Vec<RecentCheck>>,
    day_counts: HashMap<MonitorId, (u64, u64, u64)>,
}

/// The strips the fold keeps and the day's hour rollups (counts only: a full summary would
/// ship every row's histograms to count what the overview shows as one number), with the
/// results not folded yet merged into both.
async fn checks<B: Backend>(
    pool: &Pool<B::Db>,
    ids: &[MonitorId],
    now: SystemTime,
) -> Result<Checks> {
    let mut checks = Checks::default();
    if ids.is_empty() {
        return Ok(checks);
    }
    let from_ms =
        BucketSize::Hour.floor_ms(unix_ms(now) - OVERVIEW_UPTIME_WINDOW.as_millis() as i64);
    let uuids: Vec<Uuid> = ids.iter().map(|id| id.0).collect();
    // The day's hour rows are one range of the time-first key: read that range rather than
    // seek each monitor through its index (on SQLite, a table lookup per row), and group
    // without asking for index order (which would make SQLite walk a whole index instead).
    let hours = format!(
        "SELECT {n}monitor_id, CAST(sum(up_count) AS BIGINT), \
         CAST(sum(degraded_count) AS BIGINT), CAST(sum(down_count) AS BIGINT) FROM rollups \
         WHERE bucket_seconds = $2 AND bucket_start_ms >= $3 AND {n}monitor_id{in_ids} \
         GROUP BY {n}monitor_id",
        n = B::SQL.no_index,
        in_ids = B::SQL.in_ids
    );
    let hours = Statement::composed(hours)
        .bind(Value::Ids(&uuids))
        .bind(BucketSize::Hour.seconds())
        .bind(from_ms);
    let mut tx = begin_read::<B>(pool).await?;
    checks.strips = fold::strips::<B>(&mut tx, ids).await?;
    let hours: Vec<(Uuid, i64, i64, i64)> = tx.fetch_all(hours).await?;
    let pending = results::pending::<B>(&mut tx, ids, (i64::MIN, i64::MAX)).await?;
    tx.commit().await?;
    for (id, up, degraded, down) in hours {
        let entry = checks.day_counts.entry(MonitorId(id)).or_default();
        *entry = (
            entry.0 + to_u64(up),
            entry.1 + to_u64(degraded),
            entry.2 + to_u64(down),
        );
    }
    let mut new: BTreeMap<MonitorId, Vec<RecentCheck>> = BTreeMap::new();
    for sample in pending {
        if unix_ms(sample.slot) >= from_ms {
            let entry = checks.day_counts.entry(sample.monitor_id).or_default();
            match sample.outcome {
                Outcome::Up => entry.0 += 1,
                Outcome::Degraded => entry.1 += 1,
                Outcome::Down => entry.2 += 1,
            }
        }
        new.entry(sample.monitor_id).or_default().push(RecentCheck {
            slot: sample.slot,
            outcome: sample.outcome,
            total: sample.phases.total,
        });
    }
    for (id, recent) in new {
        merge_recent(
            checks.strips.entry(id).or_default(),
            recent,
            OVERVIEW_STRIP_CHECKS,
        );
    }
    Ok(checks)
}

/// Monitors by state and open incidents, over every monitor.
async fn counts<C: Conn>(conn: &mut C) -> Result<(StateCounts, u64)> {
    let statement = Statement::new(
        "SELECT state, count(*) FROM monitors GROUP BY state \
         UNION ALL SELECT 'open incidents', count(*) FROM incidents WHERE closed_at_ms IS NULL",
    );
    let rows: Vec<(String, i64)> = conn.fetch_all(statement).await?;
    let mut counts = StateCounts::default();
    let mut open_incidents = 0;
    for (state, count) in rows {
        let count = u64::try_from(count).unwrap_or(0);
        match state.as_str() {
            "open incidents" => open_incidents = count,
            state => counts.add(parse_state(state)?, count),
        }
    }
    Ok((counts, open_incidents))
}
