//! `/proc/net/dev`.

/// Cumulative counters of one network interface.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct InterfaceCounters<'a> {
    pub(crate) name: &'a str,
    pub(crate) rx_bytes: u64,
    pub(crate) rx_packets: u64,
    pub(crate) rx_errors: u64,
    pub(crate) rx_drops: u64,
    pub(crate) tx_bytes: u64,
    pub(crate) tx_packets: u64,
    pub(crate) tx_errors: u64,
    pub(crate) tx_drops: u64,
}

/// One entry per interface line; the two header lines and malformed lines are skipped.
pub(crate) fn parse_net_dev(text: &str) -> impl Iterator<Item = InterfaceCounters<'_>> {
    text.lines().filter_map(|line| {
        // Interface names cannot hold ':', so the first one ends the name. Old kernels print
        // no space after it ("eth0:123"), so split there rather than on whitespace.
        let (name, counters) = line.split_once(':')?;
        let name = name.trim();
        if name.is_empty() || name.contains('|') {
            return None;
        }
        let mut column = [0u64; 16];
        let mut words = counters.split_ascii_whitespace();
        for slot in &mut column {
            *slot = words.next()?.parse().ok()?;
        }
        // Receive: bytes packets errs drop fifo frame compressed multicast;
        // transmit: bytes packets errs drop fifo colls carrier compressed.
        Some(InterfaceCounters {
            name,
            rx_bytes: column[0],
            rx_packets: column[1],
            rx_errors: column[2],
            rx_drops: column[3],
            tx_bytes: column[8],
            tx_packets: column[9],
            tx_errors: column[10],
            tx_drops: column[11],
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_interface_and_skips_headers() {
        let text = "\
Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:   55534     695    0    0    0     0          0         0    55534     695    0    0    0     0       0          0
  eth0:275592903   15371    3    4    0     0          0         0  1051023   12497    5    6    0     0       0          0
  bad0: 1 2 3
";
        let all: Vec<_> = parse_net_dev(text).collect();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].name, "lo");
        assert_eq!(all[0].rx_bytes, 55534);
        assert_eq!(all[0].tx_packets, 695);
        assert_eq!(all[1].name, "eth0");
        assert_eq!(all[1].rx_bytes, 275_592_903);
        assert_eq!(
            (
                all[1].rx_errors,
                all[1].rx_drops,
                all[1].tx_errors,
                all[1].tx_drops
            ),
            (3, 4, 5, 6)
        );
        assert_eq!(all[1].tx_bytes, 1_051_023);
    }
}
