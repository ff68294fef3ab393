//! Pure parsers of `/proc` text: no I/O, no allocation beyond what the result needs.
//!
//! Every parser takes the file's content as `&str` and tolerates what real kernels print
//! (missing trailing columns on older kernels, process names with spaces, parentheses or
//! newlines). Content it cannot make sense of yields [`Malformed`], never a panic.

mod diskstats;
mod loadavg;
mod meminfo;
mod mountinfo;
mod netdev;
mod passwd;
mod stat;
mod task;

pub(crate) use diskstats::{DiskCounters, parse_diskstats};
pub(crate) use loadavg::parse_loadavg;
pub(crate) use meminfo::{MemInfo, parse_meminfo};
pub(crate) use mountinfo::parse_mountinfo;
pub(crate) use netdev::{InterfaceCounters, parse_net_dev};
pub(crate) use passwd::parse_passwd;
pub(crate) use stat::{CpuCounters, ProcStat, parse_proc_stat};
pub(crate) use task::{parse_task_stat, parse_task_state, task_state_from_letter};

use std::fmt;

/// Content that does not have the shape the kernel documents; the reason names what is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed(pub(crate) &'static str);

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// A file holding one unsigned number, like `/proc/sys/kernel/pid_max`.
pub(crate) fn parse_single_u64(text: &str) -> Result<u64, Malformed> {
    text.trim()
        .parse()
        .map_err(|_| Malformed("expected one number"))
}

/// `/proc/uptime`: seconds since boot (first column; the second is idle time).
pub(crate) fn parse_uptime_seconds(text: &str) -> Result<f64, Malformed> {
    text.split_ascii_whitespace()
        .next()
        .and_then(|first| first.parse::<f64>().ok())
        .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
        .ok_or(Malformed("expected seconds since boot"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_numbers_tolerate_the_trailing_newline() {
        assert_eq!(parse_single_u64("4194304\n"), Ok(4_194_304));
        assert_eq!(parse_single_u64("192730"), Ok(192_730));
        assert!(parse_single_u64("").is_err());
        assert!(parse_single_u64("max\n").is_err());
    }

    #[test]
    fn uptime_is_the_first_column() {
        assert_eq!(parse_uptime_seconds("819.14 1075.16\n"), Ok(819.14));
        assert!(parse_uptime_seconds("").is_err());
        assert!(parse_uptime_seconds("-3 1").is_err());
        assert!(parse_uptime_seconds("NaN 1").is_err());
    }
}
