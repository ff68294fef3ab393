use std::sync::Arc;
use std::time::Duration;

use pulsar_core::proto::v1;
use pulsar_store::{Store, StoreError, TimeRange};

use crate::support::*;

fn snapshot(host: &str, taken_at_ms: i64, cpu: f64, rx: Option<f64>) -> v1::HostSnapshot {
    v1::HostSnapshot {
        hostname: host.into(),
        taken_at_unix_ms: taken_at_ms,
        cpu: Some(v1::CpuStats {
            total: Some(v1::CpuTimes {
                busy_pct: Some(cpu),
                ..Default::default()
            }),
            load1: cpu / 10.0,
            ..Default::default()
        }),
        memory: Some(v1::MemoryStats {
            used_bytes: 1_000,
            total_bytes: 4_000,
            ..Default::default()
        }),
        networks: vec![v1::NetworkStats {
            interface: "eth0".into(),
            rx_bytes_per_sec: rx,
            ..Default::default()
        }],
        ..Default::default()
    }
}

pub(crate) async fn host_samples_store_latest_and_downsample(store: Arc<dyn Store>) {
    // Two hours of samples every 10 s; cpu busy follows the minute of the hour.
    let start = NOW_MS - NOW_MS % HOUR_MS;
    let samples: Vec<_> = (0..720)
        .map(|i| {
            let t = start + i * 10_000;
            let minute = (i / 6) % 60;
            snapshot("web-1", t, minute as f64, (i > 0).then_some(100.0))
        })
        .collect();
    assert_eq!(store.insert_host_samples(&samples).await.unwrap(), 720);
    assert_eq!(
        store.insert_host_samples(&samples[..10]).await.unwrap(),
        0,
        "idempotent"
    );
    store
        .insert_host_samples(&[snapshot("db-1", start, 5.0, None)])
        .await
        .unwrap();
    let mut nameless = snapshot("", start, 1.0, None);
    nameless.hostname.clear();
    assert!(matches!(
        store.insert_host_samples(&[nameless]).await,
        Err(StoreError::Invalid(_))
    ));

    let hosts = store.list_hosts().await.unwrap();
    let names: Vec<_> = hosts.iter().map(|h| h.hostname.as_str()).collect();
    assert_eq!(names, ["db-1", "web-1"]);
    assert_eq!(ms(hosts[1].first_seen), start);
    assert_eq!(ms(hosts[1].last_seen), start + 719 * 10_000);
    let latest = store.latest_host_sample("web-1").await.unwrap();
    assert_eq!(latest, samples[719]);
    assert!(matches!(
        store.latest_host_sample("nope").await,
        Err(StoreError::NotFound { .. })
    ));

    // 2 h in 120 points: one per minute, from minute averages.
    let range = TimeRange::new(at(start), at(start + 2 * HOUR_MS));
    let points = store.host_series("web-1", range, 120).await.unwrap().points;
    assert_eq!(points.len(), 120);
    for (i, p) in points.iter().enumerate() {
        assert_eq!(ms(p.at), start + i as i64 * MINUTE_MS);
        assert_eq!(p.samples, 6);
        assert_eq!(p.metrics.cpu_busy_pct, Some((i % 60) as f64));
        assert_eq!(p.metrics.memory_used_bytes, Some(1_000.0));
    }
    // The very first sample had no rx rate: the average ignores it, not counts it as 0.
    assert_eq!(points[0].metrics.net_rx_bytes_per_sec, Some(100.0));

    // 2 h in 4 points: 30-minute steps.
    let coarse = store.host_series("web-1", range, 4).await.unwrap();
    assert_eq!(coarse.step, Duration::from_secs(1_800));
    let coarse = coarse.points;
    assert_eq!(coarse.len(), 4);
    assert_eq!(coarse[0].samples, 180);
    assert_eq!(coarse[0].metrics.cpu_busy_pct, Some(14.5));
    assert_eq!(coarse[1].metrics.cpu_busy_pct, Some(44.5));

    // 2 h in 2 points: hour steps, from hour averages.
    let hourly = store.host_series("web-1", range, 2).await.unwrap().points;
    assert_eq!(hourly.len(), 2);
    for (i, p) in hourly.iter().enumerate() {
        assert_eq!(ms(p.at), start + i as i64 * HOUR_MS);
        assert_eq!(p.samples, 360);
        assert_eq!(p.metrics.cpu_busy_pct, Some(29.5));
    }

    // 10 minutes in 30 points: 20-second steps from raw samples.
    let fine = TimeRange::new(at(start), at(start + 10 * MINUTE_MS));
    let points = store.host_series("web-1", fine, 30).await.unwrap().points;
    assert_eq!(points.len(), 30);
    assert_eq!(points[3].samples, 2);
    assert_eq!(ms(points[3].at), start + 60_000);
    assert_eq!(points[3].metrics.cpu_busy_pct, Some(1.0));
    assert!(
        store
            .host_series("nope", range, 10)
            .await
            .unwrap()
            .points
            .is_empty()
    );
    let _ = Duration::ZERO;
}

