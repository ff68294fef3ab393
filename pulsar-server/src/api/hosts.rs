//! `pulsar.v1.HostService`: the hosts that report, their newest snapshot and their history.

use std::time::SystemTime;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use pulsar_core::proto::v1;
use pulsar_core::{from_unix_ms, unix_ms};
use pulsar_store::TimeRange;

use super::AppState;
use super::connect::{Codec, ConnectError, unary, unsupported_media_type};
use super::errors::malformed;

/// Dispatches `/pulsar.v1.HostService/{method}`.
pub(crate) async fn host_service(
    State(state): State<AppState>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(codec) = Codec::of(&headers) else {
        return unsupported_media_type();
    };
    let s = &state;
    match method.as_str() {
        "ListHosts" => unary(codec, body, |_: v1::ListHostsRequest| list(s)).await,
        "GetHostSnapshot" => unary(codec, body, |r| snapshot(s, r)).await,
        "GetHostSeries" => unary(codec, body, |r| series(s, r)).await,
        _ => (StatusCode::NOT_FOUND, "no such method\n").into_response(),
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
    let to = match request.to_unix_ms {
        0 => SystemTime::now(),
        ms => from_unix_ms(ms),
    };
    let range = TimeRange::new(from_unix_ms(request.from_unix_ms), to);
    let series = state
        .store
        .host_series(&host, range, request.max_points)
        .await?;
    Ok(series.into())
}
