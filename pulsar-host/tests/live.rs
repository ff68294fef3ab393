//! This machine's real /proc: the test creates the situation (threads, a zombie, a stopped
//! process, loopback traffic) and checks the snapshot sees it. Other tests and programs run
//! at the same time, so every check is "at least", never an exact total.

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use pulsar_host::{HostCollector, HostSnapshot, ProcessInfo, Section, TaskState};
use rustix::process::{Pid, Signal, kill_process};
use support::{Helper, eventually, processes, spawn_helper, threads};

/// Not a test: the body of the helper children the tests below start (see `support`).
#[test]
fn helper_child() {
    support::helper_main();
}

/// A collector whose top lists hold every process, so a test can find its child.
fn every_process() -> HostCollector {
    HostCollector::builder()
        .sections([Section::Tasks, Section::Processes])
        .top_n(1_000_000)
        .build()
}

fn find(snapshot: &HostSnapshot, pid: u32) -> Option<&ProcessInfo> {
    snapshot.top_by_memory.iter().find(|p| p.pid == pid)
}

const EXTRA_THREADS: usize = 64;

#[test]
fn a_child_with_k_extra_threads_raises_the_thread_total_by_at_least_k() {
    let mut collector = every_process();
    // Others start and end threads meanwhile; a few tries rule out an unlucky overlap.
    let mut rises = Vec::new();
    for _ in 0..3 {
        let child = spawn_helper(Helper::Threads(EXTRA_THREADS));
        let pid = child.pid();
        let with_child = collector.collect();
        let seen = find(&with_child, pid).expect("the child is listed").threads as usize;
        assert!(seen > EXTRA_THREADS, "the child shows {seen} threads");
        child.kill();
        let without_child = collector.collect();
        let rise = threads(&with_child).total as i64 - threads(&without_child).total as i64;
        if rise >= EXTRA_THREADS as i64 {
            return;
        }
        rises.push(rise);
    }
    panic!("the thread total rose by {rises:?}, never by {EXTRA_THREADS}");
}

#[test]
fn a_stopped_child_counts_as_stopped_and_each_of_its_threads_too() {
    let child = spawn_helper(Helper::Threads(EXTRA_THREADS));
    let pid = Pid::from_child(&child.child);
    kill_process(pid, Signal::STOP).expect("SIGSTOP the child");
    let mut collector = every_process();
    // A group stop reaches each thread on its own time, the process's own state (its main
    // thread's) included: wait until the process and all of its threads show it.
    let listed_stopped =
        |s: &_| find(s, child.pid()).is_some_and(|p| p.state() == TaskState::Stopped);
    let snapshot = eventually(
        || collector.collect(),
        |s| listed_stopped(s) && threads(s).stopped as usize > EXTRA_THREADS,
    );
    assert!(processes(&snapshot).stopped >= 1);
    assert!(
        threads(&snapshot).stopped as usize > EXTRA_THREADS,
        "stopped threads: {}",
        threads(&snapshot).stopped
    );
    let listed = find(&snapshot, child.pid()).expect("the child is listed");
    assert_eq!(listed.state(), TaskState::Stopped);
    let _ = kill_process(pid, Signal::KILL);
}

#[test]
fn a_child_that_exited_unwaited_is_a_zombie() {
    let mut child = spawn_helper(Helper::Exit);
    let pid = child.pid();
    let mut collector = every_process();
    let snapshot = eventually(
        || collector.collect(),
        |s| find(s, pid).is_some_and(|p| p.state() == TaskState::Zombie),
    );
    assert!(processes(&snapshot).zombie >= 1);
    assert!(threads(&snapshot).zombie >= 1);
    let listed = find(&snapshot, pid).expect("the zombie is listed");
    assert_eq!(listed.state(), TaskState::Zombie);
    assert_eq!(listed.rss_bytes, 0);
    child.child.wait().expect("reap the zombie");
}

