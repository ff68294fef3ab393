use std::sync::Arc;
use std::time::Duration;

use pulsar_core::{
    BucketSize, CheckResult, HISTOGRAM_RELATIVE_ERROR, Outcome, PHASE_NAMES, Summary, percentile,
};
use pulsar_store::{Store, StoreError, TimeRange};

use crate::support::*;

fn assert_close(phase: &str, q: f64, got: Duration, exact_us: u64) {
    let got_us = got.as_nanos() as f64 / 1_000.0;
    let error = (got_us - exact_us as f64).abs() / exact_us.max(1) as f64;
    assert!(
        error <= HISTOGRAM_RELATIVE_ERROR,
        "{phase} p{q}: {got_us} µs from rollups vs {exact_us} µs from raw rows"
    );
}

/// Asserts that `summary` is what the raw results of its window give: counts, sums, means,
/// min and max exactly, percentiles within the histogram's stated error.
pub(crate) fn assert_summarizes(summary: &Summary, raw: &[&CheckResult]) {
    let count = |o| raw.iter().filter(|r| r.outcome == o).count() as u64;
    assert_eq!(
        (summary.up, summary.degraded, summary.down),
        (
            count(Outcome::Up),
            count(Outcome::Degraded),
            count(Outcome::Down)
        )
    );
    let uptime = (!raw.is_empty())
        .then(|| (count(Outcome::Up) + count(Outcome::Degraded)) as f64 * 100.0 / raw.len() as f64);
    match (summary.uptime_pct, uptime) {
        (Some(got), Some(expected)) => assert!((got - expected).abs() < 1e-9),
        (got, expected) => assert_eq!(got, expected),
    }
    for (i, phase) in PHASE_NAMES.iter().enumerate() {
        let mut exact: Vec<u64> = raw
            .iter()
            .filter_map(|r| r.phases.named()[i].1)
            .map(|d| d.as_micros() as u64)
            .collect();
        exact.sort_unstable();
        let Some(latency) = summary.phase(phase) else {
            assert!(exact.is_empty(), "{phase} missing from the summary");
            continue;
        };
        assert_eq!(latency.samples, exact.len() as u64);
        for (q, got) in [
            (50.0, latency.p50),
            (95.0, latency.p95),
            (99.0, latency.p99),
        ] {
            assert_close(phase, q, got, percentile(&exact, q).unwrap());
        }
        let mean = exact.iter().sum::<u64>() / exact.len() as u64;
        assert_eq!(latency.mean, Duration::from_micros(mean));
    }
    let totals = raw
        .iter()
        .filter_map(|r| r.phases.total)
        .map(|d| d.as_micros() as u64);
    assert_eq!(
        summary.total_min,
        totals.clone().min().map(Duration::from_micros)
    );
    assert_eq!(summary.total_max, totals.max().map(Duration::from_micros));
}

pub(crate) async fn rollup_percentiles_match_raw_percentiles(store: Arc<dyn Store>) {
    let mut rng = Rng::new(7);
    let mut monitors = Vec::new();
    let mut all: Vec<CheckResult> = Vec::new();
    for i in 0..3 {
        let mut m = monitor(&format!("m{i}"));
        m.interval = Duration::from_secs(30);
        let m = store.create_monitor(&m, now()).await.unwrap();
        // 20 hours of checks every 30 s, ending before "now + 20 h".
        for k in 0..2_400 {
            let outcome = match rng.next() % 50 {
                0 => Outcome::Down,
                1 | 2 => Outcome::Degraded,
                _ => Outcome::Up,
            };
            let phases = [
                rng.latency_us(200, 50_000),
                rng.latency_us(300, 100_000),
                rng.latency_us(1_000, 200_000),
                rng.latency_us(2_000, 2_000_000),
                rng.latency_us(1, 500_000),
            ];
            all.push(result(m.id, NOW_MS + k * 30_000, outcome, phases));
        }
        monitors.push(m.id);
    }
    // Out of order, in batches, with a redelivered batch in between.
    let mut shuffled = all.clone();
    for i in (1..shuffled.len()).rev() {
        shuffled.swap(i, (rng.next() % (i as u64 + 1)) as usize);
    }
    for batch in shuffled.chunks(700) {
        store.insert_results(batch).await.unwrap();
    }
    assert_eq!(store.insert_results(&shuffled[..700]).await.unwrap(), 0);

    let end = at(NOW_MS + 20 * HOUR_MS);
    let check = |summaries: Vec<pulsar_core::Summary>| {
        for (summary, id) in summaries.iter().zip(&monitors) {
            assert_eq!(summary.monitor_id, *id);
            let raw: Vec<&CheckResult> = all.iter().filter(|r| r.monitor_id == *id).collect();
            assert_summarizes(summary, &raw);
        }
    };
    // Whatever the background fold has reached (pending results merged into the read), then
    // with every result folded into stored rollups.
    let day = Duration::from_secs(86_400);
    check(store.summaries(&monitors, day, end).await.unwrap());
    while store.fold_rollups(100_000).await.unwrap() > 0 {}
    assert_eq!(store.rollup_lag().await.unwrap(), 0);
    check(store.summaries(&monitors, day, end).await.unwrap());
    // Hour rollups hold the same counts as the raw rows.
    let hours = store
        .list_rollups(monitors[0], BucketSize::Hour, TimeRange::all())
        .await
        .unwrap();
    assert_eq!(hours.len(), 21, "12:00 on day one to 08:00 on day two");
    assert_eq!(hours.iter().map(|h| h.stats.checks()).sum::<u64>(), 2_400);
    assert!(hours.windows(2).all(|w| w[0].start < w[1].start));
}

