#![doc = include_str!("../README.md")]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod backoff;
mod bus;
mod config;
mod error;
mod memory;
mod queue;
mod redis;
mod task;
mod task_id;

pub use backoff::{DEFAULT_RECONNECT_BACKOFF_MAX, DEFAULT_RECONNECT_BACKOFF_MIN};
pub use bus::{BusItem, EventBus, Published, Subscription};
/// The payload type of tasks (cheap to clone), re-exported for callers.
pub use bytes::Bytes;
pub use config::{
    BusBuilder, DEFAULT_BACKOFF_BASE, DEFAULT_BACKOFF_MAX, DEFAULT_BATCH_SIZE,
    DEFAULT_BLOCK_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, DEFAULT_DEAD_LETTER_MAX_LEN, DEFAULT_LEASE,
    DEFAULT_MAX_ATTEMPTS, DEFAULT_POOL_SIZE, DEFAULT_PROMOTE_INTERVAL, DEFAULT_RECLAIM_INTERVAL,
    DEFAULT_RETRY_BUDGET, DEFAULT_SUBSCRIBER_BUFFER, DEFAULT_UNIQUE_KEY_TTL, QueueBuilder,
};
pub use error::QueueError;
pub use memory::{MemoryBus, MemoryQueue};
pub use queue::{Consumer, LeasedTask, TaskQueue};
pub use redis::{RedisBus, RedisQueue};
pub use task::{DeadLetter, Enqueued, Nacked, NewTask, QueueStats, Task};
pub use task_id::TaskId;
