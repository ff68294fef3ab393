//! Checks run on demand, and results told apart by who ran them: stored and listed with the
//! scheduled ones, never counted in rollups, uptime or the alert rule.

use std::sync::Arc;
use std::time::Duration;

use pulsar_core::{
    BucketSize, CheckResult, MonitorId, MonitorState, Outcome, manual_slot, slot_at_or_before,
};
use pulsar_store::{PageRequest, ResultFilter, Store, TimeRange};

use crate::support::*;

const EVERY_MINUTE: Duration = Duration::from_secs(60);

/// The result of `monitor`'s `k`th scheduled slot from about now, on its real grid.
fn scheduled(monitor: MonitorId, k: i64, outcome: Outcome) -> CheckResult {
    let first = ms(slot_at_or_before(monitor, EVERY_MINUTE, now()));
    result(monitor, first + k * MINUTE_MS, outcome, [1_000; 5])
}

/// A failed check run on demand at `started_ms`, keyed as the worker keys it.
fn manual_down(monitor: MonitorId, started_ms: i64) -> CheckResult {
    let mut r = result(monitor, started_ms, Outcome::Down, [0; 5]);
    r.slot = manual_slot(monitor, EVERY_MINUTE, at(started_ms));
    r.started_at = at(started_ms);
    r.message = "connection refused".into();
    r.manual = true;
    r
}

pub(crate) async fn manual_checks_are_listed_but_never_counted(store: Arc<dyn Store>) {
    let m = store.create_monitor(&monitor("api"), now()).await.unwrap();
    let grid = store
        .record_results(&[scheduled(m.id, 0, Outcome::Up)])
        .await
        .unwrap();
    assert_eq!(grid.changes.len(), 1, "UNKNOWN takes the first verdict");
    let slot_ms = ms(scheduled(m.id, 0, Outcome::Up).slot);

    // Three manual failures would take a scheduled monitor down; manual ones change nothing.
    let manual: Vec<CheckResult> = (1..=3)
        .map(|i| manual_down(m.id, slot_ms + i * 7_001))
        .collect();
    let recorded = store.record_results(&manual).await.unwrap();
    assert_eq!(recorded.inserted, 3);
    assert!(recorded.changes.is_empty(), "{recorded:?}");
    assert_eq!(
        store.get_monitor(m.id).await.unwrap().state,
        MonitorState::Up
    );

    // One started exactly on the next scheduled slot is moved off it, so the scheduled
    // check of that slot is still stored beside it.
    let on_grid = manual_down(m.id, slot_ms + MINUTE_MS);
    assert_eq!(ms(on_grid.slot), slot_ms + MINUTE_MS + 1);
    let next = scheduled(m.id, 1, Outcome::Up);
    assert_eq!(store.insert_results(&[on_grid, next]).await.unwrap(), 2);

    // Listed, newest first, with the mark; the newest is the latest result.
    let listed = store
        .list_results(m.id, &ResultFilter::default(), &PageRequest::default())
        .await
        .unwrap()
        .items;
    let marks: Vec<bool> = listed.iter().map(|r| r.manual).collect();
    assert_eq!(marks, [true, false, true, true, true, false]);
    let latest = store.latest_results(&[m.id]).await.unwrap();
    assert_eq!(latest, vec![listed[0].clone()]);

    // Rollups and summaries count the two scheduled checks only, before and after a fold.
    let hour = Duration::from_secs(3_600);
    let end = at(NOW_MS + 30 * MINUTE_MS);
    for folded in [false, true] {
        if folded {
            while store.fold_rollups(100_000).await.unwrap() > 0 {}
            assert_eq!(store.rollup_lag().await.unwrap(), 0);
        }
        let summary = &store.summaries(&[m.id], hour, end).await.unwrap()[0];
        assert_eq!((summary.checks(), summary.down), (2, 0), "folded: {folded}");
        let minutes = store
            .list_rollups(m.id, BucketSize::Minute, TimeRange::all())
            .await
            .unwrap();
        let checks: u64 = minutes.iter().map(|r| r.stats.checks()).sum();
        assert_eq!(checks, 2, "folded: {folded}");
    }
}

pub(crate) async fn results_filter_by_worker_and_region(store: Arc<dyn Store>) {
    let m = store.create_monitor(&monitor("api"), now()).await.unwrap();
    let runs = [
        ("w1", "eu"),
        ("w2", "eu"),
        ("w3", "us"),
        ("w1", "eu"),
        ("w3", "us"),
        ("w2", "eu"),
        ("w1", "eu"),
    ];
    let results: Vec<CheckResult> = runs
        .iter()
        .enumerate()
        .map(|(k, (worker, region))| {
            let mut r = result(m.id, NOW_MS + k as i64 * MINUTE_MS, Outcome::Up, [1_000; 5]);
            r.worker = (*worker).into();
            r.region = (*region).into();
            r
        })
        .collect();
    store.insert_results(&results).await.unwrap();
    let slots_of = |filter: ResultFilter| {
        let store = store.clone();
        async move {
            // Pages of two, so the filter holds across pages.
            let mut slots = Vec::new();
            let mut page = PageRequest::first(2);
            loop {
                let got = store.list_results(m.id, &filter, &page).await.unwrap();
                slots.extend(got.items.iter().map(|r| (ms(r.slot) - NOW_MS) / MINUTE_MS));
                match got.next_cursor {
                    Some(cursor) => page = PageRequest::after(2, cursor),
                    None => return slots,
                }
            }
        }
    };
    assert_eq!(
        slots_of(ResultFilter::default().worker("w1")).await,
        [6, 3, 0]
    );
    assert_eq!(slots_of(ResultFilter::default().region("us")).await, [4, 2]);
    let both = ResultFilter::default().worker("w2").region("eu");
    assert_eq!(slots_of(both).await, [5, 1]);
    assert!(
        slots_of(ResultFilter::default().worker("w1").region("us"))
            .await
            .is_empty()
    );
    let early = ResultFilter::within(TimeRange::new(at(NOW_MS), at(NOW_MS + 4 * MINUTE_MS)));
    assert_eq!(slots_of(early.worker("w1")).await, [3, 0]);
}
