//! The Redis queue: enqueue, promotion, reclaim, stats and dead letters, each one script
//! call through the pool.

use std::sync::Arc;

use async_trait::async_trait;
use redis::Value;
use tokio::sync::mpsc;

use super::reply;
use super::scripts::Scripts;
use super::shared::{Inner, Keys, Shared};
use super::{classify, open_redis, pooled, with_retry};
use crate::config::QueueBuilder;
use crate::error::QueueError;
use crate::queue::{ChannelSource, Consumer, Slots, TaskQueue, leased_channel};
use crate::task::{DeadLetter, Enqueued, NewTask, QueueStats};
use crate::task_id::TaskId;

/// The [`TaskQueue`] on Redis; cheap to clone (clones share the pool).
#[derive(Clone)]
pub struct RedisQueue {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RedisQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisQueue")
            .field("prefix", &self.inner.shared.keys.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisQueue {
    pub(crate) async fn connect(
        config: QueueBuilder,
        url: &str,
        prefix: &str,
    ) -> Result<Self, QueueError> {
        let (client, pool) = open_redis(url, prefix, config.pool_size, config.connect_timeout)?;
        let keys = Keys {
            prefix: prefix.to_owned(),
            stream: format!("{prefix}:stream"),
            delayed: format!("{prefix}:delayed"),
            retry: format!("{prefix}:retry"),
            dead: format!("{prefix}:dead"),
        };
        let shared = Arc::new(Shared {
            config,
            pool,
            client,
            keys,
            scripts: Scripts::new(),
        });
        with_retry(shared.config.retry_budget, || shared.ensure_group()).await?;
        let (acks, requests) = mpsc::unbounded_channel();
        let acker = tokio::spawn(super::lease::ack_loop(Arc::clone(&shared), requests));
        Ok(Self {
            inner: Arc::new(Inner {
                shared,
                acks,
                acker,
            }),
        })
    }

    /// The prefix every key of this queue starts with.
    pub fn prefix(&self) -> &str {
        &self.inner.shared.keys.prefix
    }

    /// Deletes every key under the prefix: tasks, consumer group, unique keys, dead letters.
    /// For tests and for retiring a queue; consumers still running start from scratch.
    pub async fn destroy(&self) -> Result<(), QueueError> {
        let shared = &self.inner.shared;
        let pattern = format!("{}:*", escape_glob(&shared.keys.prefix));
        let mut conn = pooled(&shared.pool).await?;
        let mut cursor: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(500)
                .query_async(&mut *conn)
                .await
                .map_err(classify)?;
            if !keys.is_empty() {
                redis::cmd("UNLINK")
                    .arg(&keys)
                    .query_async::<()>(&mut *conn)
                    .await
                    .map_err(classify)?;
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }
}

fn escape_glob(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[async_trait]
impl TaskQueue for RedisQueue {
    async fn enqueue_many(&self, tasks: Vec<NewTask>) -> Result<Vec<Enqueued>, QueueError> {
        for task in &tasks {
            task.validate()?;
        }
        let shared = &self.inner.shared;
        let with_ids: Vec<(TaskId, &NewTask)> = tasks
            .iter()
            .map(|task| (TaskId::generate(), task))
            .collect();
        let mut outcomes = Vec::with_capacity(tasks.len());
        for batch in with_ids.chunks(shared.config.batch_size) {
            outcomes.extend(shared.enqueue_batch(batch).await?);
        }
        Ok(outcomes)
    }

    async fn consumer(&self, name: &str, concurrency: usize) -> Result<Consumer, QueueError> {
        if name.is_empty() {
            return Err(QueueError::InvalidArgument(
                "consumer name must not be empty".into(),
            ));
        }
        let slots = Slots::new(concurrency, self.inner.shared.config.batch_size)?;
        let name: Arc<str> = Arc::from(name);
        let (sender, receiver) = leased_channel(concurrency);
        let fetcher = tokio::spawn(super::consumer::fetch_loop(
            Arc::clone(&self.inner),
            Arc::clone(&name),
            slots,
            sender,
        ));
        Ok(Consumer::new(
            name,
            Box::new(ChannelSource::new(receiver, fetcher)),
        ))
    }

    async fn stats(&self) -> Result<QueueStats, QueueError> {
        let shared = &self.inner.shared;
        with_retry(shared.config.retry_budget, || shared.stats()).await
    }

    async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>, QueueError> {
        let shared = &self.inner.shared;
        let reply = with_retry(shared.config.retry_budget, || async {
            let mut conn = pooled(&shared.pool).await?;
            redis::cmd("XREVRANGE")
                .arg(&shared.keys.dead)
                .arg("+")
                .arg("-")
                .arg("COUNT")
                .arg(limit)
                .query_async::<Value>(&mut *conn)
                .await
                .map_err(classify)
        })
        .await?;
        reply::entries(reply)?
            .into_iter()
            .map(|mut entry| entry.dead_letter())
            .collect()
    }
}
