//! Reading Redis replies (stream entries, script results) into the crate's types.
//!
//! A task is stored as the fields `id`, `key`, `payload`, `attempt` and `enq` (unix ms of the
//! first enqueue), in a stream entry or in a hash while it waits for its time.

use std::collections::HashMap;

use bytes::Bytes;
use redis::Value;

use crate::error::QueueError;
use crate::task::{DeadLetter, Task};
use crate::task_id::TaskId;

/// One stream entry: its id and its fields.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) id: String,
    pub(crate) fields: HashMap<String, Vec<u8>>,
}

fn unexpected(what: &str, value: &Value) -> QueueError {
    QueueError::Server(format!("unexpected reply for {what}: {value:?}"))
}

pub(crate) fn array(value: Value, what: &str) -> Result<Vec<Value>, QueueError> {
    match value {
        Value::Array(items) | Value::Set(items) => Ok(items),
        Value::Nil => Ok(Vec::new()),
        other => Err(unexpected(what, &other)),
    }
}

pub(crate) fn int(value: &Value, what: &str) -> Result<i64, QueueError> {
    match value {
        Value::Int(n) => Ok(*n),
        Value::BulkString(bytes) => std::str::from_utf8(bytes)
            .ok()
            .and_then(|text| text.parse().ok())
            .ok_or_else(|| unexpected(what, value)),
        Value::SimpleString(text) => text.parse().map_err(|_| unexpected(what, value)),
        other => Err(unexpected(what, other)),
    }
}

pub(crate) fn text(value: Value, what: &str) -> Result<String, QueueError> {
    match value {
        Value::BulkString(bytes) => String::from_utf8(bytes)
            .map_err(|error| QueueError::Server(format!("{what} is not UTF-8: {error}"))),
        Value::SimpleString(text) => Ok(text),
        other => Err(unexpected(what, &other)),
    }
}

fn bytes(value: Value, what: &str) -> Result<Vec<u8>, QueueError> {
    match value {
        Value::BulkString(bytes) => Ok(bytes),
        Value::SimpleString(text) => Ok(text.into_bytes()),
        Value::Int(n) => Ok(n.to_string().into_bytes()),
        other => Err(unexpected(what, &other)),
    }
}

/// `[id, [field, value, ...]]`
pub(crate) fn entry(value: Value) -> Result<Entry, QueueError> {
    let mut parts = array(value, "stream entry")?.into_iter();
    let (Some(id), Some(fields)) = (parts.next(), parts.next()) else {
        return Err(QueueError::Server("stream entry without fields".into()));
    };
    let id = text(id, "entry id")?;
    let mut map = HashMap::new();
    let mut flat = array(fields, "entry fields")?.into_iter();
    while let (Some(name), Some(value)) = (flat.next(), flat.next()) {
        map.insert(text(name, "field name")?, bytes(value, "field value")?);
    }
    Ok(Entry { id, fields: map })
}

/// `[[id, fields], ...]`
pub(crate) fn entries(value: Value) -> Result<Vec<Entry>, QueueError> {
    array(value, "stream entries")?
        .into_iter()
        .map(entry)
        .collect()
}

/// XREADGROUP: nil on timeout, else `[[stream, entries]]` (a map under RESP3).
pub(crate) fn read_group(value: Value) -> Result<Vec<Entry>, QueueError> {
    let streams = match value {
        Value::Map(pairs) => pairs.into_iter().map(|(_, entries)| entries).collect(),
        other => array(other, "XREADGROUP")?
            .into_iter()
            .map(|stream| {
                let mut parts = array(stream, "XREADGROUP stream")?.into_iter();
                parts
                    .nth(1)
                    .ok_or_else(|| QueueError::Server("XREADGROUP stream without entries".into()))
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    let mut all = Vec::new();
    for stream in streams {
        all.extend(entries(stream)?);
    }
    Ok(all)
}

impl Entry {
    fn field_text(&self, name: &str) -> Result<&str, QueueError> {
        let raw = self
            .fields
            .get(name)
            .ok_or_else(|| QueueError::Server(format!("entry {} has no {name}", self.id)))?;
        std::str::from_utf8(raw)
            .map_err(|_| QueueError::Server(format!("entry {} field {name} is not UTF-8", self.id)))
    }

    fn field_number(&self, name: &str) -> Result<i64, QueueError> {
        let text = self.field_text(name)?;
        text.parse()
            .map_err(|_| QueueError::Server(format!("entry {} field {name} is {text:?}", self.id)))
    }

    /// The task stored in this entry (its payload moves out, uncopied); `attempt` overrides
    /// the stored one when the task was delivered more than once from this entry (expired
    /// leases).
    pub(crate) fn task(&mut self, attempt: Option<u32>) -> Result<Task, QueueError> {
        let key = self.field_text("key")?;
        let stored_attempt = u32::try_from(self.field_number("attempt")?).unwrap_or(u32::MAX);
        Ok(Task {
            id: TaskId::from(self.field_text("id")?.to_owned()),
            unique_key: (!key.is_empty()).then(|| key.to_owned()),
            payload: Bytes::from(self.fields.remove("payload").unwrap_or_default()),
            attempt: attempt.unwrap_or(stored_attempt),
            enqueued_at: pulsar_core::from_unix_ms(self.field_number("enq")?),
        })
    }

    /// A dead-letter entry: the task fields plus `reason` and `failed` (unix ms).
    pub(crate) fn dead_letter(&mut self) -> Result<DeadLetter, QueueError> {
        Ok(DeadLetter {
            task: self.task(None)?,
            reason: self.field_text("reason")?.to_owned(),
            failed_at: pulsar_core::from_unix_ms(self.field_number("failed")?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(text: &str) -> Value {
        Value::BulkString(text.as_bytes().to_vec())
    }

    fn stored(id: &str, attempt: &str) -> Value {
        Value::Array(vec![
            bulk(id),
            Value::Array(
                [
                    "id",
                    "t1",
                    "key",
                    "m:1",
                    "payload",
                    "\x08\x01",
                    "attempt",
                    attempt,
                    "enq",
                    "1700000000000",
                ]
                .iter()
                .map(|s| bulk(s))
                .collect(),
            ),
        ])
    }

    #[test]
    fn reads_a_task_from_an_xreadgroup_reply() {
        let reply = Value::Array(vec![Value::Array(vec![
            bulk("q:stream"),
            Value::Array(vec![stored("1700000000000-0", "2")]),
        ])]);
        let mut entries = read_group(reply).unwrap();
        assert_eq!(entries.len(), 1);
        let task = entries[0].task(None).unwrap();
        assert_eq!(task.id.as_str(), "t1");
        assert_eq!(task.unique_key.as_deref(), Some("m:1"));
        assert_eq!(task.attempt, 2);
        assert_eq!(&task.payload[..], b"\x08\x01");
        assert_eq!(entries[0].task(Some(5)).unwrap().attempt, 5);
    }

    #[test]
    fn a_timed_out_read_is_no_entries() {
        assert!(read_group(Value::Nil).unwrap().is_empty());
    }

    #[test]
    fn a_foreign_entry_is_an_error_not_a_panic() {
        let reply = Value::Array(vec![bulk("1-0"), Value::Array(vec![bulk("x"), bulk("y")])]);
        assert!(matches!(
            entry(reply).unwrap().task(None),
            Err(QueueError::Server(_))
        ));
    }
}
