//! Task ids: stable across retries, unique across processes.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// A task's identity, stable across its retries: 32 hex digits, a random half per process
/// and a counted half, so ids from any number of processes do not collide.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(Arc<str>);

impl TaskId {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn generate() -> Self {
        static PROCESS: OnceLock<u64> = OnceLock::new();
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        // One random draw per process instead of one per task: enqueue is a hot path.
        let process = *PROCESS.get_or_init(|| uuid::Uuid::new_v4().as_u64_pair().0);
        let count = COUNTER.fetch_add(1, Ordering::Relaxed);
        // Hex-encoded on the stack: one allocation per id, for the Arc.
        let mut hex = [0u8; 32];
        for (index, byte) in process
            .to_be_bytes()
            .into_iter()
            .chain(count.to_be_bytes())
            .enumerate()
        {
            hex[index * 2] = HEX_DIGITS[usize::from(byte >> 4)];
            hex[index * 2 + 1] = HEX_DIGITS[usize::from(byte & 0x0f)];
        }
        Self(Arc::from(std::str::from_utf8(&hex).unwrap_or_default()))
    }
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

impl From<String> for TaskId {
    fn from(id: String) -> Self {
        Self(Arc::from(id))
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
