//! pulsar-queue benchmarks: end-to-end tasks/s (enqueue → consume → ack) with 1 and 4
//! consumers on Redis and in-process, against the raw limit of the same Redis (a bare
//! pipelined XADD loop measured in the same run), and bus publish → receive latency.
//!
//! ```text
//! cargo bench -p pulsar-benches --bench queue
//! ```
//!
//! Redis is `PULSAR_TEST_REDIS_URL` (default `redis://127.0.0.1:6379`); the Redis rows are
//! skipped when it is unreachable. A figures table with the ratios is printed first, then
//! criterion measures the same paths (`thrpt` = tasks/s or XADDs/s, `time` = latency).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use pulsar_core::proto::v1;
use pulsar_queue::{
    BusBuilder, BusItem, Bytes, EventBus, NewTask, QueueBuilder, RedisQueue, Subscription,
    TaskQueue,
};
use tokio::runtime::Runtime;
use tokio::sync::{Mutex, Notify};

/// Tasks pushed through per measured run.
const TASKS: u64 = 20_000;
/// Unsettled deliveries each consumer may hold.
const CONCURRENCY: usize = 64;
/// Tasks per enqueue call.
const ENQUEUE_BATCH: usize = 256;
/// XADDs per pipeline in the baseline loop (the same as the queue's batch size).
const XADD_PIPELINE: usize = 256;
/// A check task's payload is a few hundred bytes (a monitor snapshot).
const PAYLOAD_BYTES: usize = 256;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let redis = runtime.block_on(reachable_redis());
    figures(&runtime, redis.as_deref());

    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    throughput_benches(&mut criterion, &runtime, redis.as_deref());
    latency_benches(&mut criterion, &runtime, redis.as_deref());
    criterion.final_summary();
}

