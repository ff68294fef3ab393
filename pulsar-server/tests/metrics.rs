//! `/metrics` through `app()`: blackbox_exporter's series for each monitor's latest check,
//! and the process's own `pulsar_*` series, in the Prometheus text format.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use pulsar_core::{CheckResult, Monitor, MonitorId, Outcome, Phases, TlsInfo};
use pulsar_queue::{QueueBuilder, TaskQueue};
use pulsar_server::metrics::Metrics;
use pulsar_server::{AppState, app};
use pulsar_store::{SqliteOptions, SqliteStore, Store};
use tower::ServiceExt;

fn ms(n: u64) -> Option<Duration> {
    Some(Duration::from_millis(n))
}

#[tokio::test]
async fn metrics_show_each_monitors_latest_check_and_the_process() {
    let store = SqliteStore::open_with(SqliteOptions::in_memory().fold_interval(None))
        .await
        .unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    let now = SystemTime::now();
    let mut monitor = Monitor::new("shop", "https://shop.example/health?token=x");
    monitor.id = MonitorId::new();
    let monitor = store.create_monitor(&monitor, now).await.unwrap();
    let expiry = SystemTime::UNIX_EPOCH + Duration::from_secs(1_900_000_000);
    let result = CheckResult {
        monitor_id: monitor.id,
        slot: now - Duration::from_secs(1),
        started_at: now - Duration::from_millis(900),
        worker: "w".into(),
        region: String::new(),
        outcome: Outcome::Up,
        failure: None,
        message: String::new(),
        status: Some(204),
        http_version: None,
        remote_addr: None,
        phases: Phases {
            dns: ms(12),
            connect: ms(30),
            tls: ms(85),
            ttfb: ms(2100),
            download: ms(4),
            total: ms(2231),
        },
        hops: Vec::new(),
        body_bytes: 0,
        tls: Some(TlsInfo {
            version: "TLSv1.3".into(),
            cipher: String::new(),
            alpn: None,
            subject: String::new(),
            issuer: String::new(),
            sans: Vec::new(),
            not_before: None,
            not_after: Some(expiry),
        }),
        manual: false,
        scheduling_delay: None,
        maintenance: false,
    };
    store
        .record_results(std::slice::from_ref(&result))
        .await
        .unwrap();
    let metrics = Metrics::default();
    metrics.observe_check(&result);
    let queue: Arc<dyn TaskQueue> = Arc::new(QueueBuilder::new().in_process());
    let state = AppState::new(store).with_queue(queue).with_metrics(metrics);

    let response = app(state)
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let text = String::from_utf8(
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();

    let labels = format!(
        "monitor=\"shop\",monitor_id=\"{}\",instance=\"https://shop.example/health?token=x\"",
        monitor.id
    );
    for line in [
        format!("probe_success{{{labels}}} 1"),
        format!("probe_duration_seconds{{{labels}}} 2.231"),
        format!("probe_http_duration_seconds{{{labels},phase=\"resolve\"}} 0.012"),
        format!("probe_http_duration_seconds{{{labels},phase=\"processing\"}} 2.1"),
        format!("probe_http_duration_seconds{{{labels},phase=\"transfer\"}} 0.004"),
        format!("probe_http_status_code{{{labels}}} 204"),
        format!("probe_ssl_earliest_cert_expiry{{{labels}}} 1900000000"),
        "pulsar_checks_total{outcome=\"up\"} 1".to_owned(),
        "pulsar_scheduler_lateness_seconds_count 1".to_owned(),
        "pulsar_scheduler_lateness_seconds_bucket{le=\"0.05\"} 0".to_owned(),
        "pulsar_scheduler_lateness_seconds_bucket{le=\"0.1\"} 1".to_owned(),
        "pulsar_queue_depth 0".to_owned(),
        "pulsar_queue_in_flight 0".to_owned(),
        "pulsar_websocket_clients 0".to_owned(),
        "pulsar_rollup_lag 1".to_owned(),
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    assert!(text.ends_with("# EOF\n"));
}
