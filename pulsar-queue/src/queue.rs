//! The `TaskQueue` trait both backends implement, and the consumer side they share:
//! a stream of leased deliveries, each settled by ack or nack, at most `concurrency` at a time.

use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::{Notify, mpsc};
use tokio::task::{JoinHandle, JoinSet};

use crate::error::QueueError;
use crate::task::{DeadLetter, Enqueued, Nacked, NewTask, QueueStats, Task};

/// An at-least-once task queue with unique keys, delays, leases, retries and dead letters.
///
/// Object safe: an `Arc<dyn TaskQueue>` lets a server pick Redis or in-process at startup.
#[async_trait]
pub trait TaskQueue: Send + Sync + 'static {
    /// Enqueues one task; see [`TaskQueue::enqueue_many`].
    async fn enqueue(&self, task: NewTask) -> Result<Enqueued, QueueError> {
        let mut outcomes = self.enqueue_many(vec![task]).await?;
        outcomes
            .pop()
            .ok_or_else(|| QueueError::Server("enqueue returned no outcome".into()))
    }

    /// Enqueues tasks in order, in batches, with one outcome per task. A task whose unique
    /// key is held by a pending task is dropped ([`Enqueued::Duplicate`]).
    async fn enqueue_many(&self, tasks: Vec<NewTask>) -> Result<Vec<Enqueued>, QueueError>;

    /// Starts a consumer named `name` that holds at most `concurrency` unsettled deliveries
    /// at once. Names should be unique among live consumers (host and process, say): stats
    /// are counted per name. Dropping the consumer stops its fetching; deliveries it
    /// handed out stay valid until their lease ends.
    async fn consumer(&self, name: &str, concurrency: usize) -> Result<Consumer, QueueError>;

    /// Counters of the queue as a whole.
    async fn stats(&self) -> Result<QueueStats, QueueError>;

    /// Up to `limit` dead letters, newest first.
    async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>, QueueError>;
}

/// How a backend settles one delivery; the receipt (stream entry, lease token) lives in the
/// implementing value.
/// `leased_until` is the delivery's current estimate of its lease end: retries after a lost
/// connection stop there.
#[async_trait]
pub(crate) trait Settle: Send + Sync {
    async fn ack(&self, task: &Task, leased_until: Instant) -> Result<(), QueueError>;
    async fn nack(
        &self,
        task: &Task,
        reason: &str,
        leased_until: Instant,
    ) -> Result<Nacked, QueueError>;
    /// Restarts the lease; returns its new end.
    async fn extend(&self, task: &Task) -> Result<Instant, QueueError>;
}

/// One leased task. Settle it with [`ack`](Self::ack) or [`nack`](Self::nack); dropping it
/// unsettled leaves the task leased until the lease expires, then it is delivered again.
pub struct LeasedTask {
    task: Task,
    leased_until: Instant,
    settle: Box<dyn Settle>,
    // Held until the delivery is settled or dropped: the consumer's concurrency bound.
    _slot: Slot,
}

impl std::fmt::Debug for LeasedTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeasedTask")
            .field("task", &self.task)
            .field("leased_until", &self.leased_until)
            .finish_non_exhaustive()
    }
}

impl LeasedTask {
    pub(crate) fn new(
        task: Task,
        leased_until: Instant,
        settle: Box<dyn Settle>,
        slot: Slot,
    ) -> Self {
        Self {
            task,
            leased_until,
            settle,
            _slot: slot,
        }
    }

    pub fn task(&self) -> &Task {
        &self.task
    }

    /// When the lease ends and another consumer may take the task.
    pub fn leased_until(&self) -> Instant {
        self.leased_until
    }

    /// Restarts the lease for another full lease period, for work that may outlast it.
    /// [`QueueError::LeaseLost`] means another consumer took the task over already.
    pub async fn extend_lease(&mut self) -> Result<(), QueueError> {
        self.leased_until = self.settle.extend(&self.task).await?;
        Ok(())
    }

    /// Runs `work` while keeping the lease: it is extended each time half of what remains
    /// has passed, so a task whose work outlasts one lease period (a check with a long
    /// timeout) is never handed to another consumer meanwhile. If the lease is lost anyway
    /// (the queue was unreachable for longer than the lease), `work` still runs to its end
    /// and the settle that follows reports [`QueueError::LeaseLost`].
    pub async fn hold_while<F: Future>(&mut self, work: F) -> F::Output {
        /// Never renew more often than this, whatever is left of the lease.
        const MIN_PAUSE: Duration = Duration::from_millis(20);
        tokio::pin!(work);
        let mut holding = true;
        loop {
            let now = Instant::now();
            let pause = (self.leased_until.saturating_duration_since(now) / 2).max(MIN_PAUSE);
            tokio::select! {
                output = &mut work => return output,
                () = tokio::time::sleep(pause), if holding => {
                    match self.extend_lease().await {
                        Ok(()) => {}
                        Err(QueueError::LeaseLost { .. }) => {
                            tracing::warn!(task = %self.task.id, "lease lost while its work ran");
                            holding = false;
                        }
                        Err(error) => {
                            tracing::warn!(task = %self.task.id, %error, "could not extend a lease; retrying");
                        }
                    }
                }
            }
        }
    }

