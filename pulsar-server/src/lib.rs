//! The Pulsar server as a library: the Connect API over a [`pulsar_store::Store`], mounted on
//! an axum [`Router`](axum::Router) by [`app`], so tests and other programs can serve it
//! (the `pulsar` binary is its command-line frontend).

pub mod api;

pub use api::{AppState, app};
