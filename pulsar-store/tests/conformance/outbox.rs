//! The outbox: a state change writes one notification per routed, enabled channel in its
//! own transaction, and notifiers claim, retry and settle them under leases.

use std::sync::Arc;
use std::time::Duration;

use pulsar_core::{
    ChannelRouting, CheckResult, Failure, FailureKind, MonitorId, NoticeEvent, Outcome,
};
use pulsar_store::{Attempt, AttemptOutcome, DeliveryFilter, PageRequest, Store, StoreError};

use crate::support::*;

const LEASE: Duration = Duration::from_secs(30);

fn down(monitor: MonitorId, k: i64) -> CheckResult {
    let mut result = result(
        monitor,
        NOW_MS + k * MINUTE_MS,
        Outcome::Down,
        [900, 0, 0, 0, 0],
    );
    result.phases.connect = None;
    result.failure = Some(Failure::new(
        FailureKind::ConnectRefused,
        "connection refused",
    ));
    result.message = "connection refused".into();
    result.status = None;
    result
}

fn good(monitor: MonitorId, k: i64) -> CheckResult {
    up(monitor, NOW_MS + k * MINUTE_MS, 20_000)
}

fn attempt(
    id: pulsar_store::NotificationId,
    holder: &str,
    k: i64,
    outcome: AttemptOutcome,
) -> Attempt {
    Attempt {
        id,
        holder: holder.into(),
        attempted_at: at(NOW_MS + k * MINUTE_MS),
        latency: Duration::from_millis(40),
        detail: "HTTP 204".into(),
        outcome,
    }
}

