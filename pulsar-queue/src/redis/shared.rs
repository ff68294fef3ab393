//! What every part of a Redis queue shares: its connections, keys and scripts, and the
//! channel that batches acks.

use std::sync::Arc;
use std::time::Duration;

use redis::Value;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::reply::{self, Entry};
use super::scripts::Scripts;
use super::{Pool, classify, pooled, with_retry};
use crate::config::QueueBuilder;
use crate::error::QueueError;
use crate::task::{Enqueued, NewTask, QueueStats};
use crate::task_id::TaskId;

/// The consumer group every consumer of a queue joins.
pub(crate) const GROUP: &str = "workers";

/// What every part of a Redis queue uses.
pub(crate) struct Shared {
    pub(crate) config: QueueBuilder,
    pub(crate) pool: Pool,
    pub(crate) client: redis::Client,
    pub(crate) keys: Keys,
    pub(crate) scripts: Scripts,
}

pub(crate) struct Keys {
    pub(crate) prefix: String,
    pub(crate) stream: String,
    pub(crate) delayed: String,
    pub(crate) retry: String,
    pub(crate) dead: String,
}

pub(crate) struct Inner {
    pub(crate) shared: Arc<Shared>,
    pub(crate) acks: mpsc::UnboundedSender<AckRequest>,
    pub(crate) acker: JoinHandle<()>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.acker.abort();
    }
}

/// An ack waiting for the next batch of the ack loop (`lease::ack_loop`).
pub(crate) struct AckRequest {
    pub(super) entry: String,
    pub(super) consumer: Arc<str>,
    pub(super) task_id: String,
    pub(super) key: String,
    pub(super) reply: oneshot::Sender<Result<i64, QueueError>>,
}

impl Shared {
    /// Creates the stream and its consumer group unless they exist. Starting at id 0 keeps
    /// tasks enqueued before the first consumer ever ran.
    pub(crate) async fn ensure_group(&self) -> Result<(), QueueError> {
        let mut conn = pooled(&self.pool).await?;
        let created: Result<(), redis::RedisError> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(&self.keys.stream)
            .arg(GROUP)
            .arg("0")
            .arg("MKSTREAM")
            .query_async(&mut *conn)
            .await;
        match created {
            Err(error) if error.code() != Some("BUSYGROUP") => Err(classify(error)),
            _ => Ok(()),
        }
    }

    pub(crate) async fn enqueue_batch(
        &self,
        batch: &[(TaskId, &NewTask)],
    ) -> Result<Vec<Enqueued>, QueueError> {
        let mut invocation = self.scripts.enqueue.prepare_invoke();
        invocation
            .key(&self.keys.stream)
            .key(&self.keys.delayed)
            .arg(&self.keys.prefix)
            .arg(millis(self.config.unique_key_ttl));
        for (id, task) in batch {
            invocation
                .arg(id.as_str())
                .arg(task.unique_key.as_deref().unwrap_or(""))
                .arg(task.payload.as_ref())
                .arg(task.not_before.map_or(0, pulsar_core::unix_ms));
        }
        let reply = with_retry(self.config.retry_budget, || async {
            let mut conn = pooled(&self.pool).await?;
            invocation
                .invoke_async::<Value>(&mut *conn)
                .await
                .map_err(classify)
        })
        .await?;
        let outcomes = reply::array(reply, "enqueue")?;
        if outcomes.len() != batch.len() {
            return Err(QueueError::Server(
                "enqueue returned the wrong count".into(),
            ));
        }
        outcomes
            .into_iter()
            .zip(batch)
            .map(|(outcome, (id, _))| match outcome {
                Value::Int(1) => Ok(Enqueued::Queued(id.clone())),
                holder => {
                    let existing = TaskId::from(reply::text(holder, "unique key holder")?);
                    // A retry after a lost reply finds its own earlier enqueue.
                    Ok(if existing == *id {
                        Enqueued::Queued(existing)
                    } else {
                        Enqueued::Duplicate { existing }
                    })
                }
            })
            .collect()
    }

    /// Moves due delayed and retrying tasks into the stream; returns how many moved and how
    /// long until the next one is due.
    pub(crate) async fn promote(&self) -> Result<(usize, Option<Duration>), QueueError> {
        let mut conn = pooled(&self.pool).await?;
        let reply: Value = self
            .scripts
            .promote
            .key(&self.keys.stream)
            .key(&self.keys.delayed)
            .key(&self.keys.retry)
            .arg(&self.keys.prefix)
            .arg(self.config.batch_size)
            .invoke_async(&mut *conn)
            .await
            .map_err(classify)?;
        let parts = reply::array(reply, "promote")?;
        let moved = parts.first().map(|v| reply::int(v, "moved")).transpose()?;
        let wait = parts.get(1).map(|v| reply::int(v, "wait")).transpose()?;
        Ok((
            usize::try_from(moved.unwrap_or(0)).unwrap_or(0),
            wait.and_then(|ms| u64::try_from(ms).ok())
                .map(Duration::from_millis),
        ))
    }

