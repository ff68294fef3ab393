//! Shared helpers of pulsar-host's tests: a canned procfs/sysfs tree, and helper child
//! processes made by re-running the test binary itself (no other program needed).

#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

use pulsar_host::{HostSnapshot, StateCounts};

// ---------------------------------------------------------------------------------------
// A canned /proc and /sys.

/// A temporary directory laid out like procfs and sysfs, filled by the test.
pub struct FakeHost {
    dir: tempfile::TempDir,
}

impl FakeHost {
    pub fn new() -> Self {
        let host = Self {
            dir: tempfile::tempdir().expect("a temporary directory"),
        };
        std::fs::create_dir_all(host.proc_root().join("self")).expect("proc/self");
        std::fs::create_dir_all(host.sys_root()).expect("sys");
        host
    }

    pub fn proc_root(&self) -> PathBuf {
        self.dir.path().join("proc")
    }

    pub fn sys_root(&self) -> PathBuf {
        self.dir.path().join("sys")
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `content` at `relative` below the fake proc root, creating directories.
    pub fn proc(&self, relative: &str, content: impl AsRef<[u8]>) -> &Self {
        write(&self.proc_root().join(relative), content.as_ref());
        self
    }

    pub fn sys(&self, relative: &str, content: impl AsRef<[u8]>) -> &Self {
        write(&self.sys_root().join(relative), content.as_ref());
        self
    }

    pub fn dir(&self, relative: &str) -> &Self {
        std::fs::create_dir_all(self.root().join(relative)).expect("a directory");
        self
    }

    /// A process with its `stat` line; threads other than the main one are added with
    /// [`FakeHost::thread`].
    pub fn process(&self, pid: u32, stat: &TaskLine) -> &Self {
        self.proc(&format!("{pid}/stat"), stat.render(pid))
    }

    pub fn thread(&self, pid: u32, tid: u32, stat: &TaskLine) -> &Self {
        self.proc(&format!("{pid}/task/{tid}/stat"), stat.render(tid))
    }

    pub fn remove_proc(&self, relative: &str) {
        let path = self.proc_root().join(relative);
        if path.is_dir() {
            std::fs::remove_dir_all(path).expect("remove a directory");
        } else {
            std::fs::remove_file(path).expect("remove a file");
        }
    }
}

fn write(path: &Path, content: &[u8]) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("parent directories");
    }
    std::fs::write(path, content).expect("a canned file");
}

/// The columns of a `stat` line a test cares about; the rest are plausible constants.
#[derive(Debug, Clone)]
pub struct TaskLine {
    pub comm: String,
    pub state: char,
    pub threads: u32,
    pub utime: u64,
    pub stime: u64,
    pub start: u64,
    pub rss_pages: u64,
    pub kernel: bool,
}

impl TaskLine {
    pub fn new(comm: &str, state: char) -> Self {
        Self {
            comm: comm.to_owned(),
            state,
            threads: 1,
            utime: 0,
            stime: 0,
            start: 1000,
            rss_pages: 0,
            kernel: false,
        }
    }

    pub fn threads(mut self, n: u32) -> Self {
        self.threads = n;
        self
    }

    pub fn cpu(mut self, utime: u64, stime: u64) -> Self {
        self.utime = utime;
        self.stime = stime;
        self
    }

    pub fn rss_pages(mut self, pages: u64) -> Self {
        self.rss_pages = pages;
        self
    }

    pub fn start(mut self, ticks: u64) -> Self {
        self.start = ticks;
        self
    }

    pub fn kernel(mut self) -> Self {
        self.kernel = true;
        self
    }

    pub fn render(&self, pid: u32) -> String {
        let flags: u64 = if self.kernel {
            0x0020_8040
        } else {
            0x0040_0100
        };
        let ppid = if self.kernel { 2 } else { 1 };
        format!(
            "{pid} ({}) {} {ppid} {pid} {pid} 0 -1 {flags} 100 0 0 0 {} {} 0 0 20 0 {} 0 {} 104857600 {} 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n",
            self.comm, self.state, self.utime, self.stime, self.threads, self.start, self.rss_pages
        )
    }
}

