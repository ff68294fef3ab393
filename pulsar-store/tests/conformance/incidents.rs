use std::sync::Arc;

use pulsar_core::{IncidentAction, MonitorState};
use pulsar_store::{HostIncidentFilter, IncidentFilter, PageRequest, Store, StoreError};

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

pub(crate) async fn host_incidents_list_newest_first_by_host_and_open(store: Arc<dyn Store>) {
    let condition = |rule, subject: &str, breached| pulsar_core::HostCondition {
        rule,
        subject: subject.into(),
        breached,
        value: 95.0,
        limit: 90.0,
        detail: format!("{subject} over the limit"),
    };
    use pulsar_core::HostRule::{DiskFull, Zombies};
    let fires = [
        ("web-1", condition(DiskFull, "/data", true), NOW_MS),
        ("web-2", condition(Zombies, "", true), NOW_MS + MINUTE_MS),
        (
            "web-1",
            condition(Zombies, "", true),
            NOW_MS + 2 * MINUTE_MS,
        ),
        (
            "web-1",
            condition(DiskFull, "/data", false),
            NOW_MS + 3 * MINUTE_MS,
        ),
    ];
    for (host, condition, ms) in &fires {
        store
            .set_host_condition(host, condition, at(*ms))
            .await
            .unwrap();
    }
    let list = |host: Option<&str>, open_only, limit, cursor: Option<String>| {
        let store = store.clone();
        let filter = HostIncidentFilter {
            host: host.map(str::to_owned),
            open_only,
        };
        async move {
            store
                .list_host_incidents(&filter, &PageRequest { limit, cursor })
                .await
                .unwrap()
        }
    };
    let all = list(None, false, 10, None).await;
    let seen: Vec<_> = all
        .items
        .iter()
        .map(|i| (i.host.as_str(), i.condition.as_str(), i.is_open()))
        .collect();
    assert_eq!(
        seen,
        [
            ("web-1", "zombies", true),
            ("web-2", "zombies", true),
            ("web-1", "disk_full:/data", false),
        ],
        "newest first"
    );
    let closed = &all.items[2];
    assert_eq!(closed.opened_at, at(NOW_MS));
    assert_eq!(closed.closed_at, Some(at(NOW_MS + 3 * MINUTE_MS)));
    assert_eq!(closed.detail, "/data over the limit");

    let web1 = list(Some("web-1"), false, 10, None).await;
    assert_eq!(web1.items.len(), 2);
    let open = list(Some("web-1"), true, 10, None).await;
    assert_eq!(open.items.len(), 1);
    assert_eq!(open.items[0].condition, "zombies");

    let first = list(None, false, 2, None).await;
    assert_eq!(first.items.len(), 2);
    let rest = list(None, false, 2, first.next_cursor.clone()).await;
    assert_eq!(rest.items, all.items[2..]);
    assert!(rest.next_cursor.is_none());
    let bad = store
        .list_host_incidents(
            &HostIncidentFilter::default(),
            &PageRequest {
                limit: 2,
                cursor: Some("nonsense".into()),
            },
        )
        .await;
    assert!(matches!(bad, Err(StoreError::Invalid(_))), "{bad:?}");
}
