use std::sync::Arc;
use std::time::Duration;

use pulsar_core::{IncidentAction, MonitorId, MonitorState, Outcome};
use pulsar_store::{
    IncidentFilter, MonitorFilter, PageRequest, ResultFilter, Store, StoreError, TimeRange,
};

use crate::support::*;

pub(crate) async fn create_get_update_delete_with_validation_errors(store: Arc<dyn Store>) {
    // The store migrated itself when opened; an explicit migrate is a no-op, and repeatable.
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    let mut bad = monitor("api");
    bad.name = " ".into();
    bad.check.url = "ftp://example.com".into();
    let error = store.create_monitor(&bad, now()).await.unwrap_err();
    let fields: Vec<_> = error
        .field_errors()
        .iter()
        .map(|e| e.field.as_str())
        .collect();
    assert!(
        fields.contains(&"name") && fields.contains(&"url"),
        "{error:?}"
    );

    let mut new = monitor("api");
    new.labels.insert("team".into(), "payments".into());
    let created = store.create_monitor(&new, now()).await.unwrap();
    assert_eq!(created.state, MonitorState::Unknown);
    assert_eq!(created.created_at, now());
    assert_eq!(store.get_monitor(new.id).await.unwrap(), created);

    let mut changed = created.clone();
    changed.check.url = "https://api.example.com/v2/health".into();
    changed.labels.insert("tier".into(), "1".into());
    let later = at(NOW_MS + 5_000);
    let write = store.update_monitor(&changed, later).await.unwrap();
    assert_eq!(
        write.state_change, None,
        "an update that neither pauses nor resumes"
    );
    let updated = write.monitor;
    assert_eq!(updated.created_at, created.created_at);
    assert_eq!(updated.updated_at, later);
    assert_eq!(store.get_monitor(new.id).await.unwrap(), updated);

    let mut invalid = updated.clone();
    invalid.interval = Duration::ZERO;
    let error = store.update_monitor(&invalid, later).await.unwrap_err();
    assert!(matches!(error, StoreError::Invalid(_)), "{error:?}");

    let missing = MonitorId::new();
    assert!(matches!(
        store.get_monitor(missing).await,
        Err(StoreError::NotFound { .. })
    ));
    let mut ghost = monitor("ghost");
    ghost.id = missing;
    assert!(matches!(
        store.update_monitor(&ghost, later).await,
        Err(StoreError::NotFound { .. })
    ));
    store.delete_monitor(new.id).await.unwrap();
    assert!(matches!(
        store.get_monitor(new.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.delete_monitor(new.id).await,
        Err(StoreError::NotFound { .. })
    ));
}

pub(crate) async fn names_are_unique(store: Arc<dyn Store>) {
    store.create_monitor(&monitor("web"), now()).await.unwrap();
    let error = store
        .create_monitor(&monitor("web"), now())
        .await
        .unwrap_err();
    match &error {
        StoreError::AlreadyExists { key, .. } => assert_eq!(key, "web"),
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    assert_eq!(error.to_string(), "monitor web already exists");

    let other = store
        .create_monitor(&monitor("other"), now())
        .await
        .unwrap();
    let mut renamed = other.clone();
    renamed.name = "web".into();
    assert!(matches!(
        store.update_monitor(&renamed, now()).await,
        Err(StoreError::AlreadyExists { .. })
    ));
    // Re-using an id is refused too, naming the id.
    let mut same_id = monitor("fresh-name");
    same_id.id = other.id;
    match store.create_monitor(&same_id, now()).await.unwrap_err() {
        StoreError::AlreadyExists { key, .. } => assert_eq!(key, other.id.to_string()),
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
}

pub(crate) async fn list_filters_by_label_and_state_and_paginates(store: Arc<dyn Store>) {
    for i in 0..25 {
        let mut m = monitor(&format!("m{i:02}"));
        m.labels
            .insert("env".into(), if i % 2 == 0 { "prod" } else { "dev" }.into());
        if i % 5 == 0 {
            m.labels.insert("team".into(), "core".into());
        }
        let m = store.create_monitor(&m, now()).await.unwrap();
        if i % 3 == 0 {
            store
                .set_monitor_state(m.id, MonitorState::Down, now(), "refused")
                .await
                .unwrap();
        }
    }
    let mut names = Vec::new();
    let mut page = PageRequest::first(10);
    loop {
        let got = store
            .list_monitors(&MonitorFilter::default(), &page)
            .await
            .unwrap();
        assert!(got.items.len() <= 10);
        names.extend(got.items.iter().map(|m| m.name.clone()));
        match got.next_cursor {
            Some(cursor) => page = PageRequest::after(10, cursor),
            None => break,
        }
    }
    let expected: Vec<String> = (0..25).map(|i| format!("m{i:02}")).collect();
    assert_eq!(names, expected);

    let prod_core = MonitorFilter::default()
        .label("env", "prod")
        .label("team", "core");
    let got = store
        .list_monitors(&prod_core, &PageRequest::default())
        .await
        .unwrap();
    let names: Vec<_> = got.items.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["m00", "m10", "m20"]);

    let down_dev = MonitorFilter::default()
        .label("env", "dev")
        .state(MonitorState::Down);
    let got = store
        .list_monitors(&down_dev, &PageRequest::default())
        .await
        .unwrap();
    let names: Vec<_> = got.items.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["m03", "m09", "m15", "m21"]);
    assert!(got.next_cursor.is_none());
}

pub(crate) async fn disabling_pauses_and_enabling_reschedules(store: Arc<dyn Store>) {
    let m = store
        .create_monitor(&monitor("pausable"), now())
        .await
        .unwrap();
    store
        .set_monitor_state(m.id, MonitorState::Down, now(), "timeout")
        .await
        .unwrap();

    let pause = store
        .set_monitor_enabled(m.id, false, at(NOW_MS + 1_000))
        .await
        .unwrap();
    let paused = &pause.monitor;
    assert_eq!(
        (paused.enabled, paused.state),
        (false, MonitorState::Paused)
    );
    // The pause is told as a state change, with the incident it closed.
    let change = pause.state_change.expect("a pause changes the state");
    assert_eq!(
        (change.previous, change.current, change.action),
        (
            MonitorState::Down,
            MonitorState::Paused,
            IncidentAction::Close
        )
    );
    assert_eq!(change.cause, "paused");
    assert_eq!(
        change.incident.expect("closed incident").resolution,
        "paused"
    );
    let incidents = store
        .list_incidents(
            &IncidentFilter {
                monitor_id: Some(m.id),
                open_only: false,
            },
            &PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(incidents.items[0].resolution, "paused");
    assert!(
        store
            .claim_due(at(NOW_MS + DAY_MS), 100)
            .await
            .unwrap()
            .is_empty()
    );
    // A check finishing after the pause does not revive the monitor.
    let change = store
        .set_monitor_state(m.id, MonitorState::Down, now(), "late")
        .await
        .unwrap();
    assert_eq!(
        (change.current, change.action),
        (MonitorState::Paused, IncidentAction::None)
    );

    let resumed_at = at(NOW_MS + 2 * DAY_MS);
    let resume = store
        .set_monitor_enabled(m.id, true, resumed_at)
        .await
        .unwrap();
    let resumed = &resume.monitor;
    assert_eq!(
        (resumed.enabled, resumed.state),
        (true, MonitorState::Unknown)
    );
    let change = resume.state_change.expect("a resume changes the state");
    assert_eq!(
        (
            change.previous,
            change.current,
            change.action,
            change.cause.as_str()
        ),
        (
            MonitorState::Paused,
            MonitorState::Unknown,
            IncidentAction::None,
            "resumed"
        )
    );
    let due = store
        .claim_due(at(NOW_MS + 2 * DAY_MS + 60_000), 100)
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    assert!(
        due[0].slot >= resumed_at,
        "no slot from the paused time is replayed"
    );
}

pub(crate) async fn delete_cascades_to_results_rollups_and_incidents(store: Arc<dyn Store>) {
    let m = store
        .create_monitor(&monitor("doomed"), now())
        .await
        .unwrap();
    let keep = store.create_monitor(&monitor("kept"), now()).await.unwrap();
    let results: Vec<_> = (0..10)
        .flat_map(|i| {
            [
                up(m.id, NOW_MS - i * MINUTE_MS, 1_000),
                up(keep.id, NOW_MS - i * MINUTE_MS, 1_000),
            ]
        })
        .collect();
    assert_eq!(store.insert_results(&results).await.unwrap(), 20);
    store
        .set_monitor_state(m.id, MonitorState::Down, now(), "refused")
        .await
        .unwrap();
    let mut down = up(m.id, NOW_MS + MINUTE_MS, 0);
    down.outcome = Outcome::Down;
    store.insert_results(&[down]).await.unwrap();
    // Folded first, so stored rollup rows exist to be deleted, not only pending results.
    while store.fold_rollups(100_000).await.unwrap() > 0 {}

    store.delete_monitor(m.id).await.unwrap();

    assert!(matches!(
        store
            .list_results(m.id, &ResultFilter::default(), &PageRequest::default())
            .await,
        Err(StoreError::NotFound { .. })
    ));
    for bucket in pulsar_core::BucketSize::ALL {
        assert!(
            store
                .list_rollups(m.id, bucket, TimeRange::all())
                .await
                .unwrap()
                .is_empty()
        );
    }
    let filter = IncidentFilter {
        monitor_id: Some(m.id),
        open_only: false,
    };
    assert!(
        store
            .list_incidents(&filter, &PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let summaries = store
        .summaries(&[m.id, keep.id], Duration::from_secs(86_400), now())
        .await
        .unwrap();
    assert_eq!(summaries[0].checks(), 0);
    assert_eq!(summaries[1].checks(), 10, "other monitors keep their data");

    // A monitor created again with the same id starts empty: no raw row, rollup or incident
    // of the deleted one survived where reads of a missing monitor could not see it.
    let mut again = monitor("doomed");
    again.id = m.id;
    store.create_monitor(&again, now()).await.unwrap();
    let page = store
        .list_results(m.id, &ResultFilter::default(), &PageRequest::default())
        .await
        .unwrap();
    assert!(page.items.is_empty());
    for bucket in pulsar_core::BucketSize::ALL {
        let rollups = store.list_rollups(m.id, bucket, TimeRange::all()).await;
        assert!(rollups.unwrap().is_empty(), "{bucket:?}");
    }
    let incidents = store.list_incidents(&filter, &PageRequest::default()).await;
    assert!(incidents.unwrap().items.is_empty());
    assert_eq!(store.rollup_lag().await.unwrap(), 0);
}
