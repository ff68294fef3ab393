//! One pass over every process (and, when asked, every thread) under a procfs root.
//!
//! This is the hot path of a sample: with a thousand threads it opens a thousand files. It
//! lists directories with `getdents` into a reused buffer, opens each `stat` relative to an
//! already open directory, reads it with a single `read` into a reused buffer and never
//! allocates per task.

use std::fmt::Write as _;
use std::mem::MaybeUninit;
use std::ops::Range;
use std::path::Path;

use pulsar_core::proto::v1::{StateCounts, TaskState};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{AtFlags, Mode, OFlags, RawDir};

use crate::parse::{parse_task_stat, parse_task_state, task_state_from_letter};
use crate::read::text_of;

/// Room for a few hundred directory entries per `getdents` call.
const DIR_BUFFER_BYTES: usize = 32 * 1024;
/// A `stat` line is a few hundred bytes; a longer one is read in more calls.
const STAT_BUFFER_BYTES: usize = 1024;

/// What the walk learned about one process.
#[derive(Debug, Clone)]
pub(crate) struct ProcessRecord {
    pub(crate) pid: u32,
    pub(crate) state: TaskState,
    pub(crate) kernel_thread: bool,
    pub(crate) cpu_ticks: u64,
    pub(crate) start_ticks: u64,
    pub(crate) rss_pages: u64,
    pub(crate) threads: u32,
    /// The command name, as a range of [`Walk::names`].
    pub(crate) name: Range<usize>,
}

/// The result of one walk; reused from sample to sample.
#[derive(Debug, Default)]
pub(crate) struct Walk {
    pub(crate) processes: StateCounts,
    pub(crate) threads: StateCounts,
    pub(crate) records: Vec<ProcessRecord>,
    /// Every command name, back to back, so records need no string of their own.
    pub(crate) names: String,
}

impl Walk {
    pub(crate) fn name(&self, record: &ProcessRecord) -> &str {
        self.names.get(record.name.clone()).unwrap_or("")
    }
}

pub(crate) struct Walker {
    proc_entries: Vec<MaybeUninit<u8>>,
    task_entries: Vec<MaybeUninit<u8>>,
    file: Vec<u8>,
    path: String,
}

impl Default for Walker {
    fn default() -> Self {
        Self {
            proc_entries: vec![MaybeUninit::uninit(); DIR_BUFFER_BYTES],
            task_entries: vec![MaybeUninit::uninit(); DIR_BUFFER_BYTES],
            file: vec![0; STAT_BUFFER_BYTES],
            path: String::with_capacity(64),
        }
    }
}

impl std::fmt::Debug for Walker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Walker").finish_non_exhaustive()
    }
}

impl Walker {
    /// Walks `proc_root` into `out`; returns the open root so callers can look up owners.
    /// A process or thread that vanishes mid-walk is skipped without a trace.
    pub(crate) fn walk(
        &mut self,
        proc_root: &Path,
        count_threads: bool,
        out: &mut Walk,
    ) -> Result<OwnedFd, String> {
        out.processes = StateCounts::default();
        out.threads = StateCounts::default();
        out.records.clear();
        out.names.clear();
        let root = open_dir(rustix::fs::CWD, proc_root)
            .map_err(|err| format!("cannot open {}: {err}", proc_root.display()))?;
        let mut entries = RawDir::new(root.as_fd(), &mut self.proc_entries);
        while let Some(Ok(entry)) = entries.next() {
            let Some(pid) = parse_pid(entry.file_name().to_bytes()) else {
                continue;
            };
            let mut task = TaskReader {
                file: &mut self.file,
                path: &mut self.path,
            };
            let Some(record) = task.process(root.as_fd(), pid, out) else {
                continue;
            };
            count(&mut out.processes, record.state);
            if count_threads {
                if record.threads <= 1 {
                    count(&mut out.threads, record.state);
                } else {
                    task.threads(
                        root.as_fd(),
                        &record,
                        &mut self.task_entries,
                        &mut out.threads,
                    );
                }
            }
            out.records.push(record);
        }
        if out.processes.total == 0 {
            return Err(format!(
                "no processes under {}; is procfs mounted there?",
                proc_root.display()
            ));
        }
        Ok(root)
    }
}

/// The buffers one task read needs, borrowed apart from the directory buffers in use.
struct TaskReader<'a> {
    file: &'a mut Vec<u8>,
    path: &'a mut String,
}

