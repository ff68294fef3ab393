//! pulsar-store benchmarks: result ingest in batches of 1,000 into SQLite and PostgreSQL
//! (the insert alone, and with the fold that keeps rollups current run after every batch or
//! every 10 batches), each against the raw limit of the same database measured in the same
//! run, the 30-day summary of 1,000 monitors read from a month of rollups, and the
//! overview of those 1,000 monitors (newest result, day's uptime, last 90 checks) against
//! listing the same page.
//!
//! ```text
//! cargo bench -p pulsar-benches --bench store
//! ```
//!
//! PostgreSQL is `PULSAR_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`;
//! a schema of its own, dropped at the end); its rows are skipped when it is unreachable.
//! SQLite is a file in a temporary directory. A figures table with the ratios is printed
//! first, then criterion measures the same paths (`thrpt` = results/s).
//!
//! Raw limits: PostgreSQL `COPY ... FROM STDIN` of the same rows into a table shaped like
//! `check_results` (same primary key, no rollups); SQLite one bare transaction of multi-row
//! INSERTs of the same rows into such a table.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use pulsar_core::{
    BucketSize, CheckResult, Monitor, MonitorId, Outcome, Phases, Rollup, from_unix_ms, unix_ms,
};
use pulsar_store::{
    MonitorFilter, PageRequest, PgOptions, PgStore, SqliteOptions, SqliteStore, Store,
};
use sqlx::{PgPool, QueryBuilder, Sqlite, SqlitePool};

/// Results folded per call when the bench folds by hand (as the store's own task does).
const FOLD_BATCH: usize = 20_000;

const MONITORS: usize = 1_000;
/// Results per insert call: one per monitor, as a scheduler tick of 1,000 monitors yields.
const BATCH: usize = 1_000;
/// Batches timed for the figures table.
const FIGURE_BATCHES: usize = 20;
/// Summaries timed for the figures table.
const FIGURE_SUMMARIES: usize = 10;
/// "Now" of the summary data: 2026-11-02 12:30:15 UTC, mid-hour so both window edges
/// need hour and minute rollups.
const NOW_MS: i64 = 1_793_622_615_000;
const DAY_MS: i64 = 86_400_000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let pg_url = runtime.block_on(reachable_postgres());
    let targets = runtime.block_on(Targets::open(dir.path(), pg_url.as_deref()));

    println!("\n== pulsar-store figures (batches of {BATCH} results, {MONITORS} monitors) ==");
    for ingest in &targets.ingest {
        let raw = runtime.block_on(ingest.rate(FIGURE_BATCHES, Path::Raw));
        for path in [Path::Insert, Path::Folded(1), Path::Folded(10)] {
            let rate = runtime.block_on(ingest.rate(FIGURE_BATCHES, path));
            println!(
                "ingest {:<9} {:<28} {:>9.0} results/s   raw {:>9.0} rows/s   ratio {:.2}",
                ingest.name,
                path.label(),
                rate,
                raw,
                rate / raw
            );
        }
    }
    for summary in &targets.summary {
        let (warm, cold) = runtime.block_on(summary.mean_millis(FIGURE_SUMMARIES));
        println!(
            "summary {:<8} 30 days x {MONITORS} monitors: {warm:.1} ms warm, {cold:.1} ms \
             uncached (target < 100 ms)",
            summary.name
        );
    }
    for summary in &targets.summary {
        let (overview, list) = runtime.block_on(summary.overview_millis(FIGURE_SUMMARIES));
        println!(
            "overview {:<7} {MONITORS} monitors, {RECENT_CHECKS} recent checks each: \
             {overview:.1} ms   list of the same page {list:.1} ms   ratio {:.1} \
             (target <= 50 ms)",
            summary.name,
            overview / list
        );
    }
    println!();

    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    for ingest in &targets.ingest {
        let mut group = criterion.benchmark_group(format!("store/ingest_{}", ingest.name));
        group.throughput(Throughput::Elements(BATCH as u64));
        for (name, path) in [
            ("insert", Path::Insert),
            ("insert_fold_each", Path::Folded(1)),
            ("insert_fold_every_10", Path::Folded(10)),
            ("raw", Path::Raw),
        ] {
            group.bench_function(name, |b| {
                b.to_async(&runtime)
                    .iter_custom(|iters| async move { ingest.time_batches(iters, path).await });
            });
        }
        group.finish();
    }
    let mut group = criterion.benchmark_group("store/summary_30d_1000_monitors");
    for summary in &targets.summary {
        group.bench_function(summary.name, |b| {
            b.to_async(&runtime).iter(|| summary.run());
        });
    }
    group.finish();
    let mut group = criterion.benchmark_group("store/overview_1000_monitors");
    for summary in &targets.summary {
        group.bench_function(summary.name, |b| {
            b.to_async(&runtime).iter(|| summary.overview());
        });
    }
    group.finish();
    criterion.final_summary();
    runtime.block_on(targets.close());
}

