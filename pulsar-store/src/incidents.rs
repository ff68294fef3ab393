//! Monitor state changes and the incidents they open, escalate and close, and monitor
//! deletion: one flow for both dialects, inside the caller's write transaction.
//!
//! The statements are the same text on both (`$N` placeholders work on SQLite too), so one
//! macro implements [`MonitorTx`] for each dialect's connection; only the row lock differs.

use std::time::SystemTime;

use pulsar_core::{Incident, IncidentAction, IncidentId, MonitorId, MonitorState, unix_ms};

use crate::error::{Result, StoreError};
use crate::logic;
use crate::query::StateChange;
use crate::rows::{IncidentRow, incident_columns, parse_state, state_name};

/// The statements of a monitor's state change and deletion, run on a connection inside a
/// write transaction.
pub(crate) trait MonitorTx: Send {
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

macro_rules! impl_monitor_tx {
    ($conn:ty, $lock:literal) => {
        impl MonitorTx for $conn {
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

impl_monitor_tx!(sqlx::SqliteConnection, "");
impl_monitor_tx!(sqlx::PgConnection, " FOR UPDATE");

/// Closes the monitor's open incident, if any, at `at`; returns it closed.
pub(crate) async fn close_open_incident<C: MonitorTx>(
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
pub(crate) async fn change_state<C: MonitorTx>(
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
pub(crate) async fn delete_monitor<C: MonitorTx>(conn: &mut C, id: MonitorId) -> Result<()> {
    if !conn.delete_monitor(id).await? {
        return Err(StoreError::not_found("monitor", id));
    }
    conn.delete_rollups(id).await
}
