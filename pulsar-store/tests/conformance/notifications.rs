use std::sync::Arc;
use std::time::Duration;

use pulsar_core::{ChannelId, Delivery, DeliveryId, MonitorState, NotificationChannel};
use pulsar_store::{DeliveryFilter, PageRequest, Store, StoreError};

use crate::support::*;

fn delivery(channel: ChannelId, monitor: Option<pulsar_core::MonitorId>, k: i64) -> Delivery {
    Delivery {
        id: DeliveryId(0),
        channel_id: channel,
        monitor_id: monitor,
        incident_id: None,
        event: "down".into(),
        attempted_at: at(NOW_MS + k * 1_000),
        attempt: 1,
        success: k % 3 != 0,
        detail: format!("attempt {k}"),
        latency: Duration::from_millis(k as u64),
    }
}

pub(crate) async fn channels_crud_and_delivery_log(store: Arc<dyn Store>) {
    let mut hook = channel("ops-webhook", "webhook");
    hook.config
        .insert("url".into(), "https://hooks.example.com/T0/secret".into());
    hook.config.insert("token".into(), "s3cr3t".into());
    let hook = store.create_channel(&hook, now()).await.unwrap();
    assert!(hook.id.0 > 0);
    assert_eq!(
        store.get_channel(hook.id).await.unwrap(),
        hook,
        "secrets are stored as given"
    );
    assert!(matches!(
        store
            .create_channel(&channel("ops-webhook", "slack"), now())
            .await,
        Err(StoreError::AlreadyExists { .. })
    ));
    let error = store
        .create_channel(&NotificationChannel::new("", "Bad Kind"), now())
        .await
        .unwrap_err();
    assert_eq!(error.field_errors().len(), 2);

    let mail = store
        .create_channel(&channel("mail", "email"), now())
        .await
        .unwrap();
    let mut renamed = mail.clone();
    renamed.name = "ops-mail".into();
    renamed.enabled = false;
    let updated = store
        .update_channel(&renamed, at(NOW_MS + 1_000))
        .await
        .unwrap();
    assert_eq!(
        (updated.name.as_str(), updated.enabled),
        ("ops-mail", false)
    );
    assert_eq!(updated.updated_at, at(NOW_MS + 1_000));
    let names: Vec<_> = store
        .list_channels()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["ops-mail", "ops-webhook"]);
    let mut clash = updated.clone();
    clash.name = "ops-webhook".into();
    assert!(matches!(
        store.update_channel(&clash, now()).await,
        Err(StoreError::AlreadyExists { .. })
    ));

    let m = store
        .create_monitor(&monitor("alerting"), now())
        .await
        .unwrap();
    let incident = store
        .set_monitor_state(m.id, MonitorState::Down, now(), "refused")
        .await
        .unwrap()
        .incident
        .unwrap();
    for k in 0..25 {
        let mut d = delivery(hook.id, (k % 2 == 0).then_some(m.id), k);
        d.incident_id = Some(incident.id);
        let stored = store.record_delivery(&d).await.unwrap();
        assert_eq!(stored, Delivery { id: stored.id, ..d });
    }
    store
        .record_delivery(&delivery(mail.id, None, 99))
        .await
        .unwrap();
    assert!(matches!(
        store
            .record_delivery(&delivery(ChannelId(424_242), None, 1))
            .await,
        Err(StoreError::NotFound { .. })
    ));

    let by_hook = DeliveryFilter {
        channel_id: Some(hook.id),
        monitor_id: None,
    };
    let mut details = Vec::new();
    let mut page = PageRequest::first(10);
    loop {
        let got = store.list_deliveries(&by_hook, &page).await.unwrap();
        details.extend(got.items.iter().map(|d| d.detail.clone()));
        match got.next_cursor {
            Some(cursor) => page = PageRequest::after(10, cursor),
            None => break,
        }
    }
    let expected: Vec<String> = (0..25).rev().map(|k| format!("attempt {k}")).collect();
    assert_eq!(details, expected, "newest first");
    let by_monitor = DeliveryFilter {
        channel_id: None,
        monitor_id: Some(m.id),
    };
    assert_eq!(
        store
            .list_deliveries(&by_monitor, &PageRequest::default())
            .await
            .unwrap()
            .items
            .len(),
        13
    );

    // The log outlives the monitor (unlinked) but not its channel.
    store.delete_monitor(m.id).await.unwrap();
    let kept = store
        .list_deliveries(&by_hook, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(kept.items.len(), 25);
    assert!(
        kept.items
            .iter()
            .all(|d| d.monitor_id.is_none() && d.incident_id.is_none())
    );
    store.delete_channel(hook.id).await.unwrap();
    assert!(
        store
            .list_deliveries(&by_hook, &PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(matches!(
        store.get_channel(hook.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.delete_channel(hook.id).await,
        Err(StoreError::NotFound { .. })
    ));
}
