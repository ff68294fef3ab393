use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use pulsar_core::{MonitorId, slot_at_or_after, slot_at_or_before};
use pulsar_store::Store;

use crate::support::*;

pub(crate) async fn new_monitors_are_spread_over_their_interval(store: Arc<dyn Store>) {
    for i in 0..300 {
        store
            .create_monitor(&monitor(&format!("m{i}")), now())
            .await
            .unwrap();
    }
    // After a sixth of the interval, about a sixth of the monitors are due — not all.
    let first = store.claim_due(at(NOW_MS + 10_000), 1_000).await.unwrap();
    assert!(
        (20..=90).contains(&first.len()),
        "{} of 300 due after 10 s",
        first.len()
    );
    for due in &first {
        assert!(due.slot >= now() && due.slot <= at(NOW_MS + 10_000));
    }
    // Within one interval every monitor has had its first slot.
    let rest = store.claim_due(at(NOW_MS + 59_999), 1_000).await.unwrap();
    assert_eq!(first.len() + rest.len(), 300);
}

pub(crate) async fn two_claimers_never_claim_a_slot_twice(store: Arc<dyn Store>) {
    let mut ids = Vec::new();
    for i in 0..60 {
        let mut m = monitor(&format!("m{i}"));
        m.interval = Duration::from_secs(if i % 2 == 0 { 20 } else { 30 });
        m.check.timeout = Duration::from_secs(5);
        ids.push(store.create_monitor(&m, now()).await.unwrap());
    }
    // Two schedulers tick every 5 s for 3 minutes, claiming in small batches so they race.
    let ticks: Vec<i64> = (1..=36).map(|i| NOW_MS + i * 5_000).collect();
    let claimer = |store: Arc<dyn Store>, ticks: Vec<i64>| async move {
        let mut claimed = Vec::new();
        for tick in ticks {
            loop {
                let batch = store.claim_due(at(tick), 7).await.unwrap();
                if batch.is_empty() {
                    break;
                }
                claimed.extend(batch.into_iter().map(|d| (d.monitor.id, ms(d.slot))));
                tokio::task::yield_now().await;
            }
        }
        claimed
    };
    let a = tokio::spawn(claimer(store.clone(), ticks.clone()));
    let b = tokio::spawn(claimer(store.clone(), ticks.clone()));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    // How the work splits between the two depends on timing (on SQLite one claimer may
    // wait out the other's write lock); that no slot is lost or doubled does not.

    let mut seen = HashSet::new();
    for key in a.iter().chain(&b) {
        assert!(seen.insert(*key), "slot claimed twice: {key:?}");
    }
    // Every slot between creation and the last tick was claimed exactly once.
    let last = *ticks.last().unwrap();
    let mut expected: BTreeMap<MonitorId, usize> = BTreeMap::new();
    for m in &ids {
        let mut slot = slot_at_or_after(m.id, m.interval, now());
        while ms(slot) <= last {
            *expected.entry(m.id).or_default() += 1;
            slot += m.interval;
        }
    }
    let mut got: BTreeMap<MonitorId, usize> = BTreeMap::new();
    for (id, _) in &seen {
        *got.entry(*id).or_default() += 1;
    }
    assert_eq!(got, expected);
}

pub(crate) async fn missed_slots_are_skipped_after_downtime(store: Arc<dyn Store>) {
    let m = store
        .create_monitor(&monitor("steady"), now())
        .await
        .unwrap();
    let first = store.claim_due(at(NOW_MS + 60_000), 10).await.unwrap();
    assert_eq!(first.len(), 1);

    // The scheduler was down for a day: one check now, for the latest slot, not 1,440.
    let back = at(NOW_MS + DAY_MS + 7_000);
    let due = store.claim_due(back, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].slot, slot_at_or_before(m.id, m.interval, back));
    assert!(store.claim_due(back, 10).await.unwrap().is_empty());
    let next = store
        .claim_due(at(ms(due[0].slot) + 60_000), 10)
        .await
        .unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(ms(next[0].slot), ms(due[0].slot) + 60_000);
}

pub(crate) async fn interval_change_restarts_the_schedule(store: Arc<dyn Store>) {
    let created = store
        .create_monitor(&monitor("retimed"), now())
        .await
        .unwrap();
    let mut slower = created.clone();
    slower.interval = Duration::from_secs(3_600);
    let changed_at = at(NOW_MS + 30_000);
    store.update_monitor(&slower, changed_at).await.unwrap();
    let first = slot_at_or_after(created.id, slower.interval, changed_at);
    assert!(
        store
            .claim_due(at(ms(first) - 1), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let due = store.claim_due(first, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].slot, first);
    assert_eq!(due[0].monitor.interval, slower.interval);
}

pub(crate) async fn a_slot_handed_back_is_claimed_again(store: Arc<dyn Store>) {
    let a = store.create_monitor(&monitor("a"), now()).await.unwrap();
    let b = store.create_monitor(&monitor("b"), now()).await.unwrap();
    let tick = at(NOW_MS + 60_000);
    let claimed = store.claim_due(tick, 10).await.unwrap();
    assert_eq!(claimed.len(), 2);
    assert!(store.claim_due(tick, 10).await.unwrap().is_empty());

    // The enqueue failed: both slots go back, and the next claim takes them again.
    assert_eq!(store.release_claims(&claimed).await.unwrap(), 2);
    let again = store.claim_due(tick, 10).await.unwrap();
    let slots = |claims: &[pulsar_store::DueCheck]| {
        let mut slots: Vec<_> = claims.iter().map(|c| (c.monitor.id, c.slot)).collect();
        slots.sort();
        slots
    };
    assert_eq!(slots(&again), slots(&claimed));

    // A monitor changed since its claim keeps its new schedule; handing back twice is a
    // no-op the second time.
    let mut slower = store.get_monitor(a.id).await.unwrap();
    slower.interval = Duration::from_secs(300);
    store.update_monitor(&slower, tick).await.unwrap();
    assert_eq!(store.release_claims(&again).await.unwrap(), 1);
    assert_eq!(store.release_claims(&again).await.unwrap(), 0);
    let last = store.claim_due(tick, 10).await.unwrap();
    let ids: Vec<MonitorId> = last.iter().map(|c| c.monitor.id).collect();
    assert_eq!(ids, [b.id]);
}
