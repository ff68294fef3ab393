//! The Redis backend: Streams with a consumer group for the queue, pub/sub for the bus.
//! Commands go through a bb8 pool; blocking reads and subscriptions use connections of
//! their own.

mod bus;
mod consumer;
mod lease;
mod queue;
mod reply;
mod scripts;
mod shared;

use std::future::Future;
use std::time::{Duration, Instant};

use bb8_redis::RedisConnectionManager;
use redis::{ErrorKind, RedisError, ServerErrorKind};

pub use bus::RedisBus;
pub use queue::RedisQueue;

use crate::error::QueueError;

pub(crate) type Pool = bb8::Pool<RedisConnectionManager>;

/// A pool that reports a refused connection at once (the callers retry with backoff) and
/// checks each connection with a PING before handing it out, so connections broken by a
/// Redis restart are replaced instead of failing the next command.
/// The client (for dedicated blocking connections) and the command pool of one Redis, after
/// checking the key prefix every key of a queue or bus starts with.
pub(crate) fn open_redis(
    url: &str,
    prefix: &str,
    pool_size: u32,
    connect_timeout: Duration,
) -> Result<(redis::Client, Pool), QueueError> {
    if prefix.is_empty() {
        return Err(QueueError::InvalidArgument(
            "key prefix must not be empty".into(),
        ));
    }
    let client = redis::Client::open(url).map_err(|error| {
        QueueError::InvalidArgument(format!(
            "redis url {:?}: {error}",
            pulsar_core::redact_url(url)
        ))
    })?;
    Ok((client, build_pool(url, pool_size, connect_timeout)?))
}

fn build_pool(url: &str, size: u32, connect_timeout: Duration) -> Result<Pool, QueueError> {
    let manager = RedisConnectionManager::new(url).map_err(|error| {
        QueueError::InvalidArgument(format!(
            "redis url {:?}: {error}",
            pulsar_core::redact_url(url)
        ))
    })?;
    Ok(bb8::Pool::builder()
        .max_size(size)
        .connection_timeout(connect_timeout)
        .retry_connection(false)
        .test_on_check_out(true)
        .build_unchecked(manager))
}

pub(crate) async fn pooled(
    pool: &Pool,
) -> Result<bb8::PooledConnection<'_, RedisConnectionManager>, QueueError> {
    pool.get().await.map_err(pool_error)
}

fn pool_error(error: bb8::RunError<RedisError>) -> QueueError {
    match error {
        bb8::RunError::User(error) => classify(error),
        bb8::RunError::TimedOut => QueueError::unavailable("timed out waiting for a connection"),
    }
}

/// A pooled connection that a busy loop keeps between calls, sparing the pool's check-out
/// PING (a round trip) per call. After a failure it goes back to the pool, which checks it
/// before lending it again.
pub(crate) struct HeldConnection {
    pool: Pool,
    conn: Option<bb8::PooledConnection<'static, RedisConnectionManager>>,
}

impl HeldConnection {
    pub(crate) fn new(pool: Pool) -> Self {
        Self { pool, conn: None }
    }

    pub(crate) async fn get(
        &mut self,
    ) -> Result<&mut redis::aio::MultiplexedConnection, QueueError> {
        if self.conn.is_none() {
            let conn = self.pool.get_owned().await.map_err(pool_error)?;
            self.conn = Some(conn);
        }
        match self.conn.as_mut() {
            Some(conn) => Ok(&mut **conn),
            None => Err(QueueError::unavailable("no connection")),
        }
    }

    pub(crate) fn failed(&mut self) {
        self.conn = None;
    }
}

/// Sorts a Redis failure into what the caller can do about it.
pub(crate) fn classify(error: RedisError) -> QueueError {
    let transient = error.is_io_error()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_timeout()
        || matches!(
            error.kind(),
            ErrorKind::Server(
                ServerErrorKind::BusyLoading
                    | ServerErrorKind::TryAgain
                    | ServerErrorKind::MasterDown
                    | ServerErrorKind::ClusterDown
                    | ServerErrorKind::ReadOnly
            )
        );
    if transient {
        QueueError::unavailable(error)
    } else {
        QueueError::Server(error.to_string())
    }
}

/// Runs `attempt` until it succeeds, fails for good, or `budget` has passed, pausing with
/// exponential backoff after each transient failure.
pub(crate) async fn with_retry<T, F, Fut>(budget: Duration, mut attempt: F) -> Result<T, QueueError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, QueueError>>,
{
    let give_up_at = Instant::now() + budget;
    let mut backoff = crate::backoff::Backoff::new();
    loop {
        match attempt().await {
            Err(error) if error.is_retryable() => {
                let pause = backoff.next_delay();
                if Instant::now() + pause > give_up_at {
                    return Err(error);
                }
                tracing::debug!(%error, ?pause, "redis unavailable; retrying");
                tokio::time::sleep(pause).await;
            }
            done => return done,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_redis_url_is_reported_without_its_password() {
        for url in [
            "redis://:hunter2@127.0.0.1:6379/not-a-db",
            "rediss://app:hunter2@[::1:6379/0",
        ] {
            let Err(error) = open_redis(url, "pulsar", 1, Duration::from_secs(1)) else {
                panic!("{url} is not a valid redis URL");
            };
            let text = format!("{error} {error:?}");
            assert!(!text.contains("hunter2"), "{text}");
            assert!(text.contains("redis url"), "{text}");
        }
    }
}
