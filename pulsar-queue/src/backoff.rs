//! Pauses between reconnect attempts of the background loops (consumers, subscribers).

use std::time::Duration;

/// First pause of a background consumer or subscriber after a failure; it doubles up to
/// [`DEFAULT_RECONNECT_BACKOFF_MAX`].
pub const DEFAULT_RECONNECT_BACKOFF_MIN: Duration = Duration::from_millis(50);
/// Longest pause between reconnect attempts of a background consumer or subscriber.
pub const DEFAULT_RECONNECT_BACKOFF_MAX: Duration = Duration::from_secs(2);
/// Exponential pauses between reconnect attempts of a background loop.
#[derive(Debug)]
pub(crate) struct Backoff {
    next: Duration,
}

impl Backoff {
    pub(crate) fn new() -> Self {
        Self {
            next: DEFAULT_RECONNECT_BACKOFF_MIN,
        }
    }

    /// The pause to take now; the next one is twice as long, up to the maximum.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(DEFAULT_RECONNECT_BACKOFF_MAX);
        delay
    }

    pub(crate) fn reset(&mut self) {
        self.next = DEFAULT_RECONNECT_BACKOFF_MIN;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnect_backoff_grows_and_resets() {
        let mut backoff = Backoff::new();
        let first = backoff.next_delay();
        assert!(backoff.next_delay() > first);
        for _ in 0..20 {
            assert!(backoff.next_delay() <= DEFAULT_RECONNECT_BACKOFF_MAX);
        }
        backoff.reset();
        assert_eq!(backoff.next_delay(), first);
    }
}
