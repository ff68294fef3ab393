use std::sync::Arc;
use std::time::{Duration, Instant};

use pulsar_core::{BucketSize, CheckResult, Outcome, Rollup, Summary};
use pulsar_store::{Store, TimeRange};

use crate::support::*;

/// Everything a reader sees of one monitor's rollups: every bucket size over all time, and
/// the summaries of the standard windows.
async fn view(
    store: &dyn Store,
    ids: &[pulsar_core::MonitorId],
    end_ms: i64,
) -> (Vec<Vec<Rollup>>, Vec<Summary>) {
    let mut rollups = Vec::new();
    for id in ids {
        for bucket in BucketSize::ALL {
            rollups.push(
                store
                    .list_rollups(*id, bucket, TimeRange::all())
                    .await
                    .unwrap(),
            );
        }
    }
    let mut summaries = Vec::new();
    for window in [3_600, 86_400, 7 * 86_400, 30 * 86_400] {
        summaries.extend(
            store
                .summaries(ids, Duration::from_secs(window), at(end_ms))
                .await
                .unwrap(),
        );
    }
    (rollups, summaries)
}

async fn fold_everything(store: &dyn Store) {
    // Small folds: several transactions, each moving the cursor part of the way.
    while store.fold_rollups(97).await.unwrap() > 0 {}
    assert_eq!(store.rollup_lag().await.unwrap(), 0);
}

fn spread_results(ids: &[pulsar_core::MonitorId], rng: &mut Rng) -> Vec<CheckResult> {
    let mut results = Vec::new();
    for id in ids {
        // Three days of checks every 20 minutes, some down, some slow.
        for k in 0..216 {
            let outcome = if rng.next().is_multiple_of(13) {
                Outcome::Down
            } else {
                Outcome::Up
            };
            let phases = [
                rng.latency_us(100, 9_000),
                rng.latency_us(200, 30_000),
                rng.latency_us(500, 90_000),
                rng.latency_us(1_000, 900_000),
                rng.latency_us(1, 50_000),
            ];
            results.push(result(*id, NOW_MS + k * 20 * MINUTE_MS, outcome, phases));
        }
    }
    results
}

pub(crate) async fn reads_agree_before_and_after_folding(store: Arc<dyn Store>) {
    let mut ids = Vec::new();
    for name in ["fold-a", "fold-b"] {
        ids.push(
            store
                .create_monitor(&monitor(name), now())
                .await
                .unwrap()
                .id,
        );
    }
    let mut rng = Rng::new(11);
    let results = spread_results(&ids, &mut rng);
    let end_ms = NOW_MS + 3 * DAY_MS;
    for batch in results.chunks(50) {
        store.insert_results(batch).await.unwrap();
    }
    // Whatever the background fold has done so far, reads count every result once.
    let before = view(store.as_ref(), &ids, end_ms).await;
    let day_checks: u64 = before.1[ids.len() * 3..].iter().map(Summary::checks).sum();
    assert_eq!(day_checks, results.len() as u64, "30-day summaries");
    fold_everything(store.as_ref()).await;
    assert_eq!(view(store.as_ref(), &ids, end_ms).await, before);

    // A late result and a redelivered one: pending, then folded, the same either way.
    let late = up(ids[0], NOW_MS + DAY_MS + 7 * MINUTE_MS, 4_321);
    assert_eq!(
        store
            .insert_results(&[late, results[5].clone()])
            .await
            .unwrap(),
        1
    );
    let pending = view(store.as_ref(), &ids, end_ms).await;
    assert_ne!(pending, before);
    let month = &pending.1[ids.len() * 3];
    assert_eq!(month.checks(), 217, "the late result counts once");
    fold_everything(store.as_ref()).await;
    assert_eq!(view(store.as_ref(), &ids, end_ms).await, pending);
}

pub(crate) async fn concurrent_ingest_and_folds_count_each_result_once(store: Arc<dyn Store>) {
    let mut ids = Vec::new();
    for i in 0..4 {
        let m = monitor(&format!("busy-{i}"));
        ids.push(store.create_monitor(&m, now()).await.unwrap().id);
    }
    let mut rng = Rng::new(5);
    let results = spread_results(&ids, &mut rng);
    let mut writers = Vec::new();
    for (w, part) in results.chunks(results.len() / 4 + 1).enumerate() {
        let store = store.clone();
        let part = part.to_vec();
        writers.push(tokio::spawn(async move {
            for batch in part.chunks(16 + w) {
                store.insert_results(batch).await.unwrap();
                // Redeliveries race with the folds too.
                store.insert_results(&batch[..1]).await.unwrap();
            }
        }));
    }
    let folder = {
        let store = store.clone();
        tokio::spawn(async move {
            for _ in 0..200 {
                store.fold_rollups(61).await.unwrap();
                tokio::task::yield_now().await;
            }
        })
    };
    for writer in writers {
        writer.await.unwrap();
    }
    folder.await.unwrap();
    fold_everything(store.as_ref()).await;
    for bucket in BucketSize::ALL {
        let mut counted = 0;
        for id in &ids {
            counted += store
                .list_rollups(*id, bucket, TimeRange::all())
                .await
                .unwrap()
                .iter()
                .map(|r| r.stats.checks())
                .sum::<u64>();
        }
        assert_eq!(counted, results.len() as u64, "{bucket:?} rollups");
    }
}

pub(crate) async fn the_background_task_folds_new_results(store: Arc<dyn Store>) {
    let m = store.create_monitor(&monitor("bg"), now()).await.unwrap();
    let batch: Vec<_> = (0..30)
        .map(|i| up(m.id, NOW_MS + i * MINUTE_MS, 2_000))
        .collect();
    store.insert_results(&batch).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while store.rollup_lag().await.unwrap() > 0 {
        assert!(
            Instant::now() < deadline,
            "results still pending after 20 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let hours = store
        .list_rollups(m.id, BucketSize::Hour, TimeRange::all())
        .await
        .unwrap();
    assert_eq!(hours.iter().map(|r| r.stats.checks()).sum::<u64>(), 30);
}

pub(crate) async fn folds_merge_into_minute_rows_folded_before(store: Arc<dyn Store>) {
    // Checked every 10 s: each minute row is met by three folds, and the later two must merge
    // into the row the first one wrote.
    let m = store
        .create_monitor(&monitor("ten-s"), now())
        .await
        .unwrap();
    let results: Vec<_> = (0..36)
        .map(|k| up(m.id, NOW_MS + k * 10_000, 1_000 + k as u64 * 37))
        .collect();
    for part in 0..3 {
        let batch: Vec<_> = results.iter().skip(part).step_by(3).cloned().collect();
        store.insert_results(&batch).await.unwrap();
        fold_everything(store.as_ref()).await;
    }
    for bucket in BucketSize::ALL {
        let expected: Vec<Rollup> = Rollup::deltas(&results)
            .into_iter()
            .filter(|r| r.bucket == bucket)
            .collect();
        let stored = store
            .list_rollups(m.id, bucket, TimeRange::all())
            .await
            .unwrap();
        assert_eq!(stored, expected, "{bucket:?} rollups");
    }
}
