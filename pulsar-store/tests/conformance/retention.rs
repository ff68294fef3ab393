use std::sync::Arc;
use std::time::Duration;

use pulsar_core::proto::v1;
use pulsar_core::{BucketSize, ChannelId, Delivery, DeliveryId};
use pulsar_store::{DeliveryFilter, PageRequest, ResultFilter, Retention, Store, TimeRange};

use crate::support::*;

pub(crate) async fn prune_removes_only_what_retention_drops(store: Arc<dyn Store>) {
    let m = store
        .create_monitor(&monitor("history"), now())
        .await
        .unwrap();
    // One check every 6 hours for 40 days before now.
    let results: Vec<_> = (0..160)
        .map(|k| up(m.id, NOW_MS - k * 6 * HOUR_MS, 1_000))
        .collect();
    store.insert_results(&results).await.unwrap();
    let samples: Vec<_> = (0..100)
        .map(|k| v1::HostSnapshot {
            hostname: "web-1".into(),
            taken_at_unix_ms: NOW_MS - k * 12 * HOUR_MS,
            ..Default::default()
        })
        .collect();
    store.insert_host_samples(&samples).await.unwrap();
    let channel = store
        .create_channel(&channel("ops", "webhook"), now())
        .await
        .unwrap();
    for k in 0..40 {
        let d = Delivery {
            id: DeliveryId(0),
            channel_id: ChannelId(channel.id.0),
            monitor_id: None,
            incident_id: None,
            event: "test".into(),
            attempted_at: at(NOW_MS - k * DAY_MS),
            attempt: 1,
            success: true,
            detail: String::new(),
            latency: Duration::ZERO,
        };
        store.record_delivery(&d).await.unwrap();
    }

    // Tiny batches prove the loop keeps deleting until everything old is gone.
    let retention = Retention {
        batch_rows: 7,
        ..Retention::default()
    };
    let report = store.prune(now(), &retention).await.unwrap();
    let all = TimeRange::all();
    let kept = store
        .list_results(m.id, &ResultFilter::within(all), &PageRequest::first(1_000))
        .await
        .unwrap()
        .items;
    // Raw results: 7 days kept, i.e. slots at or after now - 7 d.
    assert_eq!(kept.len(), 29);
    assert_eq!(report.raw_results, 160 - 29);
    assert!(kept.iter().all(|r| ms(r.slot) >= NOW_MS - 7 * DAY_MS));
    let minutes = store
        .list_rollups(m.id, BucketSize::Minute, all)
        .await
        .unwrap();
    assert_eq!(minutes.len(), 121, "minute rollups: 30 days");
    assert_eq!(report.minute_rollups, 39);
    let hours = store
        .list_rollups(m.id, BucketSize::Hour, all)
        .await
        .unwrap();
    assert_eq!(hours.len(), 160, "hour rollups: 400 days");
    assert_eq!(report.hour_rollups, 0);
    // Summaries over 30 days still see what raw rows no longer hold.
    let summary = &store
        .summaries(&[m.id], Duration::from_secs(30 * 86_400), now())
        .await
        .unwrap()[0];
    assert_eq!(summary.checks(), 121);

    assert_eq!(report.host_samples, 100 - 15, "host samples: 7 days");
    // The host stays listed while any of its averages are kept.
    assert_eq!(store.list_hosts().await.unwrap()[0].hostname, "web-1");
    // Host averages: one minute and one hour row per sample (12 h apart).
    let host_times: Vec<i64> = (0..100).map(|k| NOW_MS - k * 12 * HOUR_MS).collect();
    let older = |bucket: BucketSize, keep_days: i64, than_days: Option<i64>| {
        let cut = |days: i64| bucket.floor_ms(NOW_MS - days * DAY_MS);
        host_times
            .iter()
            .map(|&t| bucket.floor_ms(t))
            .filter(|&start| start < cut(keep_days) && than_days.is_none_or(|d| start >= cut(d)))
            .count() as u64
    };
    assert_eq!(
        report.host_rollups,
        older(BucketSize::Minute, 30, None),
        "host minute averages older than 30 days are gone"
    );
    assert_eq!(report.deliveries, 9, "deliveries: 30 days");
    let filter = DeliveryFilter::default();
    assert_eq!(
        store
            .list_deliveries(&filter, &PageRequest::default())
            .await
            .unwrap()
            .items
            .len(),
        31
    );

    let again = store.prune(now(), &retention).await.unwrap();
    assert_eq!(again.total(), 0, "a second prune finds nothing");

    // A shorter hour retention drops hour and day rollups (and host hour averages) that
    // start before its cut-off.
    let keep_20_days = Retention {
        minute_rollups: Duration::from_secs(10 * 86_400),
        hour_rollups: Duration::from_secs(20 * 86_400),
        ..retention
    };
    let report = store.prune(now(), &keep_20_days).await.unwrap();
    let slots: Vec<i64> = (0..160).map(|k| NOW_MS - k * 6 * HOUR_MS).collect();
    // (all, kept) bucket starts of the results' rollups of one size.
    let starts = |bucket: BucketSize| {
        let cut = bucket.floor_ms(NOW_MS - 20 * DAY_MS);
        let mut starts: Vec<i64> = slots.iter().map(|&s| bucket.floor_ms(s)).collect();
        starts.dedup();
        let kept = starts.iter().filter(|&&start| start >= cut).count();
        (starts.len(), kept)
    };
    let mut dropped = 0;
    for bucket in [BucketSize::Hour, BucketSize::Day] {
        let (all_starts, kept_starts) = starts(bucket);
        let kept = store.list_rollups(m.id, bucket, all).await.unwrap();
        assert_eq!(kept.len(), kept_starts, "{bucket:?} rollups: 20 days");
        dropped += (all_starts - kept_starts) as u64;
    }
    assert!(dropped > 0);
    assert_eq!(report.hour_rollups, dropped);
    assert_eq!(
        report.host_rollups,
        older(BucketSize::Minute, 10, Some(30)) + older(BucketSize::Hour, 20, None),
        "host minute averages older than 10 days and hour averages older than 20 days"
    );
}
