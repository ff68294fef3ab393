//! The collector end to end over a canned /proc and /sys: exact counts, exact CPU split,
//! rates over two samples, vanished tasks, unreadable and odd sections.

mod support;

use std::time::Duration;

use pulsar_host::{HostCollector, Section, TaskState};
use support::{FakeHost, TaskLine, assert_nothing_unavailable, processes, threads};

fn proc_stat(user: u64, system: u64, idle: u64, iowait: u64, steal: u64, ctxt: u64) -> String {
    format!(
        "cpu  {user} 0 {system} {idle} {iowait} 0 0 {steal} 0 0\n\
         cpu0 {user} 0 {system} {idle} {iowait} 0 0 {steal} 0 0\n\
         cpu1 0 0 0 0 0 0 0 0 0 0\n\
         intr 5000 1 2 3\nctxt {ctxt}\nbtime 1700000000\nprocesses 900\nprocs_running 1\n"
    )
}

fn net_dev(lo_bytes: u64, eth_bytes: u64) -> String {
    format!(
        "Inter-|   Receive                                                |  Transmit\n \
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    \
         lo: {lo_bytes} 10 0 0 0 0 0 0 {lo_bytes} 10 0 0 0 0 0 0\n  \
         eth0: {eth_bytes} 20 1 2 0 0 0 0 {eth_bytes} 30 3 4 0 0 0 0\n"
    )
}

fn diskstats(vda_sectors: u64) -> String {
    format!(
        "   7       0 loop0 5 0 5 0 5 0 5 0 0 0 0 0 0 0 0 0 0\n \
         254       0 vda 100 0 {vda_sectors} 0 200 0 {vda_sectors} 0 0 0 0 0 0 0 0 0 0\n \
         254       1 vda1 100 0 {vda_sectors} 0 200 0 {vda_sectors} 0 0 0 0 0 0 0 0 0 0\n"
    )
}

/// A small host: every kind of task the issue names, including ones that vanish mid-read.
fn canned_host() -> FakeHost {
    let host = FakeHost::new();
    host.proc("stat", proc_stat(100, 100, 800, 0, 0, 1000))
        .proc("loadavg", "0.50 0.40 0.30 2/10 999\n")
        .proc("uptime", "1000.50 1800.00\n")
        .proc(
            "meminfo",
            "MemTotal: 1000 kB\nMemFree: 200 kB\nMemAvailable: 600 kB\nBuffers: 50 kB\n\
             Cached: 300 kB\nSReclaimable: 20 kB\nSwapTotal: 500 kB\nSwapFree: 400 kB\n",
        )
        .proc("diskstats", diskstats(1000))
        .proc("1/net/dev", net_dev(1000, 5000))
        .proc(
            "self/mountinfo",
            "22 27 0:21 / /proc rw - proc proc rw\n27 1 254:0 / / rw - ext4 /dev/vda rw\n",
        )
        .proc("sys/kernel/pid_max", "4194304\n")
        .proc("sys/kernel/threads-max", "95000\n")
        .sys("class/net/lo/type", "772\n")
        .sys("class/net/eth0/type", "1\n")
        .dir("sys/block/vda")
        .dir("sys/block/loop0");
    host.process(1, &TaskLine::new("systemd", 'S').rss_pages(300))
        .process(2, &TaskLine::new("kthreadd", 'S').kernel())
        .process(
            50,
            &TaskLine::new("kworker/0:1-events", 'I').kernel().cpu(0, 40),
        )
        .process(
            100,
            &TaskLine::new("my (odd) ) name", 'R')
                .threads(3)
                .cpu(200, 100)
                .rss_pages(2000),
        )
        .thread(100, 100, &TaskLine::new("my (odd) ) name", 'R'))
        .thread(100, 101, &TaskLine::new("worker one", 'S'))
        .thread(100, 102, &TaskLine::new("io (writer)", 'D'))
        .process(200, &TaskLine::new("defunct", 'Z'))
        .process(300, &TaskLine::new("stopped job", 'T').rss_pages(10))
        .process(500, &TaskLine::new("racy", 'S').threads(3))
        .thread(500, 500, &TaskLine::new("racy", 'S'))
        .thread(500, 501, &TaskLine::new("racy", 'S'))
        // Vanished mid-read: a thread whose stat is gone, a process whose stat is gone.
        .dir("proc/500/task/502")
        .dir("proc/400");
    host
}

