//! Monitor reads and the scheduler's claim (SQLite); monitor writes are `crate::monitor_writes`.

use std::time::SystemTime;

use pulsar_core::{Monitor, MonitorId, unix_ms};
use sqlx::SqlitePool;

use super::SqliteStore;
use crate::error::Result;
use crate::logic;
use crate::monitor_writes::MonitorTx;
use crate::query::{DueCheck, MonitorFilter, Page, PageRequest};
use crate::rows::{MonitorRow, labels_json, monitor_columns, state_name};

pub(super) async fn get(pool: &SqlitePool, id: MonitorId) -> Result<Monitor> {
    pool.acquire().await?.fetch_monitor(id, false).await
}

pub(super) async fn list(
    pool: &SqlitePool,
    filter: &MonitorFilter,
    page: &PageRequest,
) -> Result<Page<Monitor>> {
    // Label filter as relational division: no requested label may be missing.
    let rows = sqlx::query_as::<_, MonitorRow>(concat!(
        "SELECT ",
        monitor_columns!(),
        " FROM monitors m \
         WHERE (?1 IS NULL OR m.state = ?1) AND (?2 IS NULL OR m.name > ?2) \
         AND NOT EXISTS (SELECT 1 FROM json_each(?3) f WHERE NOT EXISTS ( \
             SELECT 1 FROM monitor_labels l \
             WHERE l.monitor_id = m.id AND l.key = f.key AND l.value = f.value)) \
         ORDER BY m.name LIMIT ?4"
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
    store: &SqliteStore,
    now: SystemTime,
    limit: u32,
) -> Result<Vec<DueCheck>> {
    // BEGIN IMMEDIATE takes the write lock before reading: a second claimer waits and then
    // sees the advanced due times, so no slot is claimed twice.
    let mut tx = store.begin_write().await?;
    let rows = sqlx::query_as::<_, MonitorRow>(concat!(
        "SELECT ",
        monitor_columns!(),
        " FROM monitors WHERE enabled = 1 AND next_due_at_ms <= ?1 \
         ORDER BY next_due_at_ms LIMIT ?2"
    ))
    .bind(unix_ms(now))
    .bind(i64::from(limit))
    .fetch_all(&mut *tx)
    .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut due = Vec::with_capacity(rows.len());
    let mut next_due = Vec::with_capacity(rows.len());
    for row in rows {
        let monitor = row.into_monitor()?;
        let (slot, next_due_at_ms) = logic::claimed_slot(&monitor, now);
        next_due.push(format!("[\"{}\",{next_due_at_ms}]", monitor.id.0.simple()));
        due.push(DueCheck { monitor, slot });
    }
    sqlx::query(
        "UPDATE monitors SET next_due_at_ms = j.value ->> 1 FROM json_each(?1) AS j \
         WHERE monitors.id = unhex(j.value ->> 0)",
    )
    .bind(format!("[{}]", next_due.join(",")))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(due)
}