/// `PULSAR_BENCH_STORE=ingest` skips seeding a month of rollups for the summary (~2 min).
fn summaries_wanted() -> bool {
    std::env::var("PULSAR_BENCH_STORE").map_or(true, |only| only != "ingest")
}

/// The benchmark folds explicitly, so each measurement says what it includes.
fn manual_fold(options: SqliteOptions) -> SqliteOptions {
    options.fold_interval(None)
}

async fn reachable_postgres() -> Option<String> {
    let url = std::env::var("PULSAR_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    match sqlx::PgPool::connect(&url).await {
        Ok(pool) => {
            pool.close().await;
            Some(url)
        }
        Err(error) => {
            println!("skipped: PostgreSQL at {url} is unreachable ({error})");
            None
        }
    }
}

/// Everything measured, on each reachable backend.
struct Targets {
    ingest: Vec<Ingest>,
    summary: Vec<SummaryTarget>,
    pg_schemas: Vec<(String, String)>,
}

impl Targets {
    async fn open(dir: &std::path::Path, pg_url: Option<&str>) -> Self {
        let mut targets = Self {
            ingest: Vec::new(),
            summary: Vec::new(),
            pg_schemas: Vec::new(),
        };
        let ingest_db =
            SqliteStore::open_with(manual_fold(SqliteOptions::file(dir.join("ingest.db"))))
                .await
                .expect("sqlite");
        let raw_pool = raw_sqlite(&dir.join("ingest.db")).await;
        create_raw_sqlite(&raw_pool).await;
        let raw = Raw::Sqlite(raw_pool);
        targets
            .ingest
            .push(Ingest::new("sqlite", Arc::new(ingest_db), raw).await);
        let summary_db =
            SqliteStore::open_with(manual_fold(SqliteOptions::file(dir.join("summary.db"))))
                .await
                .expect("sqlite");
        // The same file without the summary cache: what a cold read costs.
        let uncached_options = SqliteOptions::file(dir.join("summary.db")).summary_cache_bytes(0);
        let summary_uncached = SqliteStore::open_with(manual_fold(uncached_options))
            .await
            .expect("sqlite");

        if let Some(url) = pg_url {
            let schema = format!("bench_{}", uuid::Uuid::new_v4().simple());
            let options = PgOptions::new(url)
                .schema(&schema)
                .max_connections(4)
                .fold_interval(None);
            let uncached_options = options.clone().summary_cache_bytes(0);
            let store = PgStore::connect_with(options).await.expect("postgres");
            let raw_pool = raw_postgres(url, &schema).await;
            targets.pg_schemas.push((url.to_owned(), schema));
            // The raw limit writes the result columns with the same key, nothing more.
            for sql in [
                "CREATE TABLE bench_raw (LIKE check_results INCLUDING ALL)",
                "ALTER TABLE bench_raw DROP COLUMN seq",
            ] {
                sqlx::query(sql)
                    .execute(&raw_pool)
                    .await
                    .expect("raw table");
            }
            let raw = Raw::Postgres(raw_pool.clone());
            let store = Arc::new(store);
            targets
                .ingest
                .push(Ingest::new("postgres", store.clone(), raw).await);
            if !summaries_wanted() {
                return targets;
            }
            // The ingest monitors live in the same schema; the summary reads its own ids.
            let ids = seed(&summary_db, Some(&store)).await;
            // Production writes rollups time-major (each tick writes every monitor's rows
            // together); the seed writes monitor by monitor. Restore the production layout
            // of the heap, and let ANALYZE see the data, as autovacuum would.
            for sql in [
                "CLUSTER rollups USING rollups_pkey",
                "VACUUM ANALYZE rollups",
                "VACUUM ANALYZE check_results",
            ] {
                sqlx::query(sql).execute(&raw_pool).await.expect("cluster");
            }
            let uncached = PgStore::connect_with(uncached_options)
                .await
                .expect("postgres");
            targets.summary.push(SummaryTarget {
                name: "postgres",
                store,
                uncached: Arc::new(uncached),
                ids: ids.clone(),
            });
            targets.summary.insert(
                0,
                SummaryTarget {
                    name: "sqlite",
                    store: Arc::new(summary_db),
                    uncached: Arc::new(summary_uncached),
                    ids,
                },
            );
        } else if summaries_wanted() {
            let ids = seed(&summary_db, None).await;
            targets.summary.push(SummaryTarget {
                name: "sqlite",
                store: Arc::new(summary_db),
                uncached: Arc::new(summary_uncached),
                ids,
            });
        }
        targets
    }

