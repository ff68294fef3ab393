//! A scheduler, a worker pool and a live-event listener on pulsar-queue alone.
//!
//! ```text
//! cargo run -p pulsar-examples --example queue_worker                          # in-process
//! cargo run -p pulsar-examples --example queue_worker -- redis://127.0.0.1:6379  # Redis
//! ```
//!
//! The scheduler enqueues one check task per (monitor, slot), and a second scheduler tick
//! for the same slots is deduplicated. Workers "check" each monitor (one of them always
//! fails, so it is retried with backoff and ends in the dead letters) and publish a
//! `CheckCompleted` event that a subscriber prints. The same code runs on both backends:
//! only the two `Arc<dyn ...>` lines differ.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use pulsar_core::proto::v1;
use pulsar_queue::{BusBuilder, BusItem, EventBus, NewTask, QueueBuilder, TaskQueue};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = QueueBuilder::new()
        .max_attempts(3)
        .backoff(Duration::from_millis(100), Duration::from_secs(1))
        .block_timeout(Duration::from_millis(200));
    let mut redis_queue = None;
    let (queue, bus): (Arc<dyn TaskQueue>, Arc<dyn EventBus>) = match std::env::args().nth(1) {
        Some(url) => {
            let prefix = format!("pulsar-example:{}", std::process::id());
            let queue = settings.redis(&url, &prefix).await.context("redis queue")?;
            let bus = BusBuilder::new()
                .redis(&url, &prefix)
                .await
                .context("redis bus")?;
            println!("backend: Redis at {url}, keys under {prefix}:");
            redis_queue = Some(queue.clone());
            (Arc::new(queue), Arc::new(bus))
        }
        None => {
            println!("backend: in-process");
            (
                Arc::new(settings.in_process()),
                Arc::new(BusBuilder::new().in_process()),
            )
        }
    };

    // Live events, as an API process would forward them to browsers.
    let mut events = bus.subscribe(&[pulsar_core::TOPIC_CHECKS]).await?;
    let listener = tokio::spawn(async move {
        while let Some(item) = events.recv().await {
            if let BusItem::Event(published) = item
                && let Some(v1::event::Kind::CheckCompleted(done)) = &published.event.kind
                && let Some(result) = &done.result
            {
                println!(
                    "event: {} slot {} -> {}",
                    result.monitor_id, result.slot_unix_ms, result.message
                );
            }
        }
    });

    // The scheduler: two ticks for the same slots; the second adds nothing.
    let monitors = ["shop", "blog", "flaky"].map(|name| v1::Monitor {
        id: name.into(),
        name: name.into(),
        url: format!("https://{name}.example.test/"),
        ..Default::default()
    });
    let slot = pulsar_core::unix_ms(std::time::SystemTime::now()) / 60_000 * 60_000;
    for tick in 1..=2 {
        let tasks: Vec<NewTask> = monitors
            .iter()
            .map(|monitor| NewTask::check(&v1::CheckTask::for_slot(monitor.clone(), slot)))
            .collect();
        let outcomes = queue.enqueue_many(tasks).await?;
        let duplicates = outcomes.iter().filter(|o| o.is_duplicate()).count();
        println!(
            "scheduler tick {tick}: {} queued, {duplicates} duplicates dropped",
            outcomes.len() - duplicates
        );
    }

    // The worker pool: up to 4 checks at once; a handler error is a nack.
    let consumer = queue.consumer("example-worker", 4).await?;
    let worker_bus = Arc::clone(&bus);
    let worker = tokio::spawn(consumer.run(move |task| {
        let bus = Arc::clone(&worker_bus);
        async move {
            let check = task.check_task().map_err(|e| e.to_string())?;
            if check.monitor_id == "flaky" {
                println!(
                    "worker: {} attempt {} failed",
                    check.monitor_id, task.attempt
                );
                return Err(format!("connect refused (attempt {})", task.attempt));
            }
            let result = v1::CheckResult {
                monitor_id: check.monitor_id.clone(),
                slot_unix_ms: check.slot_unix_ms,
                message: "up".into(),
                ..Default::default()
            };
            bus.publish(
                pulsar_core::TOPIC_CHECKS,
                &v1::Event::check_completed(result),
            )
            .await
            .map_err(|e| e.to_string())
        }
    }));

    // Wait until the flaky check has used its attempts.
    loop {
        let stats = queue.stats().await?;
        if stats.dead == 1 && stats.pending + stats.in_flight + stats.retrying == 0 {
            println!("stats: {stats:?}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for dead in queue.dead_letters(10).await? {
        let check = dead.task.check_task()?;
        println!(
            "dead letter: {} after {} attempts: {}",
            check.monitor_id, dead.task.attempt, dead.reason
        );
    }
    worker.abort();
    listener.abort();
    if let Some(queue) = redis_queue {
        queue.destroy().await?; // the example leaves nothing behind in Redis
    }
    Ok(())
}
