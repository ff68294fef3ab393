//! The in-process queue: the same semantics as the Redis one (unique keys, delays, leases,
//! retries, dead letters, stats), held in one mutex-guarded state and woken by a `Notify`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Instant, SystemTime};

use async_trait::async_trait;
use tokio::sync::Notify;

use crate::config::QueueBuilder;
use crate::error::QueueError;
use crate::queue::{Consumer, LeasedTask, Settle, SlotBatch, Slots, Source, TaskQueue};
use crate::task::{DeadLetter, Enqueued, Nacked, NewTask, QueueStats, Task};
use crate::task_id::TaskId;

/// The in-process [`TaskQueue`]; cheap to clone (clones share the queue).
#[derive(Clone)]
pub struct MemoryQueue {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for MemoryQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryQueue").finish_non_exhaustive()
    }
}

struct Inner {
    config: QueueBuilder,
    state: Mutex<State>,
    // Woken when a task becomes ready or a scheduled time changes.
    wake: Notify,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Waiting {
    Delayed,
    Retry,
}

struct Ready {
    task: Task,
    ready_at: Instant,
}

struct Lease {
    task: Task,
    consumer: Arc<str>,
    expires_at: Instant,
}

#[derive(Default)]
struct State {
    ready: VecDeque<Ready>,
    scheduled: BTreeMap<(Instant, u64), (Task, Waiting)>,
    delayed: u64,
    retrying: u64,
    // Keyed by a token that grows with time: every lease lasts the same, so the first
    // entry is always the next to expire (an extended lease gets a new token).
    leases: BTreeMap<u64, Lease>,
    unique: HashMap<String, (TaskId, Instant)>,
    dead: VecDeque<DeadLetter>,
    next_seq: u64,
}

impl MemoryQueue {
    pub(crate) fn new(config: QueueBuilder) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                state: Mutex::new(State::default()),
                wake: Notify::new(),
            }),
        }
    }
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        // Every mutation below completes without panicking points, so a poisoned lock still
        // guards a consistent state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn enqueue(
        &self,
        state: &mut State,
        new: NewTask,
        now: Instant,
        wall: SystemTime,
    ) -> (Enqueued, bool) {
        let id = TaskId::generate();
        if let Some(key) = &new.unique_key {
            if let Some((existing, expires_at)) = state.unique.get(key)
                && *expires_at > now
            {
                let existing = existing.clone();
                return (Enqueued::Duplicate { existing }, false);
            }
            state
                .unique
                .insert(key.clone(), (id.clone(), now + self.config.unique_key_ttl));
        }
        let task = Task {
            id: id.clone(),
            unique_key: new.unique_key,
            payload: new.payload,
            attempt: 1,
            enqueued_at: wall,
        };
        let due = new
            .not_before
            .and_then(|at| at.duration_since(wall).ok())
            .filter(|wait| !wait.is_zero());
        match due {
            Some(wait) => state.schedule(now + wait, task, Waiting::Delayed),
            None => state.ready.push_back(Ready {
                task,
                ready_at: now,
            }),
        }
        (Enqueued::Queued(id), true)
    }

    /// Leases up to `limit` tasks to `consumer`: expired leases first (as their next
    /// attempt, or to the dead letters when attempts ran out), then ready tasks. Also returns
    /// when something next becomes due.
    fn take(
        &self,
        consumer: &Arc<str>,
        limit: usize,
        now: Instant,
    ) -> (Vec<(Task, u64, Instant)>, Option<Instant>) {
        let mut state = self.state();
        state.promote_due(now);
        let mut taken = Vec::new();
        while taken.len() < limit
            && let Some(entry) = state.leases.first_entry()
            && entry.get().expires_at <= now
        {
            let mut task = entry.remove().task;
            if task.attempt >= self.config.max_attempts {
                let reason = format!("lease expired on attempt {}", task.attempt);
                state.bury(task, reason, self.config.dead_letter_max_len);
                continue;
            }
            task.attempt += 1;
            taken.push(task);
        }
        while taken.len() < limit
            && let Some(ready) = state.ready.pop_front()
        {
            taken.push(ready.task);
        }
        let expires_at = now + self.config.lease;
        let leased = taken
            .into_iter()
            .map(|task| {
                let token = state.lease(Lease {
                    task: task.clone(),
                    consumer: Arc::clone(consumer),
                    expires_at,
                });
                (task, token, expires_at)
            })
            .collect();
        let next_due = [
            state.scheduled.first_key_value().map(|(&(at, _), _)| at),
            state
                .leases
                .first_key_value()
                .map(|(_, lease)| lease.expires_at),
        ]
        .into_iter()
        .flatten()
        .min();
        (leased, next_due)
    }

    fn ack(&self, token: u64, task: &Task) -> Result<(), QueueError> {
        let mut state = self.state();
        let lease = state
            .end_lease(token)
            .ok_or_else(|| QueueError::LeaseLost {
                task_id: task.id.clone(),
            })?;
        state.release_key(&lease.task);
        Ok(())
    }

    /// Restarts the lease of `token`; returns the lease's new token and end.
    fn extend(&self, token: u64, task: &Task, now: Instant) -> Result<(u64, Instant), QueueError> {
        let mut state = self.state();
        let mut lease = state
            .leases
            .remove(&token)
            .ok_or_else(|| QueueError::LeaseLost {
                task_id: task.id.clone(),
            })?;
        lease.expires_at = now + self.config.lease;
        let expires_at = lease.expires_at;
        let token = state.lease(lease);
        Ok((token, expires_at))
    }

    fn nack(
        &self,
        token: u64,
        task: &Task,
        reason: &str,
        now: Instant,
    ) -> Result<Nacked, QueueError> {
        let mut state = self.state();
        let mut lease = state
            .end_lease(token)
            .ok_or_else(|| QueueError::LeaseLost {
                task_id: task.id.clone(),
            })?;
        // The lease's copy counts attempts, the caller's copy is only what it was given.
        if lease.task.attempt >= self.config.max_attempts {
            state.bury(
                lease.task,
                reason.to_owned(),
                self.config.dead_letter_max_len,
            );
            return Ok(Nacked::DeadLettered);
        }
        let delay = self.config.retry_delay(lease.task.attempt);
        lease.task.attempt += 1;
        let next_attempt = lease.task.attempt;
        state.schedule(now + delay, lease.task, Waiting::Retry);
        drop(state);
        self.wake.notify_waiters();
        Ok(Nacked::Retrying {
            next_attempt,
            delay,
        })
    }
}