    async fn close(self) {
        for (url, schema) in &self.pg_schemas {
            if let Ok(pool) = sqlx::PgPool::connect(url).await {
                let sql = format!("DROP SCHEMA {schema} CASCADE");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&pool)
                    .await
                    .ok();
                pool.close().await;
            }
        }
    }
}

/// What an ingest measurement times.
#[derive(Clone, Copy)]
enum Path {
    /// The raw limit: the same rows into a bare table.
    Raw,
    /// `insert_results` alone; the results are folded after the timed part.
    Insert,
    /// `insert_results`, and `fold_rollups` of everything pending after every n batches,
    /// both timed: the sustained rate with rollups kept current.
    Folded(u64),
}

impl Path {
    fn label(self) -> String {
        match self {
            Path::Raw => "raw".into(),
            Path::Insert => "insert (fold not timed)".into(),
            Path::Folded(1) => "insert + fold each batch".into(),
            Path::Folded(n) => format!("insert + fold every {n} batches"),
        }
    }
}

enum Raw {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// An ingest path: the store's `insert_results`, and the raw insert of the same rows.
struct Ingest {
    name: &'static str,
    store: Arc<dyn Store>,
    raw: Raw,
    ids: Vec<MonitorId>,
    next_store_slot: AtomicI64,
    next_raw_slot: AtomicI64,
}

impl Ingest {
    async fn new(name: &'static str, store: Arc<dyn Store>, raw: Raw) -> Self {
        let ids = create_monitors(store.as_ref(), "ingest").await;
        Self {
            name,
            store,
            raw,
            ids,
            next_store_slot: AtomicI64::new(NOW_MS),
            next_raw_slot: AtomicI64::new(NOW_MS),
        }
    }

    /// One scheduler tick's results: every monitor, the next slot.
    fn batch(&self, raw: bool) -> Vec<CheckResult> {
        let counter = if raw {
            &self.next_raw_slot
        } else {
            &self.next_store_slot
        };
        let slot = counter.fetch_add(60_000, Ordering::Relaxed);
        self.ids
            .iter()
            .enumerate()
            .map(|(i, id)| synthetic_result(*id, slot, (slot / 60_000) as u64 * 7919 + i as u64))
            .collect()
    }

    async fn time_batches(&self, batches: u64, path: Path) -> Duration {
        let mut spent = Duration::ZERO;
        for done in 1..=batches {
            let batch = self.batch(matches!(path, Path::Raw));
            let started = Instant::now();
            if let Path::Raw = path {
                self.insert_raw(&batch).await;
            } else {
                let new = self.store.insert_results(&batch).await.expect("insert");
                assert_eq!(new, BATCH as u64);
            }
            if let Path::Folded(every) = path
                && (done % every == 0 || done == batches)
            {
                self.fold_all().await;
            }
            spent += started.elapsed();
        }
        if let Path::Insert = path {
            // Untimed: the next measurement starts with nothing pending.
            self.fold_all().await;
        }
        spent
    }

    async fn fold_all(&self) {
        while self.store.fold_rollups(FOLD_BATCH).await.expect("fold") >= FOLD_BATCH as u64 {}
    }

    async fn rate(&self, batches: usize, path: Path) -> f64 {
        let spent = self.time_batches(batches as u64, path).await;
        (batches * BATCH) as f64 / spent.as_secs_f64()
    }

    async fn insert_raw(&self, batch: &[CheckResult]) {
        match &self.raw {
            Raw::Sqlite(pool) => insert_raw_sqlite(pool, batch).await,
            Raw::Postgres(pool) => copy_raw_postgres(pool, batch).await,
        }
    }
}

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
        Some(Duration::from_micros(
            (typical_us * (0.3 * z).exp() * slow) as u64,
        ))
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
    let outcome = if seed.is_multiple_of(97) {
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
        manual: false,
        scheduling_delay: None,
        maintenance: false,
    }
}

fn us(d: Option<Duration>) -> Option<i64> {
    d.map(|d| d.as_micros() as i64)
}

/// A pool of its own on the store's file, set up as the store's (WAL, `synchronous =
/// NORMAL`, its mapping and page cache): the raw limit writes beside the store, through the
/// same journal.
async fn raw_sqlite(path: &std::path::Path) -> SqlitePool {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5))
        .pragma("mmap_size", (256 * 1024 * 1024).to_string())
        .pragma("cache_size", "-16384");
    SqlitePool::connect_with(options).await.expect("raw sqlite")
}

