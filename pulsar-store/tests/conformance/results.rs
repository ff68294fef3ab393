use std::sync::Arc;
use std::time::Duration;

use pulsar_core::{Failure, FailureKind, HopReport, MonitorId, Outcome, Phases, TlsInfo};
use pulsar_store::{PageRequest, ResultFilter, Store, StoreError, TimeRange};

use crate::support::*;

pub(crate) async fn inserts_are_idempotent_per_monitor_and_slot(store: Arc<dyn Store>) {
    let m = store.create_monitor(&monitor("api"), now()).await.unwrap();
    let batch: Vec<_> = (0..50)
        .map(|i| up(m.id, NOW_MS + i * MINUTE_MS, 1_000 + i as u64))
        .collect();
    assert_eq!(store.insert_results(&batch).await.unwrap(), 50);
    // A redelivered batch adds nothing; a mixed one adds only its new rows.
    assert_eq!(store.insert_results(&batch).await.unwrap(), 0);
    let mut mixed = batch[40..].to_vec();
    mixed.extend((50..60).map(|i| up(m.id, NOW_MS + i * MINUTE_MS, 5_000)));
    // Duplicates inside one batch count once; results of unknown monitors are ignored.
    mixed.push(up(m.id, NOW_MS + 59 * MINUTE_MS, 9_999));
    mixed.push(up(MonitorId::new(), NOW_MS, 1_000));
    assert_eq!(store.insert_results(&mixed).await.unwrap(), 10);
    assert_eq!(store.insert_results(&[]).await.unwrap(), 0);

    let page = store
        .list_results(m.id, &ResultFilter::default(), &PageRequest::first(1_000))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 60);
    // The first copy wins: a redelivery never overwrites a stored result.
    assert_eq!(
        page.items[0].phases.total,
        Some(Duration::from_micros(5_000))
    );
    let summary = &store
        .summaries(
            &[m.id],
            Duration::from_secs(7 * 86_400),
            at(NOW_MS + 2 * 3_600_000),
        )
        .await
        .unwrap()[0];
    assert_eq!(
        summary.checks(),
        60,
        "rollups count each stored result once"
    );
}

pub(crate) async fn results_page_newest_first_within_a_range(store: Arc<dyn Store>) {
    let m = store
        .create_monitor(&monitor("paged"), now())
        .await
        .unwrap();
    let results: Vec<_> = (0..250)
        .map(|i| up(m.id, NOW_MS + i * 30_000, 1_000))
        .collect();
    store.insert_results(&results).await.unwrap();

    let range = TimeRange::new(at(NOW_MS + 10 * 30_000), at(NOW_MS + 240 * 30_000));
    let mut slots = Vec::new();
    let mut page = PageRequest::first(100);
    loop {
        let got = store
            .list_results(m.id, &ResultFilter::within(range), &page)
            .await
            .unwrap();
        slots.extend(got.items.iter().map(|r| ms(r.slot)));
        match got.next_cursor {
            Some(cursor) => page = PageRequest::after(100, cursor),
            None => break,
        }
    }
    let expected: Vec<i64> = (10..240).rev().map(|i| NOW_MS + i * 30_000).collect();
    assert_eq!(slots, expected);
    let bad = PageRequest::after(10, "not-a-cursor");
    assert!(matches!(
        store
            .list_results(m.id, &ResultFilter::within(range), &bad)
            .await,
        Err(StoreError::Invalid(_))
    ));
    // An existing monitor without results in range is an empty page, not an error.
    let empty = TimeRange::new(at(0), at(1));
    assert!(
        store
            .list_results(m.id, &ResultFilter::within(empty), &PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

pub(crate) async fn latest_results_of_many_monitors(store: Arc<dyn Store>) {
    let mut ids = Vec::new();
    for i in 0..5 {
        let m = store
            .create_monitor(&monitor(&format!("m{i}")), now())
            .await
            .unwrap();
        if i < 4 {
            let results: Vec<_> = (0..=i)
                .map(|k| up(m.id, NOW_MS + k * MINUTE_MS, 100 * (i as u64 + 1)))
                .collect();
            store.insert_results(&results).await.unwrap();
        }
        ids.push(m.id);
    }
    let mut latest = store.latest_results(&ids).await.unwrap();
    latest.sort_by_key(|r| r.monitor_id);
    assert_eq!(latest.len(), 4, "the monitor without results has no entry");
    for r in &latest {
        let i = ids.iter().position(|id| *id == r.monitor_id).unwrap() as i64;
        assert_eq!(ms(r.slot), NOW_MS + i * MINUTE_MS);
    }
    assert!(store.latest_results(&[]).await.unwrap().is_empty());
}

pub(crate) async fn results_keep_phases_hops_and_failures(store: Arc<dyn Store>) {
    let m = store
        .create_monitor(&monitor("detailed"), now())
        .await
        .unwrap();
    let mut full = up(m.id, NOW_MS, 12_345);
    full.phases.tls = None;
    full.hops = vec![HopReport {
        url: "https://detailed.example.com/health".into(),
        start_offset: Duration::from_micros(1_234),
        status: Some(301),
        http_version: Some("HTTP/2".into()),
        remote_addr: Some("127.0.0.1:443".parse().unwrap()),
        phases: Phases {
            dns: Some(Duration::from_micros(7)),
            ..Default::default()
        },
        body_bytes: 0,
        tls: Some(TlsInfo {
            version: "TLSv1.3".into(),
            cipher: "TLS13_AES_128_GCM_SHA256".into(),
            alpn: Some("h2".into()),
            subject: "CN=detailed".into(),
            issuer: "CN=CA".into(),
            sans: vec!["detailed.example.com".into()],
            not_before: Some(at(1_700_000_000_000)),
            not_after: Some(at(1_900_000_000_000)),
        }),
    }];
    full.tls = full.hops[0].tls.clone();
    let mut failed = up(m.id, NOW_MS + MINUTE_MS, 0);
    failed.outcome = Outcome::Down;
    failed.phases = Phases {
        dns: Some(Duration::from_micros(900)),
        ..Default::default()
    };
    failed.status = None;
    failed.http_version = None;
    failed.remote_addr = None;
    failed.failure = Some(Failure::new(
        FailureKind::ConnectRefused,
        "connection refused",
    ));
    failed.message = "connection refused".into();
    store
        .insert_results(&[full.clone(), failed.clone()])
        .await
        .unwrap();
    let page = store
        .list_results(m.id, &ResultFilter::default(), &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(page.items, vec![failed, full]);
}
