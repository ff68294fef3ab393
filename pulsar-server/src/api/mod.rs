//! The HTTP surface: the Connect services of `pulsar.v1` (`/pulsar.v1.<Service>/<Method>`,
//! unary, JSON or binary protobuf) and the health endpoint.

mod alerts;
mod connect;
mod errors;
mod fields;
mod hosts;
mod monitors;
mod system;
mod web;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::{FromRef, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use pulsar_core::MonitorId;
use pulsar_probe::Prober;
use pulsar_queue::{EventBus, TaskQueue};
use pulsar_store::{Retention, Store};
use tokio::sync::watch;

use connect::Codec;

use crate::access::{Access, is_write};
use crate::hub::HubState;
pub use connect::{Code, ConnectError};
pub use web::Dashboard;

/// The largest request body the API reads; a larger one is refused before it is read whole.
pub const MAX_REQUEST_BYTES: usize = 1 << 20;

/// The longest a call runs; a client's shorter `Connect-Timeout-Ms` wins.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The shortest time between two `CheckNow` calls of one monitor.
pub const CHECK_NOW_SPACING: Duration = Duration::from_secs(5);

/// What the API's handlers share.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// Runs `CheckNow`; without one, `CheckNow` is unavailable.
    pub prober: Option<Arc<Prober>>,
    /// Where a manual check's result is published, when there is a bus.
    pub bus: Option<Arc<dyn EventBus>>,
    /// What the store keeps: history charts read minute rows only where they still exist.
    pub retention: Retention,
    /// The worker name and region recorded with manual checks.
    pub worker: (String, String),
    /// The queue whose depth the status reports, when this process has one.
    pub queue: Option<Arc<dyn TaskQueue>>,
    /// "embedded" or "distributed", as the status reports it.
    pub mode: &'static str,
    /// Turns true when the server stops (live clients are then closed).
    pub stopping: watch::Receiver<bool>,
    /// Who may call what.
    pub access: Access,
    /// Browser origins allowed to call from other sites (CORS and the WebSocket).
    pub cors_origins: Vec<String>,
    /// This process's own series, shared with its worker and hub.
    pub metrics: crate::metrics::Metrics,
    /// The dashboard, served behind every other route; none without it.
    pub dashboard: Option<Dashboard>,
    /// Where people reach the dashboard: test notifications link to it.
    pub public_url: Option<String>,
    check_now: Arc<Mutex<HashMap<MonitorId, Instant>>>,
}

impl AppState {
    /// The API over `store` alone: every read and write, no `CheckNow`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            prober: None,
            bus: None,
            retention: Retention::default(),
            worker: ("api".into(), String::new()),
            queue: None,
            mode: "embedded",
            // Never stops unless `with_stopping` says when.
            stopping: watch::channel(false).1,
            access: Access::default(),
            cors_origins: Vec::new(),
            dashboard: None,
            public_url: None,
            metrics: crate::metrics::Metrics::default(),
            check_now: Arc::default(),
        }
    }

    /// Runs `CheckNow` with `prober`, recorded as `worker` in `region`, published on `bus`.
    pub fn with_checks(
        mut self,
        prober: Arc<Prober>,
        bus: Arc<dyn EventBus>,
        worker: impl Into<String>,
        region: impl Into<String>,
    ) -> Self {
        self.prober = Some(prober);
        self.bus = Some(bus);
        self.worker = (worker.into(), region.into());
        self
    }

    /// Closes live clients when `stopping` turns true.
    pub fn with_stopping(mut self, stopping: watch::Receiver<bool>) -> Self {
        self.stopping = stopping;
        self
    }

    /// Serves live events from `bus` at `/ws`.
    pub fn with_bus(mut self, bus: Arc<dyn EventBus>) -> Self {
        self.bus = Some(bus);
        self
    }

    /// Takes the access rules, browser origins and retention of `settings`.
    pub fn with_settings(mut self, settings: &crate::config::Settings) -> Self {
        self.access = Access {
            admin_token: settings.admin_token.clone(),
            private_reads: settings.private_reads,
        };
        self.cors_origins = settings.cors_origins.clone();
        self.dashboard = Some(match &settings.web_dir {
            Some(dir) => Dashboard::Directory(dir.clone()),
            None => Dashboard::Embedded,
        });
        self.retention = settings.retention;
        self.public_url = settings.public_url.clone();
        self
    }

    /// Counts into `metrics` (those of the rest of the process).
    pub fn with_metrics(mut self, metrics: crate::metrics::Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Reports `mode` ("embedded" or "distributed") in the status.
    pub fn with_mode(mut self, mode: &'static str) -> Self {
        self.mode = mode;
        self
    }

    /// Reports `queue`'s depth in the status.
    pub fn with_queue(mut self, queue: Arc<dyn TaskQueue>) -> Self {
        self.queue = Some(queue);
        self
    }

    /// Tells live clients (and other processes) `event`, when this process has a bus.
    pub(crate) async fn publish(&self, event: pulsar_core::proto::v1::Event) {
        if let Some(bus) = &self.bus {
            crate::events::publish(bus.as_ref(), event).await;
        }
    }

    /// Whether a `CheckNow` of `id` may run at `now`; records it when it may.
    fn may_check_now(&self, id: MonitorId, now: Instant) -> bool {
        let mut last = self.check_now.lock().unwrap_or_else(|e| e.into_inner());
        last.retain(|_, at| now.duration_since(*at) < CHECK_NOW_SPACING);
        if last.contains_key(&id) {
            return false;
        }
        last.insert(id, now);
        true
    }
}

