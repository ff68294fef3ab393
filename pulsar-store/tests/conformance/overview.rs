//! The overview read: a page of monitors with their newest result, day's uptime and recent
//! checks, and the counts over every monitor.

use std::sync::Arc;
use std::time::Duration;

use pulsar_core::{MonitorState, OVERVIEW_STRIP_CHECKS, Outcome};
use pulsar_store::{MonitorFilter, PageRequest, Store};

use crate::support::*;

pub(crate) async fn overview_pages_monitors_with_their_recent_checks(store: Arc<dyn Store>) {
    let mut alpha = monitor("alpha");
    alpha.labels.insert("env".into(), "prod".into());
    let alpha = store.create_monitor(&alpha, now()).await.unwrap();
    let beta = store.create_monitor(&monitor("beta"), now()).await.unwrap();
    let mut gamma = monitor("gamma");
    gamma.enabled = false;
    let gamma = store.create_monitor(&gamma, now()).await.unwrap();

    // 120 checks of alpha over the last two hours, every 7th down; 5 of beta and a manual one.
    let start = NOW_MS - 120 * MINUTE_MS;
    let alpha_results: Vec<_> = (0..120)
        .map(|k| {
            let outcome = if k % 7 == 0 {
                Outcome::Down
            } else {
                Outcome::Up
            };
            let mut r = result(
                alpha.id,
                start + k * MINUTE_MS,
                outcome,
                [100, 200, 300, 400, k as u64],
            );
            if outcome == Outcome::Down {
                r.phases.total = None;
            }
            r
        })
        .collect();
    store.record_results(&alpha_results).await.unwrap();
    let mut beta_results: Vec<_> = (0..5)
        .map(|k| up(beta.id, start + k * MINUTE_MS, 2_000))
        .collect();
    let mut manual = up(beta.id, start + 5 * MINUTE_MS + 1, 3_000);
    manual.manual = true;
    beta_results.push(manual);
    store.record_results(&beta_results).await.unwrap();
    store
        .set_monitor_state(alpha.id, MonitorState::Down, now(), "checks failing")
        .await
        .unwrap();

    let overview = store
        .overview(&MonitorFilter::default(), &PageRequest::first(2), now())
        .await
        .unwrap();
    let names: Vec<&str> = overview
        .monitors
        .items
        .iter()
        .map(|o| o.monitor.name.as_str())
        .collect();
    assert_eq!(names, ["alpha", "beta"]);
    assert_eq!(
        (
            overview.counts.down,
            overview.counts.up,
            overview.counts.paused
        ),
        (1, 1, 1)
    );
    assert_eq!(overview.open_incidents, 1);

    let a = &overview.monitors.items[0];
    assert_eq!(a.latest.as_ref(), alpha_results.last());
    assert_eq!(a.recent.len(), OVERVIEW_STRIP_CHECKS);
    let expected = &alpha_results[120 - OVERVIEW_STRIP_CHECKS..];
    for (got, want) in a.recent.iter().zip(expected) {
        assert_eq!(
            (got.slot, got.outcome, got.total),
            (want.slot, want.outcome, want.phases.total)
        );
    }
    let summary = &store
        .summaries(&[alpha.id], Duration::from_secs(86_400), now())
        .await
        .unwrap()[0];
    assert_eq!(a.uptime_pct, summary.uptime_pct);
    assert!(a.uptime_pct.is_some_and(|pct| pct < 100.0));

    let b = &overview.monitors.items[1];
    assert_eq!(b.recent.len(), 5, "the strip draws scheduled checks only");
    assert!(b.latest.as_ref().is_some_and(|r| r.manual));
    assert_eq!(b.uptime_pct, Some(100.0));

    // The same strips once everything is folded (the fold keeps them), and after more checks
    // arrive on top of the folded ones.
    while store.fold_rollups(100_000).await.unwrap() > 0 {}
    let folded = store
        .overview(&MonitorFilter::default(), &PageRequest::first(2), now())
        .await
        .unwrap();
    assert_eq!(folded.monitors.items, overview.monitors.items);
    let more: Vec<_> = (120..130)
        .map(|k| up(alpha.id, start + k * MINUTE_MS, 5_000))
        .collect();
    store.record_results(&more).await.unwrap();
    let later = store
        .overview(&MonitorFilter::default(), &PageRequest::first(1), now())
        .await
        .unwrap();
    let strip = &later.monitors.items[0].recent;
    assert_eq!(strip.len(), OVERVIEW_STRIP_CHECKS);
    assert_eq!(strip[..80], a.recent[10..]);
    assert_eq!(strip[80].slot, more[0].slot);

    let cursor = overview.monitors.next_cursor.expect("a second page");
    let rest = store
        .overview(
            &MonitorFilter::default(),
            &PageRequest::after(2, cursor),
            now(),
        )
        .await
        .unwrap();
    let [g] = rest.monitors.items.as_slice() else {
        panic!("gamma alone on page two");
    };
    assert_eq!(g.monitor.id, gamma.id);
    assert!(g.latest.is_none() && g.uptime_pct.is_none() && g.recent.is_empty());
    assert_eq!(rest.counts, later.counts, "counts cover every page");

    // Filters: labels, and text in the name or URL in any case, taken literally.
    let by = |filter: MonitorFilter| {
        let store = store.clone();
        async move {
            let page = store
                .overview(&filter, &PageRequest::default(), now())
                .await
                .unwrap();
            page.monitors
                .items
                .into_iter()
                .map(|o| o.monitor.name)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        by(MonitorFilter::default().label("env", "prod")).await,
        ["alpha"]
    );
    assert_eq!(by(MonitorFilter::default().text("ALP")).await, ["alpha"]);
    assert_eq!(
        by(MonitorFilter::default().text("Example.COM/health")).await,
        ["alpha", "beta", "gamma"]
    );
    assert!(by(MonitorFilter::default().text("%")).await.is_empty());
    assert!(by(MonitorFilter::default().text("a_pha")).await.is_empty());
    let listed = store
        .list_monitors(
            &MonitorFilter::default().text("gam"),
            &PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(listed.items, vec![gamma]);
}
