//! What to collect and where to read it from: [`HostCollectorBuilder`] and its defaults.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::HostCollector;

/// Processes listed in each of "top by CPU" and "top by memory".
pub const DEFAULT_TOP_N: usize = 10;
/// Where procfs is mounted. A container reading its host's mounts it elsewhere (`/host/proc`).
pub const DEFAULT_PROC_ROOT: &str = "/proc";
/// Where sysfs is mounted (block devices, interface types).
pub const DEFAULT_SYS_ROOT: &str = "/sys";
/// The root of the filesystem tree whose mounts are measured. When it is not `/`, mount
/// points are read from `<proc root>/1/mountinfo` (the host's init) and measured below it.
pub const DEFAULT_ROOT_FS: &str = "/";

/// Filesystem types left out by default: pseudo and virtual filesystems with no disk space
/// behind them, plus read-only images (squashfs, erofs, iso9660) that are always 100% full
/// and overlay roots of containers. The same list as node_exporter's default exclusions;
/// `tmpfs` stays in, since a full `/run` or `/dev/shm` is a real outage.
pub const DEFAULT_EXCLUDED_FS_TYPES: &[&str] = &[
    "autofs",
    "binfmt_misc",
    "bpf",
    "cgroup",
    "cgroup2",
    "configfs",
    "debugfs",
    "devpts",
    "devtmpfs",
    "erofs",
    "fusectl",
    "hugetlbfs",
    "iso9660",
    "mqueue",
    "nsfs",
    "overlay",
    "proc",
    "procfs",
    "pstore",
    "rpc_pipefs",
    "securityfs",
    "selinuxfs",
    "squashfs",
    "sysfs",
    "tracefs",
];

/// Mount points left out by default (node_exporter's list). An entry matches itself and
/// everything below it; an entry ending in `/` matches only what lies below it.
pub const DEFAULT_EXCLUDED_MOUNT_POINTS: &[&str] = &[
    "/dev",
    "/proc",
    "/sys",
    "/run/credentials/",
    "/var/lib/docker/",
    "/var/lib/containers/storage/",
];

/// One part of a snapshot, collected or not as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Section {
    /// Hostname aside (always present): OS, kernel, architecture, uptime, core counts.
    Info,
    /// CPU split total and per core, load average, context switches and interrupts.
    Cpu,
    Memory,
    /// Size, use and inodes per mount.
    Filesystems,
    /// Block device throughput and operations.
    Disks,
    /// Interface throughput, packets, errors, drops.
    Networks,
    /// Processes and threads by state, PIDs and thread limits (walks every thread).
    Tasks,
    /// Top processes by CPU and by memory (walks every process, not every thread).
    Processes,
}

impl Section {
    /// Every section, the default.
    pub const ALL: [Section; 8] = [
        Section::Info,
        Section::Cpu,
        Section::Memory,
        Section::Filesystems,
        Section::Disks,
        Section::Networks,
        Section::Tasks,
        Section::Processes,
    ];

    /// The name used in `SectionUnavailable.section`.
    pub fn name(self) -> &'static str {
        match self {
            Section::Info => "info",
            Section::Cpu => "cpu",
            Section::Memory => "memory",
            Section::Filesystems => "filesystems",
            Section::Disks => "disks",
            Section::Networks => "networks",
            Section::Tasks => "tasks",
            Section::Processes => "processes",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// The settled configuration a collector samples with.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    sections: u16,
    pub(crate) top_n: usize,
    pub(crate) proc_root: PathBuf,
    pub(crate) sys_root: PathBuf,
    pub(crate) root_fs: PathBuf,
    pub(crate) excluded_fs_types: Vec<String>,
    pub(crate) excluded_mount_points: Vec<String>,
    /// The identity snapshots report under; `None` leaves it to the hostname.
    pub(crate) host: Option<String>,
}

impl Config {
    pub(crate) fn wants(&self, section: Section) -> bool {
        self.sections & section.bit() != 0
    }