/// A pool of its own in the store's schema.
async fn raw_postgres(url: &str, schema: &str) -> PgPool {
    let options: sqlx::postgres::PgConnectOptions = url.parse().expect("postgres url");
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect_with(options.options([("search_path", schema)]))
        .await
        .expect("raw postgres")
}

async fn create_raw_sqlite(pool: &SqlitePool) {
    sqlx::query(
        "CREATE TABLE bench_raw (monitor_id BLOB NOT NULL, slot_ms INTEGER NOT NULL, \
         started_at_ms INTEGER NOT NULL, worker TEXT NOT NULL, region TEXT NOT NULL, \
         outcome INTEGER NOT NULL, failure_kind INTEGER NOT NULL, message TEXT NOT NULL, \
         status_code INTEGER, http_version TEXT, remote_addr TEXT, dns_us INTEGER, \
         connect_us INTEGER, tls_us INTEGER, ttfb_us INTEGER, download_us INTEGER, \
         total_us INTEGER, body_bytes INTEGER NOT NULL, detail BLOB NOT NULL, \
         PRIMARY KEY (monitor_id, slot_ms))",
    )
    .execute(pool)
    .await
    .expect("raw table");
}

async fn insert_raw_sqlite(pool: &SqlitePool, batch: &[CheckResult]) {
    let mut tx = pool.begin().await.expect("begin");
    let mut sql = QueryBuilder::<Sqlite>::new(
        "INSERT INTO bench_raw (monitor_id, slot_ms, started_at_ms, worker, region, outcome, \
         failure_kind, message, status_code, http_version, remote_addr, dns_us, connect_us, \
         tls_us, ttfb_us, download_us, total_us, body_bytes, detail) ",
    );
    sql.push_values(batch, |mut row, r| {
        row.push_bind(r.monitor_id.0)
            .push_bind(unix_ms(r.slot))
            .push_bind(unix_ms(r.started_at))
            .push_bind(r.worker.clone())
            .push_bind(r.region.clone())
            .push_bind(1i32)
            .push_bind(0i32)
            .push_bind(r.message.clone())
            .push_bind(r.status.map(i32::from))
            .push_bind(r.http_version.clone())
            .push_bind(r.remote_addr.map(|a| a.to_string()));
        for (_, phase) in r.phases.named() {
            row.push_bind(us(phase));
        }
        row.push_bind(r.body_bytes as i64)
            .push_bind(Vec::<u8>::new());
    });
    sql.build().execute(&mut *tx).await.expect("raw insert");
    tx.commit().await.expect("commit");
}

fn copy_field(out: &mut String, value: Option<String>) {
    match value {
        Some(v) => out.push_str(&v),
        None => out.push_str("\\N"),
    }
}

async fn copy_raw_postgres(pool: &PgPool, batch: &[CheckResult]) {
    let mut text = String::with_capacity(batch.len() * 200);
    for r in batch {
        let fields = [
            Some(r.monitor_id.to_string()),
            Some(unix_ms(r.slot).to_string()),
            Some(unix_ms(r.started_at).to_string()),
            Some(r.worker.clone()),
            Some(r.region.clone()),
            Some("1".into()),
            Some("0".into()),
            Some(r.message.clone()),
            r.status.map(|s| s.to_string()),
            r.http_version.clone(),
            r.remote_addr.map(|a| a.to_string()),
        ];
        for field in fields {
            copy_field(&mut text, field);
            text.push('\t');
        }
        for (_, phase) in r.phases.named() {
            copy_field(&mut text, us(phase).map(|v| v.to_string()));
            text.push('\t');
        }
        text.push_str(&r.body_bytes.to_string());
        text.push_str("\t\\\\x\n");
    }
    let mut conn = pool.acquire().await.expect("connection");
    let mut copy = conn
        .copy_in_raw(
            "COPY bench_raw (monitor_id, slot_ms, started_at_ms, worker, region, outcome, \
             failure_kind, message, status_code, http_version, remote_addr, dns_us, \
             connect_us, tls_us, ttfb_us, download_us, total_us, body_bytes, detail) \
             FROM STDIN",
        )
        .await
        .expect("copy");
    copy.send(text.into_bytes()).await.expect("copy data");
    copy.finish().await.expect("copy finish");
}

/// The 30-day summary of every monitor of a store seeded with a month of rollups.
struct SummaryTarget {
    name: &'static str,
    store: Arc<dyn Store>,
    /// The same database opened with no summary cache: every read is a cold one.
    uncached: Arc<dyn Store>,
    ids: Vec<MonitorId>,
}

