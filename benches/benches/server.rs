//! `pulsar serve` under load, as its users run it: the release binary, driven over HTTP and
//! the WebSocket, measured from outside (`/proc` for CPU and RSS, check events for lateness
//! and latency). Build the binary first:
//!
//! ```sh
//! cargo build --release -p pulsar-server
//! cargo bench -p pulsar-benches --bench server            # both scenarios
//! cargo bench -p pulsar-benches --bench server -- steady  # 1,000 monitors only
//! cargo bench -p pulsar-benches --bench server -- scale   # 10,000 monitors only
//! ```
//!
//! - **steady**: 1,000 monitors at a 20 s interval. It measures adding them through the
//!   API, CPU and RSS in steady state, `GetOverview` over HTTP, check → WebSocket latency,
//!   and a restart (ready, and every monitor checked again).
//! - **scale**: 10,000 monitors at a 10 s interval. It measures scheduling lateness, CPU and
//!   RSS, and how far a known-delay HTTPS target's phases move from their unloaded values.
//!
//! Every target is a test server this program starts on 127.0.0.1.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use pulsar_probe::testkit::{Delays, Leaf, ServerOptions, TestPki, TestServer};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

fn main() -> anyhow::Result<()> {
    let which: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let run = |name: &str| which.is_empty() || which.iter().any(|w| w == name);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        if run("steady") {
            steady().await?;
        }
        if run("scale") {
            scale().await?;
        }
        anyhow::Ok(())
    })
}

fn binary() -> PathBuf {
    std::env::var_os("PULSAR_BIN").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/pulsar"),
        PathBuf::from,
    )
}

/// A running `pulsar serve`.
struct Server {
    child: Child,
    addr: SocketAddr,
    started: Instant,
}

impl Server {
    async fn start(data: &Path) -> anyhow::Result<Self> {
        let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let started = Instant::now();
        let child = Command::new(binary())
            .args([
                "serve",
                "--listen",
                &addr.to_string(),
                "--concurrency",
                "256",
            ])
            .arg("--data-dir")
            .arg(data)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| anyhow::anyhow!("start {}: {e} (build it first)", binary().display()))?;
        let server = Self {
            child,
            addr,
            started,
        };
        while TcpStream::connect(addr).await.is_err() {
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(20),
                "serve did not start"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(server)
    }

    fn stop(mut self) -> anyhow::Result<()> {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()?;
        let status = self.child.wait()?;
        anyhow::ensure!(status.success(), "serve exited {status:?}");
        Ok(())
    }

    /// CPU seconds (user + system) the process used so far.
    fn cpu_seconds(&self) -> f64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
        let ticks: f64 = [11, 12]
            .iter()
            .filter_map(|i| fields.get(*i).and_then(|v| v.parse::<f64>().ok()))
            .sum();
        ticks / rustix::param::clock_ticks_per_second() as f64
    }

    /// Resident memory in MiB.
    fn rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }

    /// CPU use as a share of one core over `window`, and RSS at its end.
    async fn usage(&self, window: Duration) -> (f64, f64) {
        let before = self.cpu_seconds();
        tokio::time::sleep(window).await;
        let used = self.cpu_seconds() - before;
        (100.0 * used / window.as_secs_f64(), self.rss_mib())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// A keep-alive HTTP/1.1 connection for Connect JSON calls.
struct Client {
    reader: BufReader<TcpStream>,
    addr: SocketAddr,
}

impl Client {
    async fn connect(addr: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        // Small requests back to back: without this, Nagle and delayed ACKs add 40 ms each.
        stream.set_nodelay(true)?;
        Ok(Self {
            reader: BufReader::new(stream),
            addr,
        })
    }

    async fn call(&mut self, service: &str, method: &str, body: &Value) -> anyhow::Result<Value> {
        let body = body.to_string();
        let request = format!(
            "POST /pulsar.v1.{service}/{method} HTTP/1.1\r\nHost: {}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        self.reader.get_mut().write_all(request.as_bytes()).await?;
        let mut status = String::new();
        self.reader.read_line(&mut status).await?;
        let mut length = 0;
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).await?;
            if line.trim().is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse()?;
            }
        }
        let mut answer = vec![0; length];
        self.reader.read_exact(&mut answer).await?;
        anyhow::ensure!(
            status.contains(" 200 "),
            "{method}: {status} {}",
            String::from_utf8_lossy(&answer)
        );
        Ok(serde_json::from_slice(&answer)?)
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn int(v: &Value) -> i64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| v.as_i64())
        .unwrap_or(0)
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[((values.len() - 1) as f64 * p).round() as usize]
}

/// One completed check as the WebSocket told it.
struct Seen {
    monitor: String,
    /// Start minus due time, ms.
    lateness_ms: f64,
    /// Arrival minus the check's end, ms.
    latency_ms: f64,
    /// Phases in µs: dns, connect, tls, ttfb, download.
    phases: [f64; 5],
}

