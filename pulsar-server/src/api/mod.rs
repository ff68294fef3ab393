//! The HTTP surface: the Connect services of `pulsar.v1` (`/pulsar.v1.<Service>/<Method>`,
//! unary, JSON or binary protobuf) and the health endpoint.

mod connect;
mod errors;
mod hosts;
mod monitors;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use pulsar_store::Store;

pub use connect::{Code, ConnectError};

/// The largest request body the API reads; a larger one is refused before it is read whole.
pub const MAX_REQUEST_BYTES: usize = 1 << 20;

/// What the API's handlers share.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }
}

/// The API's routes over `state`: every Connect service, and `/healthz`.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route(
            "/pulsar.v1.MonitorService/{method}",
            post(monitors::monitor_service),
        )
        .route("/pulsar.v1.HostService/{method}", post(hosts::host_service))
        .route("/healthz", get(|| async { "ok\n" }))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(state)
}
