//! Builders for both backends, every default as a `DEFAULT_*` constant, and the backoff math
//! both backends share.

use std::time::Duration;

use crate::error::QueueError;
use crate::memory::{MemoryBus, MemoryQueue};
use crate::redis::{RedisBus, RedisQueue};

/// How long a consumer holds a delivered task before another consumer may take it.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);
/// Deliveries a task gets (nacks and expired leases both count) before it is dead-lettered.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
/// Delay before the first retry; each further retry doubles it.
pub const DEFAULT_BACKOFF_BASE: Duration = Duration::from_secs(1);
/// Upper bound of the retry delay.
pub const DEFAULT_BACKOFF_MAX: Duration = Duration::from_secs(300);
/// A safety expiry of unique keys, so a key can never block its name forever (a key is
/// normally released when its task is acked or dead-lettered).
pub const DEFAULT_UNIQUE_KEY_TTL: Duration = Duration::from_secs(24 * 3600);
/// How long one blocking read waits for new tasks before the consumer looks again for
/// expired leases.
pub const DEFAULT_BLOCK_TIMEOUT: Duration = Duration::from_secs(2);
/// How often a consumer looks for tasks whose lease expired.
pub const DEFAULT_RECLAIM_INTERVAL: Duration = Duration::from_secs(5);
/// The longest a delayed or retrying task waits past its due time before it is ready.
pub const DEFAULT_PROMOTE_INTERVAL: Duration = Duration::from_millis(200);
/// Dead letters kept; older ones are trimmed.
pub const DEFAULT_DEAD_LETTER_MAX_LEN: usize = 10_000;
/// Tasks per enqueue batch, per blocking read and per group of acks sent to Redis together.
pub const DEFAULT_BATCH_SIZE: usize = 256;
/// Pooled Redis connections for commands (blocking reads use connections of their own).
pub const DEFAULT_POOL_SIZE: u32 = 8;
/// Limit for opening a Redis connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long enqueue, ack, nack, publish and stats retry a lost connection before they
/// report [`QueueError::Unavailable`].
pub const DEFAULT_RETRY_BUDGET: Duration = Duration::from_secs(2);
/// Events a subscriber may fall behind by before it is told it lagged.
pub const DEFAULT_SUBSCRIBER_BUFFER: usize = 1024;

/// The Redis connection settings both builders share (fields `pool_size`,
/// `connect_timeout` and `retry_budget`).
macro_rules! redis_connection_setters {
    () => {
        /// See [`DEFAULT_POOL_SIZE`]. At least 1.
        pub fn pool_size(mut self, size: u32) -> Self {
            self.pool_size = size.max(1);
            self
        }

        /// See [`DEFAULT_CONNECT_TIMEOUT`].
        pub fn connect_timeout(mut self, timeout: Duration) -> Self {
            self.connect_timeout = timeout;
            self
        }

        /// See [`DEFAULT_RETRY_BUDGET`]; zero reports the first failure.
        pub fn retry_budget(mut self, budget: Duration) -> Self {
            self.retry_budget = budget;
            self
        }
    };
}

/// Settings of a task queue; [`in_process`](Self::in_process) and [`redis`](Self::redis)
/// build one with the same semantics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueBuilder {
    pub(crate) lease: Duration,
    pub(crate) max_attempts: u32,
    pub(crate) backoff_base: Duration,
    pub(crate) backoff_max: Duration,
    pub(crate) unique_key_ttl: Duration,
    pub(crate) block_timeout: Duration,
    pub(crate) reclaim_interval: Duration,
    pub(crate) promote_interval: Duration,
    pub(crate) dead_letter_max_len: usize,
    pub(crate) batch_size: usize,
    pub(crate) pool_size: u32,
    pub(crate) connect_timeout: Duration,
    pub(crate) retry_budget: Duration,
}

impl Default for QueueBuilder {
    fn default() -> Self {
        Self {
            lease: DEFAULT_LEASE,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            backoff_base: DEFAULT_BACKOFF_BASE,
            backoff_max: DEFAULT_BACKOFF_MAX,
            unique_key_ttl: DEFAULT_UNIQUE_KEY_TTL,
            block_timeout: DEFAULT_BLOCK_TIMEOUT,
            reclaim_interval: DEFAULT_RECLAIM_INTERVAL,
            promote_interval: DEFAULT_PROMOTE_INTERVAL,
            dead_letter_max_len: DEFAULT_DEAD_LETTER_MAX_LEN,
            batch_size: DEFAULT_BATCH_SIZE,
            pool_size: DEFAULT_POOL_SIZE,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            retry_budget: DEFAULT_RETRY_BUDGET,
        }
    }
}

