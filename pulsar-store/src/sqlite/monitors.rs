//! Monitors, their state and incidents, and the scheduler's claim (SQLite).

use std::time::SystemTime;

use pulsar_core::{Monitor, MonitorId, MonitorState, RESOLUTION_PAUSED, unix_ms};
use sqlx::{Sqlite, SqlitePool, Transaction};

use super::SqliteStore;
use crate::error::{Result, StoreError, is_unique_violation, violation_mentions};
use crate::query::{DueCheck, MonitorFilter, Page, PageRequest, StateChange};
use crate::rows::{
    MonitorRow, interval_ms, labels_json, monitor_columns, monitor_definition, state_name,
};
use crate::{incidents, logic};

type Tx = Transaction<'static, Sqlite>;

fn name_or_id_taken(error: sqlx::Error, monitor: &Monitor) -> StoreError {
    if !is_unique_violation(&error) {
        return error.into();
    }
    if violation_mentions(&error, "name") {
        StoreError::already_exists("monitor", &monitor.name)
    } else {
        StoreError::already_exists("monitor", monitor.id)
    }
}

async fn write_labels(tx: &mut Tx, monitor: &Monitor) -> Result<()> {
    sqlx::query("DELETE FROM monitor_labels WHERE monitor_id = ?1")
        .bind(monitor.id.0)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO monitor_labels (monitor_id, key, value) \
         SELECT ?1, key, value FROM json_each(?2)",
    )
    .bind(monitor.id.0)
    .bind(labels_json(&monitor.labels))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn create(
    store: &SqliteStore,
    monitor: &Monitor,
    now: SystemTime,
) -> Result<Monitor> {
    let (stored, next_due_at_ms) = logic::new_monitor(monitor, now)?;
    let mut tx = store.begin_write().await?;
    sqlx::query(
        "INSERT INTO monitors (id, name, definition, interval_ms, enabled, state, \
         next_due_at_ms, created_at_ms, updated_at_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
    )
    .bind(stored.id.0)
    .bind(&stored.name)
    .bind(monitor_definition(&stored))
    .bind(interval_ms(&stored))
    .bind(stored.enabled)
    .bind(state_name(stored.state))
    .bind(next_due_at_ms)
    .bind(unix_ms(stored.created_at))
    .execute(&mut *tx)
    .await
    .map_err(|e| name_or_id_taken(e, &stored))?;
    write_labels(&mut tx, &stored).await?;
    tx.commit().await?;
    Ok(stored)
}

async fn fetch(executor: impl sqlx::SqliteExecutor<'_>, id: MonitorId) -> Result<Monitor> {
    sqlx::query_as::<_, MonitorRow>(concat!(
        "SELECT ",
        monitor_columns!(),
        " FROM monitors WHERE id = ?1"
    ))
    .bind(id.0)
    .fetch_optional(executor)
    .await?
    .ok_or_else(|| StoreError::not_found("monitor", id))?
    .into_monitor()
}

pub(super) async fn get(pool: &SqlitePool, id: MonitorId) -> Result<Monitor> {
    fetch(pool, id).await
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

pub(super) async fn update(
    store: &SqliteStore,
    monitor: &Monitor,
    now: SystemTime,
) -> Result<Monitor> {
    let mut tx = store.begin_write().await?;
    let old = fetch(&mut *tx, monitor.id).await?;
    let update = logic::updated_monitor(&old, monitor, now)?;
    let stored = update.monitor;
    sqlx::query(
        "UPDATE monitors SET name = ?2, definition = ?3, interval_ms = ?4, enabled = ?5, \
         state = ?6, next_due_at_ms = COALESCE(?7, next_due_at_ms), updated_at_ms = ?8 \
         WHERE id = ?1",
    )
    .bind(stored.id.0)
    .bind(&stored.name)
    .bind(monitor_definition(&stored))
    .bind(interval_ms(&stored))
    .bind(stored.enabled)
    .bind(state_name(stored.state))
    .bind(update.next_due_at_ms)
    .bind(unix_ms(stored.updated_at))
    .execute(&mut *tx)
    .await
    .map_err(|e| name_or_id_taken(e, &stored))?;
    write_labels(&mut tx, &stored).await?;
    if update.pauses {
        incidents::close_open_incident(&mut *tx, stored.id, now, RESOLUTION_PAUSED).await?;
    }
    tx.commit().await?;
    Ok(stored)
}

pub(super) async fn set_enabled(
    store: &SqliteStore,
    id: MonitorId,
    enabled: bool,
    now: SystemTime,
) -> Result<Monitor> {
    let mut monitor = get(&store.pool, id).await?;
    monitor.enabled = enabled;
    update(store, &monitor, now).await
}

pub(super) async fn delete(store: &SqliteStore, id: MonitorId) -> Result<()> {
    let mut tx = store.begin_write().await?;
    incidents::delete_monitor(&mut *tx, id).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn set_state(
    store: &SqliteStore,
    id: MonitorId,
    to: MonitorState,
    at: SystemTime,
    cause: &str,
) -> Result<StateChange> {
    let mut tx = store.begin_write().await?;
    let change = incidents::change_state(&mut *tx, id, to, at, cause).await?;
    tx.commit().await?;
    Ok(change)
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