impl State {
    fn schedule(&mut self, at: Instant, task: Task, waiting: Waiting) {
        self.next_seq += 1;
        match waiting {
            Waiting::Delayed => self.delayed += 1,
            Waiting::Retry => self.retrying += 1,
        }
        self.scheduled.insert((at, self.next_seq), (task, waiting));
    }

    fn promote_due(&mut self, now: Instant) {
        while let Some(entry) = self.scheduled.first_entry()
            && entry.key().0 <= now
        {
            let due = entry.key().0;
            let (task, waiting) = entry.remove();
            match waiting {
                Waiting::Delayed => self.delayed -= 1,
                Waiting::Retry => self.retrying -= 1,
            }
            self.ready.push_back(Ready {
                task,
                ready_at: due,
            });
        }
    }

    fn lease(&mut self, lease: Lease) -> u64 {
        self.next_seq += 1;
        self.leases.insert(self.next_seq, lease);
        self.next_seq
    }

    fn end_lease(&mut self, token: u64) -> Option<Lease> {
        self.leases.remove(&token)
    }

    fn release_key(&mut self, task: &Task) {
        if let Some(key) = &task.unique_key
            && self
                .unique
                .get(key)
                .is_some_and(|(owner, _)| *owner == task.id)
        {
            self.unique.remove(key);
        }
    }

    fn bury(&mut self, task: Task, reason: String, max_len: usize) {
        self.release_key(&task);
        self.dead.push_back(DeadLetter {
            task,
            reason,
            failed_at: SystemTime::now(),
        });
        while self.dead.len() > max_len {
            self.dead.pop_front();
        }
    }
}

struct MemoryLease {
    queue: Arc<Inner>,
    // Changes when the lease is extended.
    token: AtomicU64,
}

impl MemoryLease {
    fn token(&self) -> u64 {
        self.token.load(Ordering::Relaxed)
    }
}

#[async_trait]
impl Settle for MemoryLease {
    async fn ack(&self, task: &Task, _: Instant) -> Result<(), QueueError> {
        self.queue.ack(self.token(), task)
    }

    async fn nack(&self, task: &Task, reason: &str, _: Instant) -> Result<Nacked, QueueError> {
        self.queue.nack(self.token(), task, reason, Instant::now())
    }

    async fn extend(&self, task: &Task) -> Result<Instant, QueueError> {
        let (token, expires_at) = self.queue.extend(self.token(), task, Instant::now())?;
        self.token.store(token, Ordering::Relaxed);
        Ok(expires_at)
    }
}

