//! A host's history as chartable numbers: the scalar metrics taken from each snapshot, and
//! points that average them over fixed steps.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use crate::proto::v1;
use crate::time::{from_unix_ms, unix_ms};

/// The scalar metrics of one snapshot that a history chart shows; absent when unknown
/// (rates on a sampler's first snapshot, sections that could not be read).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct HostMetrics {
    pub cpu_busy_pct: Option<f64>,
    pub load1: Option<f64>,
    pub memory_used_bytes: Option<f64>,
    pub memory_total_bytes: Option<f64>,
    /// Summed over non-loopback interfaces.
    pub net_rx_bytes_per_sec: Option<f64>,
    pub net_tx_bytes_per_sec: Option<f64>,
    /// Summed over disks.
    pub disk_read_bytes_per_sec: Option<f64>,
    pub disk_write_bytes_per_sec: Option<f64>,
}

/// `None` when no item has the value, else the sum of those that do.
fn sum_known(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    values
        .flatten()
        .fold(None, |acc, v| Some(acc.unwrap_or(0.0) + v))
}

impl HostMetrics {
    pub fn from_snapshot(s: &v1::HostSnapshot) -> Self {
        let unavailable = |section: &str| s.unavailable.iter().any(|u| u.section == section);
        let memory = s.memory.as_ref().filter(|_| !unavailable("memory"));
        let cpu = s.cpu.as_ref().filter(|_| !unavailable("cpu"));
        let networks = s.networks.iter().filter(|n| !n.loopback);
        Self {
            cpu_busy_pct: cpu.and_then(|c| c.total.as_ref()).and_then(|t| t.busy_pct),
            load1: cpu.map(|c| c.load1),
            memory_used_bytes: memory.map(|m| m.used_bytes as f64),
            memory_total_bytes: memory.map(|m| m.total_bytes as f64),
            net_rx_bytes_per_sec: sum_known(networks.clone().map(|n| n.rx_bytes_per_sec)),
            net_tx_bytes_per_sec: sum_known(networks.map(|n| n.tx_bytes_per_sec)),
            disk_read_bytes_per_sec: sum_known(s.disks.iter().map(|d| d.read_bytes_per_sec)),
            disk_write_bytes_per_sec: sum_known(s.disks.iter().map(|d| d.write_bytes_per_sec)),
        }
    }

    /// The metrics in a fixed order, for storage columns and averaging.
    pub fn to_array(&self) -> [Option<f64>; 8] {
        [
            self.cpu_busy_pct,
            self.load1,
            self.memory_used_bytes,
            self.memory_total_bytes,
            self.net_rx_bytes_per_sec,
            self.net_tx_bytes_per_sec,
            self.disk_read_bytes_per_sec,
            self.disk_write_bytes_per_sec,
        ]
    }

    pub fn from_array(a: [Option<f64>; 8]) -> Self {
        Self {
            cpu_busy_pct: a[0],
            load1: a[1],
            memory_used_bytes: a[2],
            memory_total_bytes: a[3],
            net_rx_bytes_per_sec: a[4],
            net_tx_bytes_per_sec: a[5],
            disk_read_bytes_per_sec: a[6],
            disk_write_bytes_per_sec: a[7],
        }
    }
}

/// The most mounts, and the most interfaces, a snapshot adds named series for (the first
/// by name): a host with hundreds of container interfaces must not grow its history without
/// bound.
pub const NAMED_SERIES_PER_KIND: usize = 32;

/// The task states kept as series, by their [`v1::StateCounts`] field names.
const TASK_STATES: [&str; 7] = [
    "total",
    "running",
    "sleeping",
    "disk_sleep",
    "stopped",
    "zombie",
    "idle",
];

fn state_count(c: &v1::StateCounts, state: &str) -> u64 {
    match state {
        "total" => c.total,
        "running" => c.running,
        "sleeping" => c.sleeping,
        "disk_sleep" => c.disk_sleep,
        "stopped" => c.stopped,
        "zombie" => c.zombie,
        "idle" => c.idle,
        _ => 0,
    }
}

