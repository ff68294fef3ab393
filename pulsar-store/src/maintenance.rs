//! Maintenance windows, with their SQL (the same text on both dialects), and the marking of
//! results checked while one mutes their monitor ([`pulsar_core::in_maintenance`]).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use prost::Message;
use pulsar_core::proto::v1;
use pulsar_core::{
    CheckResult, MaintenanceWindow, MonitorId, WindowId, from_unix_ms, in_maintenance,
    truncate_to_ms, unix_ms,
};
use uuid::Uuid;

use crate::backend::Backend;
use crate::error::{Result, StoreError, is_unique_violation};
use crate::sql::{Conn, Statement, Value};

const WINDOW_SELECT: &str = "id, name, definition, created_at_ms, updated_at_ms";

#[derive(sqlx::FromRow)]
struct WindowRow {
    id: i64,
    name: String,
    definition: Vec<u8>,
    created_at_ms: i64,
    updated_at_ms: i64,
}

impl WindowRow {
    fn into_window(self) -> Result<MaintenanceWindow> {
        let wire = v1::MaintenanceWindow::decode(self.definition.as_slice())
            .map_err(StoreError::internal)?;
        let mut window = MaintenanceWindow::try_from(wire).map_err(StoreError::internal)?;
        window.id = WindowId(self.id);
        window.name = self.name;
        window.created_at = from_unix_ms(self.created_at_ms);
        window.updated_at = from_unix_ms(self.updated_at_ms);
        Ok(window)
    }
}

/// The schedule and selection, as stored (name, id and times live in their columns).
fn definition(window: &MaintenanceWindow) -> Vec<u8> {
    let mut wire = v1::MaintenanceWindow::from(window.clone());
    wire.id = 0;
    wire.name.clear();
    wire.created_at_unix_ms = 0;
    wire.updated_at_unix_ms = 0;
    wire.encode_to_vec()
}

fn name_taken(error: sqlx::Error, window: &MaintenanceWindow) -> StoreError {
    if is_unique_violation(&error) {
        StoreError::already_exists("maintenance window", &window.name)
    } else {
        error.into()
    }
}

pub(crate) async fn create<C: Conn>(
    conn: &mut C,
    window: &MaintenanceWindow,
    now: SystemTime,
) -> Result<MaintenanceWindow> {
    window.validate()?;
    let now = truncate_to_ms(now);
    let stored = definition(window);
    let statement = Statement::new(
        "INSERT INTO maintenance_windows (name, definition, created_at_ms, updated_at_ms) \
         VALUES ($1, $2, $3, $3) RETURNING id",
    )
    .bind(&window.name)
    .bind(stored.as_slice())
    .bind(unix_ms(now));
    let (id,): (i64,) = conn
        .fetch_optional(statement)
        .await
        .map_err(|e| name_taken(e, window))?
        .ok_or_else(|| StoreError::internal("an insert returned no id"))?;
    Ok(MaintenanceWindow {
        id: WindowId(id),
        created_at: now,
        updated_at: now,
        ..window.clone()
    })
}

/// Every window, by name.
pub(crate) async fn list<C: Conn>(conn: &mut C) -> Result<Vec<MaintenanceWindow>> {
    let sql = format!("SELECT {WINDOW_SELECT} FROM maintenance_windows ORDER BY name");
    conn.fetch_all::<WindowRow>(Statement::composed(sql))
        .await?
        .into_iter()
        .map(WindowRow::into_window)
        .collect()
}

pub(crate) async fn update<C: Conn>(
    conn: &mut C,
    window: &MaintenanceWindow,
    now: SystemTime,
) -> Result<MaintenanceWindow> {
    window.validate()?;
    let stored = definition(window);
    let sql = format!(
        "UPDATE maintenance_windows SET name = $2, definition = $3, updated_at_ms = $4 \
         WHERE id = $1 RETURNING {WINDOW_SELECT}"
    );
    let statement = Statement::composed(sql)
        .bind(window.id.0)
        .bind(&window.name)
        .bind(stored.as_slice())
        .bind(unix_ms(now));
    conn.fetch_optional::<WindowRow>(statement)
        .await
        .map_err(|e| name_taken(e, window))?
        .ok_or_else(|| StoreError::not_found("maintenance window", window.id))?
        .into_window()
}

pub(crate) async fn delete<C: Conn>(conn: &mut C, id: WindowId) -> Result<()> {
    let statement = Statement::new("DELETE FROM maintenance_windows WHERE id = $1").bind(id.0);
    if conn.execute(statement).await? == 0 {
        return Err(StoreError::not_found("maintenance window", id));
    }
    Ok(())
}

/// `results`, with `maintenance` set on those checked while a window muted their monitor.
/// Borrowed unchanged when no window was open at any of their times (the usual case: one
/// small read).
pub(crate) async fn mark<'r, B: Backend>(
    conn: &mut B::Conn,
    results: &'r [CheckResult],
) -> Result<Cow<'r, [CheckResult]>> {
    let open: Vec<MaintenanceWindow> = list(conn)
        .await?
        .into_iter()
        .filter(|w| results.iter().any(|r| w.active_at(r.started_at)))
        .collect();
    if open.is_empty() {
        return Ok(Cow::Borrowed(results));
    }
    let labels = if open.iter().any(|w| !w.labels.is_empty()) {
        labels_of::<B>(conn, results).await?
    } else {
        HashMap::new()
    };
    let none = BTreeMap::new();
    let marked = results
        .iter()
        .map(|result| {
            let labels = labels.get(&result.monitor_id).unwrap_or(&none);
            let muted = in_maintenance(&open, result.monitor_id, labels, result.started_at);
            CheckResult {
                maintenance: muted,
                ..result.clone()
            }
        })
        .collect();
    Ok(Cow::Owned(marked))
}

async fn labels_of<B: Backend>(
    conn: &mut B::Conn,
    results: &[CheckResult],
) -> Result<HashMap<MonitorId, BTreeMap<String, String>>> {
    let mut ids: Vec<Uuid> = results.iter().map(|r| r.monitor_id.0).collect();
    ids.sort_unstable();
    ids.dedup();
    let sql = format!(
        "SELECT monitor_id, key, value FROM monitor_labels WHERE monitor_id{}",
        B::SQL.in_ids
    );
    let rows: Vec<(Uuid, String, String)> = conn
        .fetch_all(Statement::composed(sql).bind(Value::Ids(&ids)))
        .await?;
    let mut labels: HashMap<MonitorId, BTreeMap<String, String>> = HashMap::new();
    for (id, key, value) in rows {
        labels.entry(MonitorId(id)).or_default().insert(key, value);
    }
    Ok(labels)
}
