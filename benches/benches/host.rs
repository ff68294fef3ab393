//! pulsar-host benchmarks: CPU time and allocations of one full host sample on this machine,
//! with and without 1,000 extra (parked) threads, against counting thread states with
//! `ps -eLo stat` in the same run.
//!
//! ```text
//! cargo bench -p pulsar-benches --bench host
//! ```
//!
//! The figures table comes first: CPU time is this thread's own (CLOCK_THREAD_CPUTIME_ID,
//! kernel time of the /proc reads included), allocations come from a counting global
//! allocator; for `ps`, CPU time is the reaped children's user + system time. A second
//! baseline is sysinfo's full process refresh (threads included). Then criterion measures
//! wall time per sample and per `ps` run.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use criterion::Criterion;
use pulsar_host::HostCollector;

/// Extra threads for the "with 1,000 threads" figures.
const EXTRA_THREADS: usize = 1000;
/// The issue's budget for one full sample with 1,000 extra threads.
const TARGET_CPU: Duration = Duration::from_millis(5);
const SAMPLES: u32 = 200;
const PS_RUNS: u32 = 30;
const SYSINFO_REFRESHES: u32 = 30;

// ---------------------------------------------------------------------------------------
// Allocation counting.

struct CountingAllocator;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static ALLOCATED_BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the counters are
// plain atomics and never allocate.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        ALLOCATED_BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        ALLOCATED_BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

fn allocations() -> (u64, u64) {
    (
        ALLOCATIONS.load(Ordering::Relaxed),
        ALLOCATED_BYTES.load(Ordering::Relaxed),
    )
}

// ---------------------------------------------------------------------------------------
// Clocks.

fn thread_cpu() -> Duration {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        u64::try_from(now.tv_sec).unwrap_or(0),
        u32::try_from(now.tv_nsec).unwrap_or(0),
    )
}

/// User + system time of this process's reaped children (`cutime` + `cstime`).
fn children_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    let after_name = &stat[stat.rfind(')').expect("a stat line") + 1..];
    let columns: Vec<&str> = after_name.split_whitespace().collect();
    // Columns 16 and 17 of proc(5); index 0 here is column 3.
    let ticks: u64 =
        columns[13].parse::<u64>().unwrap_or(0) + columns[14].parse::<u64>().unwrap_or(0);
    let per_second = rustix::param::clock_ticks_per_second().max(1);
    Duration::from_nanos(ticks * 1_000_000_000 / per_second)
}

// ---------------------------------------------------------------------------------------
// The situations measured.

/// Threads that do nothing but stay alive until dropped.
struct ParkedThreads {
    stop: Arc<AtomicBool>,
    handles: Vec<JoinHandle<()>>,
}

impl ParkedThreads {
    fn spawn(count: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let handles = (0..count)
            .map(|_| {
                let stop = Arc::clone(&stop);
                std::thread::Builder::new()
                    .stack_size(64 * 1024)
                    .spawn(move || {
                        while !stop.load(Ordering::Relaxed) {
                            std::thread::park();
                        }
                    })
                    .expect("a parked thread")
            })
            .collect();
        Self { stop, handles }
    }
}

impl Drop for ParkedThreads {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for handle in self.handles.drain(..) {
            handle.thread().unpark();
            let _ = handle.join();
        }
    }
}

fn ps_thread_states() -> usize {
    let output = Command::new("ps")
        .args(["-eLo", "stat"])
        .output()
        .expect("ps -eLo stat");
    // One line per thread after the header: count by state the way a script would.
    let text = String::from_utf8_lossy(&output.stdout);
    let mut by_state = [0usize; 128];
    for line in text.lines().skip(1) {
        if let Some(letter) = line.bytes().next() {
            by_state[usize::from(letter & 0x7f)] += 1;
        }
    }
    by_state.iter().sum()
}

/// The kernel's part alone: open, read and close every thread's `stat` of this process in
/// a bare loop, with no parsing and no bookkeeping. CPU time per thread.
fn bare_stat_read_per_thread() -> Duration {
    use std::io::Read;
    let tids: Vec<String> = std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .collect();
    let paths: Vec<String> = tids
        .iter()
        .map(|tid| format!("/proc/self/task/{tid}/stat"))
        .collect();
    let mut buf = [0u8; 1024];
    let rounds = 20;
    let before = thread_cpu();
    for _ in 0..rounds {
        for path in &paths {
            if let Ok(mut file) = std::fs::File::open(path) {
                black_box(file.read(&mut buf).ok());
            }
        }
    }
    (thread_cpu() - before) / (rounds * u32::try_from(paths.len()).unwrap_or(u32::MAX).max(1))
}

/// Thread states counted the sysinfo way: a full process refresh (threads included), then
/// each task's status.
fn sysinfo_thread_states(system: &mut sysinfo::System) -> usize {
    system.refresh_processes(sysinfo::ProcessesToUpdate::All, true);
    let mut by_state = std::collections::HashMap::new();
    for process in system.processes().values() {
        *by_state
            .entry(process.status().to_string())
            .or_insert(0usize) += 1;
    }
    by_state.values().sum()
}

struct Figures {
    label: &'static str,
    cpu_per_sample: Duration,
    allocations_per_sample: f64,
    bytes_per_sample: f64,
    threads_seen: u64,
    ps_cpu_per_run: Duration,
    ps_wall_per_run: Duration,
    ps_threads_seen: usize,
    sysinfo_cpu_per_refresh: Duration,
    bare_stat_read_per_thread: Duration,
}

