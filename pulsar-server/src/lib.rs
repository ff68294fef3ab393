//! The Pulsar server as a library: the Connect API over a [`pulsar_store::Store`] ([`app`]),
//! the scheduler, the worker, and [`serve`](serve::serve), which runs them all in one
//! process. The `pulsar` binary is its command-line frontend; tests and other programs use
//! the same pieces.

pub mod api;
pub mod hub;
pub mod identity;
pub mod sampler;
pub mod scheduler;
pub mod serve;
pub mod worker;

pub use api::{AppState, app};
