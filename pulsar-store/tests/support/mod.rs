//! Fixtures of the conformance suite: a fresh store per test on each backend, and builders
//! of monitors and results.

#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use pulsar_core::{CheckResult, Monitor, MonitorId, Outcome, Phases, from_unix_ms, unix_ms};
use pulsar_store::{SqliteOptions, SqliteStore, Store};

/// A fixed "now" for tests: 2026-11-02 12:30:15 UTC.
pub const NOW_MS: i64 = 1_793_622_615_000;

pub fn now() -> SystemTime {
    from_unix_ms(NOW_MS)
}

pub fn at(ms: i64) -> SystemTime {
    from_unix_ms(ms)
}

pub const MINUTE_MS: i64 = 60_000;
pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 86_400_000;

/// Runs `test` against a fresh SQLite file store in a temporary directory.
pub async fn on_sqlite<F, Fut>(test: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    on_sqlite_with(None, test).await;
}

/// [`on_sqlite`] with the store's summary cache budget set to `summary_cache_bytes`.
pub async fn on_sqlite_with<F, Fut>(summary_cache_bytes: Option<usize>, test: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().expect("temp dir");
    let mut options = SqliteOptions::file(dir.path().join("pulsar.db"));
    if let Some(bytes) = summary_cache_bytes {
        options = options.summary_cache_bytes(bytes);
    }
    let store = SqliteStore::open_with(options)
        .await
        .expect("open sqlite store");
    let outcome = tokio::spawn(test(Arc::new(store.clone()))).await;
    store.close().await;
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
}

/// Runs `test` against PostgreSQL in a schema of its own, dropped afterwards. Without a
/// reachable server the test reports itself skipped, unless `CI=true`.
pub async fn on_postgres<F, Fut>(test: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    on_postgres_with(None, test).await;
}

/// [`on_postgres`] with the store's summary cache budget set to `summary_cache_bytes`.
pub async fn on_postgres_with<F, Fut>(summary_cache_bytes: Option<usize>, test: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(schema) = postgres::TestSchema::create().await else {
        return;
    };
    let store = schema.store_with(summary_cache_bytes).await;
    let outcome = tokio::spawn(test(Arc::new(store.clone()))).await;
    store.close().await;
    schema.drop().await;
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
}

pub mod postgres {
    use pulsar_store::{PgOptions, PgStore};
    use sqlx::Connection;

    pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

    pub fn url() -> String {
        std::env::var("PULSAR_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned())
    }

    pub struct TestSchema {
        url: String,
        pub name: String,
    }

    impl TestSchema {
        /// A fresh schema, or `None` (after printing why) when PostgreSQL is unreachable
        /// outside CI.
        pub async fn create() -> Option<Self> {
            let url = url();
            let mut conn = match sqlx::PgConnection::connect(&url).await {
                Ok(conn) => conn,
                Err(error) if std::env::var("CI").as_deref() != Ok("true") => {
                    println!("skipped: PostgreSQL at {url} is unreachable: {error}");
                    return None;
                }
                Err(error) => panic!("PostgreSQL at {url} is unreachable in CI: {error}"),
            };
            let name = format!("test_{}", uuid::Uuid::new_v4().simple());
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}")))
                .execute(&mut conn)
                .await
                .expect("create schema");
            conn.close().await.ok();
            Some(Self { url, name })
        }

        pub async fn store(&self) -> PgStore {
            self.store_with(None).await
        }

        /// A store in this schema; `summary_cache_bytes` overrides the cache budget.
        pub async fn store_with(&self, summary_cache_bytes: Option<usize>) -> PgStore {
            let mut options = PgOptions::new(&self.url)
                .schema(&self.name)
                .max_connections(4);
            if let Some(bytes) = summary_cache_bytes {
                options = options.summary_cache_bytes(bytes);
            }
            PgStore::connect_with(options)
                .await
                .expect("connect to PostgreSQL")
        }

        pub async fn drop(self) {
            if let Ok(mut conn) = sqlx::PgConnection::connect(&self.url).await {
                let sql = format!("DROP SCHEMA {} CASCADE", self.name);
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut conn)
                    .await
                    .ok();
                conn.close().await.ok();
            }
        }
    }
}