fn measure(label: &'static str) -> Figures {
    let mut collector = HostCollector::default();
    // Warm up: the first samples size the buffers and read what is cached for good.
    for _ in 0..3 {
        black_box(collector.collect());
    }
    let (allocs_before, bytes_before) = allocations();
    let cpu_before = thread_cpu();
    let mut threads_seen = 0;
    for _ in 0..SAMPLES {
        let snapshot = collector.collect();
        threads_seen = snapshot
            .tasks
            .as_ref()
            .and_then(|t| t.threads)
            .map_or(0, |t| t.total);
        black_box(snapshot);
    }
    let cpu = thread_cpu() - cpu_before;
    let (allocs_after, bytes_after) = allocations();

    let ps_cpu_before = children_cpu();
    let ps_started = Instant::now();
    let mut ps_threads_seen = 0;
    for _ in 0..PS_RUNS {
        ps_threads_seen = ps_thread_states();
    }
    let ps_wall = ps_started.elapsed() / PS_RUNS;
    let ps_cpu = (children_cpu() - ps_cpu_before) / PS_RUNS;

    // sysinfo refreshes on a thread pool of its own when it has one; built without its
    // `multithread` feature (as here) it works on this thread, so this clock sees it all.
    let mut system = sysinfo::System::new().expect("sysinfo on this platform");
    for _ in 0..3 {
        black_box(sysinfo_thread_states(&mut system));
    }
    let sysinfo_before = thread_cpu();
    for _ in 0..SYSINFO_REFRESHES {
        black_box(sysinfo_thread_states(&mut system));
    }
    let sysinfo_cpu = (thread_cpu() - sysinfo_before) / SYSINFO_REFRESHES;

    Figures {
        label,
        cpu_per_sample: cpu / SAMPLES,
        allocations_per_sample: (allocs_after - allocs_before) as f64 / f64::from(SAMPLES),
        bytes_per_sample: (bytes_after - bytes_before) as f64 / f64::from(SAMPLES),
        threads_seen,
        ps_cpu_per_run: ps_cpu,
        ps_wall_per_run: ps_wall,
        ps_threads_seen,
        sysinfo_cpu_per_refresh: sysinfo_cpu,
        bare_stat_read_per_thread: bare_stat_read_per_thread(),
    }
}

fn ms(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1000.0)
}

fn ratio(baseline: Duration, ours: Duration) -> String {
    format!(
        "{:.1}x",
        baseline.as_secs_f64() / ours.as_secs_f64().max(1e-9)
    )
}

fn print_figures(rows: &[Figures]) {
    println!();
    for row in rows {
        println!(
            "{}: pulsar-host sees {} threads, ps sees {}",
            row.label, row.threads_seen, row.ps_threads_seen
        );
        println!(
            "  pulsar-host full sample     {:>10} CPU  {:>5.0} allocations ({:.0} bytes) per sample",
            ms(row.cpu_per_sample),
            row.allocations_per_sample,
            row.bytes_per_sample
        );
        println!(
            "  ps -eLo stat                {:>10} CPU  {:>10} wall  {:>6} our CPU",
            ms(row.ps_cpu_per_run),
            ms(row.ps_wall_per_run),
            ratio(row.ps_cpu_per_run, row.cpu_per_sample)
        );
        println!(
            "  sysinfo refresh_processes   {:>10} CPU  {:>24} our CPU",
            ms(row.sysinfo_cpu_per_refresh),
            ratio(row.sysinfo_cpu_per_refresh, row.cpu_per_sample)
        );
    }
    if let [idle, loaded] = rows {
        let extra_threads = loaded.threads_seen.saturating_sub(idle.threads_seen).max(1);
        let per_thread = loaded.cpu_per_sample.saturating_sub(idle.cpu_per_sample)
            / u32::try_from(extra_threads).unwrap_or(u32::MAX);
        println!(
            "per extra thread: pulsar-host {:.2} µs; the kernel's open + read + close of its stat \
             alone {:.2} µs",
            per_thread.as_secs_f64() * 1e6,
            loaded.bare_stat_read_per_thread.as_secs_f64() * 1e6
        );
        let verdict = if loaded.cpu_per_sample <= TARGET_CPU {
            "met"
        } else {
            "MISSED"
        };
        println!(
            "target: at most {} CPU per full sample with {EXTRA_THREADS} extra threads: {verdict} \
             ({}; one sample a second costs {:.2}% of a core)\n",
            ms(TARGET_CPU),
            ms(loaded.cpu_per_sample),
            loaded.cpu_per_sample.as_secs_f64() * 100.0
        );
    }
}

fn criterion_benches(criterion: &mut Criterion, parked: bool) {
    let suffix = if parked { "_1000_threads" } else { "" };
    let mut group = criterion.benchmark_group("host");
    let mut collector = HostCollector::default();
    collector.collect();
    group.bench_function(format!("full_sample{suffix}"), |b| {
        b.iter(|| black_box(collector.collect()));
    });
    group.bench_function(format!("ps_eLo_stat{suffix}"), |b| {
        b.iter(|| black_box(ps_thread_states()));
    });
    group.finish();
}

fn main() {
    // `cargo test --benches` runs this binary with `--test`: a smoke run, no figures.
    let smoke = std::env::args().any(|arg| arg == "--test");
    let mut criterion = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();
    if smoke {
        criterion_benches(&mut criterion, false);
        return;
    }
    let idle = measure("this machine");
    criterion_benches(&mut criterion, false);
    let parked = ParkedThreads::spawn(EXTRA_THREADS);
    let loaded = measure("+1000 parked threads");
    criterion_benches(&mut criterion, true);
    drop(parked);
    print_figures(&[idle, loaded]);
    criterion.final_summary();
}
