//! The overview read: a page of monitors with what the first screen shows of each, in a
//! fixed number of queries whatever the page size (the page, the newest results, the recent
//! checks, the day's summaries, the counts).

use std::collections::HashMap;
use std::time::SystemTime;

use pulsar_core::{
    MonitorId, OVERVIEW_STRIP_CHECKS, OVERVIEW_UPTIME_WINDOW, OverviewMonitor, RecentCheck,
    StateCounts,
};
use sqlx::Pool;
use uuid::Uuid;

use crate::backend::Backend;
use crate::error::Result;
use crate::monitors;
use crate::query::{MonitorFilter, Overview, Page, PageRequest};
use crate::results;
use crate::rows::{RecentRow, parse_state};
use crate::sql::{Conn, Statement, Value};
use crate::summaries;
use crate::summary_cache::SummaryCache;

pub(crate) async fn read<B: Backend>(
    pool: &Pool<B::Db>,
    cache: &SummaryCache,
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
    let mut recent = recent_checks::<B>(&mut conn, &ids).await?;
    let (counts, open_incidents) = counts(&mut *conn).await?;
    drop(conn);
    let summaries =
        summaries::summarize::<B>(pool, cache, &ids, OVERVIEW_UPTIME_WINDOW, now).await?;
    let items = monitors
        .items
        .into_iter()
        .zip(summaries)
        .map(|(monitor, summary)| OverviewMonitor {
            latest: latest.remove(&monitor.id),
            uptime_pct: summary.uptime_pct,
            recent: recent.remove(&monitor.id).unwrap_or_default(),
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

/// The last [`OVERVIEW_STRIP_CHECKS`] checks of each monitor, oldest first.
async fn recent_checks<B: Backend>(
    conn: &mut B::Conn,
    ids: &[MonitorId],
) -> Result<HashMap<MonitorId, Vec<RecentCheck>>> {
    let mut recent: HashMap<MonitorId, Vec<RecentCheck>> = HashMap::new();
    if ids.is_empty() {
        return Ok(recent);
    }
    let uuids: Vec<Uuid> = ids.iter().map(|id| id.0).collect();
    let statement = Statement::new(B::recent_checks_sql())
        .bind(Value::Ids(&uuids))
        .bind(OVERVIEW_STRIP_CHECKS as i64);
    let rows: Vec<RecentRow> = conn.fetch_all(statement).await?;
    for row in rows {
        let (monitor, check) = row.into_check()?;
        recent.entry(monitor).or_default().push(check);
    }
    for checks in recent.values_mut() {
        checks.sort_by_key(|c| c.slot);
    }
    Ok(recent)
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
