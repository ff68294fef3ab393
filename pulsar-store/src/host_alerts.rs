//! Host alerts: a host condition that starts firing opens a host incident and notifies the
//! channels routed to hosts; one that stops firing closes it and says so. Idempotent: a
//! condition already firing (or already resolved) changes nothing, so any number of
//! processes may report the same change.

use std::time::SystemTime;

use pulsar_core::{
    HostCondition, HostIncident, IncidentId, Notice, from_unix_ms, truncate_to_ms, unix_ms,
};
use uuid::Uuid;

use crate::error::Result;
use crate::outbox;
use crate::query::{HostIncidentFilter, Page, PageRequest};
use crate::routing;
use crate::sql::{Conn, Statement};

/// Records that `condition` of `host` fires (`condition.breached`) or not at `at`; returns
/// whether that changed anything (an incident opened or closed, and its notices written).
pub(crate) async fn set<C: Conn>(
    conn: &mut C,
    host: &str,
    condition: &HostCondition,
    at: SystemTime,
) -> Result<bool> {
    let key = condition.key();
    let open = Statement::new(
        "SELECT id, opened_at_ms FROM host_incidents WHERE host = $1 AND condition = $2 \
         AND closed_at_ms IS NULL",
    )
    .bind(host)
    .bind(key.as_str());
    let open: Option<(i64, i64)> = conn.fetch_optional(open).await?;
    let at = truncate_to_ms(at);
    let since = match (condition.breached, open) {
        (true, None) => {
            let insert = Statement::new(
                "INSERT INTO host_incidents (host, condition, opened_at_ms, closed_at_ms, \
                 detail) VALUES ($1, $2, $3, NULL, $4)",
            )
            .bind(host)
            .bind(key.as_str())
            .bind(unix_ms(at))
            .bind(condition.detail.as_str());
            conn.execute(insert).await?;
            None
        }
        (false, Some((id, opened_at_ms))) => {
            let close = Statement::new("UPDATE host_incidents SET closed_at_ms = $2 WHERE id = $1")
                .bind(id)
                .bind(unix_ms(at));
            conn.execute(close).await?;
            Some(from_unix_ms(opened_at_ms))
        }
        _ => return Ok(false),
    };
    for channel in routing::channels_for_hosts(conn).await? {
        let mut notice = Notice::host_change(host, condition, condition.breached, since, at);
        notice.key = Uuid::new_v4().to_string();
        outbox::insert(conn, channel.id, &notice).await?;
    }
    Ok(true)
}

/// Host incidents newest first, by keyset pages on (opening time, id).
pub(crate) async fn list<C: Conn>(
    conn: &mut C,
    filter: &HostIncidentFilter,
    page: &PageRequest,
) -> Result<Page<HostIncident>> {
    let (before_ms, before_id) = page.cursor_pair()?.unwrap_or((i64::MAX, i64::MAX));
    let statement = Statement::new(
        "SELECT id, host, condition, opened_at_ms, closed_at_ms, detail FROM host_incidents \
         WHERE ($1 IS NULL OR host = $1) AND (NOT $2 OR closed_at_ms IS NULL) \
         AND (opened_at_ms, id) < ($3, $4) ORDER BY opened_at_ms DESC, id DESC LIMIT $5",
    )
    .bind(filter.host.as_deref())
    .bind(filter.open_only)
    .bind(before_ms)
    .bind(before_id)
    .bind(page.fetch_limit());
    type Row = (i64, String, String, i64, Option<i64>, String);
    let rows: Vec<Row> = conn.fetch_all(statement).await?;
    let incidents = rows
        .into_iter()
        .map(
            |(id, host, condition, opened_at_ms, closed_at_ms, detail)| HostIncident {
                id: IncidentId(id),
                host,
                condition,
                opened_at: from_unix_ms(opened_at_ms),
                closed_at: closed_at_ms.map(from_unix_ms),
                detail,
            },
        )
        .collect();
    Ok(Page::from_rows(incidents, page, |incident| {
        format!("{}:{}", unix_ms(incident.opened_at), incident.id.0)
    }))
}
