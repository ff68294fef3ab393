//! The in-process backend (tokio): for the embedded mode and for tests.

mod bus;
mod queue;

pub use bus::MemoryBus;
pub use queue::MemoryQueue;
