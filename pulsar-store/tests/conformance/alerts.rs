//! The alert rule applied as results are recorded: states, incidents and the memory behind
//! them, in slot order, exactly once per result.

use std::sync::Arc;

use pulsar_core::{CheckResult, IncidentAction, MonitorId, MonitorState, Outcome};
use pulsar_store::{IncidentFilter, PageRequest, Store};

use crate::support::*;

/// A DOWN result of `monitor` for the `k`th minute slot, refused.
fn down(monitor: MonitorId, k: i64) -> CheckResult {
    let mut result = result(monitor, NOW_MS + k * MINUTE_MS, Outcome::Down, [0; 5]);
    result.message = "connection refused".into();
    result
}

fn good(monitor: MonitorId, k: i64) -> CheckResult {
    up(monitor, NOW_MS + k * MINUTE_MS, 20_000)
}

async fn state(store: &Arc<dyn Store>, monitor: MonitorId) -> MonitorState {
    store.get_monitor(monitor).await.unwrap().state
}

pub(crate) async fn failures_in_a_row_take_a_monitor_down_and_good_checks_bring_it_back(
    store: Arc<dyn Store>,
) {
    let m = store.create_monitor(&monitor("api"), now()).await.unwrap();
    // The first verdict decides an UNKNOWN monitor.
    let first = store.record_results(&[good(m.id, 0)]).await.unwrap();
    assert_eq!(first.inserted, 1);
    let [change] = first.changes.as_slice() else {
        panic!("one change expected: {first:?}");
    };
    assert_eq!(
        (change.monitor_id, change.previous, change.current),
        (m.id, MonitorState::Unknown, MonitorState::Up)
    );
    assert_eq!(change.action, IncidentAction::None);

    // Two failures are not enough (the default threshold is 3); the third is.
    let two = store
        .record_results(&[down(m.id, 1), down(m.id, 2)])
        .await
        .unwrap();
    assert!(two.changes.is_empty(), "{two:?}");
    assert_eq!(state(&store, m.id).await, MonitorState::Up);
    let third = store.record_results(&[down(m.id, 3)]).await.unwrap();
    let [change] = third.changes.as_slice() else {
        panic!("one change expected: {third:?}");
    };
    assert_eq!(change.current, MonitorState::Down);
    assert_eq!(change.cause, "3 failed checks in a row: connection refused");
    let incident = change.incident.clone().expect("an incident opened");
    assert_eq!(incident.cause, change.cause);
    assert_eq!(incident.opened_at, down(m.id, 3).started_at);
    assert_eq!(state(&store, m.id).await, MonitorState::Down);

    // Two good checks (the recovery threshold) close it.
    let back = store
        .record_results(&[good(m.id, 4), good(m.id, 5)])
        .await
        .unwrap();
    let [change] = back.changes.as_slice() else {
        panic!("one change expected: {back:?}");
    };
    assert_eq!(
        (change.previous, change.current, change.action),
        (MonitorState::Down, MonitorState::Up, IncidentAction::Close)
    );
    let incidents = store
        .list_incidents(&IncidentFilter::default(), &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(incidents.items.len(), 1);
    assert!(!incidents.items[0].is_open());
}

pub(crate) async fn late_and_redelivered_results_never_flip_the_state(store: Arc<dyn Store>) {
    let m = store.create_monitor(&monitor("api"), now()).await.unwrap();
    let batch = [good(m.id, 0), down(m.id, 5), down(m.id, 6), down(m.id, 7)];
    let recorded = store.record_results(&batch).await.unwrap();
    assert_eq!(recorded.inserted, 4);
    let mut new = recorded.new.clone();
    new.sort();
    let expected: Vec<_> = batch.iter().map(|r| (r.monitor_id, r.slot)).collect();
    assert_eq!(new, expected, "the new results' keys");
    assert_eq!(state(&store, m.id).await, MonitorState::Down);

    // The same batch again: nothing new, nothing changes.
    let again = store.record_results(&batch).await.unwrap();
    assert_eq!(again, Default::default());

    // Good results for slots before the newest one applied are stored, but come too late
    // to count towards recovery.
    let late = store
        .record_results(&[good(m.id, 1), good(m.id, 2), good(m.id, 3)])
        .await
        .unwrap();
    assert_eq!((late.inserted, late.changes.len()), (3, 0));
    assert_eq!(late.new.len(), 3);
    assert_eq!(state(&store, m.id).await, MonitorState::Down);
    let page = store
        .list_results(
            m.id,
            &pulsar_store::ResultFilter::default(),
            &PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 7);

    // Recovery takes two good checks after the newest failure; the late ones did not count.
    let on = store.record_results(&[good(m.id, 8)]).await.unwrap();
    assert!(on.changes.is_empty());
    let recovered = store.record_results(&[good(m.id, 9)]).await.unwrap();
    assert_eq!(recovered.changes[0].current, MonitorState::Up);
}

pub(crate) async fn a_batch_is_applied_in_slot_order(store: Arc<dyn Store>) {
    let mut spec = monitor("api");
    spec.failure_threshold = 2;
    let m = store.create_monitor(&spec, now()).await.unwrap();
    store.record_results(&[good(m.id, 0)]).await.unwrap();
    // Newest first in the batch: applied as given, the first failure would make the older
    // ones late and the monitor would stay UP. In slot order, two failures end it.
    let batch = [down(m.id, 3), down(m.id, 2), good(m.id, 1)];
    let recorded = store.record_results(&batch).await.unwrap();
    let currents: Vec<_> = recorded.changes.iter().map(|c| c.current).collect();
    assert_eq!(currents, [MonitorState::Down]);
    let incident = recorded.changes[0].incident.clone().expect("incident");
    assert_eq!(incident.opened_at, down(m.id, 3).started_at);
}

pub(crate) async fn paused_monitors_store_results_but_keep_their_state(store: Arc<dyn Store>) {
    let m = store.create_monitor(&monitor("api"), now()).await.unwrap();
    store.set_monitor_enabled(m.id, false, now()).await.unwrap();
    let batch = [down(m.id, 0), down(m.id, 1), down(m.id, 2), down(m.id, 3)];
    let recorded = store.record_results(&batch).await.unwrap();
    assert_eq!((recorded.inserted, recorded.changes.len()), (4, 0));
    assert_eq!(state(&store, m.id).await, MonitorState::Paused);
    // Results of a deleted monitor are skipped, as by insert_results.
    let gone = store.create_monitor(&monitor("gone"), now()).await.unwrap();
    store.delete_monitor(gone.id).await.unwrap();
    let skipped = store.record_results(&[down(gone.id, 0)]).await.unwrap();
    assert_eq!(skipped, Default::default());
}
