//! `pulsar.v1.SystemService`: what this server is and how its machinery is doing.

use axum::response::Response;
use bytes::Bytes;
use pulsar_core::proto::v1;

use super::AppState;
use super::connect::{Code, Codec, ConnectError, no_such_method, unary};

/// Dispatches `/pulsar.v1.SystemService/{method}`.
pub(crate) async fn call(state: &AppState, method: &str, codec: Codec, body: Bytes) -> Response {
    match method {
        "GetStatus" => unary(codec, body, |_: v1::GetStatusRequest| status(state)).await,
        _ => no_such_method(),
    }
}

async fn status(state: &AppState) -> Result<v1::GetStatusResponse, ConnectError> {
    let rollup_lag = state.store.rollup_lag().await?;
    let mut status = v1::GetStatusResponse {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        mode: state.mode.to_owned(),
        rollup_lag,
        ..Default::default()
    };
    if let Some(queue) = &state.queue {
        let stats = queue.stats().await.map_err(|error| {
            tracing::warn!(%error, "queue stats failed");
            ConnectError::new(Code::Unavailable, "the queue is unreachable")
        })?;
        status.queue_depth = stats.pending + stats.delayed + stats.retrying;
        status.in_flight = stats.in_flight;
        status.dead_letters = stats.dead;
    }
    // Every process that runs checks, as it last said so (this one's too).
    status.workers = state
        .store
        .list_workers()
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(status)
}
