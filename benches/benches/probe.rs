//! pulsar-probe benchmarks: fresh-connection checks per second against loopback HTTP and
//! HTTPS servers at concurrency 1 and 64, CPU per check, memory per in-flight check, and
//! phase accuracy against injected delays.
//!
//! ```text
//! cargo bench -p pulsar-benches --bench probe
//! ```
//!
//! The servers run in a child process (this same binary, started with
//! `PULSAR_BENCH_SERVER=1`), so the client's CPU and memory are measured alone while the
//! server still shares the machine's cores, as the README's targets require. The figures
//! table is printed first, then criterion measures throughput (`thrpt` = checks/s).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::IpAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use pulsar_probe::testkit::{Delays, DnsAnswer, Leaf, ServerOptions, TestDns, TestPki, TestServer};
use pulsar_probe::{CheckSpec, Prober};
use tokio::runtime::Runtime;

const SERVER_ENV: &str = "PULSAR_BENCH_SERVER";
/// Delay injected into every phase for the accuracy figures.
const INJECTED: Duration = Duration::from_millis(50);
/// How long the "slow" server holds each response head: the window in which memory per
/// in-flight check is sampled.
const SLOW_TTFB: Duration = Duration::from_secs(3);
const IN_FLIGHT: usize = 500;
const APP_HOST: &str = "app.pulsar.test";

fn main() {
    if std::env::var_os(SERVER_ENV).is_some() {
        serve();
        return;
    }
    let servers = Servers::spawn();
    let runtime = client_runtime();
    figures(&runtime, &servers);

    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    throughput_benches(&mut criterion, &runtime, &servers);
    criterion.final_summary();
}

fn client_runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("client runtime")
}

// ---- the server process ----

/// Runs every server the benchmark needs and prints `name=url` lines, then the CA as PEM,
/// then `end`; exits when its stdin closes (the benchmark ended or died).
fn serve() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("server runtime");
    runtime.block_on(async {
        let pki = TestPki::new().expect("test CA");
        let delayed = Delays {
            tls: INJECTED,
            ttfb: INJECTED,
            between_chunks: INJECTED,
        };
        let start = |tls, http2, delays| {
            let options = ServerOptions { tls, http2, delays };
            TestServer::start(&pki, options)
        };
        let fast_http = start(None, false, Delays::default()).await.expect("server");
        let fast_https = start(Some(Leaf::Valid), true, Delays::default())
            .await
            .expect("server");
        let slow = Delays {
            ttfb: SLOW_TTFB,
            ..Delays::default()
        };
        let slow_https = start(Some(Leaf::Valid), true, slow).await.expect("server");
        let delayed_http = start(None, false, delayed).await.expect("server");
        let delayed_h1 = start(Some(Leaf::Valid), false, delayed)
            .await
            .expect("server");
        let delayed_h2 = start(Some(Leaf::Valid), true, delayed)
            .await
            .expect("server");
        let plain_h1 = start(Some(Leaf::Valid), false, Delays::default())
            .await
            .expect("server");
        let names = HashMap::from([(
            APP_HOST.to_owned(),
            DnsAnswer::Addrs(vec![IpAddr::from([127, 0, 0, 1])]),
        )]);
        let dns = TestDns::start(names.clone(), INJECTED).await.expect("dns");
        let fast_dns = TestDns::start(names, Duration::ZERO).await.expect("dns");
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "pid={}", std::process::id());
        let _ = writeln!(out, "http={}", fast_http.url("/"));
        let _ = writeln!(out, "https={}", fast_https.url("/"));
        let _ = writeln!(out, "slow_https={}", slow_https.url("/"));
        let _ = writeln!(
            out,
            "delayed_http={}",
            delayed_http.url_for_host(APP_HOST, "/")
        );
        let _ = writeln!(out, "delayed_h1={}", delayed_h1.url_for_host(APP_HOST, "/"));
        let _ = writeln!(out, "delayed_h2={}", delayed_h2.url_for_host(APP_HOST, "/"));
        let _ = writeln!(
            out,
            "baseline_http={}",
            fast_http.url_for_host(APP_HOST, "/")
        );
        let _ = writeln!(out, "baseline_h1={}", plain_h1.url_for_host(APP_HOST, "/"));
        let _ = writeln!(
            out,
            "baseline_h2={}",
            fast_https.url_for_host(APP_HOST, "/")
        );
        let _ = writeln!(out, "dns={}", dns.addr());
        let _ = writeln!(out, "fast_dns={}", fast_dns.addr());
        let _ = write!(out, "{}", pki.ca_pem());
        let _ = writeln!(out, "end");
        let _ = out.flush();
        drop(out);
        // Serve until the benchmark closes our stdin.
        let _ = tokio::task::spawn_blocking(|| {
            let mut sink = String::new();
            while std::io::stdin().read_line(&mut sink).is_ok_and(|n| n > 0) {}
        })
        .await;
    });
}

