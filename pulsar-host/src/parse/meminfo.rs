//! `/proc/meminfo`.

use super::Malformed;

/// The `/proc/meminfo` lines Pulsar uses, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct MemInfo {
    pub(crate) total_bytes: u64,
    pub(crate) free_bytes: u64,
    /// `MemAvailable` (kernel 3.14+); `None` on older kernels.
    pub(crate) available_bytes: Option<u64>,
    pub(crate) buffers_bytes: u64,
    pub(crate) cached_bytes: u64,
    pub(crate) reclaimable_slab_bytes: u64,
    pub(crate) swap_total_bytes: u64,
    pub(crate) swap_free_bytes: u64,
}

pub(crate) fn parse_meminfo(text: &str) -> Result<MemInfo, Malformed> {
    let mut info = MemInfo::default();
    let mut saw_total = false;
    for line in text.lines() {
        let Some((key, rest)) = line.split_once(':') else {
            continue;
        };
        let slot = match key {
            "MemTotal" => {
                saw_total = true;
                &mut info.total_bytes
            }
            "MemFree" => &mut info.free_bytes,
            "Buffers" => &mut info.buffers_bytes,
            "Cached" => &mut info.cached_bytes,
            "SReclaimable" => &mut info.reclaimable_slab_bytes,
            "SwapTotal" => &mut info.swap_total_bytes,
            "SwapFree" => &mut info.swap_free_bytes,
            "MemAvailable" => info.available_bytes.insert(0),
            _ => continue,
        };
        *slot = parse_amount(rest).ok_or(Malformed("a meminfo value that is not a size"))?;
    }
    if saw_total {
        Ok(info)
    } else {
        Err(Malformed("no MemTotal line"))
    }
}

/// `"  24684092 kB"` → bytes. The kernel writes "kB" and means KiB.
fn parse_amount(rest: &str) -> Option<u64> {
    let mut words = rest.split_ascii_whitespace();
    let number: u64 = words.next()?.parse().ok()?;
    match words.next() {
        None => Some(number),
        Some("kB") => number.checked_mul(1024),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sizes_in_bytes() {
        let text = "\
MemTotal:       24684092 kB
MemFree:        19700692 kB
MemAvailable:   24039608 kB
Buffers:           77268 kB
Cached:          4419164 kB
SwapCached:            0 kB
SwapTotal:       2097148 kB
SwapFree:        2000000 kB
SReclaimable:     219732 kB
HugePages_Total:       0
";
        let info = parse_meminfo(text).unwrap();
        assert_eq!(info.total_bytes, 24_684_092 * 1024);
        assert_eq!(info.available_bytes, Some(24_039_608 * 1024));
        assert_eq!(info.buffers_bytes, 77_268 * 1024);
        assert_eq!(info.cached_bytes, 4_419_164 * 1024);
        assert_eq!(info.reclaimable_slab_bytes, 219_732 * 1024);
        assert_eq!(info.swap_total_bytes, 2_097_148 * 1024);
        assert_eq!(info.swap_free_bytes, 2_000_000 * 1024);
    }

    #[test]
    fn old_kernels_have_no_mem_available() {
        let info = parse_meminfo("MemTotal: 100 kB\nMemFree: 50 kB\n").unwrap();
        assert_eq!(info.available_bytes, None);
    }

    #[test]
    fn odd_content_is_an_error() {
        assert!(parse_meminfo("").is_err());
        assert!(parse_meminfo("MemTotal: lots\n").is_err());
        assert!(parse_meminfo("MemTotal: 1 MB\n").is_err());
        assert!(parse_meminfo("MemTotal: 99999999999999999999 kB\n").is_err());
    }
}
