//! Non-overlapping phase durations of one hop or of a whole check.

use std::time::Duration;

use crate::proto::v1;

/// Phase durations as in the phase timing contract: dns → connect → tls → ttfb → download,
/// plus the total. `None` means the phase was not reached or does not apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Phases {
    pub dns: Option<Duration>,
    pub connect: Option<Duration>,
    pub tls: Option<Duration>,
    pub ttfb: Option<Duration>,
    pub download: Option<Duration>,
    pub total: Option<Duration>,
}

/// The names of the phases in contract order, for tables and JSON keys.
pub const PHASE_NAMES: [&str; 6] = ["dns", "connect", "tls", "ttfb", "download", "total"];

fn add(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or_default() + b.unwrap_or_default()),
    }
}

impl Phases {
    /// The phases in contract order, paired with their names.
    pub fn named(&self) -> [(&'static str, Option<Duration>); 6] {
        [
            (PHASE_NAMES[0], self.dns),
            (PHASE_NAMES[1], self.connect),
            (PHASE_NAMES[2], self.tls),
            (PHASE_NAMES[3], self.ttfb),
            (PHASE_NAMES[4], self.download),
            (PHASE_NAMES[5], self.total),
        ]
    }

    /// The per-phase sum of two hops; a phase absent in both stays absent.
    pub fn sum(&self, other: &Self) -> Self {
        Self {
            dns: add(self.dns, other.dns),
            connect: add(self.connect, other.connect),
            tls: add(self.tls, other.tls),
            ttfb: add(self.ttfb, other.ttfb),
            download: add(self.download, other.download),
            total: add(self.total, other.total),
        }
    }

    /// Milliseconds with three decimals (microsecond precision), as JSON shows them.
    pub fn millis(duration: Option<Duration>) -> Option<f64> {
        duration.map(|d| (d.as_micros() as f64) / 1000.0)
    }
}

fn micros(d: Option<Duration>) -> Option<u64> {
    d.map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

impl From<Phases> for v1::Phases {
    fn from(p: Phases) -> Self {
        Self {
            dns_us: micros(p.dns),
            connect_us: micros(p.connect),
            tls_us: micros(p.tls),
            ttfb_us: micros(p.ttfb),
            download_us: micros(p.download),
            total_us: micros(p.total),
        }
    }
}

impl From<v1::Phases> for Phases {
    fn from(p: v1::Phases) -> Self {
        let d = |us: Option<u64>| us.map(Duration::from_micros);
        Self {
            dns: d(p.dns_us),
            connect: d(p.connect_us),
            tls: d(p.tls_us),
            ttfb: d(p.ttfb_us),
            download: d(p.download_us),
            total: d(p.total_us),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sum_keeps_absent_phases_absent() {
        let ms = Duration::from_millis;
        let a = Phases {
            dns: Some(ms(1)),
            connect: Some(ms(2)),
            ttfb: Some(ms(3)),
            total: Some(ms(6)),
            ..Default::default()
        };
        let b = Phases {
            connect: Some(ms(1)),
            tls: Some(ms(4)),
            total: Some(ms(5)),
            ..Default::default()
        };
        let s = a.sum(&b);
        assert_eq!(s.dns, Some(ms(1)));
        assert_eq!(s.connect, Some(ms(3)));
        assert_eq!(s.tls, Some(ms(4)));
        assert_eq!(s.download, None);
        assert_eq!(s.total, Some(ms(11)));
    }

    #[test]
    fn millis_keep_microsecond_precision_and_proto_round_trips() {
        assert_eq!(
            Phases::millis(Some(Duration::from_micros(12_345))),
            Some(12.345)
        );
        let p = Phases {
            dns: Some(Duration::from_micros(7)),
            tls: None,
            ..Default::default()
        };
        assert_eq!(Phases::from(v1::Phases::from(p)), p);
    }
}
