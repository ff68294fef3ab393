//! Info section: what the host is (sysinfo) and how long it has been up (`/proc/uptime`).

use std::path::Path;

use pulsar_core::proto::v1::HostInfo;

use crate::parse::{ProcStat, parse_uptime_seconds};
use crate::read::{malformed, read_text};

/// What does not change while the host runs, read once: the OS release file and
/// `/proc/cpuinfo` are not worth re-reading every second.
#[derive(Debug, Clone)]
struct FixedInfo {
    os_name: String,
    os_version: String,
    kernel_version: String,
    architecture: String,
    physical_cores: u32,
}

impl FixedInfo {
    fn read() -> Self {
        Self {
            os_name: sysinfo::System::name().unwrap_or_default(),
            os_version: sysinfo::System::os_version().unwrap_or_default(),
            kernel_version: sysinfo::System::kernel_version().unwrap_or_default(),
            architecture: sysinfo::System::cpu_arch(),
            physical_cores: sysinfo::System::physical_core_count()
                .ok()
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(0),
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct InfoSampler {
    fixed: Option<FixedInfo>,
}

impl InfoSampler {
    /// The info section. `stat` is this sample's `/proc/stat` reading, when there is one:
    /// it gives the exact boot time and the online core count.
    pub(crate) fn collect(
        &mut self,
        proc_root: &Path,
        buf: &mut Vec<u8>,
        stat: Option<&ProcStat>,
        taken_at_unix_ms: i64,
    ) -> Result<HostInfo, String> {
        let path = proc_root.join("uptime");
        let uptime =
            parse_uptime_seconds(&read_text(&path, buf)?).map_err(|err| malformed(&path, err))?;
        let fixed = self.fixed.get_or_insert_with(FixedInfo::read).clone();
        let boot_time_unix_ms = match stat.and_then(|s| s.boot_time_unix_s) {
            Some(seconds) => i64::try_from(seconds.saturating_mul(1000)).unwrap_or(i64::MAX),
            None => taken_at_unix_ms.saturating_sub((uptime * 1000.0) as i64),
        };
        let logical_cores = match stat.map(|s| s.cores.len()).filter(|n| *n > 0) {
            Some(n) => u32::try_from(n).unwrap_or(u32::MAX),
            None => std::thread::available_parallelism()
                .map_or(0, |n| u32::try_from(n.get()).unwrap_or(u32::MAX)),
        };
        Ok(HostInfo {
            os_name: fixed.os_name,
            os_version: fixed.os_version,
            kernel_version: fixed.kernel_version,
            architecture: fixed.architecture,
            uptime_seconds: uptime as u64,
            boot_time_unix_ms,
            logical_cores,
            physical_cores: fixed.physical_cores,
        })
    }
}
