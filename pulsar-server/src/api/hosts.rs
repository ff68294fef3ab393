//! `pulsar.v1.HostService`: the hosts that report, their newest snapshot and their history.

use std::time::SystemTime;

use axum::response::Response;
use bytes::Bytes;
use pulsar_core::proto::v1;
use pulsar_core::unix_ms;

use super::AppState;
use super::connect::{Codec, ConnectError, no_such_method, unary};
use super::errors::malformed;
use super::fields::range;

/// Dispatches `/pulsar.v1.HostService/{method}`.
pub(crate) async fn call(state: &AppState, method: &str, codec: Codec, body: Bytes) -> Response {
    let s = state;
    match method {
        "ListHosts" => unary(codec, body, |_: v1::ListHostsRequest| list(s)).await,
        "GetHostSnapshot" => unary(codec, body, |r| snapshot(s, r)).await,
        "GetHostSeries" => unary(codec, body, |r| series(s, r)).await,
        _ => no_such_method(),
    }
}

fn host(field: &str, host: String) -> Result<String, ConnectError> {
    if host.is_empty() {
        return Err(malformed(field, "required"));
    }
    Ok(host)
}

async fn list(state: &AppState) -> Result<v1::ListHostsResponse, ConnectError> {
    let hosts = state.store.list_hosts().await?;
    Ok(v1::ListHostsResponse {
        hosts: hosts
            .into_iter()
            .map(|h| v1::HostEntry {
                host: h.hostname,
                last_seen_unix_ms: unix_ms(h.last_seen),
            })
            .collect(),
    })
}

async fn snapshot(
    state: &AppState,
    request: v1::GetHostSnapshotRequest,
) -> Result<v1::GetHostSnapshotResponse, ConnectError> {
    let host = host("host", request.host)?;
    let snapshot = state.store.latest_host_sample(&host).await?;
    Ok(v1::GetHostSnapshotResponse {
        snapshot: Some(snapshot),
    })
}

async fn series(
    state: &AppState,
    request: v1::GetHostSeriesRequest,
) -> Result<v1::GetHostSeriesResponse, ConnectError> {
    let host = host("host", request.host)?;
    let range = range(request.from_unix_ms, request.to_unix_ms, SystemTime::now());
    let series = state
        .store
        .host_series(&host, range, request.max_points)
        .await?;
    Ok(series.into())
}
