//! Monitor reads and the scheduler's claim (PostgreSQL); monitor writes are
//! `crate::monitor_writes`.

use std::time::SystemTime;

use pulsar_core::{Monitor, MonitorId, unix_ms};
use sqlx::PgPool;
use uuid::Uuid;

use super::PgStore;
use crate::error::Result;
use crate::logic;
use crate::monitor_writes::MonitorTx;
use crate::query::{DueCheck, MonitorFilter, Page, PageRequest};
use crate::rows::{MonitorRow, labels_json, monitor_columns, state_name};

pub(super) async fn get(pool: &PgPool, id: MonitorId) -> Result<Monitor> {
    pool.acquire().await?.fetch_monitor(id, false).await
}

pub(super) async fn list(
    pool: &PgPool,
    filter: &MonitorFilter,
    page: &PageRequest,
) -> Result<Page<Monitor>> {
    // Byte order (COLLATE "C") sorts names exactly as SQLite does. The label filter is
    // relational division: no requested label may be missing.
    let rows = sqlx::query_as::<_, MonitorRow>(concat!(
        "SELECT ",
        monitor_columns!(),
        " FROM monitors m \
         WHERE ($1::text IS NULL OR m.state = $1) \
         AND ($2::text IS NULL OR m.name COLLATE \"C\" > $2) \
         AND NOT EXISTS (SELECT 1 FROM jsonb_each_text($3::jsonb) f WHERE NOT EXISTS ( \
             SELECT 1 FROM monitor_labels l \
             WHERE l.monitor_id = m.id AND l.key = f.key AND l.value = f.value)) \
         ORDER BY m.name COLLATE \"C\" LIMIT $4"
    ))
    .bind(filter.state.map(state_name))
    .bind(page.cursor.as_deref())
    .bind(labels_json(&filter.labels))
    .bind(page.fetch_limit())
    .fetch_all(pool)
    .await?;
    let monitors = rows
        .into_iter()
        .map(MonitorRow::into_monitor)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::from_rows(monitors, page, |m| m.name.clone()))
}

pub(super) async fn claim_due(
    store: &PgStore,
    now: SystemTime,
    limit: u32,
) -> Result<Vec<DueCheck>> {
    let mut tx = store.pool.begin().await?;
    // Rows another claimer holds are skipped, not waited for; once it commits their due
    // times lie after `now`, so no slot is claimed twice.
    let rows = sqlx::query_as::<_, MonitorRow>(concat!(
        "SELECT ",
        monitor_columns!(),
        " FROM monitors WHERE enabled AND next_due_at_ms <= $1 \
         ORDER BY next_due_at_ms LIMIT $2 FOR NO KEY UPDATE SKIP LOCKED"
    ))
    .bind(unix_ms(now))
    .bind(i64::from(limit))
    .fetch_all(&mut *tx)
    .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut due = Vec::with_capacity(rows.len());
    let mut ids: Vec<Uuid> = Vec::with_capacity(rows.len());
    let mut next_due: Vec<i64> = Vec::with_capacity(rows.len());
    for row in rows {
        let monitor = row.into_monitor()?;
        let (slot, next_due_at_ms) = logic::claimed_slot(&monitor, now);
        ids.push(monitor.id.0);
        next_due.push(next_due_at_ms);
        due.push(DueCheck { monitor, slot });
    }
    sqlx::query(
        "UPDATE monitors m SET next_due_at_ms = u.next_due_at_ms \
         FROM UNNEST($1::uuid[], $2::bigint[]) AS u(id, next_due_at_ms) WHERE m.id = u.id",
    )
    .bind(ids)
    .bind(next_due)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(due)
}
