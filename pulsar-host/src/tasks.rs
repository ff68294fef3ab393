//! Tasks and processes sections: states of every process and thread, limits, top lists.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use pulsar_core::proto::v1::{ProcessInfo, TaskStats};

use crate::config::Config;
use crate::parse::parse_single_u64;
use crate::read::{malformed, read_text};
use crate::users::UserNames;

/// What the tasks and processes sections produce from one walk.
#[derive(Debug, Default)]
pub(crate) struct TaskSections {
    pub(crate) tasks: Option<TaskStats>,
    pub(crate) top_by_cpu: Vec<ProcessInfo>,
    pub(crate) top_by_memory: Vec<ProcessInfo>,
}

/// Per-process CPU time of the previous walk, keyed by pid, with the start time that
/// tells a reused pid apart.
#[derive(Debug, Default)]
struct PreviousTicks {
    by_pid: HashMap<u32, (u64, u64)>,
    valid: bool,
}

#[derive(Debug, Default)]
pub(crate) struct TaskSampler {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    walker: crate::walk::Walker,
    #[cfg(any(target_os = "linux", target_os = "android"))]
    walk: crate::walk::Walk,
    previous: PreviousTicks,
    users: UserNames,
    /// Ranks of `walk.records`, reused.
    order: Vec<usize>,
    /// CPU ticks per second of each of `walk.records` over the interval, reused.
    cpu_ticks_per_sec: Vec<Option<f64>>,
    path: String,
}

impl TaskSampler {
    /// Walks the processes (and threads, when the tasks section is on) once for both sections.
    pub(crate) fn collect(
        &mut self,
        config: &Config,
        buf: &mut Vec<u8>,
        with_tasks: bool,
        with_processes: bool,
        elapsed: Option<Duration>,
    ) -> Result<TaskSections, String> {
        let result = self.collect_inner(config, buf, with_tasks, with_processes, elapsed);
        if result.is_err() {
            self.previous.valid = false;
        }
        result
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn collect_inner(
        &mut self,
        _config: &Config,
        _buf: &mut Vec<u8>,
        _with_tasks: bool,
        _with_processes: bool,
        _elapsed: Option<Duration>,
    ) -> Result<TaskSections, String> {
        Err("process and thread states are read from Linux procfs".to_owned())
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn collect_inner(
        &mut self,
        config: &Config,
        buf: &mut Vec<u8>,
        with_tasks: bool,
        with_processes: bool,
        elapsed: Option<Duration>,
    ) -> Result<TaskSections, String> {
        let root = self.walker.walk(&config.proc_root, with_tasks, &mut self.walk)?;
        let mut sections = TaskSections::default();
        if with_tasks {
            let kernel = config.proc_root.join("sys/kernel");
            sections.tasks = Some(TaskStats {
                processes: Some(self.walk.processes),
                threads: Some(self.walk.threads),
                // Every thread holds a PID of its own.
                pids_in_use: self.walk.threads.total,
                // 0 when unknown: the counts matter more than the limits.
                pid_max: read_limit(&kernel.join("pid_max"), buf).unwrap_or(0),
                threads_max: read_limit(&kernel.join("threads-max"), buf).unwrap_or(0),
            });
        }
        self.rate_processes(elapsed);
        if with_processes && config.top_n > 0 {
            let ticks_per_second = clock_ticks_per_second();
            let page_bytes = page_bytes();
            let mut info = |index: usize| {
                let record = &self.walk.records[index];
                let user = crate::walk::process_uid(
                    rustix::fd::AsFd::as_fd(&root),
                    record.pid,
                    &mut self.path,
                )
                .map(|uid| self.users.name(uid))
                .unwrap_or_default();
                ProcessInfo {
                    pid: record.pid,
                    name: self.walk.name(record).to_owned(),
                    user,
                    state: record.state.into(),
                    cpu_pct: self.cpu_ticks_per_sec[index].map(|ticks_per_sec| {
                        ticks_per_sec * 100.0 / ticks_per_second as f64
                    }),
                    rss_bytes: record.rss_pages.saturating_mul(page_bytes),
                    threads: record.threads,
                    kernel_thread: record.kernel_thread,
                }
            };
            // By CPU over the interval; on a first sample by CPU time since start.
            self.order.clear();
            self.order.extend(0..self.walk.records.len());
            let (records, cpu) = (&self.walk.records, &self.cpu_ticks_per_sec);
            self.order.sort_unstable_by(|&a, &b| {
                let rate = |i: usize| cpu[i].unwrap_or(0.0);
                rate(b)
                    .total_cmp(&rate(a))
                    .then(records[b].cpu_ticks.cmp(&records[a].cpu_ticks))
                    .then(records[a].pid.cmp(&records[b].pid))
            });
            let top: Vec<usize> = self.order.iter().take(config.top_n).copied().collect();
            sections.top_by_cpu = top.into_iter().map(&mut info).collect();
            self.order.sort_unstable_by(|&a, &b| {
                records[b]
                    .rss_pages
                    .cmp(&records[a].rss_pages)
                    .then(records[a].pid.cmp(&records[b].pid))
            });
            let top: Vec<usize> = self.order.iter().take(config.top_n).copied().collect();
            sections.top_by_memory = top.into_iter().map(&mut info).collect();
        }
        Ok(sections)
    }

    /// Fills `cpu_ticks_per_sec` with each process's CPU ticks per second since the previous walk and
    /// remembers this walk's ticks for the next.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn rate_processes(&mut self, elapsed: Option<Duration>) {
        let seconds = elapsed
            .filter(|_| self.previous.valid)
            .map(|e| e.as_secs_f64())
            .filter(|s| *s > 0.0);
        self.cpu_ticks_per_sec.clear();
        for record in &self.walk.records {
            let rate = seconds.map(|seconds| {
                // A process not seen before (or a pid reused since) started within the
                // interval: all of its CPU time was spent in it.
                let before = match self.previous.by_pid.get(&record.pid) {
                    Some(&(start, ticks)) if start == record.start_ticks => ticks,
                    _ => 0,
                };
                record.cpu_ticks.saturating_sub(before) as f64 / seconds
            });
            self.cpu_ticks_per_sec.push(rate);
        }
        self.previous.by_pid.clear();
        for record in &self.walk.records {
            self.previous
                .by_pid
                .insert(record.pid, (record.start_ticks, record.cpu_ticks));
        }
        self.previous.valid = true;
    }
}

fn read_limit(path: &Path, buf: &mut Vec<u8>) -> Result<u64, String> {
    parse_single_u64(&read_text(path, buf)?).map_err(|err| malformed(path, err))
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn clock_ticks_per_second() -> u64 {
    rustix::param::clock_ticks_per_second().max(1)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn page_bytes() -> u64 {
    u64::try_from(rustix::param::page_size()).unwrap_or(4096)
}