    /// Whether a filesystem is left out by the type and mount point exclusions.
    pub(crate) fn excludes_mount(&self, fs_type: &str, mount_point: &str) -> bool {
        self.excluded_fs_types.iter().any(|t| t == fs_type)
            || self
                .excluded_mount_points
                .iter()
                .any(|pattern| mount_point_matches(mount_point, pattern))
    }
}

fn mount_point_matches(mount_point: &str, pattern: &str) -> bool {
    if pattern.ends_with('/') {
        return mount_point.len() > pattern.len() && mount_point.starts_with(pattern);
    }
    match mount_point.strip_prefix(pattern) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// Builds a [`HostCollector`]. Every setting has a documented default (`DEFAULT_*`).
///
/// ```
/// use pulsar_host::{HostCollector, Section};
///
/// let collector = HostCollector::builder()
///     .sections([Section::Cpu, Section::Memory, Section::Tasks])
///     .top_n(5)
///     .proc_root("/proc")
///     .build();
/// # drop(collector);
/// ```
#[derive(Debug, Clone)]
pub struct HostCollectorBuilder {
    config: Config,
}

impl Default for HostCollectorBuilder {
    fn default() -> Self {
        Self {
            config: Config {
                sections: Section::ALL.iter().fold(0, |bits, s| bits | s.bit()),
                top_n: DEFAULT_TOP_N,
                proc_root: PathBuf::from(DEFAULT_PROC_ROOT),
                sys_root: PathBuf::from(DEFAULT_SYS_ROOT),
                root_fs: PathBuf::from(DEFAULT_ROOT_FS),
                excluded_fs_types: owned(DEFAULT_EXCLUDED_FS_TYPES),
                excluded_mount_points: owned(DEFAULT_EXCLUDED_MOUNT_POINTS),
                host: None,
            },
        }
    }
}

fn owned(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

impl HostCollectorBuilder {
    /// Collect exactly these sections (default: [`Section::ALL`]). Left-out sections are
    /// absent from the snapshot, not marked unavailable.
    pub fn sections(mut self, sections: impl IntoIterator<Item = Section>) -> Self {
        self.config.sections = sections.into_iter().fold(0, |bits, s| bits | s.bit());
        self
    }

    /// Turns one section on or off, keeping the others as they are.
    pub fn section(mut self, section: Section, enabled: bool) -> Self {
        if enabled {
            self.config.sections |= section.bit();
        } else {
            self.config.sections &= !section.bit();
        }
        self
    }

    /// The identity every snapshot reports under (`HostSnapshot::host`), e.g. a worker's
    /// name. By default it is left empty, which means the hostname; in a container the
    /// kernel's hostname is the container's, and can be empty.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.config.host = Some(host.into());
        self
    }

    /// How many processes each top list holds (default [`DEFAULT_TOP_N`]; 0 lists none).
    pub fn top_n(mut self, n: usize) -> Self {
        self.config.top_n = n;
        self
    }

    /// Where procfs is mounted (default [`DEFAULT_PROC_ROOT`]).
    pub fn proc_root(mut self, path: impl AsRef<Path>) -> Self {
        self.config.proc_root = path.as_ref().to_path_buf();
        self
    }

    /// Where sysfs is mounted (default [`DEFAULT_SYS_ROOT`]).
    pub fn sys_root(mut self, path: impl AsRef<Path>) -> Self {
        self.config.sys_root = path.as_ref().to_path_buf();
        self
    }

    /// The root of the filesystem tree whose mounts are measured (default [`DEFAULT_ROOT_FS`]).
    pub fn root_fs(mut self, path: impl AsRef<Path>) -> Self {
        self.config.root_fs = path.as_ref().to_path_buf();
        self
    }

    /// Replaces the excluded filesystem types (default [`DEFAULT_EXCLUDED_FS_TYPES`]).
    pub fn excluded_fs_types<S: Into<String>>(
        mut self,
        types: impl IntoIterator<Item = S>,
    ) -> Self {
        self.config.excluded_fs_types = types.into_iter().map(Into::into).collect();
        self
    }

    /// Replaces the excluded mount points (default [`DEFAULT_EXCLUDED_MOUNT_POINTS`]).
    pub fn excluded_mount_points<S: Into<String>>(
        mut self,
        mount_points: impl IntoIterator<Item = S>,
    ) -> Self {
        self.config.excluded_mount_points = mount_points.into_iter().map(Into::into).collect();
        self
    }

    /// Reports every mount, pseudo filesystems included.
    pub fn all_filesystems(self) -> Self {
        self.excluded_fs_types(Vec::<String>::new())
            .excluded_mount_points(Vec::<String>::new())
    }

    pub fn build(self) -> HostCollector {
        HostCollector::from_config(Arc::new(self.config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        HostCollectorBuilder::default().config
    }

    #[test]
    fn pseudo_filesystems_and_system_mount_points_are_left_out_by_default() {
        let config = config();
        assert!(config.excludes_mount("proc", "/proc"));
        assert!(config.excludes_mount("cgroup2", "/sys/fs/cgroup/unified"));
        assert!(config.excludes_mount("tmpfs", "/dev/shm"));
        assert!(config.excludes_mount("ext4", "/var/lib/docker/overlay2/abc/merged"));
        assert!(!config.excludes_mount("ext4", "/"));
        assert!(!config.excludes_mount("ext4", "/var/lib/docker"));
        assert!(!config.excludes_mount("ext4", "/devices"));
        assert!(!config.excludes_mount("tmpfs", "/run"));
    }

    #[test]
    fn a_pattern_ending_in_a_slash_matches_only_below_it() {
        assert!(mount_point_matches("/home", "/"));
        assert!(!mount_point_matches("/", "/"));
        assert!(mount_point_matches(
            "/run/credentials/x.service",
            "/run/credentials/"
        ));
        assert!(!mount_point_matches(
            "/run/credentials",
            "/run/credentials/"
        ));
    }

    #[test]
    fn sections_can_be_chosen_and_toggled() {
        let builder = HostCollectorBuilder::default().sections([Section::Cpu]);
        assert!(builder.config.wants(Section::Cpu));
        assert!(!builder.config.wants(Section::Tasks));
        let builder = builder
            .section(Section::Tasks, true)
            .section(Section::Cpu, false);
        assert!(builder.config.wants(Section::Tasks));
        assert!(!builder.config.wants(Section::Cpu));
        assert!(
            HostCollectorBuilder::default()
                .config
                .wants(Section::Processes)
        );
    }

    #[test]
    fn all_filesystems_clears_both_lists() {
        let config = HostCollectorBuilder::default().all_filesystems().config;
        assert!(!config.excludes_mount("proc", "/proc"));
    }
}
