//! Monitors: reads, and every write — create, update, delete, and the state changes with the
//! incidents they open, escalate and close — with their SQL, the same text on both dialects.
//! Writes run inside the caller's write transaction; only the row lock differs
//! ([`DialectSql::lock_rows`](crate::backend::DialectSql)), and, in the scheduler's
//! claim, how due rows are locked and their new due times bound
//! ([`Claim`](crate::backend::Claim)).

use std::time::{Duration, SystemTime};

use pulsar_core::{
    Incident, IncidentAction, IncidentId, Monitor, MonitorId, MonitorState, MonitorUpdate,
    NewMonitor, RESOLUTION_PAUSED, claimed_slot, slot_after, state_change, truncate_to_ms, unix_ms,
};

use uuid::Uuid;

use crate::backend::Backend;
use crate::error::{Result, StoreError, is_unique_violation, violation_mentions};
use crate::query::{DueCheck, MonitorFilter, MonitorWrite, Page, PageRequest, StateChange};
use crate::rows::{
    INCIDENT_SELECT, IncidentRow, MONITOR_SELECT, MonitorRow, interval_ms, monitor_definition,
    parse_state, state_name,
};
use crate::sql::{Conn, Field, ROWS_PER_STATEMENT, Statement, update_values};

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

// ---- reads ----

pub(crate) async fn get<C: Conn>(conn: &mut C, id: MonitorId) -> Result<Monitor> {
    fetch(conn, id, "").await
}

/// The monitor; `lock` is appended to the query ([`DialectSql::lock_rows`](crate::backend::DialectSql) or nothing).
async fn fetch<C: Conn>(conn: &mut C, id: MonitorId, lock: &str) -> Result<Monitor> {
    let sql = format!("SELECT {MONITOR_SELECT} FROM monitors WHERE id = $1{lock}");
    conn.fetch_optional::<MonitorRow>(Statement::composed(sql).bind(id.0))
        .await?
        .ok_or_else(|| StoreError::not_found("monitor", id))?
        .into_monitor()
}

/// Monitors by name (byte order on both dialects: PostgreSQL's name columns use the "C"
/// collation), after the cursor, with every requested label and the requested state.
pub(crate) async fn list<C: Conn>(
    conn: &mut C,
    filter: &MonitorFilter,
    page: &PageRequest,
) -> Result<Page<Monitor>> {
    let mut sql = format!(
        "SELECT {MONITOR_SELECT} FROM monitors m \
         WHERE ($1 IS NULL OR m.state = $1) AND ($2 IS NULL OR m.name > $2)"
    );
    for i in 0..filter.labels.len() {
        let (key, value) = (4 + 2 * i, 5 + 2 * i);
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM monitor_labels l WHERE l.monitor_id = m.id \
             AND l.key = ${key} AND l.value = ${value})"
        ));
    }
    let text = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if text.is_some() {
        // LIKE folds ASCII case on SQLite only: lower() both sides for the same answer.
        let n = 4 + 2 * filter.labels.len();
        sql.push_str(&format!(
            " AND (lower(m.name) LIKE ${n} ESCAPE '\\' OR lower(m.url) LIKE ${n} ESCAPE '\\')"
        ));
    }
    sql.push_str(" ORDER BY m.name LIMIT $3");
    let mut statement = Statement::composed(sql)
        .bind(filter.state.map(state_name))
        .bind(page.cursor.as_deref())
        .bind(page.fetch_limit());
    for (key, value) in &filter.labels {
        statement = statement.bind(key).bind(value);
    }
    let pattern = text.map(like_pattern);
    if let Some(pattern) = &pattern {
        statement = statement.bind(pattern);
    }
    let monitors = conn
        .fetch_all::<MonitorRow>(statement)
        .await?
        .into_iter()
        .map(MonitorRow::into_monitor)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::from_rows(monitors, page, |m| m.name.clone()))
}

/// A `LIKE` pattern matching `text` anywhere, case-insensitively (with `lower()` on the
/// column), its own `%`, `_` and `\` taken literally.
fn like_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

// ---- the scheduler's claim ----

