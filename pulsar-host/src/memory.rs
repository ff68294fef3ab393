//! Memory section: `/proc/meminfo`.

use std::path::Path;

use pulsar_core::proto::v1::MemoryStats;

use crate::parse::{MemInfo, parse_meminfo};
use crate::read::{malformed, read_text};

pub(crate) fn collect(proc_root: &Path, buf: &mut Vec<u8>) -> Result<MemoryStats, String> {
    let path = proc_root.join("meminfo");
    let info = parse_meminfo(&read_text(&path, buf)?).map_err(|err| malformed(&path, err))?;
    Ok(memory_stats(&info))
}

/// The figures `free` (procps 4) shows: `used` is what is not available; `cached` includes
/// reclaimable slab, as `free`'s buff/cache does.
fn memory_stats(info: &MemInfo) -> MemoryStats {
    let cached_bytes = info
        .cached_bytes
        .saturating_add(info.reclaimable_slab_bytes);
    // Kernels before 3.14 have no MemAvailable: estimate it the way `free` did then.
    let available_bytes = info.available_bytes.unwrap_or_else(|| {
        info.free_bytes
            .saturating_add(info.buffers_bytes)
            .saturating_add(cached_bytes)
            .min(info.total_bytes)
    });
    MemoryStats {
        total_bytes: info.total_bytes,
        available_bytes,
        used_bytes: info.total_bytes.saturating_sub(available_bytes),
        free_bytes: info.free_bytes,
        cached_bytes,
        buffers_bytes: info.buffers_bytes,
        swap_total_bytes: info.swap_total_bytes,
        swap_used_bytes: info.swap_total_bytes.saturating_sub(info.swap_free_bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn used_is_total_minus_available_and_cached_includes_reclaimable_slab() {
        let stats = memory_stats(&MemInfo {
            total_bytes: 1000,
            free_bytes: 200,
            available_bytes: Some(600),
            buffers_bytes: 50,
            cached_bytes: 300,
            reclaimable_slab_bytes: 20,
            swap_total_bytes: 500,
            swap_free_bytes: 400,
        });
        assert_eq!(stats.used_bytes, 400);
        assert_eq!(stats.cached_bytes, 320);
        assert_eq!(stats.swap_used_bytes, 100);
    }

    #[test]
    fn old_kernels_estimate_available() {
        let stats = memory_stats(&MemInfo {
            total_bytes: 1000,
            free_bytes: 200,
            buffers_bytes: 50,
            cached_bytes: 300,
            ..MemInfo::default()
        });
        assert_eq!(stats.available_bytes, 550);
        assert_eq!(stats.used_bytes, 450);
    }
}