fn collector(host: &FakeHost) -> HostCollector {
    HostCollector::builder()
        .proc_root(host.proc_root())
        .sys_root(host.sys_root())
        .top_n(3)
        .build()
}

#[test]
fn counts_processes_by_state_and_threads_by_their_own_state() {
    let host = canned_host();
    let snapshot = collector(&host).collect();
    assert_nothing_unavailable(&snapshot);

    let processes = processes(&snapshot);
    assert_eq!(
        processes.total, 7,
        "pid 400 vanished and is skipped: {processes:?}"
    );
    assert_eq!(
        (
            processes.running,
            processes.sleeping,
            processes.idle,
            processes.zombie,
            processes.stopped
        ),
        (1, 3, 1, 1, 1)
    );
    assert_eq!(
        processes.disk_sleep, 0,
        "the D thread's process is itself running"
    );

    let threads = threads(&snapshot);
    assert_eq!(
        threads.total, 10,
        "thread 502 vanished and is skipped: {threads:?}"
    );
    assert_eq!(
        (
            threads.running,
            threads.sleeping,
            threads.disk_sleep,
            threads.idle,
            threads.zombie,
            threads.stopped
        ),
        (1, 5, 1, 1, 1, 1)
    );
    let tasks = snapshot.tasks.as_ref().unwrap();
    assert_eq!(tasks.pids_in_use, 10);
    assert_eq!(tasks.pid_max, 4_194_304);
    assert_eq!(tasks.threads_max, 95_000);
}

#[test]
fn top_lists_keep_odd_names_and_mark_kernel_threads() {
    let host = canned_host();
    let snapshot = collector(&host).collect();

    let by_memory = &snapshot.top_by_memory;
    assert_eq!(by_memory.len(), 3);
    assert_eq!(by_memory[0].pid, 100);
    assert_eq!(by_memory[0].name, "my (odd) ) name");
    assert_eq!(by_memory[0].state(), TaskState::Running);
    assert_eq!(by_memory[0].threads, 3);
    let page = by_memory[0].rss_bytes / 2000;
    assert!(page >= 4096, "rss is pages times the page size");
    assert_eq!(by_memory[1].pid, 1);
    // The fake tree belongs to the user running the test.
    assert!(!by_memory[0].user.is_empty());

    // First sample: ranked by CPU time since start, with no rate yet.
    let by_cpu = &snapshot.top_by_cpu;
    assert_eq!(by_cpu[0].pid, 100);
    assert_eq!(by_cpu[1].pid, 50);
    assert!(by_cpu[1].kernel_thread);
    assert!(by_cpu.iter().all(|p| p.cpu_pct.is_none()));
}

