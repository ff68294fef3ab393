//! CPU section: `/proc/stat` (split per mode, per core, ctxt, intr) and `/proc/loadavg`.

use std::path::Path;
use std::time::Duration;

use pulsar_core::proto::v1::{CoreStats, CpuStats, CpuTimes};

use crate::parse::{ProcStat, parse_loadavg, parse_proc_stat};
use crate::rates::{cpu_times, per_second};
use crate::read::{malformed, read_text};

/// Keeps the last reading of `/proc/stat` so the next one yields rates. The two readings
/// swap places instead of being cloned, so a steady sampler does not allocate here.
#[derive(Debug, Default)]
pub(crate) struct CpuSampler {
    current: ProcStat,
    previous: ProcStat,
    has_previous: bool,
    has_current: bool,
}

impl CpuSampler {
    /// Reads `/proc/stat`; the CPU and info sections both use it.
    pub(crate) fn read(&mut self, proc_root: &Path, buf: &mut Vec<u8>) -> Result<(), String> {
        let path = proc_root.join("stat");
        let result = read_text(&path, buf).and_then(|text| {
            parse_proc_stat(&text, &mut self.current).map_err(|err| malformed(&path, err))
        });
        self.has_current = result.is_ok();
        if result.is_err() {
            self.has_previous = false;
        }
        result
    }

    /// The reading of this sample, if [`CpuSampler::read`] succeeded.
    pub(crate) fn current(&self) -> Option<&ProcStat> {
        self.has_current.then_some(&self.current)
    }

    /// Builds the CPU section from this sample's reading and the previous one.
    pub(crate) fn stats(
        &self,
        proc_root: &Path,
        buf: &mut Vec<u8>,
        elapsed: Option<Duration>,
    ) -> Result<CpuStats, String> {
        let current = self.current().ok_or("no /proc/stat reading")?;
        let path = proc_root.join("loadavg");
        let load = parse_loadavg(&read_text(&path, buf)?).map_err(|err| malformed(&path, err))?;
        let previous = self.has_previous.then_some(&self.previous);
        let since = |counter: fn(&ProcStat) -> Option<u64>| {
            let (prev, cur) = (counter(previous?)?, counter(current)?);
            per_second(prev, cur, elapsed?)
        };
        let cores = current
            .cores
            .iter()
            .enumerate()
            .map(|(position, (index, counters))| {
                let before = previous.and_then(|p| core_at(p, position, *index));
                CoreStats {
                    name: format!("cpu{index}"),
                    times: Some(before.map_or_else(CpuTimes::default, |b| cpu_times(b, counters))),
                }
            })
            .collect();
        Ok(CpuStats {
            total: Some(
                previous.map_or_else(CpuTimes::default, |p| cpu_times(&p.total, &current.total)),
            ),
            cores,
            load1: load.one,
            load5: load.five,
            load15: load.fifteen,
            context_switches_per_sec: since(|s| s.context_switches),
            interrupts_per_sec: since(|s| s.interrupts),
        })
    }

    /// Makes this sample's reading the previous one of the next sample.
    pub(crate) fn advance(&mut self) {
        if self.has_current {
            std::mem::swap(&mut self.current, &mut self.previous);
            self.has_previous = true;
            self.has_current = false;
        }
    }
}

/// The previous counters of core `index`: usually at the same position, unless a core went
/// on- or offline in between.
fn core_at(previous: &ProcStat, position: usize, index: u32) -> Option<&crate::parse::CpuCounters> {
    match previous.cores.get(position) {
        Some((i, counters)) if *i == index => Some(counters),
        _ => previous
            .cores
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, counters)| counters),
    }
}