/// Collects check events from `/ws` until `until`.
async fn watch_checks(addr: SocketAddr, until: Instant) -> anyhow::Result<Vec<Seen>> {
    let (mut socket, _) =
        tokio_tungstenite::connect_async(format!("ws://{addr}/ws?topics=checks")).await?;
    let mut seen = Vec::new();
    while let Ok(Some(message)) = tokio::time::timeout_at(until.into(), socket.next()).await {
        let Message::Text(text) = message? else {
            continue;
        };
        let arrived = now_ms() as f64;
        let message: Value = serde_json::from_str(&text)?;
        let result = &message["event"]["checkCompleted"]["result"];
        if result.is_null() || result["manual"] == json!(true) {
            continue;
        }
        let phases = &result["phases"];
        let us = |key: &str| int(&phases[key]) as f64;
        let started = int(&result["startedAtUnixMs"]) as f64;
        seen.push(Seen {
            monitor: result["monitorId"].as_str().unwrap_or_default().to_owned(),
            lateness_ms: started - int(&result["slotUnixMs"]) as f64,
            latency_ms: arrived - (started + us("totalUs") / 1000.0),
            phases: [
                us("dnsUs"),
                us("connectUs"),
                us("tlsUs"),
                us("ttfbUs"),
                us("downloadUs"),
            ],
        });
    }
    Ok(seen)
}

