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
        let root = self
            .walker
            .walk(&config.proc_root, with_tasks, &mut self.walk)?;
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
        if with_processes {
            self.rate_processes(elapsed);
        }
        if with_processes && config.top_n > 0 {
            let root = rustix::fd::AsFd::as_fd(&root);
            let (records, cpu) = (&self.walk.records, &self.cpu_ticks_per_sec);
            // By CPU over the interval; on a first sample, by CPU time since start.
            let by_cpu = top(&mut self.order, records.len(), config.top_n, |&a, &b| {
                let rate = |i: usize| cpu[i].unwrap_or(0.0);
                rate(b)
                    .total_cmp(&rate(a))
                    .then(records[b].cpu_ticks.cmp(&records[a].cpu_ticks))
                    .then(records[a].pid.cmp(&records[b].pid))
            });
            sections.top_by_cpu = self.describe(root, config, &by_cpu, buf);
            let records = &self.walk.records;
            let by_memory = top(&mut self.order, records.len(), config.top_n, |&a, &b| {
                records[b]
                    .rss_pages
                    .cmp(&records[a].rss_pages)
                    .then(records[a].pid.cmp(&records[b].pid))
            });
            sections.top_by_memory = self.describe(root, config, &by_memory, buf);
        }
        Ok(sections)
    }

    /// The schema's view of the processes at `indices` of the walk, owners included.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn describe(
        &mut self,
        root: rustix::fd::BorrowedFd<'_>,
        config: &Config,
        indices: &[usize],
        buf: &mut Vec<u8>,
    ) -> Vec<ProcessInfo> {
        let ticks_per_second = clock_ticks_per_second() as f64;
        let page_bytes = page_bytes();
        let passwd = config.root_fs.join("etc/passwd");
        indices
            .iter()
            .map(|&index| {
                let record = &self.walk.records[index];
                let user = crate::walk::process_uid(root, record.pid, &mut self.path)
                    .map(|uid| self.users.name(&passwd, uid, buf))
                    .unwrap_or_default();
                ProcessInfo {
                    pid: record.pid,
                    name: self.walk.name(record).to_owned(),
                    user,
                    state: record.state.into(),
                    cpu_pct: self.cpu_ticks_per_sec[index]
                        .map(|ticks_per_sec| ticks_per_sec * 100.0 / ticks_per_second),
                    rss_bytes: record.rss_pages.saturating_mul(page_bytes),
                    threads: record.threads,
                    kernel_thread: record.kernel_thread,
                }
            })
            .collect()
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

/// The first `n` of `0..len` in `order`, reusing its storage: a partial selection, then a
/// sort of just those `n`.
fn top(
    order: &mut Vec<usize>,
    len: usize,
    n: usize,
    mut compare: impl FnMut(&usize, &usize) -> std::cmp::Ordering,
) -> Vec<usize> {
    order.clear();
    order.extend(0..len);
    if n < len {
        order.select_nth_unstable_by(n, &mut compare);
        order.truncate(n);
    }
    order.sort_unstable_by(compare);
    order.clone()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_keeps_the_first_n_in_order() {
        let values = [5, 1, 9, 3, 7, 9];
        let mut order = Vec::new();
        let by_value_desc = |a: &usize, b: &usize| values[*b].cmp(&values[*a]).then(a.cmp(b));
        assert_eq!(top(&mut order, values.len(), 3, by_value_desc), [2, 5, 4]);
        assert_eq!(
            top(&mut order, values.len(), 10, by_value_desc),
            [2, 5, 4, 0, 3, 1]
        );
        assert_eq!(top(&mut order, 0, 3, by_value_desc), Vec::<usize>::new());
    }
}
