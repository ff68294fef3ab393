#![allow(missing_docs, clippy::all)]
use std::sync::Arc;
use std::time::{Duration, Instant};
use pulsar_core::{BucketSize, CheckResult, Monitor, MonitorId, Outcome, Phases, Rollup, from_unix_ms, unix_ms};
use pulsar_store::{PgOptions, PgStore, SqliteStore, Store};
const MONITORS: usize = 1_000;
const NOW_MS: i64 = 1_793_622_615_000;
const DAY_MS: i64 = 86_400_000;
async fn create_monitors(store: &dyn Store, prefix: &str) -> Vec<MonitorId> {
    let mut ids = Vec::with_capacity(MONITORS);
    for i in 0..MONITORS {
        let monitor = Monitor::new(
            format!("{prefix}-{i:04}"),
            format!("https://m{i}.example.com/"),
        );
        let created = store
            .create_monitor(&monitor, from_unix_ms(NOW_MS))
            .await
            .expect("create monitor");
        ids.push(created.id);
    }
    ids
}

/// A plausible check: each monitor has its own typical phase times (hashed from its id);
/// a check scatters around them log-normally (σ ≈ 0.3), 1 % of checks are 5× slower, and
/// about 1 % are down.
fn synthetic_result(monitor_id: MonitorId, slot_ms: i64, seed: u64) -> CheckResult {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut unit = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % 1_000_000) as f64 / 1_000_000.0
    };
    let id = monitor_id.0.as_u128();
    let typical = |shift: u32, lo: f64, hi: f64| {
        let u = ((id >> shift) & 0xffff) as f64 / 65_536.0;
        lo * (hi / lo).powf(u)
    };
    let slow = if unit() < 0.01 { 5.0 } else { 1.0 };
    let mut phase = |typical_us: f64| {
        // Sum of three uniforms: close enough to a normal for test data.
        let z = (unit() + unit() + unit() - 1.5) * 2.0;
        Some(Duration::from_micros((typical_us * (0.3 * z).exp() * slow) as u64))
    };
    let mut phases = Phases {
        dns: phase(typical(0, 500.0, 20_000.0)),
        connect: phase(typical(16, 1_000.0, 40_000.0)),
        tls: phase(typical(32, 3_000.0, 90_000.0)),
        ttfb: phase(typical(48, 10_000.0, 600_000.0)),
        download: phase(typical(64, 100.0, 50_000.0)),
        total: None,
    };
    phases.total = Some(
        phases
            .named()
            .iter()
            .filter_map(|(_, d)| *d)
            .sum::<Duration>(),
    );
    let outcome = if seed % 97 == 0 {
        Outcome::Down
    } else {
        Outcome::Up
    };
    CheckResult {
        monitor_id,
        slot: from_unix_ms(slot_ms),
        started_at: from_unix_ms(slot_ms + 5),
        worker: "bench-worker".into(),
        region: "eu-west".into(),
        outcome,
        failure: None,
        message: String::new(),
        status: Some(200),
        http_version: Some("HTTP/2".into()),
        remote_addr: Some("127.0.0.1:443".parse().expect("address")),
        phases,
        hops: Vec::new(),
        body_bytes: 4_096,
        tls: None,
    }
}