impl TaskReader<'_> {
    fn process(&mut self, root: BorrowedFd<'_>, pid: u32, out: &mut Walk) -> Option<ProcessRecord> {
        self.path.clear();
        let _ = write!(self.path, "{pid}/stat");
        let len = read_at(root, self.path, self.file).ok()?;
        let text = text_of(&self.file[..len]);
        let stat = parse_task_stat(&text).ok()?;
        let start = out.names.len();
        out.names.push_str(stat.comm);
        Some(ProcessRecord {
            pid,
            state: task_state_from_letter(stat.state),
            kernel_thread: stat.kernel_thread,
            cpu_ticks: stat.cpu_ticks,
            start_ticks: stat.start_ticks,
            rss_pages: stat.rss_pages,
            threads: stat.num_threads,
            name: start..out.names.len(),
        })
    }

    /// Counts each thread of a process by the state in its own `task/<tid>/stat`.
    fn threads(
        &mut self,
        root: BorrowedFd<'_>,
        process: &ProcessRecord,
        entries: &mut [MaybeUninit<u8>],
        counts: &mut StateCounts,
    ) {
        self.path.clear();
        let _ = write!(self.path, "{}/task", process.pid);
        let Ok(task_dir) = open_dir(root, self.path.as_str()) else {
            return;
        };
        let mut tids = RawDir::new(task_dir.as_fd(), entries);
        while let Some(Ok(entry)) = tids.next() {
            let Some(tid) = parse_pid(entry.file_name().to_bytes()) else {
                continue;
            };
            if tid == process.pid {
                // The process's own line already is its main thread's.
                count(counts, process.state);
                continue;
            }
            self.path.clear();
            let _ = write!(self.path, "{tid}/stat");
            let Ok(len) = read_at(task_dir.as_fd(), self.path, self.file) else {
                continue;
            };
            if let Ok(letter) = parse_task_state(&text_of(&self.file[..len])) {
                count(counts, task_state_from_letter(letter));
            }
        }
    }
}

/// The owner of a process, from its `/proc/<pid>` directory.
pub(crate) fn process_uid(root: BorrowedFd<'_>, pid: u32, path: &mut String) -> Option<u32> {
    path.clear();
    let _ = write!(path, "{pid}");
    rustix::fs::statat(root, path.as_str(), AtFlags::empty())
        .ok()
        .map(|stat| stat.st_uid)
}

pub(crate) fn count(counts: &mut StateCounts, state: TaskState) {
    counts.total += 1;
    let slot = match state {
        TaskState::Running => &mut counts.running,
        TaskState::Sleeping => &mut counts.sleeping,
        TaskState::DiskSleep => &mut counts.disk_sleep,
        TaskState::Stopped => &mut counts.stopped,
        TaskState::TracingStop => &mut counts.tracing_stop,
        TaskState::Zombie => &mut counts.zombie,
        TaskState::Idle => &mut counts.idle,
        TaskState::Dead => &mut counts.dead,
        TaskState::Unspecified => &mut counts.other,
    };
    *slot += 1;
}

fn parse_pid(name: &[u8]) -> Option<u32> {
    if name.is_empty() || !name.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(name).ok()?.parse().ok()
}

fn open_dir<P: rustix::path::Arg>(at: BorrowedFd<'_>, path: P) -> rustix::io::Result<OwnedFd> {
    rustix::fs::openat(
        at,
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// Reads a whole file relative to `dir` into `buf` (whose length is its capacity for the
/// read) and returns how many bytes it holds.
fn read_at(dir: BorrowedFd<'_>, path: &str, buf: &mut Vec<u8>) -> rustix::io::Result<usize> {
    let file = rustix::fs::openat(dir, path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())?;
    let mut len = 0;
    loop {
        if len == buf.len() {
            buf.resize(buf.len().max(STAT_BUFFER_BYTES) * 2, 0);
        }
        let n = match rustix::io::read(&file, &mut buf[len..]) {
            Err(rustix::io::Errno::INTR) => continue,
            other => other?,
        };
        len += n;
        // procfs hands out a whole record per read: a read that did not fill the buffer
        // reached the end, which saves the extra read that would return 0.
        if n == 0 || len < buf.len() {
            return Ok(len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_all_digit_names_are_pids() {
        assert_eq!(parse_pid(b"1234"), Some(1234));
        assert_eq!(parse_pid(b"self"), None);
        assert_eq!(parse_pid(b""), None);
        assert_eq!(parse_pid(b"12a"), None);
        assert_eq!(parse_pid(b"99999999999"), None);
    }

    #[test]
    fn counting_fills_the_matching_state_and_the_total() {
        let mut counts = StateCounts::default();
        for state in [TaskState::Zombie, TaskState::Zombie, TaskState::Unspecified] {
            count(&mut counts, state);
        }
        assert_eq!((counts.total, counts.zombie, counts.other), (3, 2, 1));
    }

    #[test]
    fn reads_files_longer_than_the_buffer() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("long"), "y".repeat(5000)).unwrap();
        let root = open_dir(rustix::fs::CWD, dir.path()).unwrap();
        let mut buf = vec![0; 16];
        assert_eq!(read_at(root.as_fd(), "long", &mut buf).unwrap(), 5000);
        assert!(read_at(root.as_fd(), "missing", &mut buf).is_err());
    }
}