/// One test function, run against both backends.
macro_rules! conformance {
    ($($module:ident :: $test:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    $crate::support::on_sqlite($crate::$module::$test).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    $crate::support::on_postgres($crate::$module::$test).await;
                }
            )+
        }
    };
}

/// A valid monitor named `name`, checked every minute.
pub fn monitor(name: &str) -> Monitor {
    Monitor::new(name, format!("https://{name}.example.com/health"))
}

/// A result of `monitor` for `slot_ms` with the given outcome and phases (milliseconds of
/// dns, connect, tls, ttfb, download; total is their sum).
pub fn result(
    monitor: MonitorId,
    slot_ms: i64,
    outcome: Outcome,
    phases_us: [u64; 5],
) -> CheckResult {
    let us = |v: u64| Some(Duration::from_micros(v));
    let phases = Phases {
        dns: us(phases_us[0]),
        connect: us(phases_us[1]),
        tls: us(phases_us[2]),
        ttfb: us(phases_us[3]),
        download: us(phases_us[4]),
        total: us(phases_us.iter().sum()),
    };
    CheckResult {
        monitor_id: monitor,
        slot: at(slot_ms),
        started_at: at(slot_ms + 3),
        worker: "worker-1".into(),
        region: "eu".into(),
        outcome,
        failure: None,
        message: String::new(),
        status: Some(200),
        http_version: Some("HTTP/1.1".into()),
        remote_addr: Some("127.0.0.1:443".parse().expect("address")),
        phases,
        hops: Vec::new(),
        body_bytes: 512,
        tls: None,
        manual: false,
        scheduling_delay: Some(Duration::from_micros(slot_ms.unsigned_abs() % 5_000 + 1)),
        maintenance: false,
    }
}

/// A simple UP result with the given total split evenly over the five phases.
pub fn up(monitor: MonitorId, slot_ms: i64, total_us: u64) -> CheckResult {
    let part = total_us / 5;
    result(
        monitor,
        slot_ms,
        Outcome::Up,
        [part, part, part, part, total_us - 4 * part],
    )
}

/// A deterministic pseudo-random sequence for test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Log-uniform in `lo..hi`.
    pub fn latency_us(&mut self, lo: u64, hi: u64) -> u64 {
        let unit = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        ((lo as f64).ln() + unit * ((hi as f64).ln() - (lo as f64).ln())).exp() as u64
    }
}

pub fn ms(at: SystemTime) -> i64 {
    unix_ms(at)
}

/// A valid channel of `kind`: its required settings point at a local receiver.
pub fn channel(name: &str, kind: &str) -> pulsar_core::NotificationChannel {
    let mut channel = pulsar_core::NotificationChannel::new(name, kind);
    let settings: &[(&str, &str)] = match kind {
        "webhook" => &[("url", "http://127.0.0.1:9/hook")],
        "discord" | "slack" => &[("webhook_url", "http://127.0.0.1:9/hook")],
        "ntfy" => &[("server_url", "http://127.0.0.1:9"), ("topic", "ops")],
        "email" => &[
            ("smtp_host", "127.0.0.1"),
            ("from", "pulsar@example.com"),
            ("to", "ops@example.com"),
        ],
        _ => &[],
    };
    for (key, value) in settings {
        channel.config.insert((*key).into(), (*value).into());
    }
    channel
}

/// Routes every monitor to the channel `id`.
pub async fn route_all(store: &dyn Store, id: pulsar_core::ChannelId) {
    let mut routing = pulsar_core::ChannelRouting::none(id);
    routing.all_monitors = true;
    store.set_channel_routing(&routing).await.unwrap();
}
