//! Monitors, their state and incidents, and the scheduler's claim (PostgreSQL).

use std::time::SystemTime;

use pulsar_core::{Monitor, MonitorId, MonitorState, RESOLUTION_PAUSED, unix_ms};
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

use super::PgStore;
use crate::error::{Result, StoreError, is_unique_violation, violation_mentions};
use crate::query::{DueCheck, MonitorFilter, Page, PageRequest, StateChange};
use crate::rows::{
    MonitorRow, interval_ms, labels_json, monitor_columns, monitor_definition, state_name,
};
use crate::{incidents, logic};

type Tx = Transaction<'static, Postgres>;

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
    sqlx::query("DELETE FROM monitor_labels WHERE monitor_id = $1")
        .bind(monitor.id.0)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO monitor_labels (monitor_id, key, value) \
         SELECT $1, key, value FROM jsonb_each_text($2::jsonb)",
    )
    .bind(monitor.id.0)
    .bind(labels_json(&monitor.labels))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn create(store: &PgStore, monitor: &Monitor, now: SystemTime) -> Result<Monitor> {
    let (stored, next_due_at_ms) = logic::new_monitor(monitor, now)?;
    let mut tx = store.pool.begin().await?;
    sqlx::query(
        "INSERT INTO monitors (id, name, definition, interval_ms, enabled, state, \
         next_due_at_ms, created_at_ms, updated_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
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

async fn fetch(executor: impl sqlx::PgExecutor<'_>, id: MonitorId, lock: bool) -> Result<Monitor> {
    let sql = if lock {
        concat!(
            "SELECT ",
            monitor_columns!(),
            " FROM monitors WHERE id = $1 FOR UPDATE"
        )
    } else {
        concat!(
            "SELECT ",
            monitor_columns!(),
            " FROM monitors WHERE id = $1"
        )
    };
    sqlx::query_as::<_, MonitorRow>(sql)
        .bind(id.0)
        .fetch_optional(executor)
        .await?
        .ok_or_else(|| StoreError::not_found("monitor", id))?
        .into_monitor()
}

pub(super) async fn get(pool: &PgPool, id: MonitorId) -> Result<Monitor> {
    fetch(pool, id, false).await
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

pub(super) async fn update(store: &PgStore, monitor: &Monitor, now: SystemTime) -> Result<Monitor> {
    let mut tx = store.pool.begin().await?;
    let old = fetch(&mut *tx, monitor.id, true).await?;
    let update = logic::updated_monitor(&old, monitor, now)?;
    let stored = update.monitor;
    sqlx::query(
        "UPDATE monitors SET name = $2, definition = $3, interval_ms = $4, enabled = $5, \
         state = $6, next_due_at_ms = COALESCE($7, next_due_at_ms), updated_at_ms = $8 \
         WHERE id = $1",
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
    store: &PgStore,
    id: MonitorId,
    enabled: bool,
    now: SystemTime,
) -> Result<Monitor> {
    let mut monitor = get(&store.pool, id).await?;
    monitor.enabled = enabled;
    update(store, &monitor, now).await
}

pub(super) async fn delete(store: &PgStore, id: MonitorId) -> Result<()> {
    let mut tx = store.pool.begin().await?;
    incidents::delete_monitor(&mut *tx, id).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn set_state(
    store: &PgStore,
    id: MonitorId,
    to: MonitorState,
    at: SystemTime,
    cause: &str,
) -> Result<StateChange> {
    let mut tx = store.pool.begin().await?;
    let change = incidents::change_state(&mut *tx, id, to, at, cause).await?;
    tx.commit().await?;
    Ok(change)
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
