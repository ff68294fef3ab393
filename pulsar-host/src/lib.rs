#![doc = include_str!("../README.md")]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
// Off Linux there is no process walk, and parts of the parsers go unused.
#![cfg_attr(not(any(target_os = "linux", target_os = "android")), allow(dead_code))]

mod collector;
mod config;
mod cpu;
mod disks;
mod error;
mod filesystems;
mod info;
mod memory;
mod networks;
mod parse;
mod rates;
mod read;
mod tasks;
mod users;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod walk;

pub use collector::{HostCollector, host_name};
pub use config::{
    DEFAULT_EXCLUDED_FS_TYPES, DEFAULT_EXCLUDED_MOUNT_POINTS, DEFAULT_PROC_ROOT, DEFAULT_ROOT_FS,
    DEFAULT_SYS_ROOT, DEFAULT_TOP_N, HostCollectorBuilder, Section,
};
pub use error::HostError;
/// The snapshot types: the `pulsar.v1` schema's, so a snapshot crosses process boundaries
/// (queue, bus, API) as it is.
pub use pulsar_core::proto::v1::{
    CoreStats, CpuStats, CpuTimes, DiskIoStats, FilesystemStats, HostInfo, HostSnapshot,
    MemoryStats, NetworkStats, ProcessInfo, SectionUnavailable, StateCounts, TaskState, TaskStats,
};
