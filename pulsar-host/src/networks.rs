//! Networks section: `/proc/net/dev`, with loopback told apart through sysfs.
//!
//! `/proc/net` follows the reading process's network namespace, so a container reading
//! its host's procfs (mounted elsewhere than `/proc`) would see its own interfaces; there
//! the host's init (`<proc root>/1/net/dev`) is read instead.

use std::path::Path;
use std::time::Duration;

use pulsar_core::proto::v1::NetworkStats;

use crate::parse::{InterfaceCounters, parse_net_dev};
use crate::rates::NamedCounters;
use crate::read::read_text;

/// `ARPHRD_LOOPBACK`, the link type sysfs reports for a loopback interface.
const LINK_TYPE_LOOPBACK: &str = "772";

#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    rx_bytes: u64,
    rx_packets: u64,
    tx_bytes: u64,
    tx_packets: u64,
}

#[derive(Debug, Default)]
pub(crate) struct NetworkSampler {
    counters: NamedCounters<Totals>,
    /// Whether each interface seen so far is a loopback; a link type does not change.
    loopback: Vec<(String, bool)>,
}

impl NetworkSampler {
    pub(crate) fn collect(
        &mut self,
        proc_root: &Path,
        sys_root: &Path,
        buf: &mut Vec<u8>,
        elapsed: Option<Duration>,
    ) -> Result<Vec<NetworkStats>, String> {
        let own = proc_root == Path::new(crate::config::DEFAULT_PROC_ROOT);
        let path = proc_root.join(if own { "net/dev" } else { "1/net/dev" });
        let text = match read_text(&path, buf) {
            Ok(text) => text,
            Err(reason) => {
                self.counters.forget();
                return Err(reason);
            }
        };
        let mut stats = Vec::new();
        for iface in parse_net_dev(&text) {
            let rate = self.counters.record(iface.name, totals(&iface), elapsed);
            stats.push(NetworkStats {
                interface: iface.name.to_owned(),
                loopback: self.is_loopback(sys_root, iface.name),
                rx_bytes_per_sec: rate(|t| t.rx_bytes),
                tx_bytes_per_sec: rate(|t| t.tx_bytes),
                rx_packets_per_sec: rate(|t| t.rx_packets),
                tx_packets_per_sec: rate(|t| t.tx_packets),
                rx_bytes_total: iface.rx_bytes,
                tx_bytes_total: iface.tx_bytes,
                rx_errors_total: iface.rx_errors,
                tx_errors_total: iface.tx_errors,
                rx_drops_total: iface.rx_drops,
                tx_drops_total: iface.tx_drops,
            });
        }
        self.counters.finish_sample();
        Ok(stats)
    }

    fn is_loopback(&mut self, sys_root: &Path, name: &str) -> bool {
        if let Some((_, known)) = self.loopback.iter().find(|(n, _)| n == name) {
            return *known;
        }
        let path = sys_root.join("class/net").join(name).join("type");
        let loopback = match std::fs::read_to_string(path) {
            Ok(link_type) => link_type.trim() == LINK_TYPE_LOOPBACK,
            // Without sysfs (or for an interface of another network namespace) the name is
            // the best remaining hint.
            Err(_) => name == "lo",
        };
        self.loopback.push((name.to_owned(), loopback));
        loopback
    }
}

fn totals(iface: &InterfaceCounters<'_>) -> Totals {
    Totals {
        rx_bytes: iface.rx_bytes,
        rx_packets: iface.rx_packets,
        tx_bytes: iface.tx_bytes,
        tx_packets: iface.tx_packets,
    }
}
