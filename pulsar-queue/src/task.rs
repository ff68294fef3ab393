//! What goes into the queue, what comes out, and what the queue reports about itself.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use prost::Message;
use pulsar_core::proto::v1;

use crate::error::QueueError;
use crate::task_id::TaskId;

/// A task to enqueue: an encoded pulsar-core message, optionally deduplicated and delayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    pub payload: Bytes,
    /// While a task with this key is pending (waiting, delayed, in flight or retrying), a
    /// second task with the same key is dropped.
    pub unique_key: Option<String>,
    /// Not delivered before this time.
    pub not_before: Option<SystemTime>,
}

impl NewTask {
    /// A task carrying `payload`, ready at once, without a unique key.
    pub fn new(payload: impl Into<Bytes>) -> Self {
        Self {
            payload: payload.into(),
            unique_key: None,
            not_before: None,
        }
    }

    /// A task carrying `message`, prost-encoded.
    pub fn message<M: Message>(message: &M) -> Self {
        Self::new(message.encode_to_vec())
    }

    /// The check of one monitor for one slot, keyed `"<monitor_id>:<slot_unix_ms>"` so each
    /// slot is queued once however often the scheduler tries.
    pub fn check(task: &v1::CheckTask) -> Self {
        Self::message(task).unique(task.unique_key())
    }

    /// Deduplicate on `key` (see [`NewTask::unique_key`]).
    pub fn unique(mut self, key: impl Into<String>) -> Self {
        self.unique_key = Some(key.into());
        self
    }

    /// Deliver no earlier than `at`.
    pub fn not_before(mut self, at: SystemTime) -> Self {
        self.not_before = Some(at);
        self
    }

    /// Deliver no earlier than `delay` from now.
    pub fn delay(self, delay: Duration) -> Self {
        self.not_before(SystemTime::now() + delay)
    }

    pub(crate) fn validate(&self) -> Result<(), QueueError> {
        if self.unique_key.as_deref() == Some("") {
            return Err(QueueError::InvalidArgument(
                "a unique key must not be empty".into(),
            ));
        }
        Ok(())
    }
}

/// What an enqueue did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enqueued {
    /// The task is queued (or scheduled, if it has a future `not_before`).
    Queued(TaskId),
    /// A task with the same unique key is still pending; this one was dropped.
    Duplicate { existing: TaskId },
}

impl Enqueued {
    /// The id of the queued task, `None` for a dropped duplicate.
    pub fn queued(&self) -> Option<&TaskId> {
        match self {
            Self::Queued(id) => Some(id),
            Self::Duplicate { .. } => None,
        }
    }

    pub fn is_duplicate(&self) -> bool {
        matches!(self, Self::Duplicate { .. })
    }
}

/// A task as a consumer receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub id: TaskId,
    pub unique_key: Option<String>,
    pub payload: Bytes,
    /// 1 on the first delivery; each nack and each expired lease adds one.
    pub attempt: u32,
    /// When the task was first enqueued.
    pub enqueued_at: SystemTime,
}

impl Task {
    /// The payload decoded as `M`.
    pub fn decode<M: Message + Default>(&self) -> Result<M, QueueError> {
        M::decode(self.payload.clone())
            .map_err(|error| QueueError::invalid_payload(std::any::type_name::<M>(), error))
    }

    /// The payload decoded as a [`v1::CheckTask`].
    pub fn check_task(&self) -> Result<v1::CheckTask, QueueError> {
        self.decode()
    }
}

/// What a nack did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nacked {
    /// The task is delivered again after `delay`, as attempt `next_attempt`.
    Retrying { next_attempt: u32, delay: Duration },
    /// The task used its last attempt and went to the dead letters.
    DeadLettered,
}

/// A task that ran out of attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub task: Task,
    /// The reason given by the last nack, or why the last lease ended.
    pub reason: String,
    pub failed_at: SystemTime,
}

/// A snapshot of a queue's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Ready and waiting for a consumer.
    pub pending: u64,
    /// Delivered and not yet acked or nacked (including leases that have expired but were
    /// not yet taken over).
    pub in_flight: u64,
    /// Waiting for their not-before time.
    pub delayed: u64,
    /// Nacked and waiting for their retry.
    pub retrying: u64,
    /// Kept in the dead letters.
    pub dead: u64,
    /// How long the oldest ready task has waited for a consumer.
    pub oldest_pending_age: Option<Duration>,
    /// In-flight tasks per consumer name (consumers holding none are left out).
    pub in_flight_by_consumer: BTreeMap<String, u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_task_is_keyed_by_monitor_and_slot_and_round_trips() {
        let check = v1::CheckTask {
            monitor_id: "m-7".into(),
            slot_unix_ms: 42,
            monitor: Some(v1::Monitor {
                id: "m-7".into(),
                url: "https://example.test/".into(),
                ..Default::default()
            }),
        };
        let new = NewTask::check(&check);
        assert_eq!(new.unique_key.as_deref(), Some("m-7:42"));
        let task = Task {
            id: TaskId::generate(),
            unique_key: new.unique_key.clone(),
            payload: new.payload,
            attempt: 1,
            enqueued_at: SystemTime::now(),
        };
        assert_eq!(task.check_task().ok(), Some(check));
    }

    #[test]
    fn task_ids_are_32_hex_digits_and_distinct() {
        let (a, b) = (TaskId::generate(), TaskId::generate());
        assert_ne!(a, b);
        for id in [&a, &b] {
            assert_eq!(id.as_str().len(), 32);
            assert!(id.as_str().bytes().all(|c| c.is_ascii_hexdigit()), "{id}");
        }
        assert_eq!(
            &a.as_str()[..16],
            &b.as_str()[..16],
            "one process, one random half"
        );
    }

    #[test]
    fn a_garbled_payload_is_reported_not_panicked_on() {
        let task = Task {
            id: TaskId::generate(),
            unique_key: None,
            payload: Bytes::from_static(&[0xff, 0xff, 0xff]),
            attempt: 1,
            enqueued_at: SystemTime::now(),
        };
        assert!(matches!(
            task.check_task(),
            Err(QueueError::InvalidPayload { .. })
        ));
    }
}
