//! The alert rule applied as results are stored ([`pulsar_core::alert_step`]): each
//! monitor's alert memory lives in its row and moves with its new results, in slot order,
//! in the transaction that inserts them, so a late or redelivered result never flips a
//! state and a duplicate changes nothing.

use std::collections::{BTreeMap, HashSet};

use pulsar_core::{
    AlertThresholds, CheckResult, Monitor, MonitorId, MonitorState, Notice, SlotVerdict,
    alert_step, certificate_warning, unix_ms,
};
use uuid::Uuid;

use crate::backend::Backend;
use crate::error::Result;
use crate::monitors::{change_state, open_incident};
use crate::outbox;
use crate::query::StateChange;
use crate::rows::{ALERT_SELECT, AlertRow, MONITOR_SELECT, Remembered, alert_fields};
use crate::sql::{Conn, ROWS_PER_STATEMENT, Statement, Value, update_values};

/// The monitors of a batch of results, locked for the transaction, with their memory and
/// the state their channels were last told of.
pub(crate) struct Locked(Vec<(Monitor, Remembered)>);

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
            let remembered = row.remembered()?;
            Ok((row.monitor.into_monitor()?, remembered))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Locked(monitors))
}

/// Applies the verdicts of the results that were new (their keys in `new`) to their
/// monitors, in slot order, changing states and incidents as the rule says; stores the
/// moved memories and returns the state changes in the order they happened.
///
/// Each change is announced — its notice written to the outbox for every routed channel —
/// unless the deciding check ran in maintenance (`CheckResult::maintenance`). The first check
/// after a window announces the state as it is then, if the channels were last told of
/// another one.
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
    for (monitor, before) in locked.0 {
        let Some(mut verdicts) = by_monitor.remove(&monitor.id) else {
            continue;
        };
        verdicts.sort_by_key(|r| r.slot);
        let thresholds = AlertThresholds::from(&monitor);
        let mut state = monitor.state;
        let Remembered {
            mut memory,
            mut announced,
            mut cert,
        } = before;
        for result in verdicts {
            let verdict = SlotVerdict {
                slot: result.slot,
                outcome: result.outcome,
                reason: &result.message,
            };
            let step = alert_step(state, memory, thresholds, verdict);
            memory = step.memory;
            let mut change = None;
            if let Some(cause) = step.reason {
                let changed = change_state(
                    tx,
                    monitor.id,
                    monitor.enabled,
                    state,
                    step.state,
                    result.started_at,
                    &cause,
                )
                .await?;
                state = changed.current;
                change = Some(changed);
            }
            if !result.maintenance && announced != state {
                announce(tx, &monitor, announced, state, change.as_ref(), result).await?;
                announced = state;
            }
            if !result.maintenance {
                cert = warn_of_expiry(tx, &monitor, cert, result).await?;
            }
            changes.extend(change);
        }
        let after = Remembered {
            memory,
            announced,
            cert,
        };
        if after != before {
            memories.push(alert_fields(monitor.id.0, &after));
        }
    }
    for chunk in memories.chunks(ROWS_PER_STATEMENT) {
        tx.execute(update_values("monitors", chunk, B::SQL.placeholders))
            .await?;
    }
    Ok(changes)
}

/// Warns of the certificate `result` saw when it reached one of the monitor's thresholds
/// not yet warned of (see [`certificate_warning`]); `cert` is the certificate last seen and
/// the smallest threshold warned of for it, and comes back updated. A new certificate
/// (another expiry) starts over.
async fn warn_of_expiry<C: Conn>(
    tx: &mut C,
    monitor: &Monitor,
    cert: (Option<i64>, Option<u32>),
    result: &CheckResult,
) -> Result<(Option<i64>, Option<u32>)> {
    let Some(tls) = &result.tls else {
        return Ok(cert);
    };
    let (Some(not_after), Some(days)) = (tls.not_after, tls.days_to_expiry(result.started_at))
    else {
        return Ok(cert);
    };
    let seen = Some(unix_ms(not_after));
    let warned = if cert.0 == seen { cert.1 } else { None };
    let Some(threshold) = certificate_warning(&monitor.cert_expiry_days, days, warned) else {
        return Ok((seen, warned));
    };
    let days = u64::try_from(days).unwrap_or(0);
    let notice = Notice::certificate_expiring(monitor, not_after, days, result.started_at);
    outbox::enqueue(tx, &notice).await?;
    Ok((seen, Some(threshold)))
}

/// Writes the notice of a move from `told` (what the channels last heard) to `state` to the
/// outbox, in the transaction of the change: it goes out with the change or not at all.
/// `change` is the change `result` decided, if it decided one; without it the move happened
/// while a window muted the monitor, and the notice says so.
async fn announce<C: Conn>(
    tx: &mut C,
    monitor: &Monitor,
    told: MonitorState,
    state: MonitorState,
    change: Option<&StateChange>,
    result: &CheckResult,
) -> Result<()> {
    let (cause, incident) = match change {
        Some(change) => (change.cause.clone(), change.incident.clone()),
        None => {
            let now = if result.message.is_empty() {
                "working"
            } else {
                result.message.as_str()
            };
            (
                format!("after maintenance: {now}"),
                open_incident(tx, monitor.id).await?,
            )
        }
    };
    let notice = Notice::of_change(
        monitor,
        told,
        state,
        &cause,
        incident.as_ref(),
        Some(result),
        result.started_at,
    );
    if let Some(notice) = notice {
        outbox::enqueue(tx, &notice).await?;
    }
    Ok(())
}
