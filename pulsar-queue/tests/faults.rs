//! Redis going away mid-stream: a private redis-server is killed (SIGKILL) and started
//! again while producers, consumers, publishers and subscribers are running.

mod support;

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pulsar_core::proto::v1;
use pulsar_queue::{BusBuilder, BusItem, EventBus, NewTask, QueueBuilder, QueueError, TaskQueue};
use support::{PrivateRedis, within};

const TASKS: u32 = 300;

fn settings() -> QueueBuilder {
    QueueBuilder::new()
        .lease(Duration::from_secs(2))
        .block_timeout(Duration::from_millis(100))
        .reclaim_interval(Duration::from_millis(200))
        .promote_interval(Duration::from_millis(50))
        .retry_budget(Duration::from_millis(200))
        .connect_timeout(Duration::from_millis(500))
}

/// Enqueues every task, retrying each batch until Redis takes it; the unique keys make a
/// retry after a lost reply harmless.
async fn produce(queue: Arc<dyn TaskQueue>, errors: Arc<AtomicUsize>) {
    for start in (0..TASKS).step_by(10) {
        let batch: Vec<NewTask> = (start..start + 10)
            .map(|n| NewTask::new(n.to_be_bytes().to_vec()).unique(format!("task-{n}")))
            .collect();
        loop {
            match queue.enqueue_many(batch.clone()).await {
                Ok(_) => break,
                Err(error) => {
                    assert!(error.is_retryable(), "enqueue failed for good: {error}");
                    errors.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_task_is_acked_exactly_once_across_a_redis_restart() {
    let Some(mut redis) = PrivateRedis::start("queue restart").await else {
        return;
    };
    let url = redis.url();
    let queue: Arc<dyn TaskQueue> = Arc::new(settings().redis(&url, "restart").await.unwrap());
    let acked: Arc<Mutex<HashMap<u32, usize>>> = Arc::default();
    let consumer_errors = Arc::new(AtomicUsize::new(0));
    let producer_errors = Arc::new(AtomicUsize::new(0));

    let mut workers = Vec::new();
    for name in ["w1", "w2"] {
        let mut consumer = queue.consumer(name, 8).await.unwrap();
        let (acked, errors) = (Arc::clone(&acked), Arc::clone(&consumer_errors));
        workers.push(tokio::spawn(async move {
            while let Some(next) = consumer.next().await {
                let delivery = match next {
                    Ok(delivery) => delivery,
                    Err(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                };
                let n = u32::from_be_bytes(delivery.task().payload[..].try_into().unwrap());
                match delivery.ack().await {
                    Ok(()) => *acked.lock().unwrap().entry(n).or_default() += 1,
                    // Redelivered after the restart and settled by that delivery.
                    Err(QueueError::LeaseLost { .. } | QueueError::Unavailable { .. }) => {}
                    Err(error) => panic!("ack of task {n} failed: {error}"),
                }
            }
        }));
    }
    let producer = tokio::spawn(produce(Arc::clone(&queue), Arc::clone(&producer_errors)));

    within(30, "a third of the tasks", async {
        while acked.lock().unwrap().len() < TASKS as usize / 3 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    println!("killing redis after {} acks", acked.lock().unwrap().len());
    redis.kill();
    tokio::time::sleep(Duration::from_millis(500)).await;
    redis.restart().await;

    within(60, "every task acked", async {
        while acked.lock().unwrap().len() < TASKS as usize {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    producer.await.unwrap();
    // Give a duplicate ack, if one were possible, the time to show up.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for worker in &workers {
        worker.abort();
    }

    let acked = acked.lock().unwrap().clone();
    println!(
        "outage reported {} times by consumers, {} by the producer",
        consumer_errors.load(Ordering::Relaxed),
        producer_errors.load(Ordering::Relaxed)
    );
    let all: BTreeSet<u32> = (0..TASKS).collect();
    assert_eq!(acked.keys().copied().collect::<BTreeSet<_>>(), all);
    let twice: Vec<_> = acked.iter().filter(|(_, count)| **count > 1).collect();
    assert!(twice.is_empty(), "acked more than once: {twice:?}");
    assert!(
        consumer_errors.load(Ordering::Relaxed) + producer_errors.load(Ordering::Relaxed) > 0,
        "the outage was reported"
    );
    let stats = queue.stats().await.unwrap();
    assert_eq!(
        (stats.pending, stats.in_flight, stats.dead),
        (0, 0, 0),
        "{stats:?}"
    );
}

fn event(n: u32) -> v1::Event {
    v1::Event::monitor_state_changed(v1::MonitorStateChanged {
        monitor_id: format!("m-{n}"),
        at_unix_ms: i64::from(n),
        ..Default::default()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribers_come_back_by_themselves_after_a_redis_restart() {
    let Some(mut redis) = PrivateRedis::start("bus restart").await else {
        return;
    };
    let url = redis.url();
    let bus = BusBuilder::new()
        .retry_budget(Duration::from_millis(100))
        .connect_timeout(Duration::from_millis(500))
        .redis(&url, "restart")
        .await
        .unwrap();
    let topic = pulsar_core::TOPIC_MONITOR_STATES;
    let mut subscription = bus.subscribe(&[topic]).await.unwrap();
    bus.publish(topic, &event(0)).await.unwrap();
    assert!(matches!(
        within(10, "first event", subscription.recv()).await,
        Some(BusItem::Event(published)) if published.event == event(0)
    ));

    redis.kill();
    let failed = bus.publish(topic, &event(1)).await;
    assert!(
        matches!(failed, Err(QueueError::Unavailable { .. })),
        "{failed:?}"
    );
    assert!(matches!(
        within(10, "disconnect notice", subscription.recv()).await,
        Some(BusItem::Disconnected { .. })
    ));
    redis.restart().await;
    assert!(matches!(
        within(20, "reconnect notice", subscription.recv()).await,
        Some(BusItem::Reconnected)
    ));

    // The publisher recovers by itself, and the subscriber receives again.
    let stop = Arc::new(AtomicBool::new(false));
    let publisher = {
        let (bus, stop) = (bus.clone(), Arc::clone(&stop));
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let _ = bus.publish(topic, &event(2)).await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let item = within(20, "an event after the restart", subscription.recv()).await;
    stop.store(true, Ordering::Relaxed);
    publisher.await.unwrap();
    assert!(
        matches!(&item, Some(BusItem::Event(published)) if published.event == event(2)),
        "{item:?}"
    );
}