impl SummaryTarget {
    async fn run(&self) {
        Self::summarize(&self.store, &self.ids).await;
    }

    async fn summarize(store: &Arc<dyn Store>, ids: &[MonitorId]) {
        let summaries = store
            .summaries(ids, Duration::from_secs(30 * 86_400), from_unix_ms(NOW_MS))
            .await
            .expect("summaries");
        assert_eq!(summaries.len(), MONITORS);
        std::hint::black_box(summaries);
    }

    /// The overview's first page of every summary monitor.
    async fn overview(&self) {
        let overview = self
            .store
            .overview(
                &summary_monitors(),
                &PageRequest::first(MONITORS as u32),
                from_unix_ms(NOW_MS),
            )
            .await
            .expect("overview");
        assert_eq!(overview.monitors.items.len(), MONITORS);
        std::hint::black_box(overview);
    }

    /// Mean milliseconds of the overview (warm), and of listing the same page of monitors:
    /// the baseline, measured in the same run.
    async fn overview_millis(&self, runs: usize) -> (f64, f64) {
        self.overview().await;
        let started = Instant::now();
        for _ in 0..runs {
            self.overview().await;
        }
        let overview = started.elapsed().as_secs_f64() * 1_000.0 / runs as f64;
        let started = Instant::now();
        for _ in 0..runs {
            let page = self
                .store
                .list_monitors(&summary_monitors(), &PageRequest::first(MONITORS as u32))
                .await
                .expect("list");
            std::hint::black_box(page);
        }
        let list = started.elapsed().as_secs_f64() * 1_000.0 / runs as f64;
        let started = Instant::now();
        for _ in 0..runs {
            let latest = self.store.latest_results(&self.ids).await.expect("latest");
            std::hint::black_box(latest);
        }
        let latest = started.elapsed().as_secs_f64() * 1_000.0 / runs as f64;
        let started = Instant::now();
        for _ in 0..runs {
            let day = self
                .store
                .summaries(&self.ids, Duration::from_secs(86_400), from_unix_ms(NOW_MS))
                .await
                .expect("summaries");
            std::hint::black_box(day);
        }
        let day = started.elapsed().as_secs_f64() * 1_000.0 / runs as f64;
        println!(
            "  (for scale: latest results alone {latest:.1} ms, full 24 h summaries {day:.1} ms)"
        );
        (overview, list)
    }

    /// Mean milliseconds of a read with the cache warm, and of one without a cache.
    async fn mean_millis(&self, runs: usize) -> (f64, f64) {
        self.run().await; // warm the cache
        let started = Instant::now();
        for _ in 0..runs {
            self.run().await;
        }
        let warm = started.elapsed().as_secs_f64() * 1_000.0 / runs as f64;
        let started = Instant::now();
        for _ in 0..runs {
            Self::summarize(&self.uncached, &self.ids).await;
        }
        let cold = started.elapsed().as_secs_f64() * 1_000.0 / runs as f64;
        (warm, cold)
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
        let check =
            |slot_ms: i64| synthetic_result(*id, slot_ms, slot_ms as u64 ^ id.0.as_u128() as u64);
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

/// The summary and overview monitors (PostgreSQL's schema also holds the ingest ones).
fn summary_monitors() -> MonitorFilter {
    MonitorFilter::default().text("summary-")
}

/// Raw results per summary monitor, one a minute up to now: more than the overview's strip.
const RECENT_CHECKS: i64 = 120;

/// The last [`RECENT_CHECKS`] minutes of results of every monitor, stored (and folded) in
/// batches of one tick each, as a scheduler writes them.
async fn seed_recent(store: &dyn Store, ids: &[MonitorId]) {
    for k in 0..RECENT_CHECKS {
        let slot_ms = NOW_MS - (RECENT_CHECKS - k) * 60_000;
        let batch: Vec<CheckResult> = ids
            .iter()
            .map(|id| synthetic_result(*id, slot_ms, slot_ms as u64 ^ id.0.as_u128() as u64))
            .collect();
        store.insert_results(&batch).await.expect("insert");
    }
    while store.fold_rollups(FOLD_BATCH).await.expect("fold") >= FOLD_BATCH as u64 {}
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
            pg.create_monitor(&monitor, from_unix_ms(NOW_MS))
                .await
                .expect("create monitor");
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
    seed_recent(sqlite, &ids).await;
    if let Some(pg) = postgres {
        seed_recent(pg, &ids).await;
    }
    println!(
        "seeded {rows} rollup rows and {} results per backend in {:.1} s",
        ids.len() as i64 * RECENT_CHECKS,
        started.elapsed().as_secs_f64()
    );
    ids
}