    /// The task is done: it leaves the queue and its unique key is released.
    /// [`QueueError::LeaseLost`] means another consumer took the task over first and its
    /// delivery settles it; exactly one ack of a task succeeds.
    pub async fn ack(self) -> Result<(), QueueError> {
        self.settle.ack(&self.task, self.leased_until).await
    }

    /// The task failed: it is retried after the backoff delay, or dead-lettered with
    /// `reason` once it used its last attempt.
    pub async fn nack(self, reason: &str) -> Result<Nacked, QueueError> {
        self.settle
            .nack(&self.task, reason, self.leased_until)
            .await
    }
}

/// Where a consumer's deliveries come from: a backend's fetch loop behind a channel
/// (Redis), or the queue itself, pulled directly (in-process).
#[async_trait]
pub(crate) trait Source: Send {
    /// The next delivery or backend failure; must be cancel safe (used in `select!`).
    async fn next(&mut self) -> Option<Result<LeasedTask, QueueError>>;
    /// Stops fetching; returns the deliveries already leased to this consumer.
    fn stop(&mut self) -> Vec<LeasedTask>;
}

/// A running consumer: deliveries come from [`next`](Self::next), or a handler runs for each
/// with [`run`](Self::run).
pub struct Consumer {
    name: Arc<str>,
    source: Box<dyn Source>,
}

impl std::fmt::Debug for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Consumer {
    pub(crate) fn new(name: Arc<str>, source: Box<dyn Source>) -> Self {
        Self { name, source }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The next delivery, waiting while `concurrency` deliveries are unsettled. An `Err`
    /// reports a backend failure; the consumer keeps retrying with backoff and recovers by
    /// itself. `None` only once the queue has shut down.
    pub async fn next(&mut self) -> Option<Result<LeasedTask, QueueError>> {
        self.source.next().await
    }

    /// Runs `handler` for every delivery, up to `concurrency` at once, forever: `Ok` acks,
    /// `Err(reason)` nacks. Each lease is held while its handler runs
    /// ([`LeasedTask::hold_while`]), however long that takes. Backend failures are logged
    /// and retried.
    pub async fn run<H, Fut, E>(self, handler: H)
    where
        H: Fn(Task) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Display + Send + 'static,
    {
        self.run_until(handler, std::future::pending::<()>()).await;
    }

    /// Like [`run`](Self::run), until `shutdown` resolves: then it stops fetching, finishes
    /// the deliveries it already holds and waits for every handler to settle.
    pub async fn run_until<H, Fut, E>(mut self, handler: H, shutdown: impl Future<Output = ()>)
    where
        H: Fn(Task) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Display + Send + 'static,
    {
        let handler = Arc::new(handler);
        let mut running = JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                Some(_) = running.join_next(), if !running.is_empty() => {}
                next = self.source.next() => match next {
                    Some(Ok(delivery)) => {
                        running.spawn(handle(Arc::clone(&handler), delivery));
                    }
                    Some(Err(error)) => {
                        tracing::warn!(consumer = %self.name, %error, "consumer backend failure; retrying");
                    }
                    None => break,
                },
            }
        }
        // Deliveries fetched before the stop are leased to this consumer: finish them rather
        // than leave them to wait out their lease.
        for delivery in self.source.stop() {
            running.spawn(handle(Arc::clone(&handler), delivery));
        }
        while running.join_next().await.is_some() {}
    }
}

/// Runs the handler with the lease held for as long as it takes, then settles.
async fn handle<H, Fut, E>(handler: Arc<H>, mut delivery: LeasedTask)
where
    H: Fn(Task) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: Display + Send + 'static,
{
    let task_id = delivery.task().id.clone();
    let work = handler(delivery.task().clone());
    let outcome = delivery.hold_while(work).await;
    let settled = match outcome {
        Ok(()) => delivery.ack().await,
        Err(reason) => delivery.nack(&reason.to_string()).await.map(drop),
    };
    if let Err(error) = settled {
        tracing::warn!(task = %task_id, %error, "could not settle task");
    }
}

/// Where a fetch loop sends deliveries and backend failures.
pub(crate) type LeasedSender = mpsc::Sender<Result<LeasedTask, QueueError>>;
pub(crate) type DeliveryReceiver = mpsc::Receiver<Result<LeasedTask, QueueError>>;

/// Concurrency slots of one consumer: a fetch takes as many as are free (at least one,
/// waiting for it) so it never leases more tasks than the consumer may hold. Each delivery
/// holds one slot until it is settled or dropped.
///
/// A counter and a `Notify` rather than a semaphore: returning a slot is one atomic add
/// and, unless the consumer waits for it, no lock.
pub(crate) struct Slots {
    pool: Arc<SlotPool>,
    max_batch: usize,
}