async fn reachable_redis() -> Option<String> {
    let url =
        std::env::var("PULSAR_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let client = redis::Client::open(url.as_str()).ok()?;
    let ping = async {
        let mut conn = client.get_multiplexed_async_connection().await.ok()?;
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .ok()
    };
    match tokio::time::timeout(Duration::from_secs(2), ping).await {
        Ok(Some(_)) => Some(url),
        _ => {
            println!("Redis at {url} unreachable: Redis rows skipped");
            None
        }
    }
}

fn prefix(what: &str) -> String {
    format!("pulsar-bench:{what}:{}", std::process::id())
}

// ---- end to end ----

/// Consumers running on a queue, counting acked tasks.
struct Pipeline {
    queue: Arc<dyn TaskQueue>,
    acked: Arc<AtomicU64>,
    progress: Arc<Notify>,
    workers: Vec<tokio::task::JoinHandle<()>>,
}

impl Pipeline {
    async fn start(queue: Arc<dyn TaskQueue>, consumers: usize) -> Self {
        let acked = Arc::new(AtomicU64::new(0));
        let progress = Arc::new(Notify::new());
        let mut workers = Vec::new();
        for index in 0..consumers {
            let mut consumer = queue
                .consumer(&format!("bench-{index}"), CONCURRENCY)
                .await
                .expect("consumer");
            let (acked, progress) = (Arc::clone(&acked), Arc::clone(&progress));
            workers.push(tokio::spawn(async move {
                while let Some(next) = consumer.next().await {
                    let Ok(delivery) = next else { continue };
                    let (acked, progress) = (Arc::clone(&acked), Arc::clone(&progress));
                    // Settled concurrently, as a worker does: the queue batches the acks.
                    tokio::spawn(async move {
                        if delivery.ack().await.is_ok() {
                            acked.fetch_add(1, Ordering::Relaxed);
                            progress.notify_one();
                        }
                    });
                }
            }));
        }
        Self {
            queue,
            acked,
            progress,
            workers,
        }
    }

    /// Enqueues `tasks` and waits until all of them are acked.
    async fn push_through(&self, tasks: u64) -> Duration {
        let target = self.acked.load(Ordering::Relaxed) + tasks;
        let started = Instant::now();
        let queue = Arc::clone(&self.queue);
        let producer = tokio::spawn(async move {
            // Shared, not copied per task: encoding payloads is not the queue's cost.
            let payload = Bytes::from(bytes_payload());
            let mut left = tasks as usize;
            while left > 0 {
                let n = left.min(ENQUEUE_BATCH);
                let batch = (0..n).map(|_| NewTask::new(payload.clone())).collect();
                queue.enqueue_many(batch).await.expect("enqueue");
                left -= n;
            }
        });
        while self.acked.load(Ordering::Relaxed) < target {
            self.progress.notified().await;
        }
        let elapsed = started.elapsed();
        producer.await.expect("producer");
        elapsed
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        for worker in &self.workers {
            worker.abort();
        }
    }
}

fn bytes_payload() -> Vec<u8> {
    (0..PAYLOAD_BYTES).map(|i| (i % 251) as u8).collect()
}

fn settings() -> QueueBuilder {
    QueueBuilder::new().block_timeout(Duration::from_millis(100))
}

async fn redis_queue(url: &str, what: &str) -> RedisQueue {
    settings()
        .redis(url, &prefix(what))
        .await
        .expect("redis queue")
}

/// The raw limit: `tasks` XADDs of the same payload, pipelined, on one connection.
async fn raw_xadd(url: &str, tasks: u64) -> Duration {
    let client = redis::Client::open(url).expect("url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("connection");
    let stream = prefix("raw-xadd");
    let payload = bytes_payload();
    let started = Instant::now();
    let mut left = tasks as usize;
    while left > 0 {
        let n = left.min(XADD_PIPELINE);
        let mut pipe = redis::pipe();
        for _ in 0..n {
            pipe.cmd("XADD")
                .arg(&stream)
                .arg("*")
                .arg("payload")
                .arg(&payload)
                .ignore();
        }
        pipe.query_async::<()>(&mut conn).await.expect("xadd");
        left -= n;
    }
    let elapsed = started.elapsed();
    redis::cmd("DEL")
        .arg(&stream)
        .query_async::<()>(&mut conn)
        .await
        .expect("del");
    elapsed
}

fn rate(tasks: u64, elapsed: Duration) -> f64 {
    tasks as f64 / elapsed.as_secs_f64()
}

/// The median of three runs' rates.
async fn median_rate<F, Fut>(tasks: u64, mut run: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Duration>,
{
    let mut rates = Vec::new();
    for _ in 0..3 {
        rates.push(rate(tasks, run().await));
    }
    rates.sort_by(f64::total_cmp);
    rates[1]
}

fn figures(runtime: &Runtime, redis: Option<&str>) {
    runtime.block_on(async {
        println!("\npulsar-queue figures ({TASKS} tasks of {PAYLOAD_BYTES} B per run, median of 3)");
        let mut redis_best = None;
        if let Some(url) = redis {
            let raw = median_rate(TASKS, || raw_xadd(url, TASKS)).await;
            println!("  redis raw pipelined XADD      {raw:>12.0} XADD/s (the limit)");
            for consumers in [1, 4] {
                let queue = redis_queue(url, "figures").await;
                let pipeline = Pipeline::start(Arc::new(queue.clone()), consumers).await;
                pipeline.push_through(TASKS / 4).await; // warm up
                let tasks_per_sec = median_rate(TASKS, || pipeline.push_through(TASKS)).await;
                drop(pipeline);
                queue.destroy().await.expect("cleanup");
                println!(
                    "  redis end to end, {consumers} consumer(s) {tasks_per_sec:>12.0} tasks/s = {:.2} of raw XADD",
                    tasks_per_sec / raw
                );
                redis_best = Some(redis_best.map_or(tasks_per_sec, |b: f64| b.max(tasks_per_sec)));
            }
        }
        for consumers in [1, 4] {
            let queue = settings().in_process();
            let pipeline = Pipeline::start(Arc::new(queue), consumers).await;
            pipeline.push_through(TASKS / 4).await;
            let tasks_per_sec = median_rate(TASKS * 5, || pipeline.push_through(TASKS * 5)).await;
            let versus = redis_best.map_or(String::new(), |best| {
                format!(" = {:.1}x the best Redis figure", tasks_per_sec / best)
            });
            println!("  in-process, {consumers} consumer(s)       {tasks_per_sec:>12.0} tasks/s{versus}");
        }
        println!();
    });
}

fn throughput_benches(criterion: &mut Criterion, runtime: &Runtime, redis: Option<&str>) {
    let mut group = criterion.benchmark_group("queue_end_to_end");
    group.throughput(Throughput::Elements(TASKS));
    if let Some(url) = redis {
        group.bench_function("redis_raw_xadd_pipelined", |b| {
            b.to_async(runtime).iter_custom(|iters| async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total += raw_xadd(url, TASKS).await;
                }
                total
            });
        });
    }
    for consumers in [1usize, 4] {
        if let Some(url) = redis {
            let queue = runtime.block_on(redis_queue(url, "criterion"));
            let pipeline = runtime.block_on(Pipeline::start(Arc::new(queue.clone()), consumers));
            group.bench_with_input(BenchmarkId::new("redis", consumers), &pipeline, |b, p| {
                b.to_async(runtime).iter_custom(|iters| async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        total += p.push_through(TASKS).await;
                    }
                    total
                });
            });
            drop(pipeline);
            runtime.block_on(queue.destroy()).expect("cleanup");
        }
        let pipeline = runtime.block_on(Pipeline::start(
            Arc::new(settings().in_process()),
            consumers,
        ));
        group.bench_with_input(
            BenchmarkId::new("in_process", consumers),
            &pipeline,
            |b, p| {
                b.to_async(runtime).iter_custom(|iters| async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        total += p.push_through(TASKS).await;
                    }
                    total
                });
            },
        );
    }
    group.finish();
}

// ---- bus latency ----

fn event() -> v1::Event {
    v1::Event::monitor_state_changed(v1::MonitorStateChanged {
        monitor_id: "bench".into(),
        reason: "3 consecutive failures".into(),
        ..Default::default()
    })
}

async fn round_trip(bus: &dyn EventBus, subscription: &Mutex<Subscription>) {
    let mut subscription = subscription.lock().await;
    bus.publish(pulsar_core::TOPIC_MONITOR_STATES, &event())
        .await
        .expect("publish");
    match subscription.recv().await {
        Some(BusItem::Event(_)) => {}
        other => panic!("expected the event, got {other:?}"),
    }
}

fn latency_benches(criterion: &mut Criterion, runtime: &Runtime, redis: Option<&str>) {
    let mut group = criterion.benchmark_group("bus_publish_to_receive");
    let mut buses: Vec<(&str, Arc<dyn EventBus>)> =
        vec![("in_process", Arc::new(BusBuilder::new().in_process()))];
    if let Some(url) = redis {
        let bus = runtime
            .block_on(BusBuilder::new().redis(url, &prefix("bus")))
            .expect("redis bus");
        buses.push(("redis", Arc::new(bus)));
    }
    for (name, bus) in buses {
        let subscription = runtime
            .block_on(bus.subscribe(&[pulsar_core::TOPIC_MONITOR_STATES]))
            .expect("subscribe");
        let subscription = Mutex::new(subscription);
        group.bench_function(name, |b| {
            b.to_async(runtime)
                .iter(|| round_trip(bus.as_ref(), &subscription));
        });
    }
    group.finish();
}