#[test]
fn first_sample_has_no_rates_and_second_sample_has_them() {
    let host = canned_host();
    let mut collector = collector(&host);
    let first = collector.collect();
    assert_eq!(first.rate_interval_ms, 0);
    let cpu = first.cpu.as_ref().unwrap();
    assert_eq!(cpu.total.unwrap().busy_pct, None);
    assert_eq!(cpu.context_switches_per_sec, None);
    assert!(first.networks.iter().all(|n| n.rx_bytes_per_sec.is_none()));
    assert!(first.disks.iter().all(|d| d.read_bytes_per_sec.is_none()));

    std::thread::sleep(Duration::from_millis(100));
    // 200 more ticks: user +60, system +20, idle +100, iowait +10, steal +10.
    host.proc("stat", proc_stat(160, 120, 900, 10, 10, 3000))
        .proc("1/net/dev", net_dev(11_000, 5000))
        .proc("diskstats", diskstats(3000))
        .process(
            100,
            &TaskLine::new("my (odd) ) name", 'R')
                .threads(3)
                .cpu(250, 150)
                .rss_pages(2000),
        )
        // A reused pid: CPU time counts from its own start, not from the old process's.
        .process(300, &TaskLine::new("new job", 'S').start(99_000).cpu(7, 3));
    let second = collector.collect();
    assert_nothing_unavailable(&second);
    let seconds = second.rate_interval_ms as f64 / 1000.0;
    assert!(seconds >= 0.1, "real elapsed time: {seconds}");
    let near = |actual: f64, expected: f64| (actual - expected).abs() <= expected * 0.05 + 1e-9;

    let cpu = second.cpu.as_ref().unwrap();
    let total = cpu.total.unwrap();
    assert_eq!(total.user_pct, Some(30.0));
    assert_eq!(total.system_pct, Some(10.0));
    assert_eq!(total.idle_pct, Some(50.0));
    assert_eq!(total.iowait_pct, Some(5.0));
    assert_eq!(total.steal_pct, Some(5.0));
    assert_eq!(total.busy_pct, Some(45.0));
    // cpu1 did not move: its split is unknown, not 0.
    assert_eq!(cpu.cores[1].times.unwrap().busy_pct, None);
    assert_eq!(cpu.cores[0].times.unwrap().user_pct, Some(30.0));
    let ctxt = cpu.context_switches_per_sec.unwrap();
    assert!(
        near(ctxt, 2000.0 / seconds),
        "{ctxt} vs {}",
        2000.0 / seconds
    );

    let lo = second
        .networks
        .iter()
        .find(|n| n.interface == "lo")
        .unwrap();
    assert!(lo.loopback);
    assert!(near(lo.rx_bytes_per_sec.unwrap(), 10_000.0 / seconds));
    let eth0 = second
        .networks
        .iter()
        .find(|n| n.interface == "eth0")
        .unwrap();
    assert!(!eth0.loopback);
    assert_eq!(eth0.tx_bytes_per_sec, Some(0.0));
    assert_eq!((eth0.rx_errors_total, eth0.rx_drops_total), (1, 2));
    assert_eq!((eth0.tx_errors_total, eth0.tx_drops_total), (3, 4));

    assert_eq!(
        second.disks.len(),
        1,
        "loop devices and partitions are left out"
    );
    let vda = &second.disks[0];
    assert_eq!(vda.device, "vda");
    assert!(near(
        vda.read_bytes_per_sec.unwrap(),
        2000.0 * 512.0 / seconds
    ));
    assert_eq!(vda.reads_per_sec, Some(0.0));

    let ticks = 100.0; // USER_HZ on every Linux architecture Pulsar runs on.
    let busy = second.top_by_cpu.iter().find(|p| p.pid == 100).unwrap();
    let expected = 100.0 / ticks / seconds * 100.0;
    assert!(
        near(busy.cpu_pct.unwrap(), expected),
        "{:?} vs {expected}",
        busy.cpu_pct
    );
    let reused = second.top_by_cpu.iter().find(|p| p.pid == 300).unwrap();
    assert!(near(
        reused.cpu_pct.unwrap(),
        10.0 / ticks / seconds * 100.0
    ));
}

#[test]
fn memory_matches_what_free_shows() {
    let host = canned_host();
    let memory = collector(&host).collect().memory.unwrap();
    assert_eq!(memory.total_bytes, 1000 * 1024);
    assert_eq!(memory.available_bytes, 600 * 1024);
    assert_eq!(memory.used_bytes, 400 * 1024);
    assert_eq!(memory.cached_bytes, 320 * 1024);
    assert_eq!(memory.buffers_bytes, 50 * 1024);
    assert_eq!(memory.swap_used_bytes, 100 * 1024);
}

