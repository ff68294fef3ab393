//! Every write to a monitor — create, update, delete, and state changes with the incidents
//! they open, escalate and close — as one flow for both dialects, inside the caller's write
//! transaction.
//!
//! The statements are the same text on both (`$N` placeholders work on SQLite too), so one
//! macro implements [`MonitorTx`] for each dialect's connection; only the row lock and the
//! JSON function that expands labels differ.

use std::time::SystemTime;

use pulsar_core::{
    Incident, IncidentAction, IncidentId, Monitor, MonitorId, MonitorState, RESOLUTION_PAUSED,
    unix_ms,
};

use crate::error::{Result, StoreError, is_unique_violation, violation_mentions};
use crate::logic;
use crate::query::StateChange;
use crate::rows::{
    IncidentRow, MonitorRow, incident_columns, interval_ms, labels_json, monitor_columns,
    monitor_definition, parse_state, state_name,
};

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

/// The statements of every monitor write (row, labels, state, incidents, deletion), run on
/// a connection inside a write transaction.
pub(crate) trait MonitorTx: Send {
    /// The monitor; with `lock`, its row is locked for the transaction on PostgreSQL.
    async fn fetch_monitor(&mut self, id: MonitorId, lock: bool) -> Result<Monitor>;
    /// Inserts or rewrites a monitor row (not its labels); a rewrite keeps the stored
    /// `next_due_at_ms` when given `None`.
    async fn write_monitor(
        &mut self,
        how: RowWrite,
        monitor: &Monitor,
        next_due_at_ms: Option<i64>,
    ) -> Result<()>;
    /// Replaces the monitor's labels.
    async fn write_labels(&mut self, monitor: &Monitor) -> Result<()>;
    /// The monitor's enabled flag and stored state. On PostgreSQL the row is locked, which
    /// serializes state changes of one monitor (SQLite's write transaction already does).
    async fn monitor_state(&mut self, id: MonitorId) -> Result<Option<(bool, String)>>;
    async fn set_monitor_state(&mut self, id: MonitorId, state: MonitorState) -> Result<()>;
    /// The monitor's open incident (at most one, by a unique index).
    async fn open_incident(&mut self, id: MonitorId) -> Result<Option<Incident>>;
    /// Inserts an open incident; returns its id.
    async fn insert_incident(
        &mut self,
        id: MonitorId,
        state: MonitorState,
        opened_at_ms: i64,
        cause: &str,
    ) -> Result<i64>;
    async fn set_incident_state(&mut self, id: IncidentId, state: MonitorState) -> Result<()>;
    async fn close_incident(&mut self, id: IncidentId, at_ms: i64, resolution: &str) -> Result<()>;
    /// Deletes the monitor (its results, labels and incidents cascade); returns whether it
    /// existed.
    async fn delete_monitor(&mut self, id: MonitorId) -> Result<bool>;
    /// Deletes the monitor's rollups, which carry no foreign key (it would cost a check per
    /// row on the ingest path).
    async fn delete_rollups(&mut self, id: MonitorId) -> Result<()>;
}

/// Whether [`MonitorTx::write_monitor`] inserts a new row or rewrites a stored one.
#[derive(Clone, Copy)]
pub(crate) enum RowWrite {
    Insert,
    Rewrite,
}

/// Both bind the same eight values: id, name, definition, interval, enabled, state, next due
/// time, and the time of the write.
const INSERT_MONITOR: &str = "INSERT INTO monitors (id, name, definition, interval_ms, enabled, \
     state, next_due_at_ms, created_at_ms, updated_at_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)";
const REWRITE_MONITOR: &str = "UPDATE monitors SET name = $2, definition = $3, interval_ms = $4, \
     enabled = $5, state = $6, next_due_at_ms = COALESCE($7, next_due_at_ms), \
     updated_at_ms = $8 WHERE id = $1";

