//! The Pulsar server as a library: the Connect API over a [`pulsar_store::Store`] ([`app`]),
//! the scheduler, the worker, the host sampler, the notifier, retention, settings ([`config`]), and the
//! three ways to run them ([`serve`](serve::serve) in one process, [`api`](serve::api) and
//! [`worker`](serve::worker) distributed). The `pulsar` binary is its command-line
//! frontend; tests and other programs use the same pieces.

pub mod access;
pub mod api;
pub mod config;
pub mod events;
pub mod hub;
pub mod identity;
pub mod metrics;
pub mod node;
pub mod notifier;
pub mod retention;
pub mod sampler;
pub mod scheduler;
pub mod serve;
pub mod worker;

pub use api::{AppState, app};