#[test]
fn loopback_rates_cover_the_bytes_sent_between_two_samples() {
    const SENT: usize = 4 * 1024 * 1024;
    let mut collector = HostCollector::builder()
        .sections([Section::Networks])
        .build();
    let first = collector.collect();
    let lo_of = |s: &HostSnapshot| {
        s.networks
            .iter()
            .find(|n| n.loopback)
            .cloned()
            .expect("a loopback interface")
    };
    let before = lo_of(&first);
    assert_eq!(
        before.rx_bytes_per_sec, None,
        "no rate before a second sample"
    );

    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let address = listener.local_addr().expect("address");
    let receiver = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        let mut received = Vec::with_capacity(SENT);
        stream.read_to_end(&mut received).expect("receive");
        received.len()
    });
    let mut sender = TcpStream::connect(address).expect("connect");
    sender.write_all(&vec![0x5a; SENT]).expect("send");
    drop(sender);
    assert_eq!(receiver.join().expect("receiver"), SENT);

    let second = collector.collect();
    let after = lo_of(&second);
    assert!(after.rx_bytes_total - before.rx_bytes_total >= SENT as u64);
    assert!(after.tx_bytes_total - before.tx_bytes_total >= SENT as u64);
    // The rate times the interval covers what was sent (the interval is rounded down to
    // whole milliseconds, hence the one extra).
    let seconds = (second.rate_interval_ms + 1) as f64 / 1000.0;
    for rate in [after.rx_bytes_per_sec, after.tx_bytes_per_sec] {
        let bytes = rate.expect("a rate after two samples") * seconds;
        assert!(bytes >= SENT as f64, "{bytes} bytes over {seconds} s");
    }
    assert!(after.rx_packets_per_sec.unwrap_or(0.0) > 0.0);
}

#[test]
fn sampling_while_processes_come_and_go_never_fails() {
    let mut collector = every_process();
    let churn = std::thread::spawn(|| {
        for _ in 0..30 {
            let mut child = spawn_helper(Helper::Exit);
            let _ = child.child.wait();
        }
    });
    let mut samples = 0;
    while samples < 5 || !churn.is_finished() {
        let snapshot = collector.collect();
        assert!(
            snapshot.unavailable.is_empty(),
            "{:?}",
            snapshot.unavailable
        );
        assert!(threads(&snapshot).total >= processes(&snapshot).total);
        samples += 1;
    }
    churn.join().expect("churn thread");
}

#[test]
fn the_real_host_has_every_section_and_the_second_sample_has_rates() {
    let mut collector = HostCollector::default();
    let first = collector.collect();
    assert!(first.unavailable.is_empty(), "{:?}", first.unavailable);
    let info = first.info.as_ref().expect("info");
    assert!(info.logical_cores >= 1 && info.uptime_seconds > 0);
    assert!(!info.kernel_version.is_empty());
    assert!(first.memory.as_ref().is_some_and(|m| m.total_bytes > 0));
    assert!(
        first
            .filesystems
            .iter()
            .any(|f| f.mount_point == "/" || f.size_bytes > 0)
    );
    assert!(processes(&first).total >= 1);
    assert!(first.top_by_cpu.len() <= pulsar_host::DEFAULT_TOP_N);

    std::thread::sleep(std::time::Duration::from_millis(50));
    let second = collector.collect();
    assert!(second.rate_interval_ms >= 50);
    let cpu = second.cpu.as_ref().expect("cpu");
    assert!(cpu.context_switches_per_sec.is_some() && cpu.interrupts_per_sec.is_some());
    assert!(second.top_by_cpu.iter().all(|p| p.cpu_pct.is_some()));
    // This process is running while it samples: it owns at least one thread in R.
    assert!(threads(&second).running >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_async_helper_samples_off_the_runtime_and_keeps_rates() {
    let mut collector = HostCollector::builder()
        .sections([Section::Cpu, Section::Networks])
        .build();
    let first = collector.collect_async().await.expect("a first sample");
    assert!(first.cpu.and_then(|c| c.total?.busy_pct).is_none());
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let second = collector.collect_async().await.expect("a second sample");
    assert!(second.rate_interval_ms >= 50);
    assert!(second.networks.iter().all(|n| n.rx_bytes_per_sec.is_some()));
    let json = serde_json::to_value(&second).expect("proto3 JSON");
    assert!(
        json["takenAtUnixMs"].is_string(),
        "int64 is a string in proto3 JSON"
    );
}