/// Reads up to `limit` enabled monitors due at `now` (earliest first), in the caller's write
/// transaction, and returns them with the slot each runs and the due time it leaves
/// behind; the caller writes those due times
/// ([`Claim::set_due_times`](crate::backend::Claim::set_due_times)) before it commits.
/// The slot claimed is the latest at or before `now`: after downtime, missed slots are
/// skipped, not replayed. Concurrent claimers never claim the same slot: PostgreSQL skips
/// rows another claimer has locked, whose due times lie after `now` once it commits; on
/// SQLite a second claimer waits for the write lock and then sees the moved due times.
///
/// A monitor whose stored definition no longer decodes is skipped and reported in the log,
/// and its due time still moves on (by the interval column), so it neither stalls the
/// claims of the others nor is read again on every tick.
pub(crate) async fn due<B: Backend>(
    tx: &mut B::Conn,
    now: SystemTime,
    limit: u32,
) -> Result<(Vec<DueCheck>, Vec<(Uuid, i64)>)> {
    let sql = format!(
        "SELECT {MONITOR_SELECT}, interval_ms FROM monitors \
         WHERE enabled AND next_due_at_ms <= $1 ORDER BY next_due_at_ms LIMIT $2{}",
        B::SQL.skip_locked
    );
    let statement = Statement::composed(sql)
        .bind(unix_ms(now))
        .bind(i64::from(limit));
    let rows: Vec<ClaimRow> = tx.fetch_all(statement).await?;
    let mut due = Vec::with_capacity(rows.len());
    let mut next_due = Vec::with_capacity(rows.len());
    for row in rows {
        let id = MonitorId(row.monitor.id);
        let interval = Duration::from_millis(u64::try_from(row.interval_ms).unwrap_or(0));
        match row.monitor.into_monitor() {
            Ok(monitor) => {
                let (slot, next) = claimed_slot(&monitor, now);
                next_due.push((id.0, unix_ms(next)));
                due.push(DueCheck { monitor, slot });
            }
            Err(error) => {
                tracing::error!(monitor = %id, %error, "skipping a monitor whose stored definition does not decode");
                next_due.push((id.0, unix_ms(slot_after(id, interval, now))));
            }
        }
    }
    Ok((due, next_due))
}

/// Hands claimed slots back, for a scheduler that could not enqueue them: each monitor whose
/// due time is still the one its claim left (the slot after the claimed one) is due at the
/// claimed slot again, so the next claim takes it — or, if that claim comes after the next
/// slot, the newer slot. A monitor changed since (edited, paused, deleted) is left as it is. Returns how many slots were handed back.
pub(crate) async fn release<B: Backend>(tx: &mut B::Conn, claims: &[DueCheck]) -> Result<u64> {
    let rows: Vec<Vec<Field<'static>>> = claims
        .iter()
        .map(|claim| {
            let left = unix_ms(claim.slot + claim.monitor.interval);
            // The due time alone cannot tell an edit: a new interval's grid can hold the
            // same next slot. Any edit, pause or resume moves `updated_at`.
            vec![
                Field::key("id", claim.monitor.id.0),
                Field::plain("next_due_at_ms", unix_ms(claim.slot)),
                Field::key("next_due_at_ms", left),
                Field::key("updated_at_ms", unix_ms(claim.monitor.updated_at)),
            ]
        })
        .collect();
    let mut released = 0;
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let statement = update_values("monitors", chunk, B::SQL.placeholders);
        released += tx.execute(statement).await?;
    }
    Ok(released)
}

/// A claimed monitor's row, with its interval as a column: what moves its schedule on even
/// when its definition does not decode.
#[derive(sqlx::FromRow)]
struct ClaimRow {
    #[sqlx(flatten)]
    monitor: MonitorRow,
    interval_ms: i64,
}

// ---- writes ----

/// Whether [`write_row`] inserts a new row or rewrites a stored one. Both bind the same
/// eight values: id, name, definition, interval, enabled, state, next due time, and the
/// time of the write; a rewrite keeps the stored due time when given none.
#[derive(Clone, Copy)]
enum RowWrite {
    Insert,
    Rewrite,
}

const INSERT_MONITOR: &str = "INSERT INTO monitors (id, name, definition, interval_ms, enabled, \
     state, next_due_at_ms, created_at_ms, updated_at_ms, url) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)";
const REWRITE_MONITOR: &str = "UPDATE monitors SET name = $2, definition = $3, interval_ms = $4, \
     enabled = $5, state = $6, next_due_at_ms = COALESCE($7, next_due_at_ms), \
     updated_at_ms = $8, url = $9 WHERE id = $1";

async fn write_row<C: Conn>(
    conn: &mut C,
    how: RowWrite,
    monitor: &Monitor,
    next_due_at_ms: Option<i64>,
) -> Result<()> {
    let (sql, at) = match how {
        RowWrite::Insert => (INSERT_MONITOR, monitor.created_at),
        RowWrite::Rewrite => (REWRITE_MONITOR, monitor.updated_at),
    };
    let definition = monitor_definition(monitor);
    let statement = Statement::new(sql)
        .bind(monitor.id.0)
        .bind(&monitor.name)
        .bind(&definition)
        .bind(interval_ms(monitor))
        .bind(monitor.enabled)
        .bind(state_name(monitor.state))
        .bind(next_due_at_ms)
        .bind(unix_ms(at))
        .bind(&monitor.check.url);
    conn.execute(statement)
        .await
        .map_err(|e| name_or_id_taken(e, monitor))?;
    Ok(())
}