macro_rules! impl_monitor_tx {
    ($conn:ty, lock: $lock:literal, labels: $labels:literal) => {
        impl MonitorTx for $conn {
            async fn fetch_monitor(&mut self, id: MonitorId, lock: bool) -> Result<Monitor> {
                let sql = if lock {
                    concat!(
                        "SELECT ",
                        monitor_columns!(),
                        " FROM monitors WHERE id = $1",
                        $lock
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
                    .fetch_optional(self)
                    .await?
                    .ok_or_else(|| StoreError::not_found("monitor", id))?
                    .into_monitor()
            }

            async fn write_monitor(
                &mut self,
                how: RowWrite,
                monitor: &Monitor,
                next_due_at_ms: Option<i64>,
            ) -> Result<()> {
                let (sql, at) = match how {
                    RowWrite::Insert => (INSERT_MONITOR, monitor.created_at),
                    RowWrite::Rewrite => (REWRITE_MONITOR, monitor.updated_at),
                };
                sqlx::query(sql)
                    .bind(monitor.id.0)
                    .bind(&monitor.name)
                    .bind(monitor_definition(monitor))
                    .bind(interval_ms(monitor))
                    .bind(monitor.enabled)
                    .bind(state_name(monitor.state))
                    .bind(next_due_at_ms)
                    .bind(unix_ms(at))
                    .execute(self)
                    .await
                    .map_err(|e| name_or_id_taken(e, monitor))?;
                Ok(())
            }

            async fn write_labels(&mut self, monitor: &Monitor) -> Result<()> {
                sqlx::query("DELETE FROM monitor_labels WHERE monitor_id = $1")
                    .bind(monitor.id.0)
                    .execute(&mut *self)
                    .await?;
                sqlx::query(concat!(
                    "INSERT INTO monitor_labels (monitor_id, key, value) \
                     SELECT $1, key, value FROM ",
                    $labels
                ))
                .bind(monitor.id.0)
                .bind(labels_json(&monitor.labels))
                .execute(self)
                .await?;
                Ok(())
            }

            async fn monitor_state(&mut self, id: MonitorId) -> Result<Option<(bool, String)>> {
                let sql = concat!("SELECT enabled, state FROM monitors WHERE id = $1", $lock);
                Ok(sqlx::query_as(sql).bind(id.0).fetch_optional(self).await?)
            }

            async fn set_monitor_state(
                &mut self,
                id: MonitorId,
                state: MonitorState,
            ) -> Result<()> {
                sqlx::query("UPDATE monitors SET state = $2 WHERE id = $1")
                    .bind(id.0)
                    .bind(state_name(state))
                    .execute(self)
                    .await?;
                Ok(())
            }

            async fn open_incident(&mut self, id: MonitorId) -> Result<Option<Incident>> {
                sqlx::query_as::<_, IncidentRow>(concat!(
                    "SELECT ",
                    incident_columns!(),
                    " FROM incidents WHERE monitor_id = $1 AND closed_at_ms IS NULL"
                ))
                .bind(id.0)
                .fetch_optional(self)
                .await?
                .map(IncidentRow::into_incident)
                .transpose()
            }

            async fn insert_incident(
                &mut self,
                id: MonitorId,
                state: MonitorState,
                opened_at_ms: i64,
                cause: &str,
            ) -> Result<i64> {
                let sql = "INSERT INTO incidents (monitor_id, state, opened_at_ms, \
                           closed_at_ms, cause, resolution) \
                           VALUES ($1, $2, $3, NULL, $4, '') RETURNING id";
                Ok(sqlx::query_scalar(sql)
                    .bind(id.0)
                    .bind(state_name(state))
                    .bind(opened_at_ms)
                    .bind(cause)
                    .fetch_one(self)
                    .await?)
            }

            async fn set_incident_state(
                &mut self,
                id: IncidentId,
                state: MonitorState,
            ) -> Result<()> {
                sqlx::query("UPDATE incidents SET state = $2 WHERE id = $1")
                    .bind(id.0)
                    .bind(state_name(state))
                    .execute(self)
                    .await?;
                Ok(())
            }

            async fn close_incident(
                &mut self,
                id: IncidentId,
                at_ms: i64,
                resolution: &str,
            ) -> Result<()> {
                sqlx::query(
                    "UPDATE incidents SET closed_at_ms = $2, resolution = $3 WHERE id = $1",
                )
                .bind(id.0)
                .bind(at_ms)
                .bind(resolution)
                .execute(self)
                .await?;
                Ok(())
            }

            async fn delete_monitor(&mut self, id: MonitorId) -> Result<bool> {
                let done = sqlx::query("DELETE FROM monitors WHERE id = $1")
                    .bind(id.0)
                    .execute(self)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn delete_rollups(&mut self, id: MonitorId) -> Result<()> {
                sqlx::query("DELETE FROM rollups WHERE monitor_id = $1")
                    .bind(id.0)
                    .execute(self)
                    .await?;
                Ok(())
            }
        }
    };
}

impl_monitor_tx!(sqlx::SqliteConnection, lock: "", labels: "json_each($2)");
impl_monitor_tx!(
    sqlx::PgConnection,
    lock: " FOR UPDATE",
    labels: "jsonb_each_text($2::jsonb)"
);

/// Writes a monitor checked by `logic::new_monitor` (which the caller runs before taking the
/// write lock, so a bad monitor never waits for it); returns it.
pub(crate) async fn create<C: MonitorTx>(
    conn: &mut C,
    checked: Monitor,
    next_due_at_ms: i64,
) -> Result<Monitor> {
    conn.write_monitor(RowWrite::Insert, &checked, Some(next_due_at_ms))
        .await?;
    conn.write_labels(&checked).await?;
    Ok(checked)
}

/// Updates a monitor (see `logic::updated_monitor` for what may change); pausing it closes
/// its open incident.
pub(crate) async fn update<C: MonitorTx>(
    conn: &mut C,
    monitor: &Monitor,
    now: SystemTime,
) -> Result<Monitor> {
    let old = conn.fetch_monitor(monitor.id, true).await?;
    let update = logic::updated_monitor(&old, monitor, now)?;
    let stored = update.monitor;
    conn.write_monitor(RowWrite::Rewrite, &stored, update.next_due_at_ms)
        .await?;
    conn.write_labels(&stored).await?;
    if update.pauses {
        close_open_incident(conn, stored.id, now, RESOLUTION_PAUSED).await?;
    }
    Ok(stored)
}

/// Enables or disables a monitor, as [`update`] does.
pub(crate) async fn set_enabled<C: MonitorTx>(
    conn: &mut C,
    id: MonitorId,
    enabled: bool,
    now: SystemTime,
) -> Result<Monitor> {
    let mut monitor = conn.fetch_monitor(id, true).await?;
    monitor.enabled = enabled;
    update(conn, &monitor, now).await
}

/// Closes the monitor's open incident, if any, at `at`; returns it closed.
async fn close_open_incident<C: MonitorTx>(
    conn: &mut C,
    id: MonitorId,
    at: SystemTime,
    resolution: &str,
) -> Result<Option<Incident>> {
    let Some(open) = conn.open_incident(id).await? else {
        return Ok(None);
    };
    Ok(Some(close(conn, open, at, resolution).await?))
}

async fn close<C: MonitorTx>(
    conn: &mut C,
    open: Incident,
    at: SystemTime,
    resolution: &str,
) -> Result<Incident> {
    let at = logic::truncate_ms(at);
    conn.close_incident(open.id, unix_ms(at), resolution)
        .await?;
    Ok(Incident {
        closed_at: Some(at),
        resolution: resolution.to_owned(),
        ..open
    })
}

/// Records a check's verdict `to` for the monitor at `at` (see `logic::state_change` for
/// the rule) and opens, escalates or closes its incident accordingly.
pub(crate) async fn set_state<C: MonitorTx>(
    conn: &mut C,
    id: MonitorId,
    to: MonitorState,
    at: SystemTime,
    cause: &str,
) -> Result<StateChange> {
    let (enabled, state) = conn
        .monitor_state(id)
        .await?
        .ok_or_else(|| StoreError::not_found("monitor", id))?;
    let previous = parse_state(&state)?;
    let open = conn.open_incident(id).await?;
    let (current, action) =
        logic::state_change(enabled, previous, open.as_ref().map(|i| i.state), to);
    if current != previous {
        conn.set_monitor_state(id, current).await?;
    }
    let incident = match (action, open) {
        (IncidentAction::Open, _) => {
            let opened_at = logic::truncate_ms(at);
            let incident_id = conn
                .insert_incident(id, current, unix_ms(opened_at), cause)
                .await?;
            Some(Incident {
                id: IncidentId(incident_id),
                monitor_id: id,
                state: current,
                opened_at,
                closed_at: None,
                cause: cause.to_owned(),
                resolution: String::new(),
            })
        }
        (IncidentAction::Escalate, Some(open)) => {
            conn.set_incident_state(open.id, current).await?;
            Some(Incident {
                state: current,
                ..open
            })
        }
        (IncidentAction::Close, Some(open)) => {
            Some(close(conn, open, at, IncidentAction::resolution(current)).await?)
        }
        _ => None,
    };
    Ok(StateChange {
        previous,
        current,
        action,
        incident,
    })
}

/// Deletes a monitor and everything of it. Deleting the monitor row first waits for
/// batches still writing its results, so none of their rollups outlive it.
pub(crate) async fn delete<C: MonitorTx>(conn: &mut C, id: MonitorId) -> Result<()> {
    if !conn.delete_monitor(id).await? {
        return Err(StoreError::not_found("monitor", id));
    }
    conn.delete_rollups(id).await
}
