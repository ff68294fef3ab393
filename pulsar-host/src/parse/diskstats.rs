//! `/proc/diskstats`.

/// Cumulative I/O counters of one block device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DiskCounters<'a> {
    pub(crate) name: &'a str,
    pub(crate) reads: u64,
    pub(crate) read_bytes: u64,
    pub(crate) writes: u64,
    pub(crate) written_bytes: u64,
}

/// The kernel counts diskstats sectors in 512-byte units whatever the device's sector size.
const SECTOR_BYTES: u64 = 512;

/// One entry per well-formed line; a malformed line is skipped, not fatal for the others.
pub(crate) fn parse_diskstats(text: &str) -> impl Iterator<Item = DiskCounters<'_>> {
    text.lines().filter_map(|line| {
        let mut words = line.split_ascii_whitespace();
        let _major = words.next()?;
        let _minor = words.next()?;
        let name = words.next()?;
        let mut column = [0u64; 7];
        for slot in &mut column {
            *slot = words.next()?.parse().ok()?;
        }
        // reads completed, reads merged, sectors read, ms reading, writes completed,
        // writes merged, sectors written.
        Some(DiskCounters {
            name,
            reads: column[0],
            read_bytes: column[2].saturating_mul(SECTOR_BYTES),
            writes: column[4],
            written_bytes: column[6].saturating_mul(SECTOR_BYTES),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_operations_and_bytes() {
        let text = "\
   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
 254       0 vda 28842 4995 2458586 9656 29369 40328 5830552 38678 0 7748 49272 11826 24 1223464 806 5329 131
 254       1 vda1 bogus
   8       0 sda 10 0 80 1 20 0 160 2 0 3 3
";
        let disks: Vec<_> = parse_diskstats(text).collect();
        assert_eq!(disks.len(), 3);
        assert_eq!(disks[1].name, "vda");
        assert_eq!(disks[1].reads, 28842);
        assert_eq!(disks[1].read_bytes, 2_458_586 * 512);
        assert_eq!(disks[1].writes, 29369);
        assert_eq!(disks[1].written_bytes, 5_830_552 * 512);
        // Kernels before 4.18 print 14 columns; still fine.
        assert_eq!(disks[2].name, "sda");
        assert_eq!(disks[2].written_bytes, 160 * 512);
    }
}
