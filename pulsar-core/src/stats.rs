//! Percentile math shared by the CLI summary, the store and the dashboard.

use std::time::Duration;

use crate::phases::{PHASE_NAMES, Phases};

/// Nearest-rank percentile of an ascending-sorted slice; `q` in 0..=100.
/// `None` for an empty slice.
pub fn percentile<T: Copy>(sorted: &[T], q: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q.clamp(0.0, 100.0) / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// p50 / p95 / p99 of one phase over many checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhasePercentiles {
    pub phase: &'static str,
    pub samples: usize,
    pub p50: Duration,
    pub p95: Duration,
    pub p99: Duration,
}

impl PhasePercentiles {
    /// One row per phase (contract order) that at least one check reached.
    pub fn over(checks: &[Phases]) -> Vec<Self> {
        (0..PHASE_NAMES.len())
            .filter_map(|i| {
                let mut values: Vec<Duration> =
                    checks.iter().filter_map(|p| p.named()[i].1).collect();
                values.sort_unstable();
                Some(Self {
                    phase: PHASE_NAMES[i],
                    samples: values.len(),
                    p50: percentile(&values, 50.0)?,
                    p95: percentile(&values, 95.0)?,
                    p99: percentile(&values, 99.0)?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), Some(50));
        assert_eq!(percentile(&v, 95.0), Some(95));
        assert_eq!(percentile(&v, 99.0), Some(99));
        assert_eq!(percentile(&v, 0.0), Some(1));
        assert_eq!(percentile(&[7], 99.0), Some(7));
        assert_eq!(percentile::<u32>(&[], 50.0), None);
    }

    #[test]
    fn phase_percentiles_skip_unreached_phases() {
        let ms = Duration::from_millis;
        let checks: Vec<Phases> = (1..=10)
            .map(|i| Phases {
                dns: Some(ms(i)),
                total: Some(ms(10 * i)),
                ..Default::default()
            })
            .collect();
        let rows = PhasePercentiles::over(&checks);
        assert_eq!(
            rows.iter().map(|r| r.phase).collect::<Vec<_>>(),
            vec!["dns", "total"]
        );
        assert_eq!(rows[0].p50, ms(5));
        assert_eq!(rows[1].p99, ms(100));
    }
}