#[test]
fn info_comes_from_the_given_roots() {
    let host = canned_host();
    let snapshot = collector(&host).collect();
    let info = snapshot.info.unwrap();
    assert_eq!(info.uptime_seconds, 1000);
    assert_eq!(info.boot_time_unix_ms, 1_700_000_000_000);
    assert_eq!(info.logical_cores, 2);
    assert!(!snapshot.hostname.is_empty());
    let load = snapshot.cpu.unwrap();
    assert_eq!((load.load1, load.load5, load.load15), (0.5, 0.4, 0.3));
}

#[test]
fn pseudo_filesystems_are_left_out_and_can_be_included() {
    let host = canned_host();
    let snapshot = collector(&host).collect();
    let mounts: Vec<_> = snapshot
        .filesystems
        .iter()
        .map(|f| f.mount_point.as_str())
        .collect();
    assert_eq!(mounts, ["/"]);
    let root = &snapshot.filesystems[0];
    assert_eq!(
        (root.fs_type.as_str(), root.device.as_str()),
        ("ext4", "/dev/vda")
    );
    assert!(root.size_bytes > 0 && root.inodes_total > 0);
    assert!(root.used_bytes <= root.size_bytes && root.inodes_used <= root.inodes_total);

    // Below a root of its own, every mount point is a real directory with real sizes.
    host.proc(
        "1/mountinfo",
        "27 1 254:0 / / rw - ext4 /dev/vda rw\n22 27 0:21 / /proc rw - proc proc rw\n\
         25 24 0:23 / /dev/shm rw - tmpfs tmpfs rw\n41 31 0:38 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
    )
    .dir("rootfs/proc")
    .dir("rootfs/dev/shm")
    .dir("rootfs/sys/fs/cgroup");
    let builder = HostCollector::builder()
        .proc_root(host.proc_root())
        .root_fs(host.root().join("rootfs"))
        .sections([Section::Filesystems]);
    let mount_points = |mut collector: HostCollector| -> Vec<String> {
        let snapshot = collector.collect();
        snapshot
            .filesystems
            .into_iter()
            .map(|f| f.mount_point)
            .collect()
    };
    assert_eq!(mount_points(builder.clone().build()), ["/"]);
    assert_eq!(
        mount_points(builder.clone().all_filesystems().build()),
        ["/", "/proc", "/dev/shm", "/sys/fs/cgroup"]
    );
    assert_eq!(
        mount_points(builder.excluded_fs_types(["cgroup2"]).build()),
        ["/"],
        "the mount point exclusions still apply"
    );
}

#[test]
fn a_separate_root_fs_is_measured_below_that_root_from_init_s_mounts() {
    let host = canned_host();
    host.proc(
        "1/mountinfo",
        "27 1 254:0 / / rw - ext4 /dev/vda rw\n28 27 254:1 / /data rw - xfs /dev/vdb rw\n\
         29 27 254:2 / /gone rw - xfs /dev/vdc rw\n",
    )
    .dir("rootfs/data");
    let snapshot = HostCollector::builder()
        .proc_root(host.proc_root())
        .root_fs(host.root().join("rootfs"))
        .sections([Section::Filesystems])
        .build()
        .collect();
    let mounts: Vec<_> = snapshot
        .filesystems
        .iter()
        .map(|f| f.mount_point.as_str())
        .collect();
    // /gone does not exist below the root: it cannot be measured and is left out.
    assert_eq!(mounts, ["/", "/data"]);
}

#[test]
fn an_unreadable_section_is_marked_with_its_reason_and_the_rest_arrives() {
    let host = canned_host();
    host.remove_proc("meminfo");
    host.proc("stat", "this is not /proc/stat\n");
    let snapshot = collector(&host).collect();
    let reason = |section: &str| {
        snapshot
            .unavailable
            .iter()
            .find(|u| u.section == section)
            .map(|u| u.reason.clone())
    };
    let memory = reason("memory").expect("memory is unavailable");
    assert!(memory.contains("meminfo"), "{memory}");
    let cpu = reason("cpu").expect("cpu is unavailable");
    assert!(cpu.contains("unexpected content"), "{cpu}");
    assert!(snapshot.memory.is_none() && snapshot.cpu.is_none());
    assert_eq!(threads(&snapshot).total, 10);
    assert_eq!(snapshot.networks.len(), 2);
    assert!(
        snapshot.info.is_some(),
        "info falls back without /proc/stat"
    );
}

