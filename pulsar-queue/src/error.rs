//! The one error type of the crate, sorted by what the caller does about it.

use crate::task_id::TaskId;

/// Everything that can go wrong in the queue or the bus.
///
/// The variants are ordered by what a caller does about them: wait and retry
/// ([`Unavailable`](Self::Unavailable)), let another delivery settle the task
/// ([`LeaseLost`](Self::LeaseLost)), fix the input ([`InvalidPayload`](Self::InvalidPayload),
/// [`InvalidArgument`](Self::InvalidArgument)), or fix the deployment
/// ([`Server`](Self::Server), [`Closed`](Self::Closed)).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum QueueError {
    /// Redis could not be reached, the connection broke, or the server is still loading its
    /// data. Operations have already retried with backoff for the configured budget;
    /// background consumers and subscribers keep retrying by themselves.
    #[error("queue backend unavailable: {reason}")]
    Unavailable { reason: String },

    /// The delivery's lease expired and the task was handed to another consumer (or
    /// dead-lettered) before this ack or nack arrived; it had no effect and the other
    /// delivery settles the task.
    #[error("lease on task {task_id} was lost before it was settled")]
    LeaseLost { task_id: TaskId },

    /// A payload or event did not decode as the expected protobuf message.
    #[error("payload is not a valid {expected}: {reason}")]
    InvalidPayload {
        expected: &'static str,
        reason: String,
    },

    /// The caller passed something the queue cannot use (zero concurrency, a bad URL).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// Redis answered with an error or a reply this crate does not expect: a
    /// misconfigured server (out of memory, ACLs) or a key of the prefix used by something
    /// else.
    #[error("queue backend error: {0}")]
    Server(String),

    /// The queue or bus this handle belongs to has shut down.
    #[error("queue or bus closed")]
    Closed,
}

impl QueueError {
    /// Whether retrying the same call later can succeed without any change.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }

    pub(crate) fn unavailable(reason: impl ToString) -> Self {
        Self::Unavailable {
            reason: reason.to_string(),
        }
    }

    pub(crate) fn invalid_payload(expected: &'static str, error: prost::DecodeError) -> Self {
        Self::InvalidPayload {
            expected,
            reason: error.to_string(),
        }
    }
}