/// The named series of one snapshot, beside the fixed [`HostMetrics`]:
/// - `swap_used_bytes`, `swap_total_bytes`;
/// - `processes.<state>` and `threads.<state>` for total, running, sleeping, disk_sleep,
///   stopped, zombie and idle;
/// - `mount:<mount point>:used_pct` and `mount:<mount point>:inodes_used_pct`;
/// - `net:<interface>:rx_bytes_per_sec` and `…:tx_bytes_per_sec` (not loopback).
///
/// Sections that could not be read add nothing; at most [`NAMED_SERIES_PER_KIND`] mounts
/// and interfaces each.
pub fn named_series(s: &v1::HostSnapshot) -> Vec<(String, f64)> {
    let unavailable = |section: &str| s.unavailable.iter().any(|u| u.section == section);
    let mut series = Vec::new();
    if let Some(m) = s.memory.as_ref().filter(|_| !unavailable("memory")) {
        series.push(("swap_used_bytes".to_owned(), m.swap_used_bytes as f64));
        series.push(("swap_total_bytes".to_owned(), m.swap_total_bytes as f64));
    }
    if let Some(tasks) = s.tasks.as_ref().filter(|_| !unavailable("tasks")) {
        for (kind, counts) in [("processes", &tasks.processes), ("threads", &tasks.threads)] {
            let Some(counts) = counts else { continue };
            for state in TASK_STATES {
                series.push((format!("{kind}.{state}"), state_count(counts, state) as f64));
            }
        }
    }
    let mut mounts: Vec<&v1::FilesystemStats> = s.filesystems.iter().collect();
    mounts.sort_by(|a, b| a.mount_point.cmp(&b.mount_point));
    for fs in mounts.into_iter().take(NAMED_SERIES_PER_KIND) {
        let pct = |used: u64, total: u64| (total > 0).then(|| used as f64 * 100.0 / total as f64);
        if let Some(used) = pct(fs.used_bytes, fs.used_bytes + fs.available_bytes) {
            series.push((format!("mount:{}:used_pct", fs.mount_point), used));
        }
        if let Some(inodes) = pct(fs.inodes_used, fs.inodes_total) {
            series.push((format!("mount:{}:inodes_used_pct", fs.mount_point), inodes));
        }
    }
    let mut interfaces: Vec<&v1::NetworkStats> =
        s.networks.iter().filter(|n| !n.loopback).collect();
    interfaces.sort_by(|a, b| a.interface.cmp(&b.interface));
    for net in interfaces.into_iter().take(NAMED_SERIES_PER_KIND) {
        for (direction, rate) in [("rx", net.rx_bytes_per_sec), ("tx", net.tx_bytes_per_sec)] {
            if let Some(rate) = rate {
                series.push((
                    format!("net:{}:{direction}_bytes_per_sec", net.interface),
                    rate,
                ));
            }
        }
    }
    series
}

/// The averages of a host's samples in `[at, at + step)`.
#[derive(Debug, Clone, PartialEq)]
pub struct HostPoint {
    pub at: SystemTime,
    pub samples: u64,
    pub metrics: HostMetrics,
    /// The averages of the [`named_series`] that samples in the step had.
    pub named: BTreeMap<String, f64>,
}

/// A host's history chart: points `step` apart (steps without samples left out).
#[derive(Debug, Clone, PartialEq)]
pub struct HostSeries {
    pub step: Duration,
    pub points: Vec<HostPoint>,
}

impl From<HostSeries> for v1::GetHostSeriesResponse {
    fn from(series: HostSeries) -> Self {
        Self {
            step_ms: i64::try_from(series.step.as_millis()).unwrap_or(i64::MAX),
            points: series.points.into_iter().map(Into::into).collect(),
        }
    }
}

