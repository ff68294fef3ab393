//! One conformance suite, run against the in-process backend and against Redis: the same
//! test functions, instantiated once per backend by `conformance!`.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use pulsar_core::proto::v1;
use pulsar_queue::{
    BusBuilder, BusItem, Consumer, Enqueued, LeasedTask, Nacked, NewTask, QueueBuilder, QueueError,
};
use support::{Harness, within};

/// Short timings so the suite runs in seconds.
fn fast() -> QueueBuilder {
    QueueBuilder::new()
        .lease(Duration::from_secs(1))
        .backoff(Duration::from_millis(50), Duration::from_millis(200))
        .block_timeout(Duration::from_millis(50))
        .reclaim_interval(Duration::from_millis(50))
        .promote_interval(Duration::from_millis(20))
}

async fn next(consumer: &mut Consumer) -> LeasedTask {
    match within(20, "a delivery", consumer.next()).await {
        Some(Ok(delivery)) => delivery,
        Some(Err(error)) => panic!("consumer failed: {error}"),
        None => panic!("consumer ended"),
    }
}

fn numbered(n: u32) -> NewTask {
    NewTask::new(n.to_be_bytes().to_vec())
}

fn number(delivery: &LeasedTask) -> u32 {
    let bytes: [u8; 4] = delivery.task().payload[..]
        .try_into()
        .expect("4-byte payload");
    u32::from_be_bytes(bytes)
}

async fn unique_keys_drop_duplicates_while_pending(h: &Harness) {
    let queue = h.queue(fast()).await;
    let first = queue.enqueue(numbered(1).unique("m:1")).await.unwrap();
    let Enqueued::Queued(first_id) = first.clone() else {
        panic!("first enqueue was {first:?}")
    };
    let again = queue.enqueue(numbered(2).unique("m:1")).await.unwrap();
    assert_eq!(
        again,
        Enqueued::Duplicate {
            existing: first_id.clone()
        }
    );

    let batch = queue
        .enqueue_many(vec![
            numbered(3).unique("m:2"),
            numbered(4).unique("m:2"),
            numbered(5),
            numbered(6).unique("m:1"),
        ])
        .await
        .unwrap();
    let duplicates: Vec<bool> = batch.iter().map(Enqueued::is_duplicate).collect();
    assert_eq!(duplicates, [false, true, false, true]);

    // A delayed task holds its key too.
    let delayed = queue
        .enqueue(numbered(7).unique("m:3").delay(Duration::from_secs(60)))
        .await
        .unwrap();
    assert!(!delayed.is_duplicate());
    assert!(
        queue
            .enqueue(numbered(8).unique("m:3"))
            .await
            .unwrap()
            .is_duplicate()
    );

    let mut consumer = queue.consumer("c1", 8).await.unwrap();
    let mut seen = Vec::new();
    for _ in 0..3 {
        let delivery = next(&mut consumer).await;
        seen.push(number(&delivery));
        if delivery.task().unique_key.as_deref() == Some("m:1") {
            assert_eq!(delivery.task().id, first_id);
        }
        delivery.ack().await.unwrap();
    }
    seen.sort_unstable();
    assert_eq!(seen, [1, 3, 5], "exactly the non-duplicates are delivered");

    // Once acked, the key is free again.
    let after = queue.enqueue(numbered(9).unique("m:1")).await.unwrap();
    assert!(matches!(after, Enqueued::Queued(id) if id != first_id));

    assert!(matches!(
        queue.enqueue(numbered(10).unique("")).await,
        Err(QueueError::InvalidArgument(_))
    ));
    assert!(matches!(
        queue.consumer("c0", 0).await,
        Err(QueueError::InvalidArgument(_))
    ));
}

async fn delayed_tasks_wait_for_their_time(h: &Harness) {
    let queue = h.queue(fast()).await;
    let delay = Duration::from_millis(500);
    let due = SystemTime::now() + delay;
    queue.enqueue(numbered(1).not_before(due)).await.unwrap();
    queue.enqueue(numbered(2)).await.unwrap();
    let stats = queue.stats().await.unwrap();
    assert_eq!((stats.delayed, stats.pending), (1, 1), "{stats:?}");

    let mut consumer = queue.consumer("c1", 4).await.unwrap();
    let first = next(&mut consumer).await;
    assert_eq!(number(&first), 2, "the ready task comes first");
    first.ack().await.unwrap();

    let second = next(&mut consumer).await;
    let arrived = SystemTime::now();
    assert_eq!(number(&second), 1);
    // Redis compares with its own clock in whole milliseconds.
    assert!(
        arrived + Duration::from_millis(2) >= due,
        "delivered {:?} before its time",
        due.duration_since(arrived).unwrap_or_default()
    );
    second.ack().await.unwrap();
    assert_eq!(queue.stats().await.unwrap().delayed, 0);
}

