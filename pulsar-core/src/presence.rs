//! Which processes run checks: each says so every few seconds, and the status page lists
//! those seen lately.

use std::time::{Duration, SystemTime};

use crate::proto::v1;
use crate::time::unix_ms;

/// How often a process that runs checks says it is alive.
pub const PRESENCE_INTERVAL: Duration = Duration::from_secs(5);
/// How long a process unseen stays listed: long enough to see that it went away.
pub const PRESENCE_KEPT: Duration = Duration::from_secs(3600);

/// A process that runs checks, as last seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerSeen {
    /// Unique per process.
    pub name: String,
    /// The host it runs on, as its samples name it.
    pub host: String,
    pub region: String,
    pub last_seen: SystemTime,
}

impl WorkerSeen {
    /// Whether it said so within the last few intervals: a process that stopped saying it
    /// is alive, or stopped running, is not.
    pub fn is_live(&self, now: SystemTime) -> bool {
        now.duration_since(self.last_seen).unwrap_or_default() <= 3 * PRESENCE_INTERVAL
    }
}

impl From<WorkerSeen> for v1::WorkerInfo {
    fn from(w: WorkerSeen) -> Self {
        Self {
            name: w.name,
            host: w.host,
            region: w.region,
            last_seen_unix_ms: unix_ms(w.last_seen),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::from_unix_ms;

    #[test]
    fn live_for_three_intervals_after_it_was_seen() {
        let seen = WorkerSeen {
            name: "w-1".into(),
            host: "edge-1".into(),
            region: "eu".into(),
            last_seen: from_unix_ms(1_700_000_000_000),
        };
        assert!(seen.is_live(seen.last_seen + 3 * PRESENCE_INTERVAL));
        assert!(!seen.is_live(seen.last_seen + 3 * PRESENCE_INTERVAL + Duration::from_millis(1)));
        assert!(
            seen.is_live(seen.last_seen - Duration::from_secs(1)),
            "clock skew"
        );
        let wire = v1::WorkerInfo::from(seen);
        assert_eq!(
            (wire.name.as_str(), wire.last_seen_unix_ms),
            ("w-1", 1_700_000_000_000)
        );
    }
}