// ---------------------------------------------------------------------------------------
// Snapshot helpers.

pub fn threads(snapshot: &HostSnapshot) -> StateCounts {
    snapshot
        .tasks
        .as_ref()
        .and_then(|t| t.threads)
        .expect("thread counts in the snapshot")
}

pub fn processes(snapshot: &HostSnapshot) -> StateCounts {
    snapshot
        .tasks
        .as_ref()
        .and_then(|t| t.processes)
        .expect("process counts in the snapshot")
}

pub fn assert_nothing_unavailable(snapshot: &HostSnapshot) {
    assert!(
        snapshot.unavailable.is_empty(),
        "unexpected unavailable sections: {:?}",
        snapshot.unavailable
    );
}

// ---------------------------------------------------------------------------------------
// Helper children: the test binary re-run in a helper mode.

/// The environment variable that turns the `helper_child` test into a helper process.
pub const HELPER_ENV: &str = "PULSAR_HOST_TEST_HELPER";
const READY: &str = "pulsar-host-helper-ready";

/// What a helper child does.
#[derive(Debug, Clone, Copy)]
pub enum Helper {
    /// Starts this many extra threads, then waits for its stdin to close.
    Threads(usize),
    /// Waits for its stdin to close.
    Wait,
    /// Exits at once.
    Exit,
}

/// Runs in the child: the body of each test binary's `helper_child` test. Returns at once
/// (a passing no-op) when the binary runs as a test suite.
pub fn helper_main() {
    let Ok(mode) = std::env::var(HELPER_ENV) else {
        return;
    };
    if mode == "exit" {
        std::process::exit(0);
    }
    if let Some(count) = mode.strip_prefix("threads:") {
        let count: usize = count.parse().expect("a thread count");
        for _ in 0..count {
            std::thread::Builder::new()
                .stack_size(64 * 1024)
                .spawn(|| {
                    loop {
                        std::thread::park();
                    }
                })
                .expect("a helper thread");
        }
    }
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{READY}").expect("stdout");
    stdout.flush().expect("stdout");
    // Block until the parent closes stdin (or dies), then leave without unwinding threads.
    let mut line = String::new();
    while std::io::stdin()
        .read_line(&mut line)
        .map(|n| n > 0)
        .unwrap_or(false)
    {}
    std::process::exit(0);
}

/// A running helper child; killed and reaped on drop, whatever the test's outcome.
pub struct HelperChild {
    pub child: Child,
    stdin: Option<ChildStdin>,
}

impl HelperChild {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills and reaps the child now.
    pub fn kill(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.stdin.take();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for HelperChild {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts a helper child and, unless it exits at once, waits until it is ready.
pub fn spawn_helper(helper: Helper) -> HelperChild {
    let mode = match helper {
        Helper::Threads(n) => format!("threads:{n}"),
        Helper::Wait => "wait".to_owned(),
        Helper::Exit => "exit".to_owned(),
    };
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut child = Command::new(exe)
        .args(["helper_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(HELPER_ENV, mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("a helper child");
    let stdin = child.stdin.take();
    let stdout = child.stdout.take().expect("the helper's stdout");
    let mut helper_child = HelperChild { child, stdin };
    if !matches!(helper, Helper::Exit) {
        // libtest prints "test helper_child ... " on the same line first, hence `contains`.
        // Read on a thread of its own so a helper that never gets ready fails the test
        // instead of hanging it.
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let ready = BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .any(|line| line.contains(READY));
            let _ = ready_tx.send(ready);
        });
        let ready = ready_rx.recv_timeout(std::time::Duration::from_secs(60));
        if ready != Ok(true) {
            helper_child.stop();
            panic!("the helper child never became ready: {ready:?}");
        }
    }
    helper_child
}

/// Polls `sample` until `done` holds or the deadline passes; returns the last snapshot.
pub fn eventually(
    mut sample: impl FnMut() -> HostSnapshot,
    done: impl Fn(&HostSnapshot) -> bool,
) -> HostSnapshot {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let snapshot = sample();
        if done(&snapshot) || std::time::Instant::now() > deadline {
            return snapshot;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
