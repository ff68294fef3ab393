//! The Connect API through `app()`, one request at a time (`oneshot`), over a real SQLite
//! store: every MonitorService call in JSON and binary protobuf, and each error code.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine;
use http_body_util::BodyExt;
use prost::Message;
use pulsar_core::proto::v1;
use pulsar_server::{AppState, app};
use pulsar_store::{SqliteOptions, SqliteStore};
use serde_json::{Value, json};
use tower::ServiceExt;

async fn state() -> AppState {
    let store = SqliteStore::open_with(SqliteOptions::in_memory())
        .await
        .expect("store");
    AppState::new(Arc::new(store))
}

/// Calls `service`'s `method` with a JSON body; the status and the JSON answer.
async fn rpc(state: &AppState, service: &str, method: &str, body: Value) -> (StatusCode, Value) {
    let request = Request::post(format!("/pulsar.v1.{service}/{method}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = app(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn call(state: &AppState, method: &str, body: Value) -> (StatusCode, Value) {
    rpc(state, "MonitorService", method, body).await
}

async fn raw(
    state: &AppState,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Vec<u8>) {
    let request = Request::post(path)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    let response = app(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, bytes.to_vec())
}

/// The fields a `BadRequest` detail of an error names.
fn violations(error: &Value) -> Vec<String> {
    let detail = &error["details"][0];
    assert_eq!(detail["type"], "pulsar.v1.BadRequest", "{error}");
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(detail["value"].as_str().unwrap())
        .unwrap();
    let bad = v1::BadRequest::decode(bytes.as_slice()).unwrap();
    bad.field_violations.into_iter().map(|v| v.field).collect()
}

#[tokio::test]
async fn monitors_are_created_read_listed_updated_paused_and_deleted() {
    let state = state().await;
    let (status, created) = call(
        &state,
        "CreateMonitor",
        json!({"monitor": {"id": "ignored", "name": "api", "url": "https://api.example.com/health",
            "headers": [{"name": "Authorization", "value": "Bearer s3cret"}],
            "labels": {"env": "prod"}, "aNewerClientField": true}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let monitor = &created["monitor"];
    let id = monitor["id"].as_str().unwrap().to_owned();
    assert_ne!(id, "ignored", "the server assigns the id");
    assert_eq!(monitor["intervalSeconds"], 60, "documented defaults");
    assert_eq!(monitor["enabled"], true);
    assert_eq!(
        monitor["headers"][0]["value"], "********",
        "secrets are masked"
    );

    let (status, got) = call(&state, "GetMonitor", json!({"id": id})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["monitor"], *monitor);

    let (_, listed) = call(
        &state,
        "ListMonitors",
        json!({"labels": {"env": "prod"}, "text": "API"}),
    )
    .await;
    assert_eq!(listed["monitors"].as_array().unwrap().len(), 1);
    let (_, none) = call(
        &state,
        "ListMonitors",
        json!({"state": "MONITOR_STATE_DOWN"}),
    )
    .await;
    assert!(
        none["monitors"].as_array().is_none_or(Vec::is_empty),
        "{none}"
    );

    // A full replace that sends the masked header back keeps the secret.
    let mut edited = monitor.clone();
    edited["intervalSeconds"] = json!(30);
    let (status, updated) = call(&state, "UpdateMonitor", json!({"monitor": edited})).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["monitor"]["intervalSeconds"], 30);
    let stored = state.store.get_monitor(id.parse().unwrap()).await.unwrap();
    assert_eq!(stored.check.headers[0].value, "Bearer s3cret");

    let (_, paused) = call(&state, "PauseMonitor", json!({"id": id})).await;
    assert_eq!(paused["monitor"]["state"], "MONITOR_STATE_PAUSED");
    assert_eq!(paused["monitor"]["enabled"], false);
    let (_, resumed) = call(&state, "ResumeMonitor", json!({"id": id})).await;
    assert_eq!(resumed["monitor"]["enabled"], true);

    let (_, overview) = call(&state, "GetOverview", json!({})).await;
    assert_eq!(overview["monitors"][0]["monitor"]["id"], id.as_str());
    assert_eq!(overview["unknown"], 1);
    let (status, results) = call(&state, "ListResults", json!({"monitorId": id})).await;
    assert_eq!(status, StatusCode::OK, "{results}");

    let (status, _) = call(&state, "DeleteMonitor", json!({"id": id})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, gone) = call(&state, "GetMonitor", json!({"id": id})).await;
    assert_eq!(
        (status, gone["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}

#[tokio::test]
async fn binary_protobuf_calls_work_like_json_ones() {
    let state = state().await;
    let request = v1::CreateMonitorRequest {
        monitor: Some(v1::Monitor {
            name: "proto".into(),
            url: "http://127.0.0.1:9/".into(),
            ..Default::default()
        }),
    };
    let path = "/pulsar.v1.MonitorService/CreateMonitor";
    let (status, body) = raw(&state, path, "application/proto", request.encode_to_vec()).await;
    assert_eq!(status, StatusCode::OK);
    let created = v1::CreateMonitorResponse::decode(body.as_slice()).unwrap();
    let monitor = created.monitor.unwrap();
    assert_eq!(
        (monitor.name.as_str(), monitor.interval_seconds),
        ("proto", 60)
    );

    let get = v1::GetMonitorRequest {
        id: monitor.id.clone(),
    };
    let path = "/pulsar.v1.MonitorService/GetMonitor";
    let (status, body) = raw(&state, path, "application/proto", get.encode_to_vec()).await;
    assert_eq!(status, StatusCode::OK);
    let got = v1::GetMonitorResponse::decode(body.as_slice()).unwrap();
    assert_eq!(got.monitor.unwrap(), monitor);
}

#[tokio::test]
async fn bad_input_gets_the_right_connect_error() {
    let state = state().await;
    // Validation: every wrong field, under the request's field that holds it.
    let (status, error) = call(
        &state,
        "CreateMonitor",
        json!({"monitor": {"name": "", "url": "ftp://x", "intervalSeconds": 100000}}),
    )
    .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_argument"))
    );
    let fields = violations(&error);
    for field in ["monitor.name", "monitor.url", "monitor.interval_seconds"] {
        assert!(fields.iter().any(|f| f == field), "{field} in {fields:?}");
    }
    // A taken name; ids that are not ids; an update without one.
    let valid = json!({"monitor": {"name": "twice", "url": "https://x.example.com/"}});
    assert_eq!(
        call(&state, "CreateMonitor", valid.clone()).await.0,
        StatusCode::OK
    );
    let (status, error) = call(&state, "CreateMonitor", valid).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_exists"))
    );
    let (status, error) = call(&state, "GetMonitor", json!({"id": "nope"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(violations(&error), ["id"]);
    let (_, error) = call(&state, "GetMonitor", json!({})).await;
    assert_eq!(violations(&error), ["id"]);
    let (_, error) = call(&state, "UpdateMonitor", json!({"monitor": {"name": "x"}})).await;
    assert_eq!(violations(&error), ["monitor.id"]);
    let unknown = pulsar_core::MonitorId::new().to_string();
    let (status, error) = call(&state, "DeleteMonitor", json!({"id": unknown})).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert!(!error["message"].as_str().unwrap().contains("SELECT"));
    // Wrong types, malformed bodies, unknown methods and content types, oversized bodies.
    let (status, error) = call(&state, "GetMonitor", json!({"id": 42})).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_argument"))
    );
    let path = "/pulsar.v1.MonitorService/GetMonitor";
    let (status, _) = raw(&state, path, "application/json", b"{not json".to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = raw(&state, path, "application/proto", vec![0xff, 0xff, 0xff]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = raw(&state, path, "text/plain", b"{}".to_vec()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, _) = raw(
        &state,
        "/pulsar.v1.MonitorService/Nope",
        "application/json",
        b"{}".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let huge = vec![b' '; pulsar_server::api::MAX_REQUEST_BYTES + 1];
    let (status, _) = raw(&state, path, "application/json", huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // A huge page size is clamped, not refused.
    let (status, _) = call(
        &state,
        "ListMonitors",
        json!({"pageSize": 4_000_000_000u32}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, error) = call(&state, "ListMonitors", json!({"pageToken": "garbage"})).await;
    assert_eq!(status, StatusCode::OK, "a name cursor is any text: {error}");
    let (status, error) = call(&state, "ListMonitors", json!({"state": "NOT_A_STATE"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
}

#[tokio::test]
async fn health_answers() {
    let state = state().await;
    let request = Request::get("/healthz").body(Body::empty()).unwrap();
    let response = app(state).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

async fn host_call(state: &AppState, method: &str, body: Value) -> (StatusCode, Value) {
    rpc(state, "HostService", method, body).await
}

#[tokio::test]
async fn hosts_are_listed_with_their_latest_snapshot_and_history() {
    let state = state().await;
    let now_ms = pulsar_core::unix_ms(std::time::SystemTime::now());
    let samples: Vec<v1::HostSnapshot> = (0..6)
        .map(|i| v1::HostSnapshot {
            hostname: "web-1".into(),
            taken_at_unix_ms: now_ms - 50_000 + i * 10_000,
            memory: Some(v1::MemoryStats {
                used_bytes: 1_000 + i as u64,
                total_bytes: 4_000,
                ..Default::default()
            }),
            ..Default::default()
        })
        .collect();
    state.store.insert_host_samples(&samples).await.unwrap();

    let (status, hosts) = host_call(&state, "ListHosts", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(hosts["hosts"][0]["host"], "web-1");
    let (_, latest) = host_call(&state, "GetHostSnapshot", json!({"host": "web-1"})).await;
    assert_eq!(latest["snapshot"]["memory"]["usedBytes"], "1005");
    let (status, series) = host_call(
        &state,
        "GetHostSeries",
        json!({"host": "web-1", "fromUnixMs": (now_ms - 60_000).to_string(),
            "toUnixMs": now_ms.to_string(), "maxPoints": 6}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{series}");
    assert_eq!(series["stepMs"], "10000");
    assert!(!series["points"].as_array().unwrap().is_empty());

    let (status, error) = host_call(&state, "GetHostSnapshot", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(violations(&error), ["host"]);
    let (status, _) = host_call(&state, "GetHostSnapshot", json!({"host": "nope"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let backwards = json!({"host": "web-1", "fromUnixMs": now_ms.to_string(), "toUnixMs": (now_ms - 1).to_string()});
    let (status, error) = host_call(&state, "GetHostSeries", backwards).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(violations(&error), ["to_unix_ms"]);
}

#[tokio::test]
async fn summaries_phase_series_and_check_now() {
    let target = pulsar_probe::testkit::TestServer::start(
        &pulsar_probe::testkit::TestPki::new().unwrap(),
        pulsar_probe::testkit::ServerOptions::default(),
    )
    .await
    .unwrap();
    let plain = state().await;
    let prober = Arc::new(pulsar_probe::Prober::new().unwrap());
    let bus: Arc<dyn pulsar_queue::EventBus> =
        Arc::new(pulsar_queue::BusBuilder::new().in_process());
    let state = plain.clone().with_checks(prober, bus, "api-1", "eu");
    let (_, created) = call(
        &state,
        "CreateMonitor",
        json!({"monitor": {"name": "target", "url": target.url("/")}}),
    )
    .await;
    let id = created["monitor"]["id"].as_str().unwrap().to_owned();

    // A manual check runs at once, is stored and answered, marked manual.
    let (status, checked) = call(&state, "CheckNow", json!({"id": id})).await;
    assert_eq!(status, StatusCode::OK, "{checked}");
    let result = &checked["result"];
    assert_eq!(
        (result["outcome"].as_str(), result["manual"].as_bool()),
        (Some("OUTCOME_UP"), Some(true))
    );
    assert_eq!(result["worker"], "api-1");
    let (_, listed) = call(&state, "ListResults", json!({"monitorId": id})).await;
    assert_eq!(listed["results"][0], *result);
    // Not twice in a row, and not where no checks run.
    let (status, error) = call(&state, "CheckNow", json!({"id": id})).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("resource_exhausted"))
    );
    let (status, error) = call(&plain, "CheckNow", json!({"id": id})).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("unavailable"))
    );

    // Summaries of the four default windows; a manual check counts in none of them.
    let (status, summaries) = call(&state, "GetSummaries", json!({"monitorIds": [id]})).await;
    assert_eq!(status, StatusCode::OK, "{summaries}");
    let windows = summaries["windows"].as_array().unwrap();
    let lengths: Vec<u64> = windows
        .iter()
        .map(|w| w["windowSeconds"].as_u64().unwrap())
        .collect();
    assert_eq!(lengths, [3_600, 86_400, 604_800, 2_592_000]);
    assert!(
        windows[0]["summaries"][0]["checks"]
            .as_str()
            .is_none_or(|c| c == "0"),
        "{summaries}"
    );
    let (status, error) = call(&state, "GetSummaries", json!({"monitorIds": ["x"]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(violations(&error), ["monitor_ids[0]"]);
    let (status, error) = call(
        &state,
        "GetSummaries",
        json!({"monitorIds": [id], "windowSeconds": [1]}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(violations(&error), ["window_seconds"]);

    let from = pulsar_core::unix_ms(std::time::SystemTime::now()) - 3_600_000;
    let (status, series) = call(
        &state,
        "GetPhaseSeries",
        json!({"monitorId": id, "fromUnixMs": from.to_string()}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{series}");
    assert_eq!(series["stepMs"], "60000");
    let (status, error) = call(
        &state,
        "GetPhaseSeries",
        json!({"monitorId": id, "fromUnixMs": "9999999999999"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(violations(&error), ["to_unix_ms"]);
}

async fn alert_call(state: &AppState, method: &str, body: Value) -> (StatusCode, Value) {
    rpc(state, "AlertService", method, body).await
}

#[tokio::test]
async fn channels_routing_incidents_and_deliveries() {
    let state = state().await;
    let (status, created) = alert_call(
        &state,
        "CreateChannel",
        json!({"channel": {"name": "ops", "kind": "webhook", "enabled": true,
            "config": {"url": "https://hooks.example.com/T0/secret", "format": "json"}}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let channel = created["channel"].clone();
    assert_eq!(channel["config"]["url"], "********", "secrets are masked");
    let id = channel["id"].as_str().unwrap().to_owned();

    // A full replace that sends the mask back keeps the stored URL.
    let mut edited = channel.clone();
    edited["config"]["format"] = json!("text");
    let (status, _) = alert_call(&state, "UpdateChannel", json!({"channel": edited})).await;
    assert_eq!(status, StatusCode::OK);
    let stored = state
        .store
        .get_channel(pulsar_core::ChannelId(id.parse().unwrap()))
        .await
        .unwrap();
    assert_eq!(stored.config["url"], "https://hooks.example.com/T0/secret");
    let (_, listed) = alert_call(&state, "ListChannels", json!({})).await;
    assert_eq!(listed["channels"][0]["config"]["format"], "text");

    // Routing: to one monitor, by id.
    let (_, monitor) = call(
        &state,
        "CreateMonitor",
        json!({"monitor": {"name": "api", "url": "https://api.example.com/"}}),
    )
    .await;
    let monitor_id = monitor["monitor"]["id"].as_str().unwrap().to_owned();
    let routing = json!({"routing": {"channelId": id, "monitorIds": [monitor_id]}});
    let (status, set) = alert_call(&state, "SetChannelRouting", routing).await;
    assert_eq!(status, StatusCode::OK, "{set}");
    let (_, got) = alert_call(&state, "GetChannelRouting", json!({"channelId": id})).await;
    assert_eq!(got["routing"]["monitorIds"][0], monitor_id.as_str());
    let bad = json!({"routing": {"channelId": id, "monitorIds": ["nope"]}});
    let (status, error) = alert_call(&state, "SetChannelRouting", bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(violations(&error), ["routing.monitor_ids[0]"]);

    // Incidents: one opens when the monitor goes down.
    state
        .store
        .set_monitor_state(
            monitor_id.parse().unwrap(),
            pulsar_core::MonitorState::Down,
            std::time::SystemTime::now(),
            "connection refused",
        )
        .await
        .unwrap();
    let (_, incidents) = alert_call(&state, "ListIncidents", json!({"openOnly": true})).await;
    assert_eq!(
        incidents["incidents"][0]["cause"], "connection refused",
        "{incidents}"
    );
    // Host incidents: a condition that fires is listed, for its host, while open.
    let zombies = pulsar_core::HostCondition {
        rule: pulsar_core::HostRule::Zombies,
        subject: String::new(),
        breached: true,
        value: 9.0,
        limit: 5.0,
        detail: "9 zombie processes (limit 5)".into(),
    };
    state
        .store
        .set_host_condition("edge-1", &zombies, std::time::SystemTime::now())
        .await
        .unwrap();
    let asked = json!({"host": "edge-1", "openOnly": true});
    let (status, hosts) = alert_call(&state, "ListHostIncidents", asked).await;
    assert_eq!(status, StatusCode::OK, "{hosts}");
    assert_eq!(hosts["incidents"][0]["condition"], "zombies", "{hosts}");
    assert_eq!(
        hosts["incidents"][0]["detail"],
        "9 zombie processes (limit 5)"
    );
    let (_, other) = alert_call(&state, "ListHostIncidents", json!({"host": "edge-2"})).await;
    assert_eq!(other, json!({}), "no incidents of another host");
    let (status, error) = alert_call(
        &state,
        "ListHostIncidents",
        json!({"pageToken": "nonsense"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");

    let (status, deliveries) = alert_call(&state, "ListDeliveries", json!({"channelId": id})).await;
    assert_eq!(status, StatusCode::OK, "{deliveries}");

    // Errors: invalid, unknown, and a test send from a process that sends nothing.
    let (status, error) = alert_call(
        &state,
        "CreateChannel",
        json!({"channel": {"kind": "webhook"}}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        violations(&error).contains(&"channel.name".to_owned()),
        "{error}"
    );
    let (status, _) = alert_call(&state, "GetChannel", json!({"id": "999999"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, error) = alert_call(&state, "TestChannel", json!({"id": id})).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("unavailable"))
    );
    let (status, _) = alert_call(&state, "DeleteChannel", json!({"id": id})).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn status_reports_version_mode_worker_queue_and_lag() {
    let queue: Arc<dyn pulsar_queue::TaskQueue> =
        Arc::new(pulsar_queue::QueueBuilder::new().in_process());
    queue
        .enqueue(pulsar_queue::NewTask::new(vec![1]))
        .await
        .unwrap();
    let bus: Arc<dyn pulsar_queue::EventBus> =
        Arc::new(pulsar_queue::BusBuilder::new().in_process());
    let prober = Arc::new(pulsar_probe::Prober::new().unwrap());
    let state = state()
        .await
        .with_checks(prober, bus, "w-1", "eu")
        .with_queue(queue);
    // Every process that runs checks says so through the store, this one's worker too.
    for name in ["w-2", "w-1"] {
        let seen = pulsar_core::WorkerSeen {
            name: name.into(),
            host: "edge-1".into(),
            region: "eu".into(),
            last_seen: std::time::SystemTime::now(),
        };
        state.store.record_worker(&seen).await.unwrap();
    }
    let request = Request::post("/pulsar.v1.SystemService/GetStatus")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    let response = app(state).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let status: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(status["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(status["mode"], "embedded");
    assert_eq!(status["queueDepth"], "1");
    assert_eq!(
        (
            status["workers"][0]["name"].as_str(),
            status["workers"][0]["region"].as_str()
        ),
        (Some("w-1"), Some("eu"))
    );
    assert_eq!(status["workers"][1]["name"], "w-2");
}

#[tokio::test]
async fn ready_when_the_store_answers_and_not_after_it_closed() {
    let store = SqliteStore::open_with(SqliteOptions::in_memory())
        .await
        .expect("store");
    let state = AppState::new(Arc::new(store.clone()));
    let get = || Request::get("/readyz").body(Body::empty()).unwrap();
    let response = app(state.clone()).oneshot(get()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    store.close().await;
    let response = app(state).oneshot(get()).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}