pub(crate) async fn a_state_change_notifies_each_routed_channel_once(store: Arc<dyn Store>) {
    let m = store.create_monitor(&monitor("shop"), now()).await.unwrap();
    let other = store.create_monitor(&monitor("blog"), now()).await.unwrap();
    let everyone = store
        .create_channel(&channel("all", "webhook"), now())
        .await
        .unwrap();
    let listed = store
        .create_channel(&channel("listed", "slack"), now())
        .await
        .unwrap();
    let elsewhere = store
        .create_channel(&channel("blog-only", "discord"), now())
        .await
        .unwrap();
    let mut off = channel("off", "webhook");
    off.enabled = false;
    let off = store.create_channel(&off, now()).await.unwrap();
    let route = |channel, all: bool, ids: &[MonitorId]| ChannelRouting {
        all_monitors: all,
        monitor_ids: ids.iter().copied().collect(),
        ..ChannelRouting::none(channel)
    };
    for routing in [
        route(everyone.id, true, &[]),
        route(listed.id, false, &[m.id]),
        route(elsewhere.id, false, &[other.id]),
        route(off.id, true, &[]),
    ] {
        store.set_channel_routing(&routing).await.unwrap();
    }

    // UNKNOWN → UP announces nothing; three failures take it DOWN.
    store.record_results(&[good(m.id, 0)]).await.unwrap();
    let batch = [down(m.id, 1), down(m.id, 2), down(m.id, 3)];
    store.record_results(&batch).await.unwrap();
    // Delivered again (a worker retried its batch): nothing more.
    store.record_results(&batch).await.unwrap();
    assert_eq!(store.pending_notifications().await.unwrap(), 2);

    let later = at(NOW_MS + 10 * MINUTE_MS);
    let claimed = store
        .claim_notifications("a", later, LEASE, 10)
        .await
        .unwrap();
    let mut channels: Vec<_> = claimed.iter().map(|o| o.channel.name.as_str()).collect();
    channels.sort_unstable();
    assert_eq!(channels, ["all", "listed"]);
    let notice = &claimed[0].notice;
    assert_eq!(notice.event, NoticeEvent::Down);
    assert_eq!(notice.monitor_id, Some(m.id));
    assert_eq!(notice.monitor_name, "shop");
    assert_eq!(
        notice.failure.as_ref().unwrap().kind,
        FailureKind::ConnectRefused
    );
    assert_eq!(notice.phase, Some(("connect".to_owned(), Duration::ZERO)));
    assert!(notice.incident_id.is_some() && notice.since.is_some());
    assert_ne!(
        claimed[0].notice.key, claimed[1].notice.key,
        "a key per channel"
    );
    assert!(claimed.iter().all(|o| o.attempts == 0));
    assert!(
        store
            .claim_notifications("b", later, LEASE, 10)
            .await
            .unwrap()
            .is_empty(),
        "leased rows are nobody else's"
    );

    // One goes through; the other is asked to wait and is retried with the same key.
    let (first, second) = (&claimed[0], &claimed[1]);
    let logged = store
        .finish_notification(&attempt(first.id, "a", 10, AttemptOutcome::Delivered))
        .await
        .unwrap();
    assert_eq!((logged.attempt, logged.success), (1, true));
    assert_eq!(logged.event, "down");
    assert_eq!(logged.monitor_id, Some(m.id));
    let retry_at = at(NOW_MS + 12 * MINUTE_MS);
    store
        .finish_notification(&attempt(
            second.id,
            "a",
            10,
            AttemptOutcome::RetryAt(retry_at),
        ))
        .await
        .unwrap();
    let early = at(NOW_MS + 11 * MINUTE_MS);
    assert!(
        store
            .claim_notifications("b", early, LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let again = store
        .claim_notifications("b", retry_at, LEASE, 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].id, again[0].attempts), (second.id, 1));
    assert_eq!(again[0].notice.key, second.notice.key);
    let lost = store
        .finish_notification(&attempt(second.id, "a", 12, AttemptOutcome::Delivered))
        .await;
    assert!(matches!(lost, Err(StoreError::Conflict(_))), "{lost:?}");
    let failed = store
        .finish_notification(&attempt(second.id, "b", 12, AttemptOutcome::Failed))
        .await
        .unwrap();
    assert_eq!((failed.attempt, failed.success), (2, false));
    assert_eq!(store.pending_notifications().await.unwrap(), 0);
    let log = store
        .list_deliveries(&DeliveryFilter::default(), &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(log.items.len(), 3, "every attempt is logged once");

    // Two good checks bring it back: a recovery notice saying how long it was down.
    store
        .record_results(&[good(m.id, 4), good(m.id, 5)])
        .await
        .unwrap();
    let recovered = store
        .claim_notifications("a", at(NOW_MS + 20 * MINUTE_MS), LEASE, 10)
        .await
        .unwrap();
    assert_eq!(recovered.len(), 2);
    let notice = &recovered[0].notice;
    assert_eq!(notice.event, NoticeEvent::Recovered);
    assert_eq!(notice.down_for, Some(Duration::from_secs(120)));
}

pub(crate) async fn a_lapsed_lease_hands_the_notification_to_another_notifier(
    store: Arc<dyn Store>,
) {
    let m = store.create_monitor(&monitor("api"), now()).await.unwrap();
    let hook = store
        .create_channel(&channel("ops", "webhook"), now())
        .await
        .unwrap();
    route_all(store.as_ref(), hook.id).await;
    store
        .record_results(&[down(m.id, 0), down(m.id, 1), down(m.id, 2)])
        .await
        .unwrap();
    let start = at(NOW_MS + 5 * MINUTE_MS);
    let crashed = store
        .claim_notifications("a", start, LEASE, 10)
        .await
        .unwrap();
    assert_eq!(crashed.len(), 1);
    let during = start + LEASE - Duration::from_secs(1);
    assert!(
        store
            .claim_notifications("b", during, LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let after = start + LEASE;
    let taken = store
        .claim_notifications("b", after, LEASE, 10)
        .await
        .unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].notice.key, crashed[0].notice.key);
    assert_eq!(taken[0].attempts, 0, "a claim alone is not an attempt");

    // Deleting the channel takes its pending notifications with it.
    store.delete_channel(hook.id).await.unwrap();
    assert_eq!(store.pending_notifications().await.unwrap(), 0);
}

pub(crate) async fn channels_that_ask_are_reminded_while_a_monitor_stays_down(
    store: Arc<dyn Store>,
) {
    let m = store.create_monitor(&monitor("api"), now()).await.unwrap();
    let (nagging, down_at) = down_on_a_pager_and_a_chat(store.as_ref(), m.id, "10m").await;
    let drain = |when| deliver_all(store.as_ref(), when);
    assert_eq!(drain(down_at).await.len(), 2, "the down notice, to both");

    let minutes = |n: u64| down_at + Duration::from_secs(60 * n);
    assert_eq!(store.enqueue_reminders(minutes(9)).await.unwrap(), 0);
    assert_eq!(store.enqueue_reminders(minutes(10)).await.unwrap(), 1);
    assert_eq!(
        store.enqueue_reminders(minutes(10)).await.unwrap(),
        0,
        "once"
    );
    let reminded = drain(minutes(10)).await;
    assert_eq!(reminded.len(), 1);
    assert_eq!(reminded[0].channel.id, nagging.id);
    let notice = &reminded[0].notice;
    assert_eq!(notice.event, NoticeEvent::Reminder);
    assert_eq!(notice.down_for, Some(Duration::from_secs(600)));
    assert_eq!(notice.title(), "[STILL DOWN] api for 10 min");
    assert_eq!(store.enqueue_reminders(minutes(19)).await.unwrap(), 0);
    assert_eq!(store.enqueue_reminders(minutes(20)).await.unwrap(), 1);

    // None once it is back up.
    store
        .record_results(&[good(m.id, 30), good(m.id, 31)])
        .await
        .unwrap();
    drain(minutes(40)).await;
    assert_eq!(store.enqueue_reminders(minutes(60)).await.unwrap(), 0);
}

/// Routes every monitor to a pager reminded every `pager_reminds` and a chat that asks
/// for no reminders, then takes `monitor` down; returns the pager and when it went down.
async fn down_on_a_pager_and_a_chat(
    store: &dyn Store,
    monitor: MonitorId,
    pager_reminds: &str,
) -> (pulsar_core::NotificationChannel, std::time::SystemTime) {
    let mut pager = channel("pager", "ntfy");
    pager
        .config
        .insert(pulsar_core::REMIND_EVERY.into(), pager_reminds.into());
    let pager = store.create_channel(&pager, now()).await.unwrap();
    let chat = store
        .create_channel(&channel("chat", "slack"), now())
        .await
        .unwrap();
    for id in [pager.id, chat.id] {
        route_all(store, id).await;
    }
    store
        .record_results(&[down(monitor, 0), down(monitor, 1), down(monitor, 2)])
        .await
        .unwrap();
    // An UNKNOWN monitor takes its first verdict: down from the first check.
    (pager, at(NOW_MS + 3))
}

/// Claims every due notification at `when` and settles each as delivered.
async fn deliver_all(
    store: &dyn Store,
    when: std::time::SystemTime,
) -> Vec<pulsar_store::Outgoing> {
    let claimed = store
        .claim_notifications("n", when, LEASE, 10)
        .await
        .unwrap();
    for outgoing in &claimed {
        let mut done = attempt(outgoing.id, "n", 0, AttemptOutcome::Delivered);
        done.attempted_at = when;
        store.finish_notification(&done).await.unwrap();
    }
    claimed
}

pub(crate) async fn a_monitor_that_asks_is_reminded_on_every_channel(store: Arc<dyn Store>) {
    let mut critical = monitor("checkout");
    critical.remind_every = Some(Duration::from_secs(300));
    let m = store.create_monitor(&critical, now()).await.unwrap();
    assert_eq!(
        store.get_monitor(m.id).await.unwrap().remind_every,
        Some(Duration::from_secs(300)),
        "kept"
    );
    let (_, down_at) = down_on_a_pager_and_a_chat(store.as_ref(), m.id, "1h").await;
    assert_eq!(deliver_all(store.as_ref(), down_at).await.len(), 2);

    let minutes = |n: u64| down_at + Duration::from_secs(60 * n);
    assert_eq!(store.enqueue_reminders(minutes(4)).await.unwrap(), 0);
    assert_eq!(
        store.enqueue_reminders(minutes(5)).await.unwrap(),
        2,
        "the monitor's 5 min, on both channels"
    );
    let reminded = deliver_all(store.as_ref(), minutes(5)).await;
    assert!(
        reminded
            .iter()
            .all(|o| o.notice.event == NoticeEvent::Reminder)
    );
    assert_eq!(store.enqueue_reminders(minutes(10)).await.unwrap(), 2);
}

/// A good check of `monitor` in slot `k` that saw a certificate expiring at `expires_at_ms`.
fn with_cert(monitor: MonitorId, k: i64, expires_at_ms: i64) -> CheckResult {
    let mut result = good(monitor, k);
    result.tls = Some(pulsar_core::TlsInfo {
        version: "TLSv1.3".into(),
        cipher: "TLS13_AES_128_GCM_SHA256".into(),
        alpn: None,
        subject: "CN=api.example.com".into(),
        issuer: "CN=Test CA".into(),
        sans: vec!["api.example.com".into()],
        not_before: None,
        not_after: Some(at(expires_at_ms)),
    });
    result
}

pub(crate) async fn each_certificate_threshold_is_announced_once(store: Arc<dyn Store>) {
    let m = store.create_monitor(&monitor("api"), now()).await.unwrap();
    let mut off = monitor("quiet");
    off.cert_expiry_days.clear();
    let off = store.create_monitor(&off, now()).await.unwrap();
    let hook = store
        .create_channel(&channel("ops", "webhook"), now())
        .await
        .unwrap();
    route_all(store.as_ref(), hook.id).await;
    const DAY_MS: i64 = 86_400_000;
    // Expiries `days` (and an hour) after the check of slot `k`.
    let expiry = |k: i64, days: i64| NOW_MS + k * MINUTE_MS + days * DAY_MS + 3_600_000;
    let first = expiry(1, 14);
    let renewed = expiry(5, 10) + 1;
    let checks = [
        with_cert(m.id, 0, expiry(0, 20)),
        with_cert(m.id, 1, first),
        with_cert(m.id, 2, first),
        with_cert(m.id, 3, expiry(3, 5)),
        with_cert(m.id, 4, expiry(3, 5)),
        with_cert(m.id, 5, renewed),
        with_cert(off.id, 0, expiry(0, 1)),
    ];
    for check in checks {
        store.record_results(&[check]).await.unwrap();
    }
    let told = store
        .claim_notifications("n", at(NOW_MS + 60 * MINUTE_MS), LEASE, 10)
        .await
        .unwrap();
    let warnings: Vec<_> = told
        .iter()
        .map(|o| {
            assert_eq!(o.notice.event, NoticeEvent::CertificateExpiring);
            assert_eq!(o.notice.monitor_name, "api");
            o.notice.cause.clone()
        })
        .collect();
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(
        warnings[0].starts_with("the TLS certificate expires in 14 days, on "),
        "{warnings:?}"
    );
    assert!(
        warnings[1].starts_with("the TLS certificate expires in 5 days"),
        "{warnings:?}"
    );
    assert!(
        warnings[2].starts_with("the TLS certificate expires in 10 days"),
        "a renewed one starts over"
    );
}

pub(crate) async fn a_host_condition_notifies_host_channels_once_each_way(store: Arc<dyn Store>) {
    let hosts = store
        .create_channel(&channel("hosts", "webhook"), now())
        .await
        .unwrap();
    let sites = store
        .create_channel(&channel("sites", "slack"), now())
        .await
        .unwrap();
    let mut routing = ChannelRouting::none(hosts.id);
    routing.hosts = true;
    store.set_channel_routing(&routing).await.unwrap();
    assert!(store.get_channel_routing(hosts.id).await.unwrap().hosts);
    route_all(store.as_ref(), sites.id).await;

    let mut zombies = pulsar_core::HostCondition {
        rule: pulsar_core::HostRule::Zombies,
        subject: String::new(),
        breached: true,
        value: 7.0,
        limit: 5.0,
        detail: "7 zombie processes (limit 5)".into(),
    };
    assert!(
        store
            .set_host_condition("web-1", &zombies, now())
            .await
            .unwrap()
    );
    assert!(
        !store
            .set_host_condition("web-1", &zombies, now())
            .await
            .unwrap(),
        "once"
    );
    zombies.breached = false;
    let later = at(NOW_MS + 5 * MINUTE_MS);
    assert!(
        store
            .set_host_condition("web-1", &zombies, later)
            .await
            .unwrap()
    );
    assert!(
        !store
            .set_host_condition("web-1", &zombies, later)
            .await
            .unwrap()
    );
    let told = store
        .claim_notifications("n", later, LEASE, 10)
        .await
        .unwrap();
    let events: Vec<_> = told
        .iter()
        .map(|o| (o.channel.name.as_str(), o.notice.event))
        .collect();
    assert_eq!(
        events,
        [
            ("hosts", NoticeEvent::HostAlert),
            ("hosts", NoticeEvent::HostResolved)
        ]
    );
    assert_eq!(
        told[0].notice.title(),
        "[HOST] web-1: 7 zombie processes (limit 5)"
    );
    assert_eq!(told[1].notice.down_for, Some(Duration::from_secs(300)));
    assert_eq!(told[1].notice.condition, "zombies");
}
