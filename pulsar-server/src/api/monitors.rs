//! `pulsar.v1.MonitorService`: monitors, their results and the overview, over the store.
//! Every monitor a read returns goes out redacted (secret header values masked); an update
//! that sends the masks back keeps the stored secrets (the store's rule).

use std::time::{Duration, SystemTime};

use axum::response::Response;
use bytes::Bytes;
use pulsar_core::proto::v1;
use pulsar_core::{CheckResult, Monitor, MonitorState, SUMMARY_WINDOWS, classify};
use pulsar_store::{MonitorFilter, MonitorWrite, ResultFilter};

use crate::events::state_changed;

use super::AppState;
use super::connect::{Code, Codec, ConnectError, no_such_method, unary};
use super::errors::{malformed, under, under_core};
use super::fields::{monitor_id, page, range};

/// Dispatches `/pulsar.v1.MonitorService/{method}`.
pub(crate) async fn call(state: &AppState, method: &str, codec: Codec, body: Bytes) -> Response {
    let s = state;
    match method {
        "CreateMonitor" => unary(codec, body, |r| create(s, r)).await,
        "GetMonitor" => unary(codec, body, |r| get(s, r)).await,
        "ListMonitors" => unary(codec, body, |r| list(s, r)).await,
        "UpdateMonitor" => unary(codec, body, |r| update(s, r)).await,
        "DeleteMonitor" => unary(codec, body, |r| delete(s, r)).await,
        "PauseMonitor" => {
            unary(codec, body, |r: v1::PauseMonitorRequest| async move {
                let monitor = set_enabled(s, &r.id, false).await?;
                Ok(v1::PauseMonitorResponse { monitor })
            })
            .await
        }
        "ResumeMonitor" => {
            unary(codec, body, |r: v1::ResumeMonitorRequest| async move {
                let monitor = set_enabled(s, &r.id, true).await?;
                Ok(v1::ResumeMonitorResponse { monitor })
            })
            .await
        }
        "ListResults" => unary(codec, body, |r| list_results(s, r)).await,
        "GetOverview" => unary(codec, body, |r| overview(s, r)).await,
        "GetSummaries" => unary(codec, body, |r| summaries(s, r)).await,
        "GetPhaseSeries" => unary(codec, body, |r| phase_series(s, r)).await,
        "CheckNow" => unary(codec, body, |r| check_now(s, r)).await,
        _ => no_such_method(),
    }
}

/// The monitor as a person may see it.
fn shown(monitor: &Monitor) -> Option<v1::Monitor> {
    Some(monitor.redacted().into())
}

async fn create(
    state: &AppState,
    request: v1::CreateMonitorRequest,
) -> Result<v1::CreateMonitorResponse, ConnectError> {
    let mut wire = request.monitor.unwrap_or_default();
    // The server assigns the id.
    wire.id.clear();
    let monitor = Monitor::try_from(wire).map_err(|e| under_core("monitor", e))?;
    let created = state
        .store
        .create_monitor(&monitor, SystemTime::now())
        .await
        .map_err(|e| under("monitor", e))?;
    changed(state, &created, false).await;
    Ok(v1::CreateMonitorResponse {
        monitor: shown(&created),
    })
}

async fn get(
    state: &AppState,
    request: v1::GetMonitorRequest,
) -> Result<v1::GetMonitorResponse, ConnectError> {
    let id = monitor_id("id", &request.id)?;
    let monitor = state.store.get_monitor(id).await?;
    Ok(v1::GetMonitorResponse {
        monitor: shown(&monitor),
    })
}

fn filter(
    labels: std::collections::BTreeMap<String, String>,
    state: Option<i32>,
    text: String,
) -> Result<MonitorFilter, ConnectError> {
    let state = state
        .map(|s| {
            v1::MonitorState::try_from(s)
                .map(MonitorState::from)
                .map_err(|_| malformed("state", "not a monitor state"))
        })
        .transpose()?;
    Ok(MonitorFilter {
        labels,
        state,
        text: (!text.trim().is_empty()).then_some(text),
    })
}

async fn list(
    state: &AppState,
    request: v1::ListMonitorsRequest,
) -> Result<v1::ListMonitorsResponse, ConnectError> {
    let filter = filter(request.labels, request.state, request.text)?;
    let page = state
        .store
        .list_monitors(&filter, &page(request.page_size, request.page_token))
        .await?;
    Ok(v1::ListMonitorsResponse {
        monitors: page.items.iter().filter_map(shown).collect(),
        next_page_token: page.next_cursor.unwrap_or_default(),
    })
}

async fn update(
    state: &AppState,
    request: v1::UpdateMonitorRequest,
) -> Result<v1::UpdateMonitorResponse, ConnectError> {
    let wire = request.monitor.unwrap_or_default();
    monitor_id("monitor.id", &wire.id)?;
    let monitor = Monitor::from_update(wire).map_err(|e| under_core("monitor", e))?;
    let written = state
        .store
        .update_monitor(&monitor, SystemTime::now())
        .await
        .map_err(|e| under("monitor", e))?;
    written_told(state, &written).await;
    Ok(v1::UpdateMonitorResponse {
        monitor: shown(&written.monitor),
    })
}

async fn delete(
    state: &AppState,
    request: v1::DeleteMonitorRequest,
) -> Result<v1::DeleteMonitorResponse, ConnectError> {
    let id = monitor_id("id", &request.id)?;
    let monitor = state.store.get_monitor(id).await?;
    state.store.delete_monitor(id).await?;
    changed(state, &monitor, true).await;
    Ok(v1::DeleteMonitorResponse {})
}

