//! Who may call what, through `app()`: the admin token on writes (and on reads when they
//! are private), CORS for allowed origins only, and the call deadline header.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use pulsar_server::config::Settings;
use pulsar_server::{AppState, app};
use pulsar_store::{SqliteOptions, SqliteStore};
use serde_json::{Value, json};
use tower::ServiceExt;

async fn state(settings: &Settings) -> AppState {
    let store = SqliteStore::open_with(SqliteOptions::in_memory())
        .await
        .expect("store");
    AppState::new(Arc::new(store)).with_settings(settings)
}

fn guarded(private_reads: bool) -> Settings {
    Settings {
        admin_token: Some("s3cret-token".into()),
        private_reads,
        ..Settings::default()
    }
}

async fn rpc(
    state: &AppState,
    method: &str,
    body: Value,
    token: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = Request::post(format!("/pulsar.v1.MonitorService/{method}"))
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = app(state.clone())
        .oneshot(request.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn new_monitor() -> Value {
    json!({"monitor": {"name": "guarded", "url": "https://example.com/"}})
}

#[tokio::test]
async fn writes_need_the_admin_token_and_reads_stay_public() {
    let state = state(&guarded(false)).await;
    let (status, error) = rpc(&state, "CreateMonitor", new_monitor(), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{error}");
    assert_eq!(error["code"], "unauthenticated");
    let (status, error) = rpc(&state, "CreateMonitor", new_monitor(), Some("guess")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["message"], "the token is wrong");

    let (status, created) = rpc(&state, "CreateMonitor", new_monitor(), Some("s3cret-token")).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let id = created["monitor"]["id"].as_str().unwrap();

    // Reads need nothing; every other write is guarded too.
    let (status, _) = rpc(&state, "ListMonitors", json!({}), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = rpc(&state, "GetMonitor", json!({"id": id}), None).await;
    assert_eq!(status, StatusCode::OK);
    for write in ["PauseMonitor", "ResumeMonitor", "DeleteMonitor", "CheckNow"] {
        let (status, _) = rpc(&state, write, json!({"id": id}), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{write}");
    }
    let (status, _) = rpc(
        &state,
        "DeleteMonitor",
        json!({"id": id}),
        Some("s3cret-token"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn private_reads_need_the_token_too() {
    let state = state(&guarded(true)).await;
    let (status, _) = rpc(&state, "ListMonitors", json!({}), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = rpc(&state, "ListMonitors", json!({}), Some("s3cret-token")).await;
    assert_eq!(status, StatusCode::OK);
    // Health stays open for load balancers.
    let health = Request::get("/healthz").body(Body::empty()).unwrap();
    assert_eq!(
        app(state.clone()).oneshot(health).await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn cors_answers_allowed_origins_only() {
    let preflight = |origin: &str| {
        Request::builder()
            .method("OPTIONS")
            .uri("/pulsar.v1.MonitorService/ListMonitors")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(
                header::ACCESS_CONTROL_REQUEST_HEADERS,
                "content-type,connect-protocol-version",
            )
            .body(Body::empty())
            .unwrap()
    };
    let allow_origin = |response: &axum::response::Response| {
        response
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .map(|v| v.to_str().unwrap().to_owned())
    };

    // Off by default: no CORS headers for anyone.
    let closed = state(&Settings::default()).await;
    let response = app(closed)
        .oneshot(preflight("https://status.example"))
        .await
        .unwrap();
    assert_eq!(allow_origin(&response), None);

    let settings = Settings {
        cors_origins: vec!["https://status.example".into()],
        ..Settings::default()
    };
    let open = state(&settings).await;
    let response = app(open.clone())
        .oneshot(preflight("https://status.example"))
        .await
        .unwrap();
    assert_eq!(
        allow_origin(&response).as_deref(),
        Some("https://status.example")
    );
    let response = app(open)
        .oneshot(preflight("https://evil.example"))
        .await
        .unwrap();
    assert_eq!(allow_origin(&response), None);
}

#[tokio::test]
async fn a_spent_deadline_is_deadline_exceeded() {
    let state = state(&Settings::default()).await;
    let request = Request::post("/pulsar.v1.MonitorService/ListMonitors")
        .header(header::CONTENT_TYPE, "application/json")
        .header("connect-timeout-ms", "0")
        .body(Body::from("{}"))
        .unwrap();
    let response = app(state).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let error: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(error["code"], "deadline_exceeded");
}