#[async_trait]
impl TaskQueue for MemoryQueue {
    async fn enqueue_many(&self, tasks: Vec<NewTask>) -> Result<Vec<Enqueued>, QueueError> {
        for task in &tasks {
            task.validate()?;
        }
        let now = Instant::now();
        let wall = SystemTime::now();
        let mut woke = false;
        let mut state = self.inner.state();
        let outcomes = tasks
            .into_iter()
            .map(|task| {
                let (outcome, changed) = self.inner.enqueue(&mut state, task, now, wall);
                woke |= changed;
                outcome
            })
            .collect();
        drop(state);
        if woke {
            self.inner.wake.notify_waiters();
        }
        Ok(outcomes)
    }

    async fn consumer(&self, name: &str, concurrency: usize) -> Result<Consumer, QueueError> {
        let slots = Slots::new(concurrency, self.inner.config.batch_size)?;
        let name: Arc<str> = Arc::from(name);
        let source = MemorySource {
            queue: Arc::clone(&self.inner),
            name: Arc::clone(&name),
            slots,
            leased: VecDeque::new(),
        };
        Ok(Consumer::new(name, Box::new(source)))
    }

    async fn stats(&self) -> Result<QueueStats, QueueError> {
        let now = Instant::now();
        // Due tasks are not promoted here: like Redis, a queue counts a delayed task as
        // delayed until a consumer looks for work.
        let state = self.inner.state();
        let mut in_flight_by_consumer = BTreeMap::new();
        for lease in state.leases.values() {
            *in_flight_by_consumer
                .entry(lease.consumer.to_string())
                .or_insert(0) += 1;
        }
        Ok(QueueStats {
            pending: state.ready.len() as u64,
            in_flight: state.leases.len() as u64,
            delayed: state.delayed,
            retrying: state.retrying,
            dead: state.dead.len() as u64,
            oldest_pending_age: state
                .ready
                .front()
                .map(|ready| now.saturating_duration_since(ready.ready_at)),
            in_flight_by_consumer,
        })
    }

    async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>, QueueError> {
        let state = self.inner.state();
        Ok(state.dead.iter().rev().take(limit).cloned().collect())
    }
}

/// A consumer pulls straight from the queue: no fetch task, no channel.
struct MemorySource {
    queue: Arc<Inner>,
    name: Arc<str>,
    slots: Slots,
    // Taken in one go when several slots were free, handed out one by one.
    leased: VecDeque<LeasedTask>,
}

impl MemorySource {
    /// Leases as many ready tasks as `batch` has slots; `Err` with the next due time when
    /// there were none.
    fn fill(&mut self, batch: &mut SlotBatch) -> Result<(), Option<Instant>> {
        let (leased, next_due) = self.queue.take(&self.name, batch.len(), Instant::now());
        if leased.is_empty() {
            return Err(next_due);
        }
        for (task, token, expires_at) in leased {
            let Some(slot) = batch.take_one() else { break };
            let lease = MemoryLease {
                queue: Arc::clone(&self.queue),
                token: AtomicU64::new(token),
            };
            self.leased
                .push_back(LeasedTask::new(task, expires_at, Box::new(lease), slot));
        }
        Ok(())
    }
}

#[async_trait]
impl Source for MemorySource {
    async fn next(&mut self) -> Option<Result<LeasedTask, QueueError>> {
        if let Some(delivery) = self.leased.pop_front() {
            return Some(Ok(delivery));
        }
        let mut batch = self.slots.acquire().await;
        loop {
            // Look first without registering for wake-ups (the busy path), then register
            // and look again, so a wake-up between the look and the wait is not lost.
            if self.fill(&mut batch).is_ok() {
                break;
            }
            let queue = Arc::clone(&self.queue);
            let woken = queue.wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            let next_due = match self.fill(&mut batch) {
                Ok(()) => break,
                Err(next_due) => next_due,
            };
            // Leases taken after this look are noticed within one block timeout, as with Redis.
            let limit = Instant::now() + queue.config.block_timeout;
            let wake_at = next_due.map_or(limit, |due| due.min(limit));
            tokio::select! {
                () = &mut woken => {}
                () = tokio::time::sleep_until(wake_at.into()) => {}
            }
        }
        self.leased.pop_front().map(Ok)
    }

    fn stop(&mut self) -> Vec<LeasedTask> {
        self.leased.drain(..).collect()
    }
}
