//! Distributed end to end, on the machine's PostgreSQL and Redis: `pulsar migrate`, one
//! `pulsar api` and two `pulsar worker` processes run 50 monitors at a 1 s interval for 60 s
//! (`PULSAR_E2E_SECONDS` shortens it). Every slot is checked exactly once (none lost, none
//! twice), both workers run checks and report their host, and every process stops cleanly
//! on SIGTERM. A second `api` (without a scheduler) runs a second notifier: five failing
//! monitors are announced to a webhook exactly once each, and it lists both workers.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use pulsar_core::{MonitorId, unix_ms};
use pulsar_probe::testkit::{ServerOptions, TestPki, TestServer};
use pulsar_store::{PageRequest, PgStore, ResultFilter, Store};
use serde_json::json;
use sqlx::Connection;

mod support;
use support::receiver::Receiver;
use support::{eventually, rpc, service_reachable};

const MONITORS: usize = 50;
/// Monitors of a site that answers 500: each goes DOWN once.
const FAILING: usize = 5;

fn database_url() -> String {
    std::env::var("PULSAR_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn redis_url() -> String {
    std::env::var("PULSAR_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A database of its own for this run, dropped at the end.
struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl TestDatabase {
    async fn create() -> Option<Self> {
        let admin_url = database_url();
        let mut conn = match sqlx::PgConnection::connect(&admin_url).await {
            Ok(conn) => conn,
            Err(e) => {
                service_reachable("PostgreSQL", &admin_url, Err(e.to_string()));
                return None;
            }
        };
        let name = format!("e2e_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create database");
        let base = admin_url.rsplit_once('/').expect("a database in the URL").0;
        let url = format!("{base}/{name}");
        Some(Self {
            admin_url,
            name,
            url,
        })
    }

    async fn drop(self) {
        let mut conn = sqlx::PgConnection::connect(&self.admin_url).await.unwrap();
        let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        sqlx::query(sqlx::AssertSqlSafe(drop))
            .execute(&mut conn)
            .await
            .ok();
    }
}

async fn redis_reachable(url: &str) -> bool {
    let ping = async {
        let client = redis::Client::open(url).map_err(|e| e.to_string())?;
        let mut conn = client
            .get_multiplexed_async_connection()
            .await
            .map_err(|e| e.to_string())?;
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .map_err(|e| e.to_string())
    };
    let reached = match tokio::time::timeout(Duration::from_secs(2), ping).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e),
        Err(_) => Err("no answer within 2 s".into()),
    };
    service_reachable("Redis", url, reached)
}

/// A `pulsar` child process, killed if the test ends before it stopped.
struct Process {
    name: &'static str,
    child: Child,
    log: std::path::PathBuf,
}

impl Process {
    fn start(name: &'static str, args: &[&str], logs: &Path) -> Self {
        let log = logs.join(format!("{name}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_pulsar"))
            .args(args)
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        Self { name, child, log }
    }

    /// Sends SIGTERM and waits up to 40 s for a clean exit.
    fn stop(&mut self) {
        let term = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(term.success());
        let deadline = Instant::now() + Duration::from_secs(40);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "{} did not stop", self.name);
            std::thread::sleep(Duration::from_millis(50));
        };
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        assert!(status.success(), "{} exited {status:?}:\n{log}", self.name);
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn free_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_and_two_workers_check_every_slot_exactly_once() {
    let redis = redis_url();
    if !redis_reachable(&redis).await {
        return;
    }
    let Some(database) = TestDatabase::create().await else {
        return;
    };
    let seconds: u64 = std::env::var("PULSAR_E2E_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let target = TestServer::start(&TestPki::new().unwrap(), ServerOptions::default())
        .await
        .unwrap();
    let logs = tempfile::tempdir().unwrap();
    let prefix = format!("e2e-{}", uuid::Uuid::new_v4().simple());
    let addr = free_port();
    let listen = addr.to_string();
    let common = [
        "--database-url",
        &database.url,
        "--redis-url",
        &redis,
        "--redis-prefix",
        &prefix,
    ];

    let migrate = Command::new(env!("CARGO_BIN_EXE_pulsar"))
        .args(["migrate", "--database-url", &database.url])
        .output()
        .unwrap();
    assert!(migrate.status.success(), "{migrate:?}");

    let with = |extra: &[&'static str]| -> Vec<&str> {
        let mut args: Vec<&str> = common.to_vec();
        args.extend_from_slice(extra);
        args
    };
    let mut api_args = vec!["api", "--listen", &listen, "--name", "api-1"];
    api_args.extend(with(&[]));
    let mut api = Process::start("api", &api_args, logs.path());
    let second_addr = free_port();
    let second_listen = second_addr.to_string();
    let mut second_args = vec![
        "api",
        "--listen",
        &second_listen,
        "--name",
        "api-2",
        "--no-scheduler",
    ];
    second_args.extend(with(&[]));
    let mut second_api = Process::start("api-2", &second_args, logs.path());
    let mut workers: Vec<Process> = ["worker-a", "worker-b"]
        .into_iter()
        .map(|name| {
            let mut args = vec!["worker", "--name", name, "--host-interval", "1s"];
            args.extend(with(&["--concurrency", "32"]));
            Process::start(name, &args, logs.path())
        })
        .collect();
    eventually(20, "the API", || async {
        let up = tokio::net::TcpStream::connect(addr).await.is_ok();
        up.then_some(())
    })
    .await;

    let mut ids = Vec::new();
    for i in 0..MONITORS {
        let (status, created) = rpc(
            addr,
            "MonitorService",
            "CreateMonitor",
            json!({"monitor": {"name": format!("site-{i:02}"), "url": target.url("/"),
                "intervalSeconds": 1, "timeoutMs": 900}}),
        )
        .await;
        assert_eq!(status, 200, "{created}");
        let id: MonitorId = created["monitor"]["id"].as_str().unwrap().parse().unwrap();
        ids.push(id);
    }
    let created_at = SystemTime::now();

    // A webhook for every monitor, and monitors that fail: two notifiers (one per API)
    // share the outbox.
    let receiver = Receiver::start().await;
    eventually(20, "the second API", || async {
        let up = tokio::net::TcpStream::connect(second_addr).await.is_ok();
        up.then_some(())
    })
    .await;
    let (status, channel) = rpc(
        addr,
        "AlertService",
        "CreateChannel",
        json!({"channel": {"name": "hook", "kind": "webhook", "enabled": true,
            "config": {"url": receiver.url("/hook")}}}),
    )
    .await;
    assert_eq!(status, 200, "{channel}");
    let routing = json!({"routing": {"channelId": channel["channel"]["id"], "allMonitors": true}});
    let (status, routed) = rpc(addr, "AlertService", "SetChannelRouting", routing).await;
    assert_eq!(status, 200, "{routed}");
    let mut failing = BTreeSet::new();
    for i in 0..FAILING {
        let (status, created) = rpc(
            addr,
            "MonitorService",
            "CreateMonitor",
            json!({"monitor": {"name": format!("broken-{i}"), "url": target.url("/status/500"),
                "intervalSeconds": 1, "timeoutMs": 900, "failureThreshold": 1}}),
        )
        .await;
        assert_eq!(status, 200, "{created}");
        failing.insert(created["monitor"]["id"].as_str().unwrap().to_owned());
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let announced = eventually(15, "a notification per failing monitor", || async {
        let hooks = receiver.received("/hook");
        (hooks.len() >= FAILING).then_some(hooks)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        receiver.received("/hook").len(),
        FAILING,
        "one notification per event"
    );
    let told: BTreeSet<String> = announced
        .iter()
        .map(|r| {
            let body = r.json();
            assert_eq!(body["event"], "down");
            body["monitor"]["id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(told, failing);

    // Either API lists both workers, each as it last said so.
    let (status, system) = rpc(second_addr, "SystemService", "GetStatus", json!({})).await;
    assert_eq!(status, 200, "{system}");
    let listed: Vec<&str> = system["workers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["worker-a", "worker-b"], "{system}");
    assert_eq!(system["mode"], "distributed");
    second_api.stop();

    // The API (and its scheduler) first; the workers run what it queued, then stop.
    api.stop();
    let stopped_at = SystemTime::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    for worker in &mut workers {
        worker.stop();
    }

    let store = PgStore::connect(&database.url).await.unwrap();
    let mut by_worker: BTreeMap<String, usize> = BTreeMap::new();
    let mut total = 0;
    for id in &ids {
        let page = store
            .list_results(*id, &ResultFilter::default(), &PageRequest::first(1000))
            .await
            .unwrap();
        let slots: Vec<i64> = page.items.iter().map(|r| unix_ms(r.slot)).collect();
        let distinct: BTreeSet<i64> = slots.iter().copied().collect();
        assert_eq!(
            distinct.len(),
            slots.len(),
            "a slot checked twice for {id:?}"
        );
        let first = *distinct.first().expect("results");
        let last = *distinct.last().unwrap();
        // One result per second from the first slot to the last: none lost in between.
        assert_eq!(
            distinct.len() as i64,
            (last - first) / 1000 + 1,
            "slots lost for {id:?}: {distinct:?}"
        );
        // Checking started within 2 s of creation and ran until the scheduler stopped.
        assert!(first <= unix_ms(created_at) + 2_000, "{id:?} started late");
        assert!(last >= unix_ms(stopped_at) - 3_000, "{id:?} stopped early");
        for result in &page.items {
            assert_eq!(result.outcome, pulsar_core::Outcome::Up, "{result:?}");
            *by_worker.entry(result.worker.clone()).or_default() += 1;
        }
        total += distinct.len();
    }
    assert!(
        total >= MONITORS * (seconds as usize - 3),
        "{total} results"
    );
    assert_eq!(
        by_worker.keys().collect::<Vec<_>>(),
        ["worker-a", "worker-b"],
        "{by_worker:?}"
    );
    let hosts = store.list_hosts().await.unwrap();
    assert!(!hosts.is_empty(), "no host reported");
    store.close().await;
    database.drop().await;
    println!("{total} checks in {seconds} s by {by_worker:?}");
}
