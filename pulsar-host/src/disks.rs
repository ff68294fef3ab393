//! Disks section: `/proc/diskstats`, whole devices only.

use std::path::{Path, PathBuf};
use std::time::Duration;

use pulsar_core::proto::v1::DiskIoStats;

use crate::parse::{DiskCounters, parse_diskstats};
use crate::rates::NamedCounters;
use crate::read::read_text;

/// Devices that never are storage worth watching: loop devices, RAM disks, compressed RAM
/// swap, floppies (node_exporter leaves out the same ones).
const IGNORED_DEVICE_PREFIXES: &[&str] = &["loop", "ram", "zram", "fd"];

#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    reads: u64,
    read_bytes: u64,
    writes: u64,
    written_bytes: u64,
}

#[derive(Debug, Default)]
pub(crate) struct DiskSampler {
    counters: NamedCounters<Totals>,
}

impl DiskSampler {
    pub(crate) fn collect(
        &mut self,
        proc_root: &Path,
        sys_root: &Path,
        buf: &mut Vec<u8>,
        elapsed: Option<Duration>,
    ) -> Result<Vec<DiskIoStats>, String> {
        let text = match read_text(&proc_root.join("diskstats"), buf) {
            Ok(text) => text,
            Err(reason) => {
                self.counters.forget();
                return Err(reason);
            }
        };
        let whole_disks = WholeDisks::new(sys_root);
        let mut stats = Vec::new();
        for disk in parse_diskstats(&text).filter(|d| whole_disks.reports(d.name)) {
            let rate = self.counters.record(disk.name, totals(&disk), elapsed);
            stats.push(DiskIoStats {
                device: disk.name.to_owned(),
                read_bytes_per_sec: rate(|t| t.read_bytes),
                write_bytes_per_sec: rate(|t| t.written_bytes),
                reads_per_sec: rate(|t| t.reads),
                writes_per_sec: rate(|t| t.writes),
            });
        }
        self.counters.finish_sample();
        Ok(stats)
    }
}

fn totals(disk: &DiskCounters<'_>) -> Totals {
    Totals {
        reads: disk.reads,
        read_bytes: disk.read_bytes,
        writes: disk.writes,
        written_bytes: disk.written_bytes,
    }
}

/// Tells whole devices from partitions: every whole device has a `<sys>/block/<name>` entry.
/// Without sysfs, every device is reported.
struct WholeDisks {
    block_dir: Option<PathBuf>,
}

impl WholeDisks {
    fn new(sys_root: &Path) -> Self {
        let block_dir = sys_root.join("block");
        Self {
            block_dir: block_dir.is_dir().then_some(block_dir),
        }
    }

    fn reports(&self, name: &str) -> bool {
        let ignored = IGNORED_DEVICE_PREFIXES.iter().any(|prefix| {
            name.strip_prefix(prefix)
                .is_some_and(|rest| rest.bytes().next().is_some_and(|b| b.is_ascii_digit()))
        });
        if ignored {
            return false;
        }
        match &self.block_dir {
            // sysfs spells '/' in device names (cciss/c0d0) as '!'.
            Some(dir) => dir.join(name.replace('/', "!")).exists(),
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loop_and_ram_devices_are_ignored_and_partitions_need_sysfs_to_be_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("block/vda")).unwrap();
        std::fs::create_dir_all(dir.path().join("block/loop0")).unwrap();
        std::fs::create_dir_all(dir.path().join("block/cciss!c0d0")).unwrap();
        let disks = WholeDisks::new(dir.path());
        assert!(disks.reports("vda"));
        assert!(disks.reports("cciss/c0d0"));
        assert!(!disks.reports("vda1"));
        assert!(!disks.reports("loop0"));
        let without_sysfs = WholeDisks::new(&dir.path().join("missing"));
        assert!(without_sysfs.reports("vda1"));
        assert!(!without_sysfs.reports("ram0"));
        assert!(without_sysfs.reports("random"));
    }
}