pub(crate) async fn samples_are_kept_under_the_host_identity_the_caller_sets(
    store: Arc<dyn Store>,
) {
    // A container's kernel hostname can be empty: the caller's identity keys the samples.
    let mut named = snapshot("", NOW_MS, 10.0, None);
    named.host = "worker-eu-1".into();
    let mut renamed = snapshot("3f2a9c1b7d44", NOW_MS + 10_000, 20.0, None);
    renamed.host = "worker-eu-1".into();
    assert_eq!(
        store.insert_host_samples(&[named, renamed]).await.unwrap(),
        2
    );
    let hosts = store.list_hosts().await.unwrap();
    let names: Vec<&str> = hosts.iter().map(|h| h.hostname.as_str()).collect();
    assert_eq!(names, ["worker-eu-1"]);
    let latest = store.latest_host_sample("worker-eu-1").await.unwrap();
    assert_eq!(
        latest.hostname, "3f2a9c1b7d44",
        "the snapshot keeps its hostname"
    );
    // Without either, the error says what to set.
    let error = store
        .insert_host_samples(&[snapshot("", NOW_MS, 1.0, None)])
        .await
        .unwrap_err();
    assert_eq!(error.field_errors()[0].field, "host");
}

fn full_snapshot(taken_at_ms: i64, zombies: u64, var_used: u64) -> v1::HostSnapshot {
    let counts = |zombie: u64| v1::StateCounts {
        total: 100 + zombie,
        running: 2,
        sleeping: 98,
        zombie,
        ..Default::default()
    };
    let mut s = snapshot("web-1", taken_at_ms, 50.0, Some(1_000.0));
    s.memory = Some(v1::MemoryStats {
        swap_total_bytes: 2_000,
        swap_used_bytes: 500,
        ..Default::default()
    });
    s.tasks = Some(v1::TaskStats {
        processes: Some(counts(zombies)),
        threads: Some(counts(zombies * 2)),
        ..Default::default()
    });
    s.filesystems = vec![v1::FilesystemStats {
        mount_point: "/var".into(),
        used_bytes: var_used,
        available_bytes: 100 - var_used,
        inodes_total: 1_000,
        inodes_used: 10,
        ..Default::default()
    }];
    s.networks.push(v1::NetworkStats {
        interface: "lo".into(),
        loopback: true,
        rx_bytes_per_sec: Some(9.0),
        ..Default::default()
    });
    s
}

pub(crate) async fn host_history_keeps_named_series_and_checks_its_windows(store: Arc<dyn Store>) {
    // Ten minutes of samples every 10 s: zombies 0 in even minutes, 6 in odd ones; /var
    // fills from 20 % to 29 %.
    let start = NOW_MS - NOW_MS % HOUR_MS;
    let samples: Vec<_> = (0..60)
        .map(|i| {
            let minute = i / 6;
            let zombies = if minute % 2 == 1 { 6 } else { 0 };
            full_snapshot(start + i * 10_000, zombies, 20 + minute as u64)
        })
        .collect();
    store.insert_host_samples(&samples).await.unwrap();
    let range = TimeRange::new(at(start), at(start + 10 * MINUTE_MS));

    // From minute averages (one point a minute) and from raw samples (30 s steps): the
    // same names, the same averages.
    for points in [10, 20] {
        let series = store
            .host_series("web-1", range, points)
            .await
            .unwrap()
            .points;
        assert_eq!(series.len(), points as usize);
        let per_minute = points as usize / 10;
        for (i, point) in series.iter().enumerate() {
            let minute = i / per_minute;
            let named = &point.named;
            let zombies = if minute % 2 == 1 { 6.0 } else { 0.0 };
            assert_eq!(named["processes.zombie"], zombies, "{points} points, #{i}");
            assert_eq!(named["threads.zombie"], 2.0 * zombies);
            assert_eq!(named["processes.running"], 2.0);
            assert_eq!(named["swap_used_bytes"], 500.0);
            assert_eq!(named["mount:/var:used_pct"], 20.0 + minute as f64);
            assert_eq!(named["mount:/var:inodes_used_pct"], 1.0);
            assert_eq!(named["net:eth0:rx_bytes_per_sec"], 1_000.0);
            assert!(
                !named.contains_key("net:lo:rx_bytes_per_sec"),
                "loopback is left out"
            );
        }
    }
    // An hour-level read of the same data.
    let hours = TimeRange::new(at(start), at(start + 2 * HOUR_MS));
    let hourly = store.host_series("web-1", hours, 2).await.unwrap().points;
    assert_eq!(hourly[0].named["processes.zombie"], 3.0);

    // Windows and limits are checked: a backwards range is refused, points are capped.
    let backwards = TimeRange::new(at(start + MINUTE_MS), at(start));
    let Err(StoreError::Invalid(errors)) = store.host_series("web-1", backwards, 10).await else {
        panic!("a backwards range is refused");
    };
    assert_eq!(errors[0].field, "to_unix_ms");
    let year = TimeRange::new(at(start - 365 * 86_400_000), at(start + HOUR_MS));
    let capped = store
        .host_series("web-1", year, u32::MAX)
        .await
        .unwrap()
        .points;
    assert!(!capped.is_empty() && capped.len() <= pulsar_core::SERIES_MAX_POINTS as usize);

    let hosts = store.list_hosts().await.unwrap();
    assert_eq!(
        (ms(hosts[0].first_seen), ms(hosts[0].last_seen)),
        (start, start + 59 * 10_000)
    );
}