/// The child server process and what it printed.
struct Servers {
    child: Child,
    urls: HashMap<String, String>,
    ca_pem: String,
}

impl Servers {
    fn spawn() -> Self {
        let exe = std::env::current_exe().expect("own path");
        let mut child = Command::new(exe)
            .env(SERVER_ENV, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the server process");
        let stdout = child.stdout.take().expect("server stdout");
        let mut urls = HashMap::new();
        let mut ca_pem = String::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("server output");
            if line == "end" {
                break;
            }
            match line.split_once('=') {
                Some((key, value)) if !line.starts_with("-----") && ca_pem.is_empty() => {
                    urls.insert(key.to_owned(), value.to_owned());
                }
                _ => {
                    ca_pem.push_str(&line);
                    ca_pem.push('\n');
                }
            }
        }
        Self {
            child,
            urls,
            ca_pem,
        }
    }

    fn url(&self, name: &str) -> &str {
        &self.urls[name]
    }

    fn pid(&self) -> u32 {
        self.urls["pid"].parse().expect("server pid")
    }

    /// A prober trusting the test CA; `dns` names the responder key (`dns`, `fast_dns`).
    fn prober(&self, dns: Option<&str>) -> Prober {
        let ca_file =
            std::env::temp_dir().join(format!("pulsar-bench-ca-{}.pem", std::process::id()));
        std::fs::write(&ca_file, &self.ca_pem).expect("write the CA file");
        let mut builder = Prober::builder().extra_ca_file(Some(&ca_file));
        if let Some(dns) = dns {
            builder = builder.dns_server(Some(self.url(dns).parse().expect("dns addr")));
        }
        let prober = builder.build().expect("prober");
        let _ = std::fs::remove_file(ca_file);
        prober
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

// ---- load ----

/// Runs `total` checks of `url` with `concurrency` in flight; returns the wall time and
/// how many failed.
async fn run_checks(prober: &Prober, url: &str, total: u64, concurrency: usize) -> (Duration, u64) {
    let spec = Arc::new(spec(url, Duration::from_secs(10)));
    let next = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (prober, spec, next, failed) =
            (prober.clone(), spec.clone(), next.clone(), failed.clone());
        workers.spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < total {
                if prober.check(&spec).await.failure.is_some() {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    while workers.join_next().await.is_some() {}
    (start.elapsed(), failed.load(Ordering::Relaxed))
}

fn spec(url: &str, timeout: Duration) -> CheckSpec {
    let mut spec = CheckSpec::get(url);
    spec.timeout = timeout;
    spec
}

fn throughput_benches(c: &mut Criterion, runtime: &Runtime, servers: &Servers) {
    let prober = servers.prober(None);
    let mut group = c.benchmark_group("probe_fresh_connection");
    group.throughput(Throughput::Elements(1));
    for scheme in ["http", "https"] {
        for concurrency in [1, 64] {
            let url = servers.url(scheme).to_owned();
            group.bench_function(format!("{scheme}/c{concurrency}"), |b| {
                b.iter_custom(|iters| {
                    let (took, failed) =
                        runtime.block_on(run_checks(&prober, &url, iters, concurrency));
                    assert_eq!(failed, 0, "checks failed during the benchmark");
                    took
                });
            });
        }
    }
    group.finish();
}

// ---- figures ----

/// CPU time (user + system) of a process so far, from /proc (Linux, USER_HZ = 100).
fn cpu_time(pid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<u64> = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse().ok())
        .collect();
    Duration::from_millis(fields.iter().sum::<u64>() * 10)
}

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn figures(runtime: &Runtime, servers: &Servers) {
    println!(
        "== pulsar-probe figures (client in this process, servers in pid {}) ==",
        servers.pid()
    );
    let prober = servers.prober(None);
    // Warm up: lazy statics, the first handshakes, the allocator.
    runtime.block_on(run_checks(&prober, servers.url("https"), 200, 8));

    println!(
        "\n{:<8}{:>6}{:>10}{:>12}{:>16}{:>16}",
        "scheme", "conc", "checks", "checks/s", "client CPU/chk", "server CPU/chk"
    );
    let server_pid = servers.pid().to_string();
    for scheme in ["http", "https"] {
        for (concurrency, total) in [(1usize, 1_000u64), (64, 10_000)] {
            let (client0, server0) = (cpu_time("self"), cpu_time(&server_pid));
            let (took, failed) =
                runtime.block_on(run_checks(&prober, servers.url(scheme), total, concurrency));
            let client = cpu_time("self").saturating_sub(client0);
            let server = cpu_time(&server_pid).saturating_sub(server0);
            let per = |d: Duration| format!("{:.0} µs", d.as_secs_f64() * 1e6 / total as f64);
            println!(
                "{scheme:<8}{concurrency:>6}{total:>10}{:>12.0}{:>16}{:>16}{}",
                total as f64 / took.as_secs_f64(),
                per(client),
                per(server),
                if failed > 0 {
                    format!("  ({failed} failed)")
                } else {
                    String::new()
                },
            );
        }
    }

    let in_flight = memory_per_in_flight_check(runtime, &prober, servers.url("slow_https"));
    println!(
        "\nmemory per in-flight HTTPS check (HTTP/2, waiting for the head, {IN_FLIGHT} at once): {:.1} KiB",
        in_flight / 1024.0
    );

    let delayed = servers.prober(Some("dns"));
    let baseline = servers.prober(Some("fast_dns"));
    println!(
        "\nphase accuracy: {} ms injected into dns, tls, ttfb and download (30 checks each)",
        INJECTED.as_millis()
    );
    println!("error = measured - injected; baseline = the same phase with nothing injected (ms)");
    println!(
        "{:<10}{:<10}{:>9}{:>9}{:>9}{:>14}{:>16}",
        "server", "phase", "min", "p50", "max", "baseline p50", "p50 - baseline"
    );
    for name in ["http", "h1", "h2"] {
        let errors = phase_errors(
            runtime,
            &delayed,
            servers.url(&format!("delayed_{name}")),
            INJECTED,
        );
        let base = phase_errors(
            runtime,
            &baseline,
            servers.url(&format!("baseline_{name}")),
            Duration::ZERO,
        );
        for (phase, values) in errors {
            let base_p50 = base
                .iter()
                .find(|(p, _)| *p == phase)
                .map_or(0.0, |(_, v)| v[v.len() / 2]);
            let p50 = values[values.len() / 2];
            println!(
                "{name:<10}{phase:<10}{:>9.3}{p50:>9.3}{:>9.3}{base_p50:>14.3}{:>16.3}",
                values[0],
                values[values.len() - 1],
                p50 - base_p50,
            );
        }
    }
    println!();
}

/// Starts `IN_FLIGHT` checks against a server that holds every response head, samples the
/// resident memory while they all wait, and divides the growth by their number.
fn memory_per_in_flight_check(runtime: &Runtime, prober: &Prober, url: &str) -> f64 {
    runtime.block_on(async {
        let before = rss_bytes();
        let spec = Arc::new(spec(url, SLOW_TTFB * 2));
        let mut checks = tokio::task::JoinSet::new();
        for _ in 0..IN_FLIGHT {
            let (prober, spec) = (prober.clone(), spec.clone());
            checks.spawn(async move { prober.check(&spec).await });
        }
        let mut peak = before;
        let sampling_end = tokio::time::Instant::now() + SLOW_TTFB - Duration::from_millis(300);
        while tokio::time::Instant::now() < sampling_end {
            tokio::time::sleep(Duration::from_millis(50)).await;
            peak = peak.max(rss_bytes());
        }
        let mut failed = 0;
        while let Some(report) = checks.join_next().await {
            if report.map_or(true, |r| r.failure.is_some()) {
                failed += 1;
            }
        }
        assert_eq!(failed, 0, "in-flight checks failed");
        peak.saturating_sub(before) as f64 / IN_FLIGHT as f64
    })
}

/// Per phase, the sorted errors (measured - injected, in ms) of 30 checks of `url`.
fn phase_errors(
    runtime: &Runtime,
    prober: &Prober,
    url: &str,
    injected: Duration,
) -> Vec<(&'static str, Vec<f64>)> {
    const RUNS: usize = 30;
    let spec = spec(url, Duration::from_secs(5));
    let mut errors: Vec<(&'static str, Vec<f64>)> = ["dns", "tls", "ttfb", "download"]
        .into_iter()
        .map(|p| (p, Vec::new()))
        .collect();
    runtime.block_on(async {
        let _ = prober.check(&spec).await;
        for _ in 0..RUNS {
            let report = prober.check(&spec).await;
            assert!(report.failure.is_none(), "{report:?}");
            let p = report.phases;
            for (i, measured) in [p.dns, p.tls, p.ttfb, p.download].into_iter().enumerate() {
                if let Some(measured) = measured {
                    let error = (measured.as_secs_f64() - injected.as_secs_f64()) * 1e3;
                    errors[i].1.push(error);
                }
            }
        }
    });
    errors.retain(|(_, values)| !values.is_empty());
    for (_, values) in &mut errors {
        values.sort_by(f64::total_cmp);
    }
    errors
}
