//! A monitor's history chart: the rollup level read, the steps, and the merged percentiles.

use std::sync::Arc;
use std::time::Duration;

use pulsar_core::{MonitorId, Outcome};
use pulsar_store::{Retention, Store, StoreError, TimeRange};

use crate::support::*;

pub(crate) async fn phase_series_merge_rollups_into_at_most_n_points(store: Arc<dyn Store>) {
    let m = store.create_monitor(&monitor("api"), now()).await.unwrap();
    // Three hours of checks, one a minute, up to about now; every 10th is down. The range
    // starts on a 10-minute boundary, so 18 steps of 10 minutes cover it exactly.
    let start = (NOW_MS - 3 * HOUR_MS) / (10 * MINUTE_MS) * (10 * MINUTE_MS);
    let results: Vec<_> = (0..180)
        .map(|k| {
            let outcome = if k % 10 == 9 {
                Outcome::Down
            } else {
                Outcome::Up
            };
            result(
                m.id,
                start + k * MINUTE_MS,
                outcome,
                [1_000, 2_000, 0, 10_000 + k as u64 * 100, 500],
            )
        })
        .collect();
    store.insert_results(&results).await.unwrap();
    let retention = Retention::default();
    let range = TimeRange::new(at(start), at(start + 3 * HOUR_MS));

    // 18 points over 3 hours: 10-minute steps of minute rollups, 10 checks each.
    for fold in [false, true] {
        if fold {
            while store.fold_rollups(100_000).await.unwrap() > 0 {}
        }
        let series = store
            .phase_series(m.id, range, 18, &retention, now())
            .await
            .unwrap();
        assert!(series.points.len() <= 18, "fold: {fold}");
        assert_eq!(series.step, Duration::from_secs(600));
        let checks: u64 = series.points.iter().map(|p| p.checks()).sum();
        assert_eq!(checks, 180);
        let down: u64 = series.points.iter().map(|p| p.down).sum();
        assert_eq!(down, 18);
        for pair in series.points.windows(2) {
            assert_eq!(pair[1].from, pair[0].to, "steps follow each other");
        }
        let ttfb = |i: usize| {
            let point = &series.points[i];
            point
                .latency
                .iter()
                .find(|l| l.phase == "ttfb")
                .unwrap()
                .p50
        };
        assert!(
            ttfb(0) < ttfb(series.points.len() - 1),
            "ttfb grows over the range"
        );
    }

    // Where minute rows are no longer kept, hour rollups are read.
    let short = Retention {
        minute_rollups: Duration::from_secs(3_600),
        ..retention
    };
    let series = store
        .phase_series(m.id, range, 18, &short, now())
        .await
        .unwrap();
    assert_eq!(series.step, Duration::from_secs(3_600));
    assert_eq!(series.points.iter().map(|p| p.checks()).sum::<u64>(), 180);

    // A backwards range names its field; an unknown monitor is not found.
    let backwards = TimeRange::new(now(), at(start));
    let Err(StoreError::Invalid(errors)) = store
        .phase_series(m.id, backwards, 18, &retention, now())
        .await
    else {
        panic!("a backwards range is refused");
    };
    assert_eq!(errors[0].field, "to_unix_ms");
    assert!(matches!(
        store
            .phase_series(MonitorId::new(), range, 18, &retention, now())
            .await,
        Err(StoreError::NotFound { .. })
    ));
}
