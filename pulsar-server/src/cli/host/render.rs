//! The text summary of `pulsar host`, shaped like the header of `top`: a pure function of a
//! snapshot, so it is tested on canned snapshots.

use std::fmt::Write as _;

use pulsar_host::{
    CpuTimes, DiskIoStats, FilesystemStats, HostSnapshot, NetworkStats, ProcessInfo, StateCounts,
    TaskState,
};

/// Mounts, interfaces and disks shown: the busiest few, not every veth of a container host.
const BUSIEST: usize = 5;
/// Shown where a rate needs a second sample.
const UNKNOWN: &str = "—";

pub(super) fn summary(snapshot: &HostSnapshot, top: usize) -> String {
    let mut out = String::with_capacity(4096);
    header(&mut out, snapshot);
    cpu(&mut out, snapshot);
    memory(&mut out, snapshot);
    tasks(&mut out, snapshot);
    processes(&mut out, "top by CPU", &snapshot.top_by_cpu, top);
    processes(&mut out, "top by memory", &snapshot.top_by_memory, top);
    filesystems(&mut out, &snapshot.filesystems);
    networks(&mut out, &snapshot.networks);
    disks(&mut out, &snapshot.disks);
    footer(&mut out, snapshot);
    out
}

fn header(out: &mut String, snapshot: &HostSnapshot) {
    out.push_str(&snapshot.hostname);
    if let Some(info) = &snapshot.info {
        let _ = write!(
            out,
            " · {} {} · kernel {} · {} · up {}",
            info.os_name,
            info.os_version,
            info.kernel_version,
            info.architecture,
            uptime(info.uptime_seconds)
        );
    }
    out.push('\n');
}

fn cpu(out: &mut String, snapshot: &HostSnapshot) {
    let Some(cpu) = &snapshot.cpu else { return };
    let cores = snapshot
        .info
        .as_ref()
        .map(|i| (i.logical_cores, i.physical_cores));
    let _ = write!(
        out,
        "load    {:.2} {:.2} {:.2}",
        cpu.load1, cpu.load5, cpu.load15
    );
    if let Some((logical, physical)) = cores {
        let _ = write!(out, " on {logical} cores ({physical} physical)");
    }
    let _ = writeln!(
        out,
        " · {} ctxt/s · {} intr/s",
        count_rate(cpu.context_switches_per_sec),
        count_rate(cpu.interrupts_per_sec)
    );
    let total = cpu.total.unwrap_or_default();
    let _ = writeln!(
        out,
        "cpu     {} busy = {}",
        pct(total.busy_pct),
        split(&total)
    );
    let per_core: Vec<String> = cpu
        .cores
        .iter()
        .map(|core| format!("{} {}", core.name, pct(core.times.and_then(|t| t.busy_pct))))
        .collect();
    for line in per_core.chunks(8) {
        let _ = writeln!(out, "        {}", line.join("  "));
    }
}

