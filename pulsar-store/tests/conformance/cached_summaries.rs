//! Long windows: a store keeps the merged whole past days of 7- and 30-day summaries in
//! memory, and every read must still give what the rows in the database give.

use std::sync::Arc;
use std::time::Duration;

use pulsar_core::{BucketSize, CheckResult, MonitorId, Outcome, Summary, window_start};
use pulsar_store::{Retention, Store};

use crate::summaries::assert_summarizes;
use crate::support::*;

const WEEK: Duration = Duration::from_secs(7 * 86_400);
const MONTH: Duration = Duration::from_secs(30 * 86_400);

/// A check every 3 hours over the 35 days before now, with scattered outcomes and latencies.
fn history(rng: &mut Rng, monitor: MonitorId) -> Vec<CheckResult> {
    (0..280)
        .map(|k| {
            let outcome = match rng.next() % 20 {
                0 => Outcome::Down,
                1 => Outcome::Degraded,
                _ => Outcome::Up,
            };
            let phases = [
                rng.latency_us(200, 20_000),
                rng.latency_us(500, 50_000),
                rng.latency_us(1_000, 100_000),
                rng.latency_us(2_000, 1_000_000),
                rng.latency_us(10, 200_000),
            ];
            result(
                monitor,
                NOW_MS - MINUTE_MS - k * 3 * HOUR_MS,
                outcome,
                phases,
            )
        })
        .collect()
}

/// Monitors with a history each, stored and folded into rollups (as it is long after ingest).
async fn monitors_with_history(
    store: &Arc<dyn Store>,
    names: &[&str],
) -> (Vec<MonitorId>, Vec<CheckResult>) {
    let mut rng = Rng::new(names.len() as u64 * 31);
    let mut ids = Vec::new();
    let mut all = Vec::new();
    for name in names {
        let m = store.create_monitor(&monitor(name), now()).await.unwrap();
        all.extend(history(&mut rng, m.id));
        ids.push(m.id);
    }
    store.insert_results(&all).await.unwrap();
    store.fold_rollups(100_000).await.unwrap();
    (ids, all)
}

/// Slow DOWN checks `days_ago` days before now, between the history's slots.
fn late_results(monitor: MonitorId, days_ago: i64, n: i64) -> Vec<CheckResult> {
    (0..n)
        .map(|k| {
            let slot = NOW_MS - days_ago * DAY_MS + 17 * MINUTE_MS + k * MINUTE_MS;
            result(monitor, slot, Outcome::Down, [0, 0, 0, 0, 5_000_000])
        })
        .collect()
}

/// The results of `monitor` that a summary of `window` ending now covers.
fn in_window(all: &[CheckResult], monitor: MonitorId, window: Duration) -> Vec<&CheckResult> {
    let from = ms(window_start(window, now()));
    all.iter()
        .filter(|r| r.monitor_id == monitor && ms(r.slot) >= from)
        .collect()
}

async fn summaries(store: &Arc<dyn Store>, ids: &[MonitorId], window: Duration) -> Vec<Summary> {
    store.summaries(ids, window, now()).await.unwrap()
}

/// Summaries of every monitor over `window`, each checked against the raw results.
async fn assert_window(
    store: &Arc<dyn Store>,
    ids: &[MonitorId],
    all: &[CheckResult],
    window: Duration,
) -> Vec<Summary> {
    let got = summaries(store, ids, window).await;
    for (summary, id) in got.iter().zip(ids) {
        assert_eq!(summary.monitor_id, *id);
        assert_summarizes(summary, &in_window(all, *id, window));
    }
    got
}

pub(crate) async fn a_cached_month_equals_the_raw_results(store: Arc<dyn Store>) {
    let (ids, all) = monitors_with_history(&store, &["a", "b", "c"]).await;
    let cold = assert_window(&store, &ids, &all, MONTH).await;
    assert!(cold.iter().all(|s| s.checks() > 200));
    let warm = summaries(&store, &ids, MONTH).await;
    assert_eq!(warm, cold);
    // A repeated id is summarised once and answered twice.
    let repeated = summaries(&store, &[ids[1], ids[0], ids[1]], MONTH).await;
    assert_eq!(
        repeated,
        [cold[1].clone(), cold[0].clone(), cold[1].clone()]
    );
}

