//! Rates from two consecutive cumulative readings and the real time between them.

use std::time::Duration;

use pulsar_core::proto::v1::CpuTimes;

use crate::parse::CpuCounters;

/// Per-second rate of a cumulative counter; `None` when there is no elapsed time or the
/// counter went backwards (a reset: a re-created interface, a wrapped 32-bit counter).
pub(crate) fn per_second(previous: u64, current: u64, elapsed: Duration) -> Option<f64> {
    let seconds = elapsed.as_secs_f64();
    if seconds <= 0.0 {
        return None;
    }
    let delta = current.checked_sub(previous)?;
    Some(delta as f64 / seconds)
}

/// Cumulative counters of named entries (devices, interfaces) from one sample to the next.
#[derive(Debug)]
pub(crate) struct NamedCounters<T> {
    previous: Vec<(String, T)>,
    current: Vec<(String, T)>,
    has_previous: bool,
}

impl<T> Default for NamedCounters<T> {
    fn default() -> Self {
        Self {
            previous: Vec::new(),
            current: Vec::new(),
            has_previous: false,
        }
    }
}

impl<T: Copy> NamedCounters<T> {
    /// Records this sample's `counters` of `name`; the returned function turns one counter
    /// (picked by a field accessor) into its per-second rate since the previous sample.
    pub(crate) fn record(
        &mut self,
        name: &str,
        counters: T,
        elapsed: Option<Duration>,
    ) -> impl Fn(fn(&T) -> u64) -> Option<f64> + use<T> {
        let before = self
            .has_previous
            .then(|| self.previous.iter().find(|(n, _)| n == name))
            .flatten()
            .map(|(_, before)| *before);
        self.current.push((name.to_owned(), counters));
        move |counter| per_second(counter(&before?), counter(&counters), elapsed?)
    }

    /// Makes this sample's counters the previous ones of the next sample.
    pub(crate) fn finish_sample(&mut self) {
        std::mem::swap(&mut self.previous, &mut self.current);
        self.current.clear();
        self.has_previous = true;
    }

    /// This sample failed: the next one has nothing to compare with.
    pub(crate) fn forget(&mut self) {
        self.current.clear();
        self.has_previous = false;
    }
}

/// Share of CPU time per mode between two readings, in percent. `busy` is everything but
/// idle and iowait (a CPU waiting on I/O is free to run other work). All fields are absent
/// when no tick passed between the readings.
pub(crate) fn cpu_times(previous: &CpuCounters, current: &CpuCounters) -> CpuTimes {
    let total = current.total().saturating_sub(previous.total());
    if total == 0 {
        return CpuTimes::default();
    }
    // Some counters (iowait notably) may step backwards on some kernels; count that as 0.
    let share = |prev: u64, cur: u64| Some(cur.saturating_sub(prev) as f64 * 100.0 / total as f64);
    let idle = share(previous.idle, current.idle);
    let iowait = share(previous.iowait, current.iowait);
    let busy = (100.0 - idle.unwrap_or(0.0) - iowait.unwrap_or(0.0)).clamp(0.0, 100.0);
    CpuTimes {
        busy_pct: Some(busy),
        user_pct: share(previous.user, current.user),
        nice_pct: share(previous.nice, current.nice),
        system_pct: share(previous.system, current.system),
        idle_pct: idle,
        iowait_pct: iowait,
        irq_pct: share(previous.irq, current.irq),
        softirq_pct: share(previous.softirq, current.softirq),
        steal_pct: share(previous.steal, current.steal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_second_divides_by_real_elapsed_time() {
        let half = Duration::from_millis(500);
        assert_eq!(per_second(100, 600, half), Some(1000.0));
        assert_eq!(per_second(600, 100, half), None);
        assert_eq!(per_second(1, 2, Duration::ZERO), None);
    }

    #[test]
    fn named_counters_rate_entries_seen_in_both_samples_only() {
        let second = Some(Duration::from_secs(1));
        let mut counters = NamedCounters::<u64>::default();
        assert_eq!(counters.record("eth0", 100, None)(|c| *c), None);
        counters.finish_sample();
        assert_eq!(counters.record("eth0", 350, second)(|c| *c), Some(250.0));
        assert_eq!(counters.record("new0", 9, second)(|c| *c), None);
        counters.finish_sample();
        counters.forget();
        assert_eq!(counters.record("eth0", 400, second)(|c| *c), None);
    }

    #[test]
    fn cpu_split_adds_up_and_busy_excludes_idle_and_iowait() {
        let previous = CpuCounters {
            user: 100,
            system: 50,
            idle: 800,
            iowait: 50,
            ..CpuCounters::default()
        };
        let current = CpuCounters {
            user: 160,
            system: 70,
            idle: 900,
            iowait: 60,
            steal: 10,
            ..CpuCounters::default()
        };
        let times = cpu_times(&previous, &current);
        assert_eq!(times.user_pct, Some(30.0));
        assert_eq!(times.system_pct, Some(10.0));
        assert_eq!(times.idle_pct, Some(50.0));
        assert_eq!(times.iowait_pct, Some(5.0));
        assert_eq!(times.steal_pct, Some(5.0));
        assert_eq!(times.busy_pct, Some(45.0));
        assert_eq!(cpu_times(&current, &current), CpuTimes::default());
    }
}
