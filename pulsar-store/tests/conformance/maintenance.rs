//! Maintenance windows: stored by name, and while one is open its monitors' results are
//! marked and their state changes announced to no one; the first result after the window
//! announces the state as it is then, if the channels were told of another.

use std::sync::Arc;

use pulsar_core::{
    CheckResult, MaintenanceWindow, MonitorId, NoticeEvent, Outcome, WindowSchedule,
};
use pulsar_store::{PageRequest, ResultFilter, Store, StoreError};

use crate::support::*;

fn slot(k: i64) -> i64 {
    NOW_MS + k * MINUTE_MS
}

fn down(monitor: MonitorId, k: i64) -> CheckResult {
    let mut result = result(monitor, slot(k), Outcome::Down, [0; 5]);
    result.message = "connection refused".into();
    result
}

fn good(monitor: MonitorId, k: i64) -> CheckResult {
    up(monitor, slot(k), 20_000)
}

/// Open from slot 1 to slot 6 (exclusive).
fn window(name: &str) -> MaintenanceWindow {
    MaintenanceWindow::new(
        name,
        WindowSchedule::Once {
            start: at(slot(1)),
            end: at(slot(6)),
        },
    )
}

pub(crate) async fn windows_are_stored_by_name_and_checked(store: Arc<dyn Store>) {
    let mut nightly = MaintenanceWindow::new(
        "nightly",
        WindowSchedule::Weekly {
            days: [0, 1, 2, 3, 4].into(),
            start_minute: 120,
            duration_minutes: 30,
            utc_offset_minutes: 60,
        },
    );
    nightly.all_monitors = true;
    let nightly = store.create_window(&nightly, now()).await.unwrap();
    assert!(nightly.id.0 > 0);
    let mut upgrade = window("db upgrade");
    upgrade.labels.insert("env".into(), "prod".into());
    let upgrade = store.create_window(&upgrade, now()).await.unwrap();
    assert_eq!(
        store.list_windows().await.unwrap(),
        [upgrade.clone(), nightly.clone()]
    );
    assert!(matches!(
        store.create_window(&window("nightly"), now()).await,
        Err(StoreError::AlreadyExists { .. } | StoreError::Invalid(_))
    ));
    let mut taken = upgrade.clone();
    taken.name = "nightly".into();
    assert!(matches!(
        store.update_window(&taken, now()).await,
        Err(StoreError::AlreadyExists { .. })
    ));
    let mut renamed = upgrade.clone();
    renamed.name = "db upgrade (moved)".into();
    renamed.schedule = WindowSchedule::Once {
        start: at(slot(2)),
        end: at(slot(3)),
    };
    let updated = store.update_window(&renamed, at(NOW_MS + 1)).await.unwrap();
    assert_eq!(
        (updated.created_at, updated.updated_at),
        (upgrade.created_at, at(NOW_MS + 1))
    );
    assert_eq!(updated.schedule, renamed.schedule);
    let errors = store
        .create_window(&MaintenanceWindow::new("", renamed.schedule.clone()), now())
        .await
        .unwrap_err();
    assert_eq!(errors.field_errors().len(), 2, "{errors}");
    store.delete_window(nightly.id).await.unwrap();
    assert!(matches!(
        store.delete_window(nightly.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(store.list_windows().await.unwrap(), [updated]);
}

pub(crate) async fn a_window_mutes_alerts_and_the_state_after_it_is_announced(
    store: Arc<dyn Store>,
) {
    let mut a = monitor("a");
    a.labels.insert("env".into(), "prod".into());
    let a = store.create_monitor(&a, now()).await.unwrap();
    let b = store.create_monitor(&monitor("b"), now()).await.unwrap();
    let outside = store
        .create_monitor(&monitor("outside"), now())
        .await
        .unwrap();
    let hook = store
        .create_channel(&channel("ops", "webhook"), now())
        .await
        .unwrap();
    route_all(store.as_ref(), hook.id).await;
    let mut muted = window("upgrade");
    muted.labels.insert("env".into(), "prod".into());
    muted.monitor_ids.insert(b.id);
    store.create_window(&muted, now()).await.unwrap();

    let all = [a.id, b.id, outside.id];
    store
        .record_results(&all.map(|m| good(m, 0)))
        .await
        .unwrap();
    // a: down through the window and after it; b: down and back within it; outside: down.
    let mut batch = Vec::new();
    for k in 1..=3 {
        batch.extend(all.map(|m| down(m, k)));
    }
    batch.extend([good(b.id, 4), good(b.id, 5)]);
    let recorded = store.record_results(&batch).await.unwrap();
    assert_eq!(
        recorded.changes.len(),
        4,
        "states change as ever: {recorded:?}"
    );
    assert_eq!(
        recorded.maintenance.len(),
        8,
        "a's 3 and b's 5 checks are told as marked"
    );
    let later = at(slot(10));
    let told = store
        .claim_notifications("n", later, LEASE, 10)
        .await
        .unwrap();
    let names: Vec<_> = told
        .iter()
        .map(|o| o.notice.monitor_name.as_str())
        .collect();
    assert_eq!(names, ["outside"], "only the unmuted monitor is announced");

    let marked = store
        .list_results(a.id, &ResultFilter::default(), &PageRequest::first(10))
        .await
        .unwrap();
    let marks: Vec<_> = marked.items.iter().map(|r| r.maintenance).collect();
    assert_eq!(marks, [true, true, true, false], "newest first");

    // After the window: a is still down, and now said to be; b is up, as was last said.
    store
        .record_results(&[down(a.id, 6), good(b.id, 6)])
        .await
        .unwrap();
    let after = store
        .claim_notifications("n", later, LEASE, 10)
        .await
        .unwrap();
    assert_eq!(after.len(), 1, "{after:?}");
    let notice = &after[0].notice;
    assert_eq!(
        (notice.monitor_name.as_str(), notice.event),
        ("a", NoticeEvent::Down)
    );
    assert_eq!(notice.cause, "after maintenance: connection refused");
    assert!(notice.incident_id.is_some());
    // ... and its recovery is announced as usual.
    store
        .record_results(&[good(a.id, 7), good(a.id, 8)])
        .await
        .unwrap();
    let back = store
        .claim_notifications("n", later, LEASE, 10)
        .await
        .unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].notice.event, NoticeEvent::Recovered);
}

const LEASE: std::time::Duration = std::time::Duration::from_secs(30);