async fn set_enabled(
    state: &AppState,
    id: &str,
    enabled: bool,
) -> Result<Option<v1::Monitor>, ConnectError> {
    let id = monitor_id("id", id)?;
    let written = state
        .store
        .set_monitor_enabled(id, enabled, SystemTime::now())
        .await?;
    written_told(state, &written).await;
    Ok(shown(&written.monitor))
}

/// Tells live clients a monitor was created, changed or deleted (as a person may see it).
async fn changed(state: &AppState, monitor: &Monitor, deleted: bool) {
    let shown = monitor.redacted().into();
    state
        .publish(v1::Event::monitor_changed(shown, deleted))
        .await;
}

/// Tells live clients about an update: the monitor, and its change of state (a pause or a
/// resume) when it had one.
async fn written_told(state: &AppState, written: &MonitorWrite) {
    changed(state, &written.monitor, false).await;
    if let Some(change) = written.state_change.clone() {
        let at = pulsar_core::unix_ms(written.monitor.updated_at);
        for event in state_changed(change, at) {
            state.publish(event).await;
        }
    }
}

async fn list_results(
    state: &AppState,
    request: v1::ListResultsRequest,
) -> Result<v1::ListResultsResponse, ConnectError> {
    let id = monitor_id("monitor_id", &request.monitor_id)?;
    let filter = ResultFilter {
        range: range(request.from_unix_ms, request.to_unix_ms, SystemTime::now()),
        worker: (!request.worker.is_empty()).then_some(request.worker),
        region: (!request.region.is_empty()).then_some(request.region),
    };
    let page = state
        .store
        .list_results(id, &filter, &page(request.page_size, request.page_token))
        .await?;
    Ok(v1::ListResultsResponse {
        results: page.items.into_iter().map(Into::into).collect(),
        next_page_token: page.next_cursor.unwrap_or_default(),
    })
}

async fn overview(
    state: &AppState,
    request: v1::GetOverviewRequest,
) -> Result<v1::GetOverviewResponse, ConnectError> {
    let overview = state
        .store
        .overview(
            &MonitorFilter::default(),
            &page(request.page_size, request.page_token),
            SystemTime::now(),
        )
        .await?;
    let count = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    let counts = overview.counts;
    Ok(v1::GetOverviewResponse {
        monitors: overview
            .monitors
            .items
            .into_iter()
            .map(Into::into)
            .collect(),
        next_page_token: overview.monitors.next_cursor.unwrap_or_default(),
        up: count(counts.up),
        degraded: count(counts.degraded),
        down: count(counts.down),
        paused: count(counts.paused),
        unknown: count(counts.unknown),
        open_incidents: count(overview.open_incidents),
    })
}

async fn summaries(
    state: &AppState,
    request: v1::GetSummariesRequest,
) -> Result<v1::GetSummariesResponse, ConnectError> {
    let ids = request
        .monitor_ids
        .iter()
        .enumerate()
        .map(|(i, id)| monitor_id(&format!("monitor_ids[{i}]"), id))
        .collect::<Result<Vec<_>, _>>()?;
    let windows: Vec<Duration> = if request.window_seconds.is_empty() {
        SUMMARY_WINDOWS.to_vec()
    } else {
        request
            .window_seconds
            .iter()
            .map(|&s| Duration::from_secs(u64::from(s)))
            .collect()
    };
    let now = SystemTime::now();
    let mut answered = Vec::with_capacity(windows.len());
    for window in windows {
        let summaries = state.store.summaries(&ids, window, now).await?;
        answered.push(v1::SummaryWindow {
            window_seconds: u32::try_from(window.as_secs()).unwrap_or(u32::MAX),
            summaries: summaries.into_iter().map(Into::into).collect(),
        });
    }
    Ok(v1::GetSummariesResponse { windows: answered })
}

async fn phase_series(
    state: &AppState,
    request: v1::GetPhaseSeriesRequest,
) -> Result<v1::GetPhaseSeriesResponse, ConnectError> {
    let id = monitor_id("monitor_id", &request.monitor_id)?;
    let now = SystemTime::now();
    let range = range(request.from_unix_ms, request.to_unix_ms, now);
    let series = state
        .store
        .phase_series(id, range, request.max_points, &state.retention, now)
        .await?;
    Ok(series.into())
}

/// Runs the monitor's check at once, stores it as a manual check (left out of uptime,
/// rollups and the alert rule) and answers it. At most one per monitor every
/// [`CHECK_NOW_SPACING`](super::CHECK_NOW_SPACING).
async fn check_now(
    state: &AppState,
    request: v1::CheckNowRequest,
) -> Result<v1::CheckNowResponse, ConnectError> {
    let id = monitor_id("id", &request.id)?;
    let Some(prober) = &state.prober else {
        return Err(ConnectError::new(
            Code::Unavailable,
            "this process runs no checks",
        ));
    };
    let monitor = state.store.get_monitor(id).await?;
    if !state.may_check_now(id, std::time::Instant::now()) {
        return Err(ConnectError::new(
            Code::ResourceExhausted,
            "this monitor was checked moments ago; try again in a few seconds",
        ));
    }
    let report = prober.check(&monitor.check).await;
    let verdict = classify(&report, &monitor.expect);
    let (worker, region) = &state.worker;
    let result = CheckResult::run_on_demand(
        monitor.id,
        monitor.interval,
        worker,
        region,
        report,
        verdict,
    );
    let recorded = state
        .store
        .record_results(std::slice::from_ref(&result))
        .await?;
    // Stored marked if a maintenance window muted the monitor: told the same way.
    let mut result = result;
    result.maintenance = !recorded.maintenance.is_empty();
    let wire = v1::CheckResult::from(result);
    state
        .publish(v1::Event::check_completed(wire.clone()))
        .await;
    Ok(v1::CheckNowResponse { result: Some(wire) })
}