async fn nacked_tasks_retry_with_backoff_then_dead_letter(h: &Harness) {
    let queue = h.queue(fast().max_attempts(3)).await;
    queue.enqueue(numbered(1).unique("flaky")).await.unwrap();
    let mut consumer = queue.consumer("c1", 1).await.unwrap();

    let mut outcomes = Vec::new();
    let mut last_nack: Option<Instant> = None;
    for attempt in 1..=3 {
        let delivery = next(&mut consumer).await;
        assert_eq!(delivery.task().attempt, attempt);
        if let (Some(at), Some(Nacked::Retrying { delay, .. })) = (last_nack, outcomes.last()) {
            assert!(at.elapsed() >= *delay, "retried before its backoff ended");
        }
        // The key stays held while the task retries.
        assert!(
            queue
                .enqueue(numbered(2).unique("flaky"))
                .await
                .unwrap()
                .is_duplicate()
        );
        outcomes.push(delivery.nack(&format!("boom {attempt}")).await.unwrap());
        last_nack = Some(Instant::now());
    }
    assert_eq!(
        outcomes,
        [
            Nacked::Retrying {
                next_attempt: 2,
                delay: Duration::from_millis(50)
            },
            Nacked::Retrying {
                next_attempt: 3,
                delay: Duration::from_millis(100)
            },
            Nacked::DeadLettered,
        ]
    );

    let dead = queue.dead_letters(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].reason, "boom 3");
    assert_eq!(dead[0].task.attempt, 3);
    assert_eq!(dead[0].task.unique_key.as_deref(), Some("flaky"));
    assert_eq!(&dead[0].task.payload[..], &1u32.to_be_bytes());
    let stats = queue.stats().await.unwrap();
    assert_eq!(
        (stats.dead, stats.retrying, stats.in_flight),
        (1, 0, 0),
        "{stats:?}"
    );
    // Dead-lettering releases the key.
    assert!(
        !queue
            .enqueue(numbered(3).unique("flaky"))
            .await
            .unwrap()
            .is_duplicate()
    );
}

async fn expired_leases_go_to_another_consumer_and_are_acked_once(h: &Harness) {
    let queue = h.queue(fast()).await;
    let tasks = 10;
    queue
        .enqueue_many((0..tasks).map(numbered).collect())
        .await
        .unwrap();

    let mut crashed = queue.consumer("crashed", tasks as usize).await.unwrap();
    let mut held = Vec::new();
    for _ in 0..tasks {
        held.push(next(&mut crashed).await);
    }
    // Half of the deliveries vanish with the consumer, half are held past their lease.
    let late = held.split_off(tasks as usize / 2);
    drop(held);
    drop(crashed);

    let mut rescuer = queue.consumer("rescuer", tasks as usize).await.unwrap();
    let mut acks: HashMap<u32, usize> = HashMap::new();
    for _ in 0..tasks {
        let delivery = next(&mut rescuer).await;
        assert_eq!(
            delivery.task().attempt,
            2,
            "a redelivery is the next attempt"
        );
        let n = number(&delivery);
        delivery.ack().await.unwrap();
        *acks.entry(n).or_default() += 1;
    }
    for delivery in late {
        let n = number(&delivery);
        match delivery.ack().await {
            Err(QueueError::LeaseLost { .. }) => {}
            other => panic!("late ack of task {n} was {other:?}"),
        }
    }
    assert_eq!(acks.len(), tasks as usize);
    assert!(acks.values().all(|&count| count == 1), "{acks:?}");
    let stats = queue.stats().await.unwrap();
    assert_eq!((stats.pending, stats.in_flight), (0, 0), "{stats:?}");
}

async fn an_extended_lease_keeps_the_task_from_other_consumers(h: &Harness) {
    let queue = h.queue(fast()).await;
    queue.enqueue(numbered(1)).await.unwrap();
    let mut slow = queue.consumer("slow", 1).await.unwrap();
    let mut delivery = next(&mut slow).await;
    let mut other = queue.consumer("other", 1).await.unwrap();
    // Held for more than twice the lease (1 s), renewed every 200 ms.
    for _ in 0..12 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        delivery.extend_lease().await.unwrap();
        assert!(delivery.leased_until() > Instant::now());
    }
    let stolen = tokio::time::timeout(Duration::from_millis(100), other.next()).await;
    assert!(stolen.is_err(), "another consumer got the task: {stolen:?}");
    assert_eq!(delivery.task().attempt, 1);
    delivery.ack().await.unwrap();
    let stats = queue.stats().await.unwrap();
    assert_eq!((stats.pending, stats.in_flight), (0, 0), "{stats:?}");
}