/// Replaces the monitor's labels.
async fn write_labels<C: Conn>(conn: &mut C, monitor: &Monitor) -> Result<()> {
    let delete = Statement::new("DELETE FROM monitor_labels WHERE monitor_id = $1");
    conn.execute(delete.bind(monitor.id.0)).await?;
    if monitor.labels.is_empty() {
        return Ok(());
    }
    let rows: Vec<String> = (0..monitor.labels.len())
        .map(|i| format!("($1, ${}, ${})", 2 + 2 * i, 3 + 2 * i))
        .collect();
    let sql = format!(
        "INSERT INTO monitor_labels (monitor_id, key, value) VALUES {}",
        rows.join(", ")
    );
    let mut insert = Statement::composed(sql).bind(monitor.id.0);
    for (key, value) in &monitor.labels {
        insert = insert.bind(key).bind(value);
    }
    conn.execute(insert).await?;
    Ok(())
}

/// Writes a monitor checked by [`NewMonitor::new`] (which the caller runs before taking the
/// write lock, so a bad monitor never waits for it); returns it.
pub(crate) async fn create<B: Backend>(conn: &mut B::Conn, new: NewMonitor) -> Result<Monitor> {
    let first_due = unix_ms(new.first_due);
    write_row(conn, RowWrite::Insert, &new.monitor, Some(first_due)).await?;
    write_labels(conn, &new.monitor).await?;
    Ok(new.monitor)
}

/// Updates a monitor (see [`MonitorUpdate::new`] for what may change); pausing it closes
/// its open incident.
pub(crate) async fn update<B: Backend>(
    conn: &mut B::Conn,
    monitor: &Monitor,
    now: SystemTime,
) -> Result<MonitorWrite> {
    let old = fetch(conn, monitor.id, B::SQL.lock_rows).await?;
    rewrite(conn, &old, monitor, now).await
}

/// The cause of the state change a pause or a resume makes.
const RESUMED: &str = "resumed";

async fn rewrite<C: Conn>(
    conn: &mut C,
    old: &Monitor,
    new: &Monitor,
    now: SystemTime,
) -> Result<MonitorWrite> {
    let update = MonitorUpdate::new(old, new, now)?;
    let stored = update.monitor;
    let next_due = update.next_due.map(unix_ms);
    write_row(conn, RowWrite::Rewrite, &stored, next_due).await?;
    write_labels(conn, &stored).await?;
    let closed = match update.pauses {
        true => close_open_incident(conn, stored.id, now, RESOLUTION_PAUSED).await?,
        false => None,
    };
    // A pause or a resume is a change of state, told like one the checks cause.
    let state_change =
        (stored.state != old.state && old.enabled != stored.enabled).then(|| StateChange {
            monitor_id: stored.id,
            previous: old.state,
            current: stored.state,
            action: match closed {
                Some(_) => IncidentAction::Close,
                None => IncidentAction::None,
            },
            incident: closed,
            cause: if update.pauses {
                RESOLUTION_PAUSED
            } else {
                RESUMED
            }
            .to_owned(),
        });
    Ok(MonitorWrite {
        monitor: stored,
        state_change,
    })
}

/// Enables or disables a monitor, as [`update`] does.
pub(crate) async fn set_enabled<B: Backend>(
    conn: &mut B::Conn,
    id: MonitorId,
    enabled: bool,
    now: SystemTime,
) -> Result<MonitorWrite> {
    let old = fetch(conn, id, B::SQL.lock_rows).await?;
    let new = Monitor {
        enabled,
        ..old.clone()
    };
    rewrite(conn, &old, &new, now).await
}

/// Deletes a monitor and everything of it: its results, labels and incidents cascade; its
/// rollups carry no foreign key (it would cost a check per row on the ingest path), so they
/// go by hand. Deleting the monitor row first waits for folds still writing its rollups.
pub(crate) async fn delete<C: Conn>(conn: &mut C, id: MonitorId) -> Result<()> {
    let statement = Statement::new("DELETE FROM monitors WHERE id = $1").bind(id.0);
    if conn.execute(statement).await? == 0 {
        return Err(StoreError::not_found("monitor", id));
    }
    let strip = Statement::new("DELETE FROM recent_checks WHERE monitor_id = $1").bind(id.0);
    conn.execute(strip).await?;
    let rollups = Statement::new("DELETE FROM rollups WHERE monitor_id = $1").bind(id.0);
    conn.execute(rollups).await?;
    Ok(())
}

// ---- state changes and incidents ----