async fn create_monitors(
    client: &mut Client,
    count: usize,
    url: &str,
    interval: u32,
) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::with_capacity(count);
    for i in 0..count {
        let monitor = json!({"monitor": {"name": format!("load-{i:05}"), "url": url,
            "intervalSeconds": interval, "timeoutMs": 5000}});
        let created = client
            .call("MonitorService", "CreateMonitor", &monitor)
            .await?;
        ids.push(
            created["monitor"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    Ok(ids)
}

async fn steady() -> anyhow::Result<()> {
    const MONITORS: usize = 1_000;
    let target = TestServer::start(&TestPki::new()?, ServerOptions::default()).await?;
    let data = tempfile::tempdir()?;
    let server = Server::start(data.path()).await?;
    let (idle_cpu, idle_rss) = server.usage(Duration::from_secs(10)).await;

    let mut client = Client::connect(server.addr).await?;
    let adding = Instant::now();
    let ids = create_monitors(&mut client, MONITORS, &target.url("/"), 20).await?;
    let add_time = adding.elapsed();

    // Two intervals to settle, then measure one minute of steady state and the events.
    tokio::time::sleep(Duration::from_secs(40)).await;
    let window = Duration::from_secs(60);
    let events = tokio::spawn(watch_checks(server.addr, Instant::now() + window));
    let (cpu, rss) = server.usage(window).await;
    let seen = events.await??;
    let mut latency: Vec<f64> = seen.iter().map(|s| s.latency_ms).collect();

    let mut overview = Vec::new();
    let mut list_baseline = Vec::new();
    for _ in 0..20 {
        let start = Instant::now();
        client
            .call("MonitorService", "GetOverview", &json!({"pageSize": 1000}))
            .await?;
        overview.push(start.elapsed().as_secs_f64() * 1000.0);
        let start = Instant::now();
        client
            .call("MonitorService", "ListMonitors", &json!({"pageSize": 1000}))
            .await?;
        list_baseline.push(start.elapsed().as_secs_f64() * 1000.0);
    }

    // Restart: how soon it answers, and how soon every monitor is checked again.
    server.stop()?;
    let restarted = Server::start(data.path()).await?;
    let ready_ms = restarted.started.elapsed().as_secs_f64() * 1000.0;
    let resumed = watch_checks(restarted.addr, Instant::now() + Duration::from_secs(25)).await?;
    let mut first_check: BTreeMap<&str, f64> = BTreeMap::new();
    let mut late_after_restart = Vec::new();
    for s in &resumed {
        first_check
            .entry(s.monitor.as_str())
            .or_insert(s.lateness_ms);
        late_after_restart.push(s.lateness_ms);
    }
    let all_back = ids.iter().all(|id| first_check.contains_key(id.as_str()));
    restarted.stop()?;

    println!("\n== pulsar serve, {MONITORS} monitors at a 20 s interval ==");
    println!(
        "add {MONITORS} monitors through the API   {:>8.0} ms  (target ≤ 2000 ms)",
        add_time.as_secs_f64() * 1000.0
    );
    println!(
        "idle (no monitors), 10 s               {idle_cpu:>8.2} % of a core, {idle_rss:.1} MiB RSS"
    );
    println!(
        "steady state, 60 s                     {cpu:>8.2} % of a core, {rss:.1} MiB RSS  (targets ≤ 3 %, ≤ 50 MiB)"
    );
    println!("checks seen over the WebSocket         {:>8}", seen.len());
    println!(
        "check → WebSocket latency p50 / p99    {:>8.1} / {:.1} ms  (target p99 ≤ 50 ms)",
        percentile(&mut latency.clone(), 0.5),
        percentile(&mut latency, 0.99)
    );
    println!(
        "GetOverview (1,000) over HTTP p50 / p99 {:>7.1} / {:.1} ms  (target ≤ 100 ms; ListMonitors baseline p50 {:.1} ms)",
        percentile(&mut overview.clone(), 0.5),
        percentile(&mut overview, 0.99),
        percentile(&mut list_baseline, 0.5)
    );
    println!("restart: answering after               {ready_ms:>8.0} ms  (target ≤ 2000 ms)");
    println!(
        "restart: every monitor checked again   {:>8}  ({} of {MONITORS} within one interval; lateness p99 {:.0} ms)",
        if all_back { "yes" } else { "NO" },
        first_check.len(),
        percentile(&mut late_after_restart, 0.99)
    );
    Ok(())
}

async fn scale() -> anyhow::Result<()> {
    const MONITORS: usize = 10_000;
    let pki = TestPki::new()?;
    let load = TestServer::start(&pki, ServerOptions::default()).await?;
    let delays = Delays {
        tls: Duration::from_millis(20),
        ttfb: Duration::from_millis(50),
        between_chunks: Duration::from_millis(10),
    };
    let known = TestServer::start(
        &pki,
        ServerOptions {
            tls: Some(Leaf::Valid),
            delays,
            ..ServerOptions::default()
        },
    )
    .await?;
    let data = tempfile::tempdir()?;
    let server = Server::start(data.path()).await?;
    let mut client = Client::connect(server.addr).await?;
    let known_monitor = json!({"monitor": {"name": "known-delay", "url": known.url("/"),
        "intervalSeconds": 1, "timeoutMs": 900, "tlsCaPem": pki.ca_pem()}});
    let known_id = client
        .call("MonitorService", "CreateMonitor", &known_monitor)
        .await?["monitor"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // Unloaded: 20 checks of the known-delay target alone.
    let unloaded = watch_checks(server.addr, Instant::now() + Duration::from_secs(20)).await?;

    let adding = Instant::now();
    create_monitors(&mut client, MONITORS, &load.url("/"), 10).await?;
    let add_time = adding.elapsed();
    tokio::time::sleep(Duration::from_secs(20)).await;
    let window = Duration::from_secs(60);
    let events = tokio::spawn(watch_checks(server.addr, Instant::now() + window));
    let (cpu, rss) = server.usage(window).await;
    let loaded = events.await??;
    server.stop()?;

    let mut lateness: Vec<f64> = loaded
        .iter()
        .filter(|s| s.monitor != known_id)
        .map(|s| s.lateness_ms)
        .collect();
    let monitors_seen: BTreeSet<&str> = loaded.iter().map(|s| s.monitor.as_str()).collect();
    let median_phases = |seen: &[Seen]| -> [f64; 5] {
        let mine: Vec<&Seen> = seen.iter().filter(|s| s.monitor == known_id).collect();
        std::array::from_fn(|i| {
            percentile(
                &mut mine.iter().map(|s| s.phases[i]).collect::<Vec<_>>(),
                0.5,
            )
        })
    };
    let before = median_phases(&unloaded);
    let after = median_phases(&loaded);
    let known_checks = loaded.iter().filter(|s| s.monitor == known_id).count();

    println!("\n== pulsar serve, {MONITORS} monitors at a 10 s interval ==");
    println!(
        "add {MONITORS} monitors through the API  {:>8.1} s",
        add_time.as_secs_f64()
    );
    println!(
        "checks seen in 60 s                    {:>8}  ({} monitors; expected {})",
        loaded.len(),
        monitors_seen.len(),
        MONITORS * 6
    );
    println!(
        "scheduling lateness p50 / p99          {:>8.0} / {:.0} ms  (target p99 ≤ 250 ms)",
        percentile(&mut lateness.clone(), 0.5),
        percentile(&mut lateness, 0.99)
    );
    println!(
        "CPU, RSS                               {cpu:>8.1} % of a core, {rss:.1} MiB  (target RSS ≤ 150 MiB)"
    );
    println!(
        "known-delay HTTPS target, median phases over {known_checks} loaded checks (ms): unloaded → loaded (Δ)"
    );
    for (i, name) in ["dns", "connect", "tls", "ttfb", "download"]
        .iter()
        .enumerate()
    {
        println!(
            "  {name:<9} {:>8.2} → {:>8.2}  ({:+.2})",
            before[i] / 1000.0,
            after[i] / 1000.0,
            (after[i] - before[i]) / 1000.0
        );
    }
    Ok(())
}
