//! Settling Redis deliveries: acks gathered into batches by one task per queue, nacks one
//! script call each, both retried across lost connections while the lease holds.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use redis::Value;
use tokio::sync::{mpsc, oneshot};

use super::reply;
use super::shared::{AckRequest, GROUP, Inner, Shared};
use super::{HeldConnection, classify, with_retry};
use crate::backoff::Backoff;
use crate::error::QueueError;
use crate::queue::Settle;
use crate::task::{Nacked, Task};

/// Sends queued acks to Redis together: one script call acks everything that arrived while
/// the previous call was in flight.
pub(crate) async fn ack_loop(
    shared: Arc<Shared>,
    mut requests: mpsc::UnboundedReceiver<AckRequest>,
) {
    let limit = shared.config.batch_size;
    let mut batch = Vec::with_capacity(limit);
    let mut held = HeldConnection::new(shared.pool.clone());
    while requests.recv_many(&mut batch, limit).await > 0 {
        let mut invocation = shared.scripts.ack.prepare_invoke();
        invocation
            .key(&shared.keys.stream)
            .arg(GROUP)
            .arg(&shared.keys.prefix);
        for request in &batch {
            invocation
                .arg(&request.entry)
                .arg(&*request.consumer)
                .arg(&request.task_id)
                .arg(&request.key);
        }
        let outcome = async {
            let reply: Value = invocation
                .invoke_async(held.get().await?)
                .await
                .map_err(classify)?;
            reply::array(reply, "ack")?
                .iter()
                .map(|code| reply::int(code, "ack"))
                .collect::<Result<Vec<_>, _>>()
        }
        .await;
        if outcome.as_ref().is_err_and(QueueError::is_retryable) {
            held.failed();
        }
        match outcome {
            Ok(codes) if codes.len() == batch.len() => {
                for (request, code) in batch.drain(..).zip(codes) {
                    let _ = request.reply.send(Ok(code));
                }
            }
            Ok(_) => {
                let error = QueueError::Server("ack returned the wrong count".into());
                for request in batch.drain(..) {
                    let _ = request.reply.send(Err(error.clone()));
                }
            }
            Err(error) => {
                for request in batch.drain(..) {
                    let _ = request.reply.send(Err(error.clone()));
                }
            }
        }
    }
}

/// The receipt of one Redis delivery: its stream entry, owned by `consumer`.
pub(crate) struct RedisLease {
    pub(crate) queue: Arc<Inner>,
    pub(crate) entry: String,
    pub(crate) consumer: Arc<str>,
}

/// The share of the lease a consumer counts on: the server started the lease clock when it
/// handed the task over, a little before the reply arrived here.
pub(crate) fn counted_lease(lease: Duration) -> Duration {
    lease - lease / 10
}

impl RedisLease {
    /// Runs `attempt` until it answers, retrying lost connections while the lease holds.
    /// After a lost connection the earlier try may have gone through, so "not pending" then
    /// means it did: within the lease nobody else could have settled the task.
    async fn settle<F, Fut>(
        &self,
        task: &Task,
        leased_until: Instant,
        mut attempt: F,
    ) -> Result<i64, QueueError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<i64, QueueError>>,
    {
        let mut backoff = Backoff::new();
        let mut retried = false;
        loop {
            match attempt().await {
                Ok(0) if retried => return Ok(0),
                Ok(0 | -1) => {
                    return Err(QueueError::LeaseLost {
                        task_id: task.id.clone(),
                    });
                }
                Ok(code) => return Ok(code),
                Err(error) if error.is_retryable() => {
                    let pause = backoff.next_delay();
                    if Instant::now() + pause >= leased_until {
                        return Err(error);
                    }
                    retried = true;
                    tokio::time::sleep(pause).await;
                }
                Err(error) => return Err(error),
            }
        }
    }
}

#[async_trait]
impl Settle for RedisLease {
    async fn ack(&self, task: &Task, leased_until: Instant) -> Result<(), QueueError> {
        self.settle(task, leased_until, || async {
            let (reply, answer) = oneshot::channel();
            self.queue
                .acks
                .send(AckRequest {
                    entry: self.entry.clone(),
                    consumer: Arc::clone(&self.consumer),
                    task_id: task.id.as_str().to_owned(),
                    key: task.unique_key.clone().unwrap_or_default(),
                    reply,
                })
                .map_err(|_| QueueError::Closed)?;
            answer.await.map_err(|_| QueueError::Closed)?
        })
        .await
        .map(drop)
    }

    async fn nack(
        &self,
        task: &Task,
        reason: &str,
        leased_until: Instant,
    ) -> Result<Nacked, QueueError> {
        let shared = &self.queue.shared;
        let delay = (task.attempt < shared.config.max_attempts)
            .then(|| shared.config.retry_delay(task.attempt));
        let code = self
            .settle(task, leased_until, || {
                shared.nack(&self.entry, &self.consumer, task.attempt, delay, reason)
            })
            .await?;
        // 0 here means an earlier try whose reply was lost went through.
        Ok(match (code, delay) {
            (0 | 1, Some(delay)) => Nacked::Retrying {
                next_attempt: task.attempt + 1,
                delay,
            },
            _ => Nacked::DeadLettered,
        })
    }

    async fn extend(&self, task: &Task) -> Result<Instant, QueueError> {
        let shared = &self.queue.shared;
        let asked_at = Instant::now();
        let code = with_retry(shared.config.retry_budget, || {
            shared.extend(&self.entry, &self.consumer)
        })
        .await?;
        if code != 1 {
            return Err(QueueError::LeaseLost {
                task_id: task.id.clone(),
            });
        }
        Ok(asked_at + counted_lease(shared.config.lease))
    }
}