/// Run with a cache too small for every monitor's month (or none at all): the monitors that
/// do not fit are read whole on every call, and every figure stays exact.
pub(crate) async fn a_cache_smaller_than_the_working_set_stays_exact(store: Arc<dyn Store>) {
    let (ids, mut all) = monitors_with_history(&store, &["s1", "s2", "s3", "s4"]).await;
    let cold = assert_window(&store, &ids, &all, MONTH).await;
    for _ in 0..3 {
        assert_eq!(summaries(&store, &ids, MONTH).await, cold);
    }
    assert_eq!(summaries(&store, &ids[2..], MONTH).await, cold[2..]);
    let late = late_results(ids[3], 10, 12);
    store.insert_results(&late).await.unwrap();
    all.extend(late);
    let after = assert_window(&store, &ids, &all, MONTH).await;
    assert_eq!(after[..3], cold[..3]);
    assert!(after[3].checks() > cold[3].checks());
}

pub(crate) async fn a_late_result_in_a_cached_day_counts(store: Arc<dyn Store>) {
    let (ids, mut all) = monitors_with_history(&store, &["late", "steady"]).await;
    let before = assert_window(&store, &ids, &all, MONTH).await;
    let late = late_results(ids[0], 10, 12);
    store.insert_results(&late).await.unwrap();
    all.extend(late);
    // Read before and after the late results reach the day row of their day.
    let pending = assert_window(&store, &ids, &all, MONTH).await;
    store.fold_rollups(100_000).await.unwrap();
    let folded = assert_window(&store, &ids, &all, MONTH).await;
    assert_eq!(folded, pending);
    assert_eq!(folded[0].down, before[0].down + 12);
    assert_eq!(folded[0].total_max, Some(Duration::from_secs(5)));
    assert_eq!(folded[1], before[1]);
}

pub(crate) async fn deleted_monitors_and_pruned_days_leave_no_cached_figures(
    store: Arc<dyn Store>,
) {
    let (ids, all) = monitors_with_history(&store, &["gone", "kept"]).await;
    let before = assert_window(&store, &ids, &all, MONTH).await;
    store.delete_monitor(ids[0]).await.unwrap();
    let after_delete = summaries(&store, &ids, MONTH).await;
    assert_summarizes(&after_delete[0], &[]);
    assert_eq!(after_delete[1], before[1]);

    let retention = Retention {
        raw_results: Duration::from_secs(3 * 86_400),
        minute_rollups: Duration::from_secs(3 * 86_400),
        hour_rollups: Duration::from_secs(10 * 86_400),
        ..Retention::default()
    };
    store.prune(now(), &retention).await.unwrap();
    // Day rows go once their whole day is older than the cut-off.
    let first_kept_day = BucketSize::Day.floor_ms(NOW_MS - 10 * DAY_MS);
    let kept: Vec<&CheckResult> = in_window(&all, ids[1], MONTH)
        .into_iter()
        .filter(|r| ms(r.slot) >= first_kept_day)
        .collect();
    let after_prune = &summaries(&store, &ids[1..], MONTH).await[0];
    assert!(after_prune.checks() < before[1].checks());
    assert_summarizes(after_prune, &kept);
}

pub(crate) async fn week_and_month_windows_stay_correct_side_by_side(store: Arc<dyn Store>) {
    let (ids, mut all) = monitors_with_history(&store, &["x", "y"]).await;
    for window in [WEEK, MONTH, WEEK] {
        assert_window(&store, &ids, &all, window).await;
    }
    // Three days ago lies in the cached days of both windows.
    let late = late_results(ids[1], 3, 5);
    store.insert_results(&late).await.unwrap();
    all.extend(late);
    for window in [MONTH, WEEK] {
        assert_window(&store, &ids, &all, window).await;
    }
    store.fold_rollups(100_000).await.unwrap();
    for window in [WEEK, MONTH, WEEK, MONTH] {
        assert_window(&store, &ids, &all, window).await;
    }
    let week = summaries(&store, &ids, WEEK).await;
    let month = summaries(&store, &ids, MONTH).await;
    assert!(week[1].checks() < month[1].checks());
}
