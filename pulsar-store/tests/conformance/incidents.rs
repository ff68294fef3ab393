use std::sync::Arc;

use pulsar_core::{IncidentAction, MonitorState};
use pulsar_store::{IncidentFilter, PageRequest, Store, StoreError};

use crate::support::*;

pub(crate) async fn state_changes_open_escalate_and_close_incidents(store: Arc<dyn Store>) {
    let m = store
        .create_monitor(&monitor("flaky"), now())
        .await
        .unwrap();
    let up = store
        .set_monitor_state(m.id, MonitorState::Up, at(NOW_MS + 1_000), "")
        .await
        .unwrap();
    assert_eq!(
        (up.previous, up.current, up.action),
        (
            MonitorState::Unknown,
            MonitorState::Up,
            IncidentAction::None
        )
    );

    let slow = store
        .set_monitor_state(
            m.id,
            MonitorState::Degraded,
            at(NOW_MS + 2_000),
            "took 900 ms",
        )
        .await
        .unwrap();
    assert_eq!(slow.action, IncidentAction::Open);
    let opened = slow.incident.unwrap();
    assert_eq!(
        (opened.state, opened.cause.as_str()),
        (MonitorState::Degraded, "took 900 ms")
    );
    assert!(opened.is_open());

    let down = store
        .set_monitor_state(m.id, MonitorState::Down, at(NOW_MS + 3_000), "refused")
        .await
        .unwrap();
    assert_eq!(down.action, IncidentAction::Escalate);
    assert_eq!(down.incident.as_ref().unwrap().id, opened.id);
    assert_eq!(
        store.get_monitor(m.id).await.unwrap().state,
        MonitorState::Down
    );

    let back = store
        .set_monitor_state(m.id, MonitorState::Up, at(NOW_MS + 9_000), "")
        .await
        .unwrap();
    assert_eq!(back.action, IncidentAction::Close);
    let closed = store.get_incident(opened.id).await.unwrap();
    assert_eq!(closed, back.incident.unwrap());
    assert_eq!(closed.state, MonitorState::Down, "the worst state is kept");
    assert_eq!(closed.closed_at, Some(at(NOW_MS + 9_000)));
    assert_eq!(closed.resolution, "recovered");
    assert_eq!(closed.opened_at, at(NOW_MS + 2_000));

    let again = store
        .set_monitor_state(m.id, MonitorState::Down, at(NOW_MS + 20_000), "500")
        .await
        .unwrap();
    assert_ne!(
        again.incident.unwrap().id,
        opened.id,
        "a new outage is a new incident"
    );
    assert!(matches!(
        store
            .set_monitor_state(pulsar_core::MonitorId::new(), MonitorState::Up, now(), "")
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.get_incident(pulsar_core::IncidentId(987_654)).await,
        Err(StoreError::NotFound { .. })
    ));
}

pub(crate) async fn incidents_list_per_monitor_and_globally(store: Arc<dyn Store>) {
    let a = store.create_monitor(&monitor("a"), now()).await.unwrap();
    let b = store.create_monitor(&monitor("b"), now()).await.unwrap();
    // Seven outages of a and five of b, interleaved in time; b's last one stays open.
    for k in 0..12i64 {
        let id = if k % 2 == 0 && k < 14 && k / 2 < 7 {
            a.id
        } else {
            b.id
        };
        let t = NOW_MS + k * 60_000;
        store
            .set_monitor_state(id, MonitorState::Down, at(t), &format!("outage {k}"))
            .await
            .unwrap();
        if k != 11 {
            store
                .set_monitor_state(id, MonitorState::Up, at(t + 30_000), "")
                .await
                .unwrap();
        }
    }
    let mut causes = Vec::new();
    let mut page = PageRequest::first(5);
    loop {
        let got = store
            .list_incidents(&IncidentFilter::default(), &page)
            .await
            .unwrap();
        causes.extend(got.items.iter().map(|i| i.cause.clone()));
        match got.next_cursor {
            Some(cursor) => page = PageRequest::after(5, cursor),
            None => break,
        }
    }
    let expected: Vec<String> = (0..12).rev().map(|k| format!("outage {k}")).collect();
    assert_eq!(causes, expected, "newest first across monitors");

    let only_a = IncidentFilter {
        monitor_id: Some(a.id),
        open_only: false,
    };
    let got = store
        .list_incidents(&only_a, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(got.items.len(), 6);
    assert!(
        got.items
            .iter()
            .all(|i| i.monitor_id == a.id && !i.is_open())
    );

    let open = IncidentFilter {
        monitor_id: None,
        open_only: true,
    };
    let got = store
        .list_incidents(&open, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(got.items.len(), 1);
    assert_eq!(
        (got.items[0].monitor_id, got.items[0].cause.as_str()),
        (b.id, "outage 11")
    );
}
