//! A Redis consumer's background work: take over expired leases, read new tasks with a
//! blocking XREADGROUP on a connection of its own, and promote due delayed tasks.

use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Value};
use tokio::task::JoinHandle;

use super::classify;
use super::lease::{RedisLease, counted_lease};
use super::reply::{self, Entry};
use super::shared::{GROUP, Inner, Shared};
use crate::backoff::Backoff;
use crate::error::QueueError;
use crate::queue::{LeasedSender, LeasedTask, Slots};

/// Extra wait on a blocking read beyond its BLOCK time before the connection is presumed
/// dead (the blocking connection has no response timeout of its own).
const READ_GRACE: Duration = Duration::from_secs(5);

struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub(crate) async fn fetch_loop(
    queue: Arc<Inner>,
    name: Arc<str>,
    slots: Slots,
    deliveries: LeasedSender,
) {
    let shared = Arc::clone(&queue.shared);
    let _promoter = AbortOnDrop(tokio::spawn(promote_loop(
        Arc::clone(&shared),
        deliveries.clone(),
    )));
    let mut reader: Option<MultiplexedConnection> = None;
    let mut backoff = Backoff::new();
    // A consumer that just started looks for abandoned tasks first.
    let mut next_reclaim = Instant::now();
    let counted_lease = counted_lease(shared.config.lease);
    loop {
        let mut batch = slots.acquire().await;
        let wanted = batch.len();
        match fetch(&shared, &name, &mut reader, wanted, &mut next_reclaim).await {
            Ok(fetched) => {
                backoff.reset();
                let leased_until = Instant::now() + counted_lease;
                for (mut entry, attempt) in fetched {
                    let task = match entry.task(attempt) {
                        Ok(task) => task,
                        Err(error) => {
                            // Not one of ours: left in place, it ends in the dead letters once
                            // its lease expired often enough.
                            let _ = deliveries.try_send(Err(error));
                            continue;
                        }
                    };
                    let Some(slot) = batch.take_one() else {
                        return;
                    };
                    let lease = RedisLease {
                        queue: Arc::clone(&queue),
                        entry: entry.id,
                        consumer: Arc::clone(&name),
                    };
                    let delivery = LeasedTask::new(task, leased_until, Box::new(lease), slot);
                    if deliveries.send(Ok(delivery)).await.is_err() {
                        return;
                    }
                }
            }
            Err(error) => {
                reader = None;
                drop(batch);
                let pause = backoff.next_delay();
                tracing::debug!(consumer = %name, %error, ?pause, "fetch failed");
                let _ = deliveries.try_send(Err(error));
                tokio::time::sleep(pause).await;
            }
        }
    }
}

async fn fetch(
    shared: &Shared,
    name: &str,
    reader: &mut Option<MultiplexedConnection>,
    wanted: usize,
    next_reclaim: &mut Instant,
) -> Result<Vec<(Entry, Option<u32>)>, QueueError> {
    let mut fetched = Vec::new();
    if Instant::now() >= *next_reclaim {
        fetched = shared.reclaim(name, wanted).await?;
        *next_reclaim = Instant::now() + shared.config.reclaim_interval;
    }
    let remaining = wanted.saturating_sub(fetched.len());
    if remaining == 0 {
        return Ok(fetched);
    }
    let conn = match reader {
        Some(conn) => conn,
        None => reader.insert(open_reader(shared).await?),
    };
    // Block only when there is nothing to hand out yet.
    let block = fetched.is_empty().then_some(shared.config.block_timeout);
    let mut read = redis::cmd("XREADGROUP");
    read.arg("GROUP")
        .arg(GROUP)
        .arg(name)
        .arg("COUNT")
        .arg(remaining);
    if let Some(block) = block {
        read.arg("BLOCK")
            .arg(u64::try_from(block.as_millis()).unwrap_or(u64::MAX));
    }
    read.arg("STREAMS").arg(&shared.keys.stream).arg(">");
    let limit = block.unwrap_or_default() + READ_GRACE;
    let reply = tokio::time::timeout(limit, read.query_async::<Value>(conn))
        .await
        .map_err(|_| QueueError::unavailable("blocking read got no answer"))?;
    match reply {
        Ok(reply) => fetched.extend(reply::read_group(reply)?.into_iter().map(|e| (e, None))),
        // The group is gone (a Redis without persistence restarted, or keys were deleted):
        // recreate it and read again next time.
        Err(error) if error.code() == Some("NOGROUP") => shared.ensure_group().await?,
        Err(error) => return Err(classify(error)),
    }
    Ok(fetched)
}

/// A connection for blocking reads: the client's default response timeout (500 ms) would
/// cut every BLOCK short, so it is off and `fetch` bounds the wait itself.
async fn open_reader(shared: &Shared) -> Result<MultiplexedConnection, QueueError> {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(shared.config.connect_timeout))
        .set_response_timeout(None);
    shared
        .client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .map_err(classify)
}

/// Moves due delayed and retrying tasks into the stream, sleeping until the next is due
/// (at most the promote interval, since other processes schedule tasks too).
async fn promote_loop(shared: Arc<Shared>, errors: LeasedSender) {
    let mut backoff = Backoff::new();
    let interval = shared.config.promote_interval;
    loop {
        match shared.promote().await {
            Ok((moved, _)) if moved >= shared.config.batch_size => backoff.reset(),
            Ok((_, next_due)) => {
                backoff.reset();
                let pause = next_due.map_or(interval, |due| due.min(interval));
                tokio::time::sleep(pause.max(Duration::from_millis(1))).await;
            }
            Err(error) => {
                let _ = errors.try_send(Err(error));
                tokio::time::sleep(backoff.next_delay()).await;
            }
        }
    }
}