async fn a_handler_that_outlasts_its_lease_keeps_the_task(h: &Harness) {
    let queue = h.queue(fast()).await;
    queue.enqueue(numbered(7)).await.unwrap();
    let runs = Arc::new(AtomicUsize::new(0));
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel();
    // Two consumers run the same handler; one run takes 2.5 leases (1 s each).
    for name in ["a", "b"] {
        let consumer = queue.consumer(name, 1).await.unwrap();
        let (runs, done_tx) = (runs.clone(), done_tx.clone());
        tokio::spawn(consumer.run(move |_task| {
            let (runs, done_tx) = (runs.clone(), done_tx.clone());
            async move {
                runs.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(2_500)).await;
                done_tx.send(()).ok();
                Ok::<(), QueueError>(())
            }
        }));
    }
    within(20, "the handler to finish", done_rx.recv()).await;
    // Settled by its one run: nothing pending or in flight, and no second run began.
    within(5, "the ack", async {
        loop {
            let stats = queue.stats().await.unwrap();
            if (stats.pending, stats.in_flight) == (0, 0) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(runs.load(Ordering::SeqCst), 1, "the task ran twice");
}

async fn concurrency_bound_is_respected(h: &Harness) {
    let queue = h.queue(fast()).await;
    let tasks = 12;
    queue
        .enqueue_many((0..tasks).map(numbered).collect())
        .await
        .unwrap();
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let all_done = Arc::new(tokio::sync::Notify::new());
    let consumer = queue.consumer("bounded", 3).await.unwrap();
    let handler = {
        let (running, peak, done, all_done) = (
            Arc::clone(&running),
            Arc::clone(&peak),
            Arc::clone(&done),
            Arc::clone(&all_done),
        );
        move |_task| {
            let (running, peak, done, all_done) = (
                Arc::clone(&running),
                Arc::clone(&peak),
                Arc::clone(&done),
                Arc::clone(&all_done),
            );
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(30)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                if done.fetch_add(1, Ordering::SeqCst) + 1 == tasks as usize {
                    all_done.notify_one();
                }
                Ok::<(), String>(())
            }
        }
    };
    let watcher = {
        let queue = Arc::clone(&queue);
        tokio::spawn(async move {
            let mut most = 0;
            for _ in 0..20 {
                let stats = queue.stats().await.unwrap();
                most = most.max(
                    stats
                        .in_flight_by_consumer
                        .get("bounded")
                        .copied()
                        .unwrap_or(0),
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            most
        })
    };
    within(
        30,
        "all tasks handled",
        consumer.run_until(handler, all_done.notified()),
    )
    .await;
    assert_eq!(done.load(Ordering::SeqCst), tasks as usize);
    assert!(
        peak.load(Ordering::SeqCst) <= 3,
        "peak {}",
        peak.load(Ordering::SeqCst)
    );
    assert!(watcher.await.unwrap() <= 3);
    let stats = queue.stats().await.unwrap();
    assert_eq!((stats.pending, stats.in_flight), (0, 0), "{stats:?}");
}

async fn stats_count_every_state(h: &Harness) {
    let queue = h
        .queue(
            fast()
                .lease(Duration::from_millis(100))
                .max_attempts(2)
                .backoff(Duration::from_secs(30), Duration::from_secs(30)),
        )
        .await;
    let mut consumer = queue.consumer("c1", 1).await.unwrap();

    // Dead: its lease expires once, then its second attempt is nacked.
    queue.enqueue(numbered(1)).await.unwrap();
    drop(next(&mut consumer).await);
    let redelivered = next(&mut consumer).await;
    assert_eq!(redelivered.task().attempt, 2);
    assert_eq!(
        redelivered.nack("gave up").await.unwrap(),
        Nacked::DeadLettered
    );
    // Retrying: nacked on its first attempt, retried in 30 s.
    queue.enqueue(numbered(2)).await.unwrap();
    let failing = next(&mut consumer).await;
    assert!(matches!(
        failing.nack("later").await.unwrap(),
        Nacked::Retrying { .. }
    ));
    // In flight: held, which also keeps the consumer (concurrency 1) from taking more.
    queue.enqueue(numbered(3)).await.unwrap();
    let held = next(&mut consumer).await;
    // Pending and delayed.
    queue
        .enqueue_many(vec![numbered(4), numbered(5)])
        .await
        .unwrap();
    queue
        .enqueue(numbered(6).delay(Duration::from_secs(60)))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(60)).await;

    let stats = queue.stats().await.unwrap();
    assert_eq!(
        (
            stats.pending,
            stats.in_flight,
            stats.delayed,
            stats.retrying,
            stats.dead
        ),
        (2, 1, 1, 1, 1),
        "{stats:?}"
    );
    assert_eq!(
        stats.in_flight_by_consumer,
        BTreeMap::from([("c1".to_owned(), 1)])
    );
    let age = stats.oldest_pending_age.expect("an oldest pending task");
    assert!(
        age >= Duration::from_millis(50) && age < Duration::from_secs(30),
        "{age:?}"
    );

    // A lease that ran out but was not taken over can still be acked, also after its
    // consumer stopped (stopped first, so its freed slot takes nothing more).
    drop(consumer);
    held.ack().await.unwrap();
    let stats = queue.stats().await.unwrap();
    assert_eq!((stats.in_flight, stats.pending), (0, 2), "{stats:?}");
}

fn completed(n: u32) -> v1::Event {
    v1::Event::check_completed(v1::CheckResult {
        monitor_id: format!("m-{n}"),
        slot_unix_ms: i64::from(n),
        ..Default::default()
    })
}

async fn recv_event(subscription: &mut pulsar_queue::Subscription) -> Arc<pulsar_queue::Published> {
    match within(10, "an event", subscription.recv()).await {
        Some(BusItem::Event(published)) => published,
        other => panic!("expected an event, got {other:?}"),
    }
}

async fn bus_delivers_each_topic_to_its_subscribers(h: &Harness) {
    let bus = h.bus(BusBuilder::new()).await;
    let mut checks_a = bus.subscribe(&[pulsar_core::TOPIC_CHECKS]).await.unwrap();
    let mut checks_b = bus.subscribe(&[pulsar_core::TOPIC_CHECKS]).await.unwrap();
    let mut both = bus
        .subscribe(&[pulsar_core::TOPIC_HOSTS, pulsar_core::TOPIC_CHECKS])
        .await
        .unwrap();
    let host = v1::Event::host_sampled("h1", v1::HostSnapshot::default());
    bus.publish(pulsar_core::TOPIC_CHECKS, &completed(1))
        .await
        .unwrap();
    bus.publish_event(&host).await.unwrap();
    bus.publish(pulsar_core::TOPIC_CHECKS, &completed(2))
        .await
        .unwrap();

    for subscription in [&mut checks_a, &mut checks_b] {
        for n in [1, 2] {
            let published = recv_event(subscription).await;
            assert_eq!(published.topic, pulsar_core::TOPIC_CHECKS);
            assert_eq!(published.event, completed(n));
        }
    }
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(recv_event(&mut both).await.event.clone());
    }
    assert!(got.contains(&host) && got.contains(&completed(1)) && got.contains(&completed(2)));
    let order: Vec<_> = got.iter().filter(|e| e.topic() == Some("checks")).collect();
    assert_eq!(
        order,
        [&completed(1), &completed(2)],
        "one topic keeps its order"
    );
}

async fn bus_tells_a_slow_subscriber_what_it_missed(h: &Harness) {
    let bus = h.bus(BusBuilder::new().subscriber_buffer(4)).await;
    let mut fast = bus.subscribe(&[pulsar_core::TOPIC_CHECKS]).await.unwrap();
    let mut slow = bus.subscribe(&[pulsar_core::TOPIC_CHECKS]).await.unwrap();
    for n in 0..20 {
        bus.publish(pulsar_core::TOPIC_CHECKS, &completed(n))
            .await
            .unwrap();
        // The fast subscriber keeps up; the slow one reads nothing meanwhile.
        assert_eq!(recv_event(&mut fast).await.event, completed(n));
    }
    match within(10, "lag report", slow.recv()).await {
        Some(BusItem::Lagged { topic, missed }) => {
            assert_eq!(topic, pulsar_core::TOPIC_CHECKS);
            assert_eq!(missed, 16);
        }
        other => panic!("expected a lag report, got {other:?}"),
    }
    for n in 16..20 {
        assert_eq!(
            recv_event(&mut slow).await.event,
            completed(n),
            "the newest are kept"
        );
    }
}

macro_rules! conformance {
    ($($test:ident),* $(,)?) => {
        mod in_process {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let harness = crate::support::Harness::memory();
                    super::$test(&harness).await;
                    harness.cleanup().await;
                }
            )*
        }

        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some(harness) = crate::support::Harness::redis(stringify!($test)).await
                    else {
                        return;
                    };
                    super::$test(&harness).await;
                    harness.cleanup().await;
                }
            )*
        }
    };
}

conformance!(
    unique_keys_drop_duplicates_while_pending,
    delayed_tasks_wait_for_their_time,
    nacked_tasks_retry_with_backoff_then_dead_letter,
    expired_leases_go_to_another_consumer_and_are_acked_once,
    an_extended_lease_keeps_the_task_from_other_consumers,
    a_handler_that_outlasts_its_lease_keeps_the_task,
    concurrency_bound_is_respected,
    stats_count_every_state,
    bus_delivers_each_topic_to_its_subscribers,
    bus_tells_a_slow_subscriber_what_it_missed,
);