/// Runs one Connect call: `/pulsar.v1.<Service>/<Method>`, in the codec of its content type.
async fn rpc(
    State(state): State<AppState>,
    Path((service, method)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(codec) = Codec::of(&headers) else {
        return connect::unsupported_media_type();
    };
    if let Err(refused) = state.access.check(&headers, is_write(&method)) {
        return ConnectError::new(Code::Unauthenticated, refused.message()).into_response();
    }
    let call = async {
        match service.as_str() {
            "pulsar.v1.MonitorService" => monitors::call(&state, &method, codec, body).await,
            "pulsar.v1.HostService" => hosts::call(&state, &method, codec, body).await,
            "pulsar.v1.AlertService" => alerts::call(&state, &method, codec, body).await,
            "pulsar.v1.SystemService" => system::call(&state, &method, codec, body).await,
            _ => connect::no_such_method(),
        }
    };
    let deadline = deadline(&headers);
    if deadline.is_zero() {
        return ConnectError::new(Code::DeadlineExceeded, "the call's deadline has passed")
            .into_response();
    }
    match tokio::time::timeout(deadline, call).await {
        Ok(response) => response,
        Err(_) => {
            ConnectError::new(Code::DeadlineExceeded, "the call took too long").into_response()
        }
    }
}

/// How long a call may run: the client's `Connect-Timeout-Ms`, at most [`REQUEST_TIMEOUT`].
fn deadline(headers: &HeaderMap) -> Duration {
    headers
        .get("connect-timeout-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(REQUEST_TIMEOUT, |ms| {
            Duration::from_millis(ms).min(REQUEST_TIMEOUT)
        })
}

impl FromRef<AppState> for HubState {
    fn from_ref(state: &AppState) -> Self {
        HubState {
            bus: state.bus.clone(),
            stopping: state.stopping.clone(),
            access: state.access.clone(),
            origins: state.cors_origins.clone(),
            clients: state.metrics.websocket_clients.clone(),
        }
    }
}

/// Ready when the store (and the queue, where this process has one) answer: 503 with the
/// reason otherwise, so a load balancer sends no traffic to a process that cannot serve it.
async fn ready(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if let Err(error) = state.store.rollup_lag().await {
        tracing::warn!(%error, "not ready: the store does not answer");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the store is unreachable\n",
        );
    }
    if let Some(queue) = &state.queue
        && let Err(error) = queue.stats().await
    {
        tracing::warn!(%error, "not ready: the queue does not answer");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the queue is unreachable\n",
        );
    }
    (StatusCode::OK, "ready\n")
}

/// What operators and load balancers read: `/healthz`, `/readyz` and `/metrics`. A worker
/// serves these alone (see `--metrics-listen`).
pub fn operations_app(state: AppState) -> Router {
    operations().with_state(state)
}

fn operations() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
}

/// The Prometheus text of this process (public unless reads are private).
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(refused) = state.access.check(&headers, false) {
        return (StatusCode::UNAUTHORIZED, format!("{}\n", refused.message())).into_response();
    }
    match state
        .metrics
        .encode(Some(state.store.as_ref()), state.queue.as_deref())
        .await
    {
        Ok(text) => (
            [(
                axum::http::header::CONTENT_TYPE,
                crate::metrics::CONTENT_TYPE,
            )],
            text,
        )
            .into_response(),
        Err(error) => {
            tracing::warn!(%error, "metrics failed");
            (StatusCode::SERVICE_UNAVAILABLE, "metrics are unavailable\n").into_response()
        }
    }
}

/// The API's routes over `state`: every Connect service, the hub, `/healthz` and `/readyz`.
pub fn app(state: AppState) -> Router {
    let cors = cors(&state.cors_origins);
    // The dashboard answers whatever the API does not, GETs of two-segment paths included.
    let dashboard = state.dashboard.as_ref().map(web::dashboard);
    let rpc_route = match &dashboard {
        Some(dashboard) => post(rpc).fallback_service(dashboard.clone()),
        None => post(rpc),
    };
    let router = Router::new()
        .route("/{service}/{method}", rpc_route)
        .route("/ws", get(crate::hub::upgrade))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .merge(operations())
        .with_state(state);
    let router = match dashboard {
        Some(dashboard) => router.fallback_service(dashboard),
        None => router,
    };
    match cors {
        Some(cors) => router.layer(cors),
        None => router,
    }
}

/// CORS for the allowed origins: none by default, so browsers on other sites cannot call.
fn cors(origins: &[String]) -> Option<tower_http::cors::CorsLayer> {
    use axum::http::{HeaderName, HeaderValue, Method};
    let origins: Vec<HeaderValue> = origins.iter().filter_map(|o| o.parse().ok()).collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        tower_http::cors::CorsLayer::new()
            .allow_origin(origins)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([
                axum::http::header::CONTENT_TYPE,
                axum::http::header::AUTHORIZATION,
                HeaderName::from_static("connect-protocol-version"),
                HeaderName::from_static("connect-timeout-ms"),
            ])
            .max_age(Duration::from_secs(3600)),
    )
}