fn split(times: &CpuTimes) -> String {
    let parts = [
        ("user", times.user_pct),
        ("nice", times.nice_pct),
        ("sys", times.system_pct),
        ("iowait", times.iowait_pct),
        ("irq", times.irq_pct),
        ("softirq", times.softirq_pct),
        ("steal", times.steal_pct),
    ];
    parts
        .iter()
        .map(|(name, value)| match value {
            Some(v) => format!("{v:.1} {name}"),
            None => format!("{UNKNOWN} {name}"),
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn memory(out: &mut String, snapshot: &HostSnapshot) {
    let Some(memory) = &snapshot.memory else {
        return;
    };
    let _ = writeln!(
        out,
        "memory  {} total · {} available · {} used · {} cached · {} buffers",
        bytes(memory.total_bytes),
        bytes(memory.available_bytes),
        bytes(memory.used_bytes),
        bytes(memory.cached_bytes),
        bytes(memory.buffers_bytes)
    );
    if memory.swap_total_bytes == 0 {
        out.push_str("swap    none\n");
    } else {
        let _ = writeln!(
            out,
            "swap    {} total · {} used",
            bytes(memory.swap_total_bytes),
            bytes(memory.swap_used_bytes)
        );
    }
}

fn tasks(out: &mut String, snapshot: &HostSnapshot) {
    let Some(tasks) = &snapshot.tasks else { return };
    let processes = tasks.processes.unwrap_or_default();
    let threads = tasks.threads.unwrap_or_default();
    let _ = writeln!(
        out,
        "tasks   {}",
        states(processes.total, "processes", &processes)
    );
    let _ = writeln!(
        out,
        "        {}",
        states(threads.total, "threads", &threads)
    );
    let _ = writeln!(
        out,
        "        pids {} of {} · threads {} of {}",
        tasks.pids_in_use,
        limit(tasks.pid_max),
        threads.total,
        limit(tasks.threads_max)
    );
}

fn states(total: u64, what: &str, counts: &StateCounts) -> String {
    let mut line = format!(
        "{total} {what}: {} running · {} sleeping · {} disk sleep · {} stopped · {} zombie · {} idle",
        counts.running,
        counts.sleeping,
        counts.disk_sleep,
        counts.stopped,
        counts.zombie,
        counts.idle
    );
    // Rare states only when present, to keep the line short.
    for (count, name) in [
        (counts.tracing_stop, "tracing stop"),
        (counts.dead, "dead"),
        (counts.other, "other"),
    ] {
        if count > 0 {
            let _ = write!(line, " · {count} {name}");
        }
    }
    line
}

fn limit(value: u64) -> String {
    if value == 0 {
        UNKNOWN.to_owned()
    } else {
        value.to_string()
    }
}

fn processes(out: &mut String, title: &str, list: &[ProcessInfo], top: usize) {
    if list.is_empty() || top == 0 {
        return;
    }
    let _ = writeln!(
        out,
        "\n{title}\n{:>8} {:<10} S {:>6} {:>9} {:>5}  NAME",
        "PID", "USER", "CPU%", "RSS", "THR"
    );
    for process in list.iter().take(top) {
        let name = if process.kernel_thread {
            format!("[{}]", process.name)
        } else {
            process.name.clone()
        };
        let _ = writeln!(
            out,
            "{:>8} {:<10} {} {:>6} {:>9} {:>5}  {}",
            process.pid,
            truncate(&process.user, 10),
            state_letter(process.state()),
            process
                .cpu_pct
                .map_or_else(|| UNKNOWN.to_owned(), |p| format!("{p:.1}")),
            bytes(process.rss_bytes),
            process.threads,
            // A name may hold control characters (even newlines): never let it break a line.
            name.escape_debug()
        );
    }
}

fn filesystems(out: &mut String, mounts: &[FilesystemStats]) {
    if mounts.is_empty() {
        return;
    }
    let mut busiest: Vec<&FilesystemStats> = mounts.iter().collect();
    busiest.sort_by(|a, b| used_share(b).total_cmp(&used_share(a)));
    let _ = writeln!(
        out,
        "\n{:<24} {:<8} {:>9} {:>9} {:>9} {:>5} {:>7}",
        "MOUNT", "TYPE", "SIZE", "USED", "AVAIL", "USE%", "INODES%"
    );
    for mount in busiest.iter().take(BUSIEST) {
        let inodes = if mount.inodes_total == 0 {
            UNKNOWN.to_owned()
        } else {
            format!(
                "{:.0}%",
                mount.inodes_used as f64 * 100.0 / mount.inodes_total as f64
            )
        };
        let _ = writeln!(
            out,
            "{:<24} {:<8} {:>9} {:>9} {:>9} {:>4.0}% {:>7}",
            truncate(&mount.mount_point, 24),
            truncate(&mount.fs_type, 8),
            bytes(mount.size_bytes),
            bytes(mount.used_bytes),
            bytes(mount.available_bytes),
            used_share(mount) * 100.0,
            inodes
        );
    }
    more(out, mounts.len(), "mounts");
}

/// Used share as `df` computes it: of the space a user could have, not of the raw size.
fn used_share(mount: &FilesystemStats) -> f64 {
    let usable = mount.used_bytes + mount.available_bytes;
    if usable == 0 {
        0.0
    } else {
        mount.used_bytes as f64 / usable as f64
    }
}

fn networks(out: &mut String, interfaces: &[NetworkStats]) {
    if interfaces.is_empty() {
        return;
    }
    let traffic = |n: &NetworkStats| match (n.rx_bytes_per_sec, n.tx_bytes_per_sec) {
        (Some(rx), Some(tx)) => rx + tx,
        _ => (n.rx_bytes_total + n.tx_bytes_total) as f64,
    };
    let mut busiest: Vec<&NetworkStats> = interfaces.iter().collect();
    busiest.sort_by(|a, b| traffic(b).total_cmp(&traffic(a)));
    let _ = writeln!(
        out,
        "\n{:<16} {:>11} {:>11} {:>9} {:>9} {:>7} {:>7}",
        "INTERFACE", "RX/s", "TX/s", "RX pkt/s", "TX pkt/s", "ERRORS", "DROPS"
    );
    for iface in busiest.iter().take(BUSIEST) {
        let name = if iface.loopback {
            format!("{} (loopback)", iface.interface)
        } else {
            iface.interface.clone()
        };
        let _ = writeln!(
            out,
            "{:<16} {:>11} {:>11} {:>9} {:>9} {:>7} {:>7}",
            truncate(&name, 16),
            byte_rate(iface.rx_bytes_per_sec),
            byte_rate(iface.tx_bytes_per_sec),
            count_rate(iface.rx_packets_per_sec),
            count_rate(iface.tx_packets_per_sec),
            iface.rx_errors_total + iface.tx_errors_total,
            iface.rx_drops_total + iface.tx_drops_total
        );
    }
    more(out, interfaces.len(), "interfaces");
}

fn disks(out: &mut String, disks: &[DiskIoStats]) {
    if disks.is_empty() {
        return;
    }
    let traffic = |d: &DiskIoStats| {
        d.read_bytes_per_sec.unwrap_or(0.0) + d.write_bytes_per_sec.unwrap_or(0.0)
    };
    let mut busiest: Vec<&DiskIoStats> = disks.iter().collect();
    busiest.sort_by(|a, b| traffic(b).total_cmp(&traffic(a)));
    let _ = writeln!(
        out,
        "\n{:<16} {:>11} {:>11} {:>9} {:>9}",
        "DISK", "READ/s", "WRITE/s", "READS/s", "WRITES/s"
    );
    for disk in busiest.iter().take(BUSIEST) {
        let _ = writeln!(
            out,
            "{:<16} {:>11} {:>11} {:>9} {:>9}",
            truncate(&disk.device, 16),
            byte_rate(disk.read_bytes_per_sec),
            byte_rate(disk.write_bytes_per_sec),
            count_rate(disk.reads_per_sec),
            count_rate(disk.writes_per_sec)
        );
    }
    more(out, disks.len(), "disks");
}

fn more(out: &mut String, total: usize, what: &str) {
    if total > BUSIEST {
        let _ = writeln!(out, "  … {} more {what}", total - BUSIEST);
    }
}

fn footer(out: &mut String, snapshot: &HostSnapshot) {
    out.push('\n');
    if snapshot.rate_interval_ms == 0 {
        out.push_str("first sample: rates unknown until the next one\n");
    } else {
        let _ = writeln!(out, "rates over the last {} ms", snapshot.rate_interval_ms);
    }
    for missing in &snapshot.unavailable {
        let _ = writeln!(out, "unavailable: {}: {}", missing.section, missing.reason);
    }
}

fn state_letter(state: TaskState) -> char {
    match state {
        TaskState::Running => 'R',
        TaskState::Sleeping => 'S',
        TaskState::DiskSleep => 'D',
        TaskState::Stopped => 'T',
        TaskState::TracingStop => 't',
        TaskState::Zombie => 'Z',
        TaskState::Idle => 'I',
        TaskState::Dead => 'X',
        TaskState::Unspecified => '?',
    }
}

fn uptime(seconds: u64) -> String {
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let clock = format!("{:02}:{:02}", rest / 3600, rest % 3600 / 60);
    match days {
        0 => clock,
        1 => format!("1 day, {clock}"),
        _ => format!("{days} days, {clock}"),
    }
}

fn pct(value: Option<f64>) -> String {
    value.map_or_else(|| UNKNOWN.to_owned(), |v| format!("{v:.1}%"))
}

/// Binary units, as `free -h` and `df -h` print them.
fn bytes(value: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut scaled = value as f64;
    let mut unit = 0;
    while scaled >= 1024.0 && unit < UNITS.len() - 1 {
        scaled /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value} B")
    } else {
        format!("{scaled:.1} {}", UNITS[unit])
    }
}

fn byte_rate(value: Option<f64>) -> String {
    value.map_or_else(
        || UNKNOWN.to_owned(),
        |v| format!("{}/s", bytes(v.max(0.0) as u64)),
    )
}

fn count_rate(value: Option<f64>) -> String {
    value.map_or_else(|| UNKNOWN.to_owned(), |v| format!("{v:.0}"))
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(width.saturating_sub(1)).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use pulsar_host::{CoreStats, CpuStats, HostInfo, MemoryStats, SectionUnavailable, TaskStats};

    use super::*;

    fn snapshot() -> HostSnapshot {
        HostSnapshot {
            hostname: "web-1".into(),
            taken_at_unix_ms: 1_700_000_000_000,
            rate_interval_ms: 250,
            info: Some(HostInfo {
                os_name: "Debian GNU/Linux".into(),
                os_version: "12".into(),
                kernel_version: "6.1.0".into(),
                architecture: "x86_64".into(),
                uptime_seconds: 3 * 86_400 + 4 * 3600 + 12 * 60,
                boot_time_unix_ms: 0,
                logical_cores: 2,
                physical_cores: 1,
            }),
            cpu: Some(CpuStats {
                total: Some(CpuTimes {
                    busy_pct: Some(45.0),
                    user_pct: Some(30.0),
                    system_pct: Some(10.0),
                    iowait_pct: Some(5.0),
                    ..CpuTimes::default()
                }),
                cores: vec![CoreStats {
                    name: "cpu0".into(),
                    times: Some(CpuTimes {
                        busy_pct: Some(90.0),
                        ..CpuTimes::default()
                    }),
                }],
                load1: 1.5,
                load5: 1.0,
                load15: 0.5,
                context_switches_per_sec: Some(1234.0),
                interrupts_per_sec: Some(567.0),
            }),
            memory: Some(MemoryStats {
                total_bytes: 8 << 30,
                available_bytes: 6 << 30,
                used_bytes: 2 << 30,
                ..MemoryStats::default()
            }),
            tasks: Some(TaskStats {
                processes: Some(StateCounts {
                    total: 120,
                    running: 2,
                    sleeping: 110,
                    zombie: 1,
                    stopped: 1,
                    idle: 6,
                    ..StateCounts::default()
                }),
                threads: Some(StateCounts {
                    total: 1300,
                    running: 3,
                    sleeping: 1280,
                    disk_sleep: 2,
                    tracing_stop: 1,
                    ..StateCounts::default()
                }),
                pids_in_use: 1300,
                pid_max: 4_194_304,
                threads_max: 0,
            }),
            top_by_cpu: vec![ProcessInfo {
                pid: 4242,
                name: "evil\nname".into(),
                user: "a-very-long-user-name".into(),
                state: TaskState::Running.into(),
                cpu_pct: Some(99.5),
                rss_bytes: 300 << 20,
                threads: 12,
                kernel_thread: false,
            }],
            filesystems: (0..7)
                .map(|i| FilesystemStats {
                    mount_point: format!("/mnt/{i}"),
                    fs_type: "ext4".into(),
                    size_bytes: 100,
                    used_bytes: i * 10,
                    available_bytes: 100 - i * 10,
                    inodes_total: 10,
                    inodes_used: 5,
                    ..FilesystemStats::default()
                })
                .collect(),
            networks: vec![NetworkStats {
                interface: "lo".into(),
                loopback: true,
                rx_bytes_per_sec: Some(2048.0),
                tx_bytes_per_sec: Some(2048.0),
                ..NetworkStats::default()
            }],
            unavailable: vec![SectionUnavailable {
                section: "disks".into(),
                reason: "cannot read /proc/diskstats: permission denied".into(),
            }],
            ..HostSnapshot::default()
        }
    }

    #[test]
    fn shows_what_top_shows_in_its_header() {
        let text = summary(&snapshot(), 10);
        let expected = [
            "web-1 · Debian GNU/Linux 12 · kernel 6.1.0 · x86_64 · up 3 days, 04:12",
            "load    1.50 1.00 0.50 on 2 cores (1 physical) · 1234 ctxt/s · 567 intr/s",
            "cpu     45.0% busy = 30.0 user",
            "5.0 iowait",
            "cpu0 90.0%",
            "memory  8.0 GiB total · 6.0 GiB available · 2.0 GiB used",
            "swap    none",
            "120 processes: 2 running · 110 sleeping · 0 disk sleep · 1 stopped · 1 zombie · 6 idle",
            "1300 threads: 3 running · 1280 sleeping · 2 disk sleep",
            "· 1 tracing stop",
            "pids 1300 of 4194304 · threads 1300 of —",
            "lo (loopback)",
            "2.0 KiB/s",
            "rates over the last 250 ms",
            "unavailable: disks: cannot read /proc/diskstats: permission denied",
        ];
        for piece in expected {
            assert!(text.contains(piece), "missing {piece:?} in\n{text}");
        }
    }

    #[test]
    fn process_rows_never_break_lines_and_long_users_are_cut() {
        let text = summary(&snapshot(), 10);
        let row = text.lines().find(|l| l.contains("4242")).unwrap();
        assert!(row.contains("evil\\nname"), "{row}");
        assert!(row.contains("a-very-lo…"), "{row}");
        assert!(row.contains(" R "), "{row}");
        assert!(row.contains("99.5"), "{row}");
        assert!(row.contains("300.0 MiB"), "{row}");
    }

    #[test]
    fn lists_the_busiest_mounts_first_and_counts_the_rest() {
        let text = summary(&snapshot(), 10);
        let first = text.lines().position(|l| l.starts_with("/mnt/6")).unwrap();
        let second = text.lines().position(|l| l.starts_with("/mnt/5")).unwrap();
        assert!(first < second);
        assert!(!text.contains("/mnt/0"), "only the {BUSIEST} busiest");
        assert!(text.contains("… 2 more mounts"));
    }

    #[test]
    fn a_first_sample_says_its_rates_are_unknown() {
        let mut first = snapshot();
        first.rate_interval_ms = 0;
        first.cpu.as_mut().unwrap().total = Some(CpuTimes::default());
        first.cpu.as_mut().unwrap().context_switches_per_sec = None;
        let text = summary(&first, 10);
        assert!(text.contains("cpu     — busy = — user"), "{text}");
        assert!(text.contains("— ctxt/s"), "{text}");
        assert!(text.contains("rates unknown"), "{text}");
    }

    #[test]
    fn formats_sizes_and_uptimes() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(u64::MAX), "16384.0 PiB");
        assert_eq!(uptime(59), "00:00");
        assert_eq!(uptime(86_400 + 3_660), "1 day, 01:01");
        assert_eq!(truncate("short", 10), "short");
    }
}