/// The step that splits `[from, to)` into at most `points` points, rounded up to whole
/// seconds (at least one second).
pub fn series_step(from: SystemTime, to: SystemTime, points: u32) -> Duration {
    let span_ms = unix_ms(to)
        .saturating_sub(unix_ms(from))
        .max(1)
        .unsigned_abs();
    let per_point = span_ms.div_ceil(u64::from(points.max(1)));
    Duration::from_secs(per_point.div_ceil(1_000).max(1))
}

impl From<HostPoint> for v1::HostPoint {
    fn from(p: HostPoint) -> Self {
        let m = p.metrics;
        Self {
            at_unix_ms: unix_ms(p.at),
            samples: p.samples,
            cpu_busy_pct: m.cpu_busy_pct,
            load1: m.load1,
            memory_used_bytes: m.memory_used_bytes,
            memory_total_bytes: m.memory_total_bytes,
            net_rx_bytes_per_sec: m.net_rx_bytes_per_sec,
            net_tx_bytes_per_sec: m.net_tx_bytes_per_sec,
            disk_read_bytes_per_sec: m.disk_read_bytes_per_sec,
            disk_write_bytes_per_sec: m.disk_write_bytes_per_sec,
            named: p.named.into_iter().collect(),
        }
    }
}

impl From<v1::HostPoint> for HostPoint {
    fn from(w: v1::HostPoint) -> Self {
        Self {
            at: from_unix_ms(w.at_unix_ms),
            samples: w.samples,
            metrics: HostMetrics {
                cpu_busy_pct: w.cpu_busy_pct,
                load1: w.load1,
                memory_used_bytes: w.memory_used_bytes,
                memory_total_bytes: w.memory_total_bytes,
                net_rx_bytes_per_sec: w.net_rx_bytes_per_sec,
                net_tx_bytes_per_sec: w.net_tx_bytes_per_sec,
                disk_read_bytes_per_sec: w.disk_read_bytes_per_sec,
                disk_write_bytes_per_sec: w.disk_write_bytes_per_sec,
            },
            named: w.named.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_sum_non_loopback_interfaces_and_keep_unknown_rates_absent() {
        let snapshot = v1::HostSnapshot {
            cpu: Some(v1::CpuStats {
                total: Some(v1::CpuTimes {
                    busy_pct: Some(42.5),
                    ..Default::default()
                }),
                load1: 1.5,
                ..Default::default()
            }),
            memory: Some(v1::MemoryStats {
                used_bytes: 1_000,
                total_bytes: 4_000,
                ..Default::default()
            }),
            networks: vec![
                v1::NetworkStats {
                    interface: "lo".into(),
                    loopback: true,
                    rx_bytes_per_sec: Some(1e9),
                    ..Default::default()
                },
                v1::NetworkStats {
                    interface: "eth0".into(),
                    rx_bytes_per_sec: Some(100.0),
                    ..Default::default()
                },
                v1::NetworkStats {
                    interface: "eth1".into(),
                    rx_bytes_per_sec: Some(50.0),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let m = HostMetrics::from_snapshot(&snapshot);
        assert_eq!(m.cpu_busy_pct, Some(42.5));
        assert_eq!(m.load1, Some(1.5));
        assert_eq!(m.memory_used_bytes, Some(1_000.0));
        assert_eq!(m.net_rx_bytes_per_sec, Some(150.0));
        assert_eq!(m.net_tx_bytes_per_sec, None);
        assert_eq!(m.disk_read_bytes_per_sec, None);
        assert_eq!(HostMetrics::from_array(m.to_array()), m);
    }

    #[test]
    fn steps_cover_the_range_in_at_most_the_requested_points() {
        let from = from_unix_ms(0);
        assert_eq!(
            series_step(from, from_unix_ms(3_600_000), 60),
            Duration::from_secs(60)
        );
        assert_eq!(
            series_step(from, from_unix_ms(3_600_000), 7),
            Duration::from_secs(515)
        );
        assert_eq!(
            series_step(from, from_unix_ms(10), 500),
            Duration::from_secs(1)
        );
        assert_eq!(series_step(from, from, 0), Duration::from_secs(1));
    }
}