struct SlotPool {
    free: AtomicUsize,
    returned: Notify,
}

impl SlotPool {
    fn give_back(&self, count: usize) {
        self.free.fetch_add(count, Ordering::AcqRel);
        self.returned.notify_one();
    }
}

impl Slots {
    pub(crate) fn new(concurrency: usize, max_batch: usize) -> Result<Self, QueueError> {
        if concurrency == 0 {
            return Err(QueueError::InvalidArgument(
                "consumer concurrency must be at least 1".into(),
            ));
        }
        Ok(Self {
            pool: Arc::new(SlotPool {
                free: AtomicUsize::new(concurrency),
                returned: Notify::new(),
            }),
            max_batch: max_batch.max(1),
        })
    }

    /// Waits for one free slot, then takes every other free one up to the batch size.
    pub(crate) async fn acquire(&self) -> SlotBatch {
        loop {
            if let Some(batch) = self.try_take() {
                return batch;
            }
            let returned = self.pool.returned.notified();
            tokio::pin!(returned);
            returned.as_mut().enable();
            if let Some(batch) = self.try_take() {
                return batch;
            }
            returned.await;
        }
    }

    fn try_take(&self) -> Option<SlotBatch> {
        let mut free = self.pool.free.load(Ordering::Acquire);
        loop {
            if free == 0 {
                return None;
            }
            let take = free.min(self.max_batch);
            match self.pool.free.compare_exchange_weak(
                free,
                free - take,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    return Some(SlotBatch {
                        pool: Arc::clone(&self.pool),
                        count: take,
                    });
                }
                Err(now) => free = now,
            }
        }
    }
}

/// Slots taken for one fetch; those not handed to a delivery go back when it is dropped.
pub(crate) struct SlotBatch {
    pool: Arc<SlotPool>,
    count: usize,
}

impl SlotBatch {
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// One slot for a delivery.
    pub(crate) fn take_one(&mut self) -> Option<Slot> {
        self.count = self.count.checked_sub(1)?;
        Some(Slot {
            pool: Arc::clone(&self.pool),
        })
    }
}

impl Drop for SlotBatch {
    fn drop(&mut self) {
        if self.count > 0 {
            self.pool.give_back(self.count);
        }
    }
}

/// One delivery's share of its consumer's concurrency.
pub(crate) struct Slot {
    pool: Arc<SlotPool>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.pool.give_back(1);
    }
}

/// Deliveries from a background fetch loop; dropping it stops the loop.
pub(crate) struct ChannelSource {
    deliveries: DeliveryReceiver,
    fetcher: JoinHandle<()>,
}

impl ChannelSource {
    pub(crate) fn new(deliveries: DeliveryReceiver, fetcher: JoinHandle<()>) -> Self {
        Self {
            deliveries,
            fetcher,
        }
    }
}

impl Drop for ChannelSource {
    fn drop(&mut self) {
        self.fetcher.abort();
    }
}

#[async_trait]
impl Source for ChannelSource {
    async fn next(&mut self) -> Option<Result<LeasedTask, QueueError>> {
        self.deliveries.recv().await
    }

    fn stop(&mut self) -> Vec<LeasedTask> {
        self.fetcher.abort();
        let mut held = Vec::new();
        while let Ok(next) = self.deliveries.try_recv() {
            held.extend(next.ok());
        }
        held
    }
}

/// The channel between a fetch loop and its consumer. Its capacity covers every slot plus
/// room for error reports, so a fetch loop never waits on it for a delivery.
pub(crate) fn leased_channel(concurrency: usize) -> (LeasedSender, DeliveryReceiver) {
    mpsc::channel(concurrency.saturating_add(8))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn slots_hand_out_at_most_the_concurrency_and_come_back_on_drop() {
        let slots = Slots::new(3, 2).unwrap();
        let mut first = slots.acquire().await;
        assert_eq!(first.len(), 2, "a batch is capped at the batch size");
        let held = first.take_one().unwrap();
        drop(first); // the unused slot goes back
        let mut second = slots.acquire().await;
        assert_eq!(second.len(), 2);
        let others = [second.take_one().unwrap(), second.take_one().unwrap()];
        assert!(second.take_one().is_none());
        let waiting = tokio::time::timeout(Duration::from_millis(50), slots.acquire()).await;
        assert!(waiting.is_err(), "all 3 slots are held");
        drop(held);
        let third = tokio::time::timeout(Duration::from_secs(5), slots.acquire()).await;
        assert_eq!(third.map(|batch| batch.len()).ok(), Some(1));
        drop(others);
    }

    #[test]
    fn zero_concurrency_is_refused() {
        assert!(matches!(
            Slots::new(0, 1),
            Err(QueueError::InvalidArgument(_))
        ));
    }
}
