//! Leases (roles one process runs at a time), channel routing (which channels alert for
//! which monitors) and the processes that run checks, as last seen.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use pulsar_core::{ChannelId, ChannelRouting, MonitorId};
use pulsar_store::{Store, StoreError};

use crate::support::*;

pub(crate) async fn a_lease_has_one_holder_until_it_expires_or_is_released(store: Arc<dyn Store>) {
    let ttl = Duration::from_secs(10);
    let role = "retention";
    assert!(store.take_lease(role, "a", ttl, now()).await.unwrap());
    assert!(!store.take_lease(role, "b", ttl, now()).await.unwrap());
    // The holder renews; the other still cannot take it before it runs out.
    let later = now() + Duration::from_secs(9);
    assert!(store.take_lease(role, "a", ttl, later).await.unwrap());
    assert!(
        !store
            .take_lease(role, "b", ttl, later + Duration::from_secs(9))
            .await
            .unwrap()
    );
    // Unrenewed, it expires and goes to whoever asks next.
    let expired = later + ttl;
    assert!(store.take_lease(role, "b", ttl, expired).await.unwrap());
    assert!(!store.take_lease(role, "a", ttl, expired).await.unwrap());
    let leases = store.list_leases().await.unwrap();
    let lease = leases.iter().find(|l| l.role == role).expect("the lease");
    assert_eq!(
        (lease.holder.as_str(), lease.expires_at),
        ("b", expired + ttl)
    );
    // Only the holder can release it; released, anyone takes it at once.
    store.release_lease(role, "a").await.unwrap();
    assert!(!store.take_lease(role, "a", ttl, expired).await.unwrap());
    store.release_lease(role, "b").await.unwrap();
    assert!(store.take_lease(role, "a", ttl, expired).await.unwrap());
    // Roles are independent.
    assert!(
        store
            .take_lease("notifier", "b", ttl, expired)
            .await
            .unwrap()
    );
    assert!(matches!(
        store.take_lease("", "b", ttl, now()).await,
        Err(StoreError::Invalid(_))
    ));
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

async fn names(store: &Arc<dyn Store>, monitor: MonitorId) -> Vec<String> {
    let channels = store.routed_channels(monitor).await.unwrap();
    channels.into_iter().map(|c| c.name).collect()
}

pub(crate) async fn channels_route_by_default_labels_and_list(store: Arc<dyn Store>) {
    let mut web = monitor("web");
    web.labels = labels(&[("env", "prod"), ("team", "web")]);
    let web = store.create_monitor(&web, now()).await.unwrap();
    let db = store.create_monitor(&monitor("db"), now()).await.unwrap();
    let channel = |name: &str| channel(name, "webhook");
    let everyone = store
        .create_channel(&channel("everyone"), now())
        .await
        .unwrap();
    let prod = store.create_channel(&channel("prod"), now()).await.unwrap();
    let dba = store.create_channel(&channel("dba"), now()).await.unwrap();

    // A new channel routes nothing.
    assert_eq!(
        store.get_channel_routing(prod.id).await.unwrap(),
        ChannelRouting::none(prod.id)
    );
    assert!(names(&store, web.id).await.is_empty());

    let mut all = ChannelRouting::none(everyone.id);
    all.all_monitors = true;
    store.set_channel_routing(&all).await.unwrap();
    let mut by_label = ChannelRouting::none(prod.id);
    by_label.labels = labels(&[("env", "prod")]);
    store.set_channel_routing(&by_label).await.unwrap();
    let mut listed = ChannelRouting::none(dba.id);
    listed.monitor_ids.insert(db.id);
    assert_eq!(store.set_channel_routing(&listed).await.unwrap(), listed);
    assert_eq!(store.get_channel_routing(dba.id).await.unwrap(), listed);

    assert_eq!(names(&store, web.id).await, ["everyone", "prod"]);
    assert_eq!(names(&store, db.id).await, ["dba", "everyone"]);

    // A disabled channel is not sent to; a replaced routing forgets the old list.
    let mut off = everyone.clone();
    off.enabled = false;
    store.update_channel(&off, now()).await.unwrap();
    listed.monitor_ids = [web.id].into();
    store.set_channel_routing(&listed).await.unwrap();
    assert_eq!(names(&store, web.id).await, ["dba", "prod"]);
    assert!(names(&store, db.id).await.is_empty());

    // A deleted monitor leaves the lists; an unknown one is refused, changing nothing.
    store.delete_monitor(web.id).await.unwrap();
    assert!(
        store
            .get_channel_routing(dba.id)
            .await
            .unwrap()
            .monitor_ids
            .is_empty()
    );
    let mut unknown = ChannelRouting::none(dba.id);
    unknown.monitor_ids.insert(MonitorId::new());
    let Err(StoreError::Invalid(errors)) = store.set_channel_routing(&unknown).await else {
        panic!("an unknown monitor is refused");
    };
    assert_eq!(errors[0].field, "monitor_ids");
    assert!(matches!(
        store
            .set_channel_routing(&ChannelRouting::none(ChannelId(999_999)))
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.get_channel_routing(ChannelId(999_999)).await,
        Err(StoreError::NotFound { .. })
    ));
}

pub(crate) async fn workers_are_listed_as_last_seen_and_forgotten_after_an_hour(
    store: Arc<dyn Store>,
) {
    let seen = |name: &str, host: &str, ms: i64| pulsar_core::WorkerSeen {
        name: name.into(),
        host: host.into(),
        region: "eu".into(),
        last_seen: at(ms),
    };
    store
        .record_worker(&seen("w-2", "edge-2", NOW_MS))
        .await
        .unwrap();
    store
        .record_worker(&seen("w-1", "edge-1", NOW_MS))
        .await
        .unwrap();
    // Seen again, on another host: the latest wins.
    store
        .record_worker(&seen("w-1", "edge-9", NOW_MS + 5_000))
        .await
        .unwrap();
    assert_eq!(
        store.list_workers().await.unwrap(),
        [
            seen("w-1", "edge-9", NOW_MS + 5_000),
            seen("w-2", "edge-2", NOW_MS)
        ]
    );

    // An hour later only the one still speaking is kept.
    let later = NOW_MS + 5_000 + 3_600_001;
    store
        .record_worker(&seen("w-1", "edge-9", later))
        .await
        .unwrap();
    assert_eq!(
        store.list_workers().await.unwrap(),
        [seen("w-1", "edge-9", later)]
    );
}