impl QueueBuilder {
    /// The defaults above.
    pub fn new() -> Self {
        Self::default()
    }

    /// See [`DEFAULT_LEASE`]. At least 1 ms.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(1));
        self
    }

    /// See [`DEFAULT_MAX_ATTEMPTS`]. At least 1.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// See [`DEFAULT_BACKOFF_BASE`] and [`DEFAULT_BACKOFF_MAX`].
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.backoff_base = base;
        self.backoff_max = max.max(base);
        self
    }

    /// See [`DEFAULT_UNIQUE_KEY_TTL`]. At least 1 ms.
    pub fn unique_key_ttl(mut self, ttl: Duration) -> Self {
        self.unique_key_ttl = ttl.max(Duration::from_millis(1));
        self
    }

    /// See [`DEFAULT_BLOCK_TIMEOUT`]. At least 1 ms (Redis reads a block of 0 as "forever").
    pub fn block_timeout(mut self, timeout: Duration) -> Self {
        self.block_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// See [`DEFAULT_RECLAIM_INTERVAL`].
    pub fn reclaim_interval(mut self, interval: Duration) -> Self {
        self.reclaim_interval = interval;
        self
    }

    /// See [`DEFAULT_PROMOTE_INTERVAL`]. At least 1 ms.
    pub fn promote_interval(mut self, interval: Duration) -> Self {
        self.promote_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// See [`DEFAULT_DEAD_LETTER_MAX_LEN`]. At least 1.
    pub fn dead_letter_max_len(mut self, len: usize) -> Self {
        self.dead_letter_max_len = len.max(1);
        self
    }

    /// See [`DEFAULT_BATCH_SIZE`]. At least 1.
    pub fn batch_size(mut self, size: usize) -> Self {
        self.batch_size = size.max(1);
        self
    }

    redis_connection_setters!();

    /// The in-process queue: tokio only, nothing survives the process.
    pub fn in_process(self) -> MemoryQueue {
        MemoryQueue::new(self)
    }

    /// A queue on the Redis at `url` whose keys all start with `prefix`; several processes
    /// with the same URL and prefix share one queue.
    pub async fn redis(self, url: &str, prefix: &str) -> Result<RedisQueue, QueueError> {
        RedisQueue::connect(self, url, prefix).await
    }

    /// The wait before the retry that follows failed delivery number `attempt` (1-based):
    /// the base doubled per attempt, capped at the maximum.
    pub fn retry_delay(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        self.backoff_base
            .saturating_mul(1 << doublings)
            .min(self.backoff_max)
    }
}

/// Settings of an event bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusBuilder {
    pub(crate) subscriber_buffer: usize,
    pub(crate) pool_size: u32,
    pub(crate) connect_timeout: Duration,
    pub(crate) retry_budget: Duration,
}

impl Default for BusBuilder {
    fn default() -> Self {
        Self {
            subscriber_buffer: DEFAULT_SUBSCRIBER_BUFFER,
            pool_size: DEFAULT_POOL_SIZE,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            retry_budget: DEFAULT_RETRY_BUDGET,
        }
    }
}

impl BusBuilder {
    /// The defaults above.
    pub fn new() -> Self {
        Self::default()
    }

    /// See [`DEFAULT_SUBSCRIBER_BUFFER`]. At least 1.
    pub fn subscriber_buffer(mut self, events: usize) -> Self {
        self.subscriber_buffer = events.max(1);
        self
    }

    redis_connection_setters!();

    /// The in-process bus (tokio broadcast).
    pub fn in_process(self) -> MemoryBus {
        MemoryBus::new(self)
    }

    /// A bus on Redis pub/sub at `url`, channels named `<prefix>:bus:<topic>`.
    pub async fn redis(self, url: &str, prefix: &str) -> Result<RedisBus, QueueError> {
        RedisBus::connect(self, url, prefix).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_doubles_up_to_the_cap() {
        let builder =
            QueueBuilder::new().backoff(Duration::from_millis(100), Duration::from_secs(1));
        let delays: Vec<_> = (1..=6)
            .map(|a| builder.retry_delay(a).as_millis())
            .collect();
        assert_eq!(delays, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(builder.retry_delay(u32::MAX), Duration::from_secs(1));
    }
}
