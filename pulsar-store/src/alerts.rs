//! The alert rule applied as results are stored ([`pulsar_core::alert_step`]): each
//! monitor's alert memory lives in its row and moves with its new results, in slot order,
//! in the transaction that inserts them, so a late or redelivered result never flips a
//! state and a duplicate changes nothing.

use std::collections::{BTreeMap, HashSet};

use pulsar_core::{
    AlertMemory, AlertThresholds, CheckResult, Monitor, MonitorId, Notice, SlotVerdict, alert_step,
};
use uuid::Uuid;

use crate::backend::Backend;
use crate::error::Result;
use crate::monitors::change_state;
use crate::outbox;
use crate::query::StateChange;
use crate::rows::{ALERT_SELECT, AlertRow, MONITOR_SELECT, alert_fields};
use crate::sql::{Conn, ROWS_PER_STATEMENT, Statement, Value, update_values};

/// The monitors of a batch of results, locked for the transaction, with their memory.
pub(crate) struct Locked(Vec<(Monitor, AlertMemory)>);

/// Locks the monitors of `results` in id order — before the results are inserted, so that
/// concurrent batches queue on the same order instead of deadlocking — and reads their
/// state and alert memory.
pub(crate) async fn lock<B: Backend>(tx: &mut B::Conn, results: &[CheckResult]) -> Result<Locked> {
    let mut ids: Vec<Uuid> = results.iter().map(|r| r.monitor_id.0).collect();
    ids.sort_unstable();
    ids.dedup();
    let sql = format!(
        "SELECT {MONITOR_SELECT}, {ALERT_SELECT} FROM monitors WHERE id{} ORDER BY id{}",
        B::SQL.in_ids,
        B::SQL.lock_rows
    );
    let rows: Vec<AlertRow> = tx
        .fetch_all(Statement::composed(sql).bind(Value::Ids(&ids)))
        .await?;
    let monitors = rows
        .into_iter()
        .map(|row| {
            let memory = row.memory();
            Ok((row.monitor.into_monitor()?, memory))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Locked(monitors))
}

/// Applies the verdicts of the results that were new (their keys in `new`) to their
/// monitors, in slot order, changing states and incidents as the rule says; stores the
/// moved memories and returns the state changes in the order they happened.
pub(crate) async fn apply<B: Backend>(
    tx: &mut B::Conn,
    locked: Locked,
    results: &[CheckResult],
    new: &[(Uuid, i64)],
) -> Result<Vec<StateChange>> {
    let mut new: HashSet<(Uuid, i64)> = new.iter().copied().collect();
    let mut by_monitor: BTreeMap<MonitorId, Vec<&CheckResult>> = BTreeMap::new();
    for result in results {
        // `remove`: a result repeated in the batch counts once, as it was stored once. A
        // manual check is off the schedule, so the rule (which counts slots) never sees it.
        if new.remove(&(result.monitor_id.0, pulsar_core::unix_ms(result.slot))) && !result.manual {
            by_monitor
                .entry(result.monitor_id)
                .or_default()
                .push(result);
        }
    }
    let mut changes = Vec::new();
    let mut memories = Vec::new();
    for (monitor, mut memory) in locked.0 {
        let Some(mut verdicts) = by_monitor.remove(&monitor.id) else {
            continue;
        };
        verdicts.sort_by_key(|r| r.slot);
        let thresholds = AlertThresholds::from(&monitor);
        let mut state = monitor.state;
        let before = memory;
        for result in verdicts {
            let verdict = SlotVerdict {
                slot: result.slot,
                outcome: result.outcome,
                reason: &result.message,
            };
            let step = alert_step(state, memory, thresholds, verdict);
            memory = step.memory;
            if let Some(cause) = step.reason {
                let change = change_state(
                    tx,
                    monitor.id,
                    monitor.enabled,
                    state,
                    step.state,
                    result.started_at,
                    &cause,
                )
                .await?;
                // The notification goes out with the change or not at all: same transaction.
                let notice = Notice::of_change(
                    &monitor,
                    change.previous,
                    change.current,
                    &change.cause,
                    change.incident.as_ref(),
                    Some(result),
                    result.started_at,
                );
                if let Some(notice) = notice {
                    outbox::enqueue(tx, &notice).await?;
                }
                state = change.current;
                changes.push(change);
            }
        }
        if memory != before {
            memories.push(alert_fields(monitor.id.0, &memory));
        }
    }
    for chunk in memories.chunks(ROWS_PER_STATEMENT) {
        tx.execute(update_values("monitors", chunk, B::SQL.placeholders))
            .await?;
    }
    Ok(changes)
}
