//! `/proc/stat`: CPU time per mode (total and per core), context switches, interrupts, boot time.

use super::Malformed;

/// Cumulative CPU time per mode, in clock ticks (USER_HZ), as the kernel counts it since boot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct CpuCounters {
    pub(crate) user: u64,
    pub(crate) nice: u64,
    pub(crate) system: u64,
    pub(crate) idle: u64,
    pub(crate) iowait: u64,
    pub(crate) irq: u64,
    pub(crate) softirq: u64,
    pub(crate) steal: u64,
}

impl CpuCounters {
    /// All time accounted. `guest` and `guest_nice` are left out on purpose: the kernel
    /// already counts them inside `user` and `nice`.
    pub(crate) fn total(&self) -> u64 {
        self.user
            .saturating_add(self.nice)
            .saturating_add(self.system)
            .saturating_add(self.idle)
            .saturating_add(self.iowait)
            .saturating_add(self.irq)
            .saturating_add(self.softirq)
            .saturating_add(self.steal)
    }
}

/// What one read of `/proc/stat` holds that Pulsar uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ProcStat {
    pub(crate) total: CpuCounters,
    /// `(core index, counters)` for every `cpuN` line, in file order (offline cores are absent).
    pub(crate) cores: Vec<(u32, CpuCounters)>,
    pub(crate) context_switches: Option<u64>,
    pub(crate) interrupts: Option<u64>,
    pub(crate) boot_time_unix_s: Option<u64>,
}

/// Parses `/proc/stat` into `out`, reusing its core list so a steady sampler does not allocate.
pub(crate) fn parse_proc_stat(text: &str, out: &mut ProcStat) -> Result<(), Malformed> {
    out.cores.clear();
    out.context_switches = None;
    out.interrupts = None;
    out.boot_time_unix_s = None;
    let mut saw_total = false;
    for line in text.lines() {
        let mut words = line.split_ascii_whitespace();
        let Some(key) = words.next() else { continue };
        if key == "cpu" {
            out.total = parse_cpu_columns(words)?;
            saw_total = true;
        } else if let Some(index) = key.strip_prefix("cpu") {
            let index = index
                .parse::<u32>()
                .map_err(|_| Malformed("a cpuN line with a non-numeric core index"))?;
            out.cores.push((index, parse_cpu_columns(words)?));
        } else if key == "ctxt" {
            out.context_switches = words.next().and_then(|n| n.parse().ok());
        } else if key == "intr" {
            // Only the first column (the sum) matters; the per-IRQ columns can number thousands.
            out.interrupts = words.next().and_then(|n| n.parse().ok());
        } else if key == "btime" {
            out.boot_time_unix_s = words.next().and_then(|n| n.parse().ok());
        }
    }
    if saw_total {
        Ok(())
    } else {
        Err(Malformed("no aggregate `cpu` line"))
    }
}

fn parse_cpu_columns<'a>(words: impl Iterator<Item = &'a str>) -> Result<CpuCounters, Malformed> {
    // Columns: user nice system idle iowait irq softirq steal guest guest_nice. Kernels before
    // 2.6.11 print fewer; a missing column counts as 0.
    let mut columns = [0u64; 8];
    let mut seen = 0;
    for (slot, word) in columns.iter_mut().zip(words) {
        *slot = word
            .parse()
            .map_err(|_| Malformed("a non-numeric CPU time column"))?;
        seen += 1;
    }
    if seen < 4 {
        return Err(Malformed("a cpu line with fewer than 4 columns"));
    }
    let [user, nice, system, idle, iowait, irq, softirq, steal] = columns;
    Ok(CpuCounters {
        user,
        nice,
        system,
        idle,
        iowait,
        irq,
        softirq,
        steal,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_CORES: &str = "\
cpu  47358 0 7397 107516 565 0 194 112 0 0
cpu0 24297 0 3776 52995 335 0 91 56 0 0
cpu1 23060 0 3620 54520 229 0 103 55 0 0
intr 636596 0 0 0 0 1 1 12 0 0 0 0 163 42 0 25 1 62030
ctxt 1074141
btime 1795792546
processes 17974
procs_running 3
procs_blocked 0
softirq 283902 0 34315 5 29124 62030 0 305 85219 0 72904
";

    #[test]
    fn splits_total_and_per_core_time_and_reads_ctxt_intr_btime() {
        let mut stat = ProcStat::default();
        parse_proc_stat(TWO_CORES, &mut stat).unwrap();
        assert_eq!(stat.total.user, 47358);
        assert_eq!(stat.total.system, 7397);
        assert_eq!(stat.total.idle, 107516);
        assert_eq!(stat.total.iowait, 565);
        assert_eq!(stat.total.softirq, 194);
        assert_eq!(stat.total.steal, 112);
        assert_eq!(stat.cores.len(), 2);
        assert_eq!(stat.cores[1].0, 1);
        assert_eq!(stat.cores[1].1.user, 23060);
        assert_eq!(stat.context_switches, Some(1_074_141));
        assert_eq!(stat.interrupts, Some(636_596));
        assert_eq!(stat.boot_time_unix_s, Some(1_795_792_546));
        assert_eq!(stat.total.total(), 47358 + 7397 + 107516 + 565 + 194 + 112);
    }

    #[test]
    fn old_kernels_with_four_columns_count_the_rest_as_zero() {
        let mut stat = ProcStat::default();
        parse_proc_stat("cpu 10 20 30 40\ncpu0 10 20 30 40\n", &mut stat).unwrap();
        assert_eq!(stat.total.idle, 40);
        assert_eq!(stat.total.steal, 0);
        assert_eq!(stat.context_switches, None);
    }

    #[test]
    fn reuses_the_core_list_between_reads() {
        let mut stat = ProcStat::default();
        parse_proc_stat(TWO_CORES, &mut stat).unwrap();
        parse_proc_stat("cpu 1 1 1 1\ncpu3 1 1 1 1\n", &mut stat).unwrap();
        assert_eq!(stat.cores.len(), 1);
        assert_eq!(stat.cores[0].0, 3);
    }

    #[test]
    fn odd_content_is_an_error_not_a_panic() {
        let mut stat = ProcStat::default();
        assert!(parse_proc_stat("", &mut stat).is_err());
        assert!(parse_proc_stat("cpu 1 2\n", &mut stat).is_err());
        assert!(parse_proc_stat("cpu a b c d\n", &mut stat).is_err());
        assert!(parse_proc_stat("cpu 1 2 3 4\ncpuX 1 2 3 4\n", &mut stat).is_err());
        assert!(parse_proc_stat("cpu 1 2 3 99999999999999999999999\n", &mut stat).is_err());
    }
}