#[test]
fn a_missing_proc_root_makes_every_section_unavailable_without_panicking() {
    let host = FakeHost::new();
    let mut collector = HostCollector::builder()
        .proc_root(host.root().join("nowhere"))
        .sys_root(host.root().join("nowhere"))
        .build();
    for _ in 0..2 {
        let snapshot = collector.collect();
        let mut sections: Vec<_> = snapshot
            .unavailable
            .iter()
            .map(|u| u.section.as_str())
            .collect();
        sections.sort_unstable();
        assert_eq!(
            sections,
            [
                "cpu",
                "disks",
                "filesystems",
                "info",
                "memory",
                "networks",
                "processes",
                "tasks"
            ]
        );
        assert!(!snapshot.hostname.is_empty());
    }
}

#[test]
fn a_left_out_section_is_absent_not_unavailable() {
    let host = canned_host();
    let snapshot = HostCollector::builder()
        .proc_root(host.proc_root())
        .sections([Section::Memory])
        .build()
        .collect();
    assert!(snapshot.memory.is_some());
    assert!(snapshot.cpu.is_none() && snapshot.tasks.is_none() && snapshot.info.is_none());
    assert!(snapshot.top_by_cpu.is_empty() && snapshot.networks.is_empty());
    assert_nothing_unavailable(&snapshot);
}

#[test]
fn odd_content_everywhere_never_panics() {
    let host = canned_host();
    let odd: [&[u8]; 6] = [
        b"",
        b"\xff\xfe(\x00) Z",
        b"cpu 1 2 3\n",
        b"))))((((",
        b"18446744073709551616 99999999999999999999999 -1 -2",
        b"lo: a b c\n - \n 1 2 3 (",
    ];
    let files = [
        "stat",
        "loadavg",
        "uptime",
        "meminfo",
        "diskstats",
        "1/net/dev",
        "self/mountinfo",
        "sys/kernel/pid_max",
        "1/stat",
        "100/stat",
        "100/task/101/stat",
    ];
    let mut collector = collector(&host);
    for content in odd {
        for file in files {
            host.proc(file, content);
        }
        let snapshot = collector.collect();
        assert!(!snapshot.hostname.is_empty());
    }
}

#[test]
fn snapshots_report_under_the_host_identity_the_caller_sets() {
    let host = FakeHost::new();
    // Unset: empty, which stores read as "the hostname".
    assert_eq!(collector(&host).collect().host, "");
    let mut named = HostCollector::builder()
        .proc_root(host.proc_root())
        .sys_root(host.sys_root())
        .sections([Section::Info])
        .host("worker-eu-1")
        .build();
    assert_eq!(named.collect().host, "worker-eu-1");
}

#[test]
fn a_host_read_from_a_container_is_named_by_its_own_etc_hostname() {
    let host = canned_host();
    host.dir("rootfs/etc");
    std::fs::write(host.root().join("rootfs/etc/hostname"), "edge-9\n").unwrap();
    let snapshot = HostCollector::builder()
        .proc_root(host.proc_root())
        .root_fs(host.root().join("rootfs"))
        .sections([Section::Info])
        .build()
        .collect();
    assert_eq!(snapshot.hostname, "edge-9");
}

#[test]
fn a_mounted_procfs_counts_the_network_of_its_init_not_the_reader_s() {
    let host = canned_host();
    // What `/host/proc/net/dev` shows a container: its own namespace's interfaces.
    host.proc("net/dev", net_dev(7, 7));
    let snapshot = HostCollector::builder()
        .proc_root(host.proc_root())
        .sys_root(host.sys_root())
        .sections([Section::Networks])
        .build()
        .collect();
    let lo = snapshot
        .networks
        .iter()
        .find(|n| n.interface == "lo")
        .unwrap();
    assert_eq!(lo.rx_bytes_total, 1000);
}