    /// Takes over up to `limit` tasks whose lease expired, for `consumer`.
    pub(crate) async fn reclaim(
        &self,
        consumer: &str,
        limit: usize,
    ) -> Result<Vec<(Entry, Option<u32>)>, QueueError> {
        let mut conn = pooled(&self.pool).await?;
        let reply: Value = self
            .scripts
            .reclaim
            .key(&self.keys.stream)
            .key(&self.keys.dead)
            .arg(GROUP)
            .arg(&self.keys.prefix)
            .arg(consumer)
            .arg(millis(self.config.lease))
            .arg(limit)
            .arg(self.config.max_attempts)
            .arg(self.config.dead_letter_max_len)
            .invoke_async(&mut *conn)
            .await
            .map_err(classify)?;
        reply::array(reply, "reclaim")?
            .into_iter()
            .map(|claimed| {
                let mut parts = reply::array(claimed, "reclaimed entry")?.into_iter();
                let (Some(id), Some(fields), Some(attempt)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return Err(QueueError::Server("short reclaim reply".into()));
                };
                let attempt = u32::try_from(reply::int(&attempt, "attempt")?).unwrap_or(u32::MAX);
                Ok((reply::entry(Value::Array(vec![id, fields]))?, Some(attempt)))
            })
            .collect()
    }

    pub(crate) async fn nack(
        &self,
        entry: &str,
        consumer: &str,
        attempt: u32,
        delay: Option<Duration>,
        reason: &str,
    ) -> Result<i64, QueueError> {
        let mut conn = pooled(&self.pool).await?;
        let reply: Value = self
            .scripts
            .nack
            .key(&self.keys.stream)
            .key(&self.keys.retry)
            .key(&self.keys.dead)
            .arg(GROUP)
            .arg(&self.keys.prefix)
            .arg(entry)
            .arg(consumer)
            .arg(attempt)
            .arg(delay.map_or(-1, |delay| i64::try_from(millis(delay)).unwrap_or(i64::MAX)))
            .arg(reason)
            .arg(self.config.dead_letter_max_len)
            .invoke_async(&mut *conn)
            .await
            .map_err(classify)?;
        reply::int(&reply, "nack")
    }

    /// Restarts the lease on `entry` if `consumer` still holds it: 1, else 0 or -1 (as ACK).
    pub(crate) async fn extend(&self, entry: &str, consumer: &str) -> Result<i64, QueueError> {
        let mut conn = pooled(&self.pool).await?;
        let reply: Value = self
            .scripts
            .extend
            .key(&self.keys.stream)
            .arg(GROUP)
            .arg(entry)
            .arg(consumer)
            .invoke_async(&mut *conn)
            .await
            .map_err(classify)?;
        reply::int(&reply, "extend")
    }

    pub(crate) async fn stats(&self) -> Result<QueueStats, QueueError> {
        let mut conn = pooled(&self.pool).await?;
        let reply: Value = self
            .scripts
            .stats
            .key(&self.keys.stream)
            .key(&self.keys.delayed)
            .key(&self.keys.retry)
            .key(&self.keys.dead)
            .arg(GROUP)
            .invoke_async(&mut *conn)
            .await
            .map_err(classify)?;
        let parts = reply::array(reply, "stats")?;
        let count = |index: usize| -> Result<u64, QueueError> {
            let value = parts
                .get(index)
                .ok_or_else(|| QueueError::Server("short stats reply".into()))?;
            Ok(u64::try_from(reply::int(value, "stats count")?).unwrap_or(0))
        };
        let oldest = parts
            .get(5)
            .map(|value| reply::int(value, "oldest"))
            .transpose()?
            .and_then(|ms| u64::try_from(ms).ok())
            .map(Duration::from_millis);
        let mut stats = QueueStats {
            pending: count(0)?,
            in_flight: count(1)?,
            delayed: count(2)?,
            retrying: count(3)?,
            dead: count(4)?,
            oldest_pending_age: oldest,
            in_flight_by_consumer: Default::default(),
        };
        if let Some(consumers) = parts.get(6) {
            for row in reply::array(consumers.clone(), "consumers")? {
                let mut pair = reply::array(row, "consumer")?.into_iter();
                if let (Some(name), Some(held)) = (pair.next(), pair.next()) {
                    let held = u64::try_from(reply::int(&held, "held")?).unwrap_or(0);
                    stats
                        .in_flight_by_consumer
                        .insert(reply::text(name, "consumer name")?, held);
                }
            }
        }
        Ok(stats)
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