/// The monitor's open incident (at most one, by a unique index).
pub(crate) async fn open_incident<C: Conn>(
    conn: &mut C,
    id: MonitorId,
) -> Result<Option<Incident>> {
    let sql = format!(
        "SELECT {INCIDENT_SELECT} FROM incidents WHERE monitor_id = $1 AND closed_at_ms IS NULL"
    );
    conn.fetch_optional::<IncidentRow>(Statement::composed(sql).bind(id.0))
        .await?
        .map(IncidentRow::into_incident)
        .transpose()
}

/// Closes the monitor's open incident, if any, at `at`; returns it closed.
async fn close_open_incident<C: Conn>(
    conn: &mut C,
    id: MonitorId,
    at: SystemTime,
    resolution: &str,
) -> Result<Option<Incident>> {
    match open_incident(conn, id).await? {
        Some(open) => Ok(Some(close(conn, open, at, resolution).await?)),
        None => Ok(None),
    }
}

/// Closes `open` at `at`; returns it closed.
async fn close<C: Conn>(
    conn: &mut C,
    open: Incident,
    at: SystemTime,
    resolution: &str,
) -> Result<Incident> {
    let at = truncate_to_ms(at);
    let statement =
        Statement::new("UPDATE incidents SET closed_at_ms = $2, resolution = $3 WHERE id = $1")
            .bind(open.id.0)
            .bind(unix_ms(at))
            .bind(resolution);
    conn.execute(statement).await?;
    Ok(Incident {
        closed_at: Some(at),
        resolution: resolution.to_owned(),
        ..open
    })
}

/// Records a check's verdict `to` for the monitor at `at` (see [`state_change`] for
/// the rule) and opens, escalates or closes its incident accordingly. The monitor's row is
/// read with [`DialectSql::lock_rows`](crate::dialect::DialectSql), which serializes the
/// state changes of one monitor.
pub(crate) async fn set_state<B: Backend>(
    conn: &mut B::Conn,
    id: MonitorId,
    to: MonitorState,
    at: SystemTime,
    cause: &str,
) -> Result<StateChange> {
    let sql = format!(
        "SELECT enabled, state FROM monitors WHERE id = $1{}",
        B::SQL.lock_rows
    );
    let (enabled, state): (bool, String) = conn
        .fetch_optional(Statement::composed(sql).bind(id.0))
        .await?
        .ok_or_else(|| StoreError::not_found("monitor", id))?;
    let previous = parse_state(&state)?;
    change_state(conn, id, enabled, previous, to, at, cause).await
}

/// Moves a monitor (locked by the caller) from `previous` to `to` as [`state_change`]
/// says, and opens, escalates or closes its incident accordingly.
pub(crate) async fn change_state<C: Conn>(
    conn: &mut C,
    id: MonitorId,
    enabled: bool,
    previous: MonitorState,
    to: MonitorState,
    at: SystemTime,
    cause: &str,
) -> Result<StateChange> {
    let open = open_incident(conn, id).await?;
    let (current, action) = state_change(enabled, previous, open.as_ref().map(|i| i.state), to);
    if current != previous {
        // A pause or a resume is a person's own doing: nothing to tell the channels, and
        // what they were told before no longer stands.
        let sql = if current == MonitorState::Paused || previous == MonitorState::Paused {
            "UPDATE monitors SET state = $2, announced_state = $2 WHERE id = $1"
        } else {
            "UPDATE monitors SET state = $2 WHERE id = $1"
        };
        let statement = Statement::new(sql).bind(id.0).bind(state_name(current));
        conn.execute(statement).await?;
    }
    let incident = match (action, open) {
        (IncidentAction::Open, _) => Some(open_new_incident(conn, id, current, at, cause).await?),
        (IncidentAction::Escalate, Some(open)) => {
            let statement = Statement::new("UPDATE incidents SET state = $2 WHERE id = $1")
                .bind(open.id.0)
                .bind(state_name(current));
            conn.execute(statement).await?;
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
        monitor_id: id,
        previous,
        current,
        action,
        incident,
        cause: cause.to_owned(),
    })
}

async fn open_new_incident<C: Conn>(
    conn: &mut C,
    id: MonitorId,
    state: MonitorState,
    at: SystemTime,
    cause: &str,
) -> Result<Incident> {
    let opened_at = truncate_to_ms(at);
    let statement = Statement::new(
        "INSERT INTO incidents (monitor_id, state, opened_at_ms, closed_at_ms, cause, \
         resolution) VALUES ($1, $2, $3, NULL, $4, '') RETURNING id",
    )
    .bind(id.0)
    .bind(state_name(state))
    .bind(unix_ms(opened_at))
    .bind(cause);
    let (incident_id,): (i64,) = conn
        .fetch_optional(statement)
        .await?
        .ok_or_else(|| StoreError::internal("an insert returned no id"))?;
    Ok(Incident {
        id: IncidentId(incident_id),
        monitor_id: id,
        state,
        opened_at,
        closed_at: None,
        cause: cause.to_owned(),
        resolution: String::new(),
    })
}