pub(crate) async fn summaries_cover_the_window_edges(store: Arc<dyn Store>) {
    let m = store
        .create_monitor(&monitor("edges"), now())
        .await
        .unwrap();
    let other = store
        .create_monitor(&monitor("other"), now())
        .await
        .unwrap();
    // One check per minute for 3 days before now.
    let results: Vec<_> = (0..3 * 1_440)
        .map(|k| up(m.id, NOW_MS - k * MINUTE_MS, 1_000 + (k % 100) as u64))
        .collect();
    store.insert_results(&results).await.unwrap();
    for (window, expected) in [
        (Duration::from_secs(3_600), 61),
        (Duration::from_secs(86_400), 1_441),
        (Duration::from_secs(2 * 86_400), 2_881),
        (Duration::from_secs(7 * 86_400), 4_320),
    ] {
        let summaries = store
            .summaries(&[m.id, other.id], window, now())
            .await
            .unwrap();
        // From floor_minute(now - window) to now: the minute of "now - window" counts.
        assert_eq!(summaries[0].checks(), expected, "window {window:?}");
        assert_eq!(summaries[0].to, now());
        assert_eq!(
            ms(summaries[0].from),
            (NOW_MS - window.as_millis() as i64) / MINUTE_MS * MINUTE_MS
        );
        assert_eq!(summaries[1].checks(), 0);
        assert_eq!(summaries[1].uptime_pct, None);
        assert!(summaries[1].latency.is_empty());
    }
    assert!(
        store
            .summaries(&[], Duration::from_secs(60), now())
            .await
            .unwrap()
            .is_empty()
    );
    // Windows and sizes a caller can pass are checked, each error naming its field.
    let too_many: Vec<_> = (0..=pulsar_store::MAX_SUMMARY_MONITORS)
        .map(|_| pulsar_core::MonitorId::new())
        .collect();
    for (ids, window, field) in [
        (&[m.id][..], Duration::from_secs(59), "window_seconds"),
        (
            &[m.id][..],
            pulsar_store::MAX_SUMMARY_WINDOW * 2,
            "window_seconds",
        ),
        (&too_many[..], Duration::from_secs(3_600), "monitor_ids"),
    ] {
        let Err(StoreError::Invalid(errors)) = store.summaries(ids, window, now()).await else {
            panic!("{field} is checked");
        };
        assert_eq!(errors[0].field, field);
    }
    let backwards = TimeRange::new(now(), at(NOW_MS - MINUTE_MS));
    assert!(matches!(
        store
            .list_rollups(m.id, BucketSize::Minute, backwards)
            .await,
        Err(StoreError::Invalid(_))
    ));
}

pub(crate) async fn late_results_update_rollups_once(store: Arc<dyn Store>) {
    let m = store.create_monitor(&monitor("late"), now()).await.unwrap();
    let on_time: Vec<_> = (0..30)
        .map(|k| up(m.id, NOW_MS + k * MINUTE_MS, 1_000))
        .collect();
    store.insert_results(&on_time).await.unwrap();
    // A result for an hour-old slot arrives late (a slow worker): it lands in its own minute.
    let mut late = up(m.id, NOW_MS - HOUR_MS, 50_000);
    late.outcome = Outcome::Down;
    assert_eq!(store.insert_results(&[late.clone()]).await.unwrap(), 1);
    assert_eq!(store.insert_results(&[late]).await.unwrap(), 0);
    let minutes = store
        .list_rollups(
            m.id,
            BucketSize::Minute,
            TimeRange::new(at(NOW_MS - 2 * HOUR_MS), at(NOW_MS - 30 * MINUTE_MS)),
        )
        .await
        .unwrap();
    assert_eq!(minutes.len(), 1);
    assert_eq!(minutes[0].stats.down, 1);
    let summary = &store
        .summaries(&[m.id], Duration::from_secs(86_400), at(NOW_MS + HOUR_MS))
        .await
        .unwrap()[0];
    assert_eq!((summary.up, summary.down), (30, 1));
    assert_eq!(summary.total_max, Some(Duration::from_millis(50)));
}
