//! Shared test helpers: a harness that hands out queues and buses of one backend, the
//! Redis reachability rule (skip locally, fail in CI), and a private redis-server.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pulsar_queue::{
    BusBuilder, EventBus, MemoryBus, MemoryQueue, QueueBuilder, RedisQueue, TaskQueue,
};

/// Fails the test if `future` takes longer than `seconds` (a hang is a failure, not a wait).
pub async fn within<T>(seconds: u64, what: &str, future: impl Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs(seconds), future).await {
        Ok(value) => value,
        Err(_) => panic!("timed out after {seconds} s waiting for {what}"),
    }
}

pub fn redis_url() -> String {
    std::env::var("PULSAR_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| value == "true")
}

async fn ping(url: &str) -> Result<(), String> {
    let client = redis::Client::open(url).map_err(|e| e.to_string())?;
    let attempt = async {
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    match tokio::time::timeout(Duration::from_secs(2), attempt).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err("no answer within 2 s".into()),
    }
}

/// The test Redis URL, or `None` after printing why the test is skipped. In CI an
/// unreachable Redis fails the test instead.
pub async fn test_redis(test: &str) -> Option<String> {
    let url = redis_url();
    match ping(&url).await {
        Ok(()) => Some(url),
        Err(reason) if in_ci() => panic!("{test}: Redis at {url} unreachable in CI: {reason}"),
        Err(reason) => {
            println!("skipped: {test}: Redis at {url} unreachable: {reason}");
            None
        }
    }
}

/// A key prefix no other test run uses.
pub fn unique_prefix(test: &str) -> String {
    format!(
        "pulsar-test:{test}:{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// Queues and buses of one backend for one test. For Redis every call opens a new handle
/// on the same key prefix (like another process would); in-process handles share one
/// queue and one bus, which is what "the same prefix" means there.
pub struct Harness {
    backend: Backend,
    memory_queue: Mutex<Option<MemoryQueue>>,
    memory_bus: Mutex<Option<MemoryBus>>,
    redis_queues: Mutex<Vec<RedisQueue>>,
}

enum Backend {
    Memory,
    Redis { url: String, prefix: String },
}

impl Harness {
    pub fn memory() -> Self {
        Self::with(Backend::Memory)
    }

    pub async fn redis(test: &str) -> Option<Self> {
        let url = test_redis(test).await?;
        Some(Self::redis_at(url, test))
    }

    pub fn redis_at(url: String, test: &str) -> Self {
        Self::with(Backend::Redis {
            url,
            prefix: unique_prefix(test),
        })
    }

    fn with(backend: Backend) -> Self {
        Self {
            backend,
            memory_queue: Mutex::new(None),
            memory_bus: Mutex::new(None),
            redis_queues: Mutex::new(Vec::new()),
        }
    }

    pub fn is_redis(&self) -> bool {
        matches!(self.backend, Backend::Redis { .. })
    }

    pub async fn queue(&self, builder: QueueBuilder) -> Arc<dyn TaskQueue> {
        match &self.backend {
            Backend::Memory => {
                let mut slot = self.memory_queue.lock().unwrap();
                Arc::new(slot.get_or_insert_with(|| builder.in_process()).clone())
            }
            Backend::Redis { url, prefix } => {
                let queue = builder.redis(url, prefix).await.expect("redis queue");
                self.redis_queues.lock().unwrap().push(queue.clone());
                Arc::new(queue)
            }
        }
    }

    pub async fn bus(&self, builder: BusBuilder) -> Arc<dyn EventBus> {
        match &self.backend {
            Backend::Memory => {
                let mut slot = self.memory_bus.lock().unwrap();
                Arc::new(slot.get_or_insert_with(|| builder.in_process()).clone())
            }
            Backend::Redis { url, prefix } => {
                Arc::new(builder.redis(url, prefix).await.expect("redis bus"))
            }
        }
    }

    /// Deletes the test's Redis keys.
    pub async fn cleanup(self) {
        let queue = self.redis_queues.lock().unwrap().first().cloned();
        if let Some(queue) = queue {
            queue.destroy().await.expect("delete test keys");
        }
    }
}

/// A redis-server of the test's own on a free loopback port, with an append-only file
/// fsynced on every write so a kill -9 loses nothing it acknowledged.
pub struct PrivateRedis {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl PrivateRedis {
    /// `None` (after printing why) when redis-server is not installed, unless in CI.
    pub async fn start(test: &str) -> Option<Self> {
        let binary = PathBuf::from("/usr/bin/redis-server");
        if !binary.exists() {
            if in_ci() {
                panic!("{test}: /usr/bin/redis-server is missing in CI");
            }
            println!("skipped: {test}: /usr/bin/redis-server is not installed");
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|addr| addr.port())
            .expect("free port");
        let mut server = Self {
            port,
            dir: tempfile::tempdir().expect("temp dir"),
            child: None,
        };
        server.spawn().await;
        Some(server)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    async fn spawn(&mut self) {
        let child = Command::new("/usr/bin/redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        self.child = Some(child);
        let url = self.url();
        within(20, "private redis-server to answer", async {
            while ping(&url).await.is_err() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
    }

    /// Kills the server without a chance to save anything (SIGKILL).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and data directory.
    pub async fn restart(&mut self) {
        self.kill();
        self.spawn().await;
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
    }
}