/// Rollups as a month of one check per minute would leave them: day and hour rows for 31
/// days, and minute rows for the hours at both edges of the 30-day window. Each row merges
/// the synthetic checks of its bucket (60 per hour, 1,440 per day), so histograms have the
/// size real ones have. Minute rows in between would sit in other key ranges and are never
/// read by a 30-day summary, so they are left out.
fn seed_rollups(ids: &[MonitorId]) -> Vec<Rollup> {
    let mut rows = Vec::new();
    let month_ago = NOW_MS - 30 * DAY_MS;
    for id in ids {
        let check = |slot_ms: i64| synthetic_result(*id, slot_ms, slot_ms as u64 ^ id.0.as_u128() as u64);
        let mut day: Option<Rollup> = None;
        let mut hour_start = BucketSize::Day.floor_ms(month_ago - DAY_MS);
        while hour_start < NOW_MS {
            let mut hour = Rollup::empty(*id, BucketSize::Hour, from_unix_ms(hour_start));
            let day_start = BucketSize::Day.floor_ms(hour_start);
            if day.as_ref().is_none_or(|d| unix_ms(d.start) != day_start) {
                rows.extend(day.take());
                day = Some(Rollup::empty(*id, BucketSize::Day, from_unix_ms(day_start)));
            }
            for minute in 0..60 {
                let slot_ms = hour_start + minute * 60_000;
                if slot_ms > NOW_MS {
                    break;
                }
                let result = check(slot_ms);
                hour.record(&result);
                let edge = (month_ago - 3_600_000..month_ago + 3_600_000).contains(&slot_ms)
                    || slot_ms >= NOW_MS - 3_600_000;
                if edge {
                    let mut one = Rollup::empty(*id, BucketSize::Minute, from_unix_ms(slot_ms));
                    one.record(&result);
                    rows.push(one);
                }
            }
            if let Some(day) = day.as_mut() {
                day.merge(&hour);
            }
            rows.push(hour);
            hour_start += 3_600_000;
        }
        rows.extend(day);
    }
    rows
}

/// Creates the same monitors in every store and imports the same rollups into each, so the
/// summaries compare the backends on identical data.
async fn seed(sqlite: &SqliteStore, postgres: Option<&PgStore>) -> Vec<MonitorId> {
    let started = Instant::now();
    let ids = create_monitors(sqlite, "summary").await;
    if let Some(pg) = postgres {
        for (i, id) in ids.iter().enumerate() {
            let mut monitor = Monitor::new(format!("summary-{i:04}"), "https://example.com/");
            monitor.id = *id;
            pg.create_monitor(&monitor, from_unix_ms(NOW_MS)).await.expect("create monitor");
        }
    }
    let mut rows = 0;
    // A few monitors at a time: a month of rollups for all of them would not fit in memory.
    for chunk in ids.chunks(20) {
        let rollups = seed_rollups(chunk);
        rows += rollups.len();
        sqlite.import_rollups(&rollups).await.expect("import");
        if let Some(pg) = postgres {
            pg.import_rollups(&rollups).await.expect("import");
        }
    }
    println!(
        "seeded {rows} rollup rows per backend in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    ids
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = "/tmp/scratch.db";
    let fresh = !std::path::Path::new(path).exists();
    let sqlite = SqliteStore::open(path).await?;
    let pg = PgStore::connect_with(PgOptions::new("postgres://postgres@127.0.0.1:5432/test").schema("scratch")).await?;
    let ids: Vec<MonitorId> = if fresh {
        seed(&sqlite, Some(&pg)).await
    } else {
        let rows: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT id FROM monitors ORDER BY name").fetch_all(sqlite.pool()).await?;
        rows.into_iter().map(MonitorId).collect()
    };
    let mode = std::env::args().nth(1).unwrap_or_default();
    if mode == "plan" {
        let sql = std::env::args().nth(2).unwrap();
        let rows: Vec<(i64,i64,i64,String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}"))).fetch_all(sqlite.pool()).await?;
        for r in rows { println!("{r:?}"); }
        return Ok(());
    }
    let stores: Vec<(&str, Arc<dyn Store>)> = vec![("sqlite", Arc::new(sqlite.clone())), ("postgres", Arc::new(pg.clone()))];
    for (name, store) in &stores {
        for _ in 0..3 {
            let t = Instant::now();
            let s = store.summaries(&ids, Duration::from_secs(30*86400), from_unix_ms(NOW_MS)).await?;
            println!("{name} summary {:?} checks {}", t.elapsed(), s.iter().map(|s| s.checks()).sum::<u64>());
        }
    }
    Ok(())
}
