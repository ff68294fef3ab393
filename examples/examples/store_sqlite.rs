//! pulsar-store on its own: an embedded SQLite store driven through two simulated hours of a
//! scheduler and its workers, then the dashboard's questions — uptime and p95 per phase,
//! incidents, a history chart.
//!
//! ```text
//! cargo run -p pulsar-examples --example store_sqlite             # in memory
//! cargo run -p pulsar-examples --example store_sqlite -- pulsar.db # or a file (kept)
//! ```
//!
//! Time is simulated: every store call that depends on the clock takes `now`, so two hours
//! pass in a moment.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use pulsar_core::{
    BucketSize, CheckResult, Failure, FailureKind, Monitor, MonitorState, Outcome, Phases,
};
use pulsar_store::{
    IncidentFilter, PageRequest, Retention, SqliteOptions, SqliteStore, Store, TimeRange,
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = match std::env::args().nth(1) {
        Some(path) => SqliteOptions::file(path),
        None => SqliteOptions::in_memory(),
    };
    // The rest of the program only knows the trait, as the server does.
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_with(options).await?);

    let start = SystemTime::now();
    let mut api = Monitor::new("api", "https://api.example.com/health");
    api.interval = Duration::from_secs(30);
    let mut web = Monitor::new("web", "https://www.example.com/");
    web.labels.insert("team".into(), "frontend".into());
    for monitor in [&api, &web] {
        store.create_monitor(monitor, start).await?;
    }

    // A scheduler ticking every 10 s for two hours; workers answer every claimed slot.
    // The web site is down between minutes 40 and 55.
    let mut stored = 0;
    for tick in 0..720u32 {
        let now = start + Duration::from_secs(u64::from(tick) * 10);
        let due = store.claim_due(now, 100).await?;
        let minute = tick / 6;
        let results: Vec<CheckResult> = due
            .iter()
            .map(|d| {
                let down = d.monitor.name == "web" && (40..55).contains(&minute);
                check(&d.monitor, d.slot, down, tick)
            })
            .collect();
        stored += store.insert_results(&results).await?;
        // Redelivery is harmless: the same (monitor, slot) is stored once.
        store.insert_results(&results).await?;
        for result in &results {
            let state = match result.outcome {
                Outcome::Down => MonitorState::Down,
                _ => MonitorState::Up,
            };
            store
                .set_monitor_state(result.monitor_id, state, now, &result.message)
                .await?;
        }
    }
    let end = start + Duration::from_secs(7_200);
    println!("stored {stored} results over two simulated hours\n");

    let ids = [api.id, web.id];
    let summaries = store
        .summaries(&ids, Duration::from_secs(3_600 * 2), end)
        .await?;
    println!(
        "{:<5} {:>7} {:>8}  p95 per phase (ms)",
        "", "checks", "uptime"
    );
    for (summary, name) in summaries.iter().zip(["api", "web"]) {
        let phases: Vec<String> = summary
            .latency
            .iter()
            .map(|l| format!("{} {:.1}", l.phase, l.p95.as_secs_f64() * 1_000.0))
            .collect();
        println!(
            "{name:<5} {:>7} {:>7.2}%  {}",
            summary.checks(),
            summary.uptime_pct.unwrap_or(0.0),
            phases.join(", ")
        );
    }

    println!("\nincidents:");
    let incidents = store
        .list_incidents(&IncidentFilter::default(), &PageRequest::default())
        .await?;
    for incident in &incidents.items {
        let lasted = incident
            .closed_at
            .and_then(|closed| closed.duration_since(incident.opened_at).ok())
            .map_or("open".to_owned(), |d| format!("{} min", d.as_secs() / 60));
        println!("  {:?} for {lasted}: {}", incident.state, incident.cause);
    }

    println!("\nweb, checks per 10 minutes (from minute rollups):");
    let minutes = store
        .list_rollups(web.id, BucketSize::Minute, TimeRange::new(start, end))
        .await?;
    for chunk in minutes.chunks(10) {
        let (up, down): (u64, u64) = chunk
            .iter()
            .fold((0, 0), |(u, d), r| (u + r.stats.up, d + r.stats.down));
        println!("  {}{}", "+".repeat(up as usize), "x".repeat(down as usize));
    }

    let pruned = store.prune(end, &Retention::default()).await?;
    println!("\nprune at the end: {} rows past retention", pruned.total());
    Ok(())
}

/// What a worker would report: a healthy check with plausible phases, or a refused connection.
fn check(monitor: &Monitor, slot: SystemTime, down: bool, tick: u32) -> CheckResult {
    let ms = |v: u64| Some(Duration::from_micros(v * 1_000 + u64::from(tick % 7) * 130));
    let phases = if down {
        Phases {
            dns: ms(2),
            connect: ms(1),
            ..Phases::default()
        }
    } else {
        Phases {
            dns: ms(2),
            connect: ms(8),
            tls: ms(15),
            ttfb: ms(40 + u64::from(tick % 11)),
            download: ms(3),
            total: ms(70 + u64::from(tick % 11)),
        }
    };
    CheckResult {
        monitor_id: monitor.id,
        slot,
        started_at: slot,
        worker: "example".into(),
        region: "local".into(),
        outcome: if down { Outcome::Down } else { Outcome::Up },
        failure: down.then(|| Failure::new(FailureKind::ConnectRefused, "connection refused")),
        message: if down {
            "connection refused".into()
        } else {
            String::new()
        },
        status: (!down).then_some(200),
        http_version: (!down).then(|| "HTTP/1.1".to_owned()),
        remote_addr: None,
        phases,
        hops: Vec::new(),
        body_bytes: if down { 0 } else { 2_048 },
        tls: None,
        manual: false,
        scheduling_delay: None,
        maintenance: false,
    }
}
