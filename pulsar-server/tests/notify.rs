//! Notifications end to end, to receivers these tests start on loopback: each channel kind's
//! format (the generic webhook's signature checked as a receiver would, e-mail over STARTTLS
//! and implicit TLS), a target that goes down and comes back announced exactly once per
//! channel each way, host alerts (a real zombie, a silent host), and delivery that survives
//! failing, rate-limiting and absent receivers.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pulsar_core::{
    ChannelRouting, CheckResult, Failure, FailureKind, Monitor, NotificationChannel, Outcome,
    Phases, RetryPolicy,
};
use pulsar_probe::Prober;
use pulsar_server::config::Settings;
use pulsar_server::notifier::{Notifier, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use pulsar_server::serve::serve;
use pulsar_store::{DeliveryFilter, PageRequest, SqliteOptions, SqliteStore, Store};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

mod support;
use support::eventually;
use support::receiver::{Receiver, SinkTls, SmtpSink, acceptor};

struct Running {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<anyhow::Result<()>>,
}

async fn start(data_dir: &Path) -> Running {
    start_with(Settings {
        data_dir: data_dir.to_owned(),
        host_interval: Duration::from_secs(60),
        ..Settings::default()
    })
    .await
}

async fn start_with(settings: Settings) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let settings = Settings {
        name: "notify-test".into(),
        public_url: Some("https://pulsar.example".into()),
        ..settings
    };
    let task = tokio::spawn(serve(listener, settings, async {
        let _ = stopped.await;
    }));
    Running { addr, stop, task }
}

impl Running {
    async fn alerts(&self, method: &str, body: Value) -> Value {
        let (status, answer) = support::rpc(self.addr, "AlertService", method, body).await;
        assert_eq!(status, 200, "{method}: {answer}");
        answer
    }

    async fn channel(&self, name: &str, kind: &str, config: Value) -> i64 {
        let created = self
            .alerts(
                "CreateChannel",
                json!({"channel": {"name": name, "kind": kind, "enabled": true, "config": config}}),
            )
            .await;
        created["channel"]["id"].as_str().unwrap().parse().unwrap()
    }

    async fn stop(self) {
        self.stop.send(()).unwrap();
        let stopped = tokio::time::timeout(Duration::from_secs(15), self.task).await;
        stopped.expect("stops within 15 s").unwrap().unwrap();
    }
}

/// Checks the webhook signature the way a receiver should: HMAC-SHA256 over
/// `<timestamp>.<body>`, and a timestamp close to now.
fn assert_signed(request: &support::receiver::Received, secret: &str) {
    let timestamp = &request.headers[&TIMESTAMP_HEADER.to_ascii_lowercase()];
    let sent: u64 = timestamp.parse().unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(now.abs_diff(sent) < 60, "a fresh timestamp");
    let signature = &request.headers[&SIGNATURE_HEADER.to_ascii_lowercase()];
    let hex = signature.strip_prefix("sha256=").expect("sha256=<hex>");
    let tag: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let signed = format!("{timestamp}.{}", request.body);
    ring::hmac::verify(&key, signed.as_bytes(), &tag).expect("a valid signature");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e_mail_goes_over_starttls_or_implicit_tls_trusting_the_channel_s_ca() {
    let pki = pulsar_probe::testkit::TestPki::new().unwrap();
    let tls = acceptor(&pki.identity(pulsar_probe::testkit::Leaf::Valid));
    let starttls = SmtpSink::start_with(SinkTls::StartTls(tls.clone())).await;
    let implicit = SmtpSink::start_with(SinkTls::Implicit(tls)).await;
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let config = |sink: &SmtpSink, security: &str, ca_pem: &str| {
        json!({"smtp_host": "127.0.0.1", "smtp_port": sink.addr.port().to_string(),
               "security": security, "from": "pulsar@example.com",
               "to": "ops@example.com", "ca_pem": ca_pem})
    };
    for (security, sink) in [("starttls", &starttls), ("tls", &implicit)] {
        let id = server
            .channel(security, "email", config(sink, security, pki.ca_pem()))
            .await;
        let tested = server.alerts("TestChannel", json!({"id": id})).await;
        assert_eq!(tested["delivery"]["success"], true, "{security}: {tested}");
        let mail = sink.mail();
        assert_eq!(mail.len(), 1, "{security}");
        assert!(mail[0].data.contains("Subject: [TEST]"), "{}", mail[0].data);
    }

    // Without the channel's CA the server's certificate is refused: nothing is handed over.
    let id = server
        .channel("untrusted", "email", config(&starttls, "starttls", ""))
        .await;
    let tested = server.alerts("TestChannel", json!({"id": id})).await;
    // (proto3 JSON leaves out a false `success`.)
    assert_ne!(tested["delivery"]["success"], true, "{tested}");
    let detail = tested["delivery"]["detail"]
        .as_str()
        .unwrap()
        .to_lowercase();
    assert!(detail.contains("certificate"), "{detail}");
    assert_eq!(starttls.mail().len(), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kind_gets_its_documented_format_and_a_test_says_what_came_back() {
    let receiver = Receiver::start().await;
    let sink = SmtpSink::start().await;
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let channels = [
        ("discord", json!({"webhook_url": receiver.url("/discord")})),
        ("slack", json!({"webhook_url": receiver.url("/slack")})),
        (
            "webhook",
            json!({"url": receiver.url("/hook"), "secret": "s3cret"}),
        ),
        (
            "ntfy",
            json!({"server_url": receiver.url(""), "topic": "ops", "token": "tk"}),
        ),
        (
            "email",
            json!({"smtp_host": "127.0.0.1", "smtp_port": sink.addr.port().to_string(),
                   "security": "none", "from": "pulsar@example.com",
                   "to": "ops@example.com, oncall@example.com"}),
        ),
    ];
    for (kind, config) in channels {
        let id = server
            .channel(&format!("{kind} channel"), kind, config)
            .await;
        let tested = server.alerts("TestChannel", json!({"id": id})).await;
        let delivery = &tested["delivery"];
        assert_eq!(delivery["success"], true, "{kind}: {tested}");
        assert_eq!(delivery["event"], "test");
        let expected = if kind == "email" {
            "SMTP 250"
        } else {
            "HTTP 200: ok"
        };
        assert!(
            delivery["detail"].as_str().unwrap().starts_with(expected),
            "{tested}"
        );
    }

    let discord = receiver.received("/discord")[0].json();
    let embed = &discord["embeds"][0];
    assert_eq!(embed["title"], "[TEST] Test of channel discord channel");
    assert_eq!(embed["color"], 0x3E63DD);
    assert_eq!(embed["url"], "https://pulsar.example");
    assert!(embed["fields"].is_array());

    let slack = receiver.received("/slack")[0].json();
    assert_eq!(slack["text"], "[TEST] Test of channel slack channel");
    assert_eq!(slack["blocks"][0]["type"], "header");
    assert_eq!(slack["blocks"][0]["text"]["type"], "plain_text");

    let hook = &receiver.received("/hook")[0];
    assert_signed(hook, "s3cret");
    assert_eq!(hook.headers["x-pulsar-event"], "test");
    assert_eq!(hook.headers["content-type"], "application/json");
    assert!(!hook.headers["idempotency-key"].is_empty());
    let body = hook.json();
    assert_eq!(body["event"], "test");
    assert_eq!(body["id"], hook.headers["idempotency-key"].as_str());

    let ntfy = &receiver.received("/")[0];
    assert_eq!(ntfy.headers["authorization"], "Bearer tk");
    let ntfy = ntfy.json();
    assert_eq!(
        (ntfy["topic"].as_str(), ntfy["priority"].as_i64()),
        (Some("ops"), Some(3))
    );
    assert_eq!(ntfy["click"], "https://pulsar.example");

    let mail = &sink.mail()[0];
    assert_eq!(mail.from, "pulsar@example.com");
    assert_eq!(mail.to, ["ops@example.com", "oncall@example.com"]);
    assert!(
        mail.data
            .contains("Subject: [TEST] Test of channel email channel"),
        "{}",
        mail.data
    );
    assert!(
        mail.data.contains("This is a test message from Pulsar"),
        "{}",
        mail.data
    );

    // A receiver that refuses says so, in the answer and in the log.
    receiver.script(&[(404, None)]);
    let refused = server
        .channel(
            "gone",
            "slack",
            json!({"webhook_url": receiver.url("/gone")}),
        )
        .await;
    let tested = server.alerts("TestChannel", json!({"id": refused})).await;
    // proto3 JSON leaves `false` out.
    assert_eq!(tested["delivery"].get("success"), None, "{tested}");
    assert_eq!(tested["delivery"]["detail"], "HTTP 404: ok");
    let log = server
        .alerts("ListDeliveries", json!({"channelId": refused.to_string()}))
        .await;
    assert_eq!(log["deliveries"].as_array().unwrap().len(), 1);

    // A bad setting is refused on create, naming the field.
    let (status, error) = support::rpc(
        server.addr,
        "AlertService",
        "CreateChannel",
        json!({"channel": {"name": "bad", "kind": "discord", "config": {"webhook_url": "nope"}}}),
    )
    .await;
    assert_eq!(status, 400, "{error}");
    assert!(error.to_string().contains("config.webhook_url"), "{error}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_only_target_policy_holds_webhooks_to_it_too() {
    let receiver = Receiver::start().await;
    let data = tempfile::tempdir().unwrap();
    let server = start_with(Settings {
        data_dir: data.path().to_owned(),
        target_policy: pulsar_server::config::TargetPolicySetting::PublicOnly,
        ..Settings::default()
    })
    .await;
    let id = server
        .channel("hook", "webhook", json!({"url": receiver.url("/hook")}))
        .await;
    let tested = server.alerts("TestChannel", json!({"id": id})).await;
    let detail = tested["delivery"]["detail"].as_str().unwrap();
    assert!(detail.starts_with("target_refused"), "{tested}");
    assert!(
        receiver.received("/hook").is_empty(),
        "nothing reached loopback"
    );
    server.stop().await;
}

/// A site that answers 200 or 500 as the test says.
async fn switchable_target() -> (SocketAddr, Arc<AtomicBool>, JoinHandle<()>) {
    let healthy = Arc::new(AtomicBool::new(true));
    let flag = Arc::clone(&healthy);
    let app = axum::Router::new().fallback(move || {
        let flag = Arc::clone(&flag);
        async move {
            if flag.load(Ordering::SeqCst) {
                (axum::http::StatusCode::OK, "fine")
            } else {
                (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "broken")
            }
        }
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, healthy, task)
}

/// Waits up to 10 s for the monitor to be in `want` (a `MONITOR_STATE_*` name).
async fn wait_for_state(addr: SocketAddr, monitor: &str, want: &'static str) {
    eventually(10, want, || async {
        let (_, got) =
            support::rpc(addr, "MonitorService", "GetMonitor", json!({"id": monitor})).await;
        (got["monitor"]["state"] == want).then_some(())
    })
    .await;
}

/// A monitor of `target` checked every second, down after 2 failures, and a webhook to
/// `receiver` routed to it: the monitor's id.
async fn watched(server: &Running, target: SocketAddr, receiver: &Receiver) -> String {
    let hook = server
        .channel("hook", "webhook", json!({"url": receiver.url("/hook")}))
        .await;
    let (status, created) = support::rpc(
        server.addr,
        "MonitorService",
        "CreateMonitor",
        json!({"monitor": {"name": "shop", "url": format!("http://{target}/health"),
            "intervalSeconds": 1, "timeoutMs": 800, "failureThreshold": 2,
            "recoveryThreshold": 2}}),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let monitor = created["monitor"]["id"].as_str().unwrap().to_owned();
    server
        .alerts(
            "SetChannelRouting",
            json!({"routing": {"channelId": hook.to_string(), "monitorIds": [monitor]}}),
        )
        .await;
    monitor
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_maintenance_window_mutes_alerts_while_checks_go_on() {
    let receiver = Receiver::start().await;
    let (target, healthy, _target) = switchable_target().await;
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let monitor = watched(&server, target, &receiver).await;
    wait_for_state(server.addr, &monitor, "MONITOR_STATE_UP").await;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let created = server
        .alerts(
            "CreateMaintenanceWindow",
            json!({"window": {"name": "upgrade", "monitorIds": [monitor],
                "once": {"startUnixMs": (now - 60_000).to_string(),
                         "endUnixMs": (now + 600_000).to_string()}}}),
        )
        .await;
    let window = created["window"]["id"].as_str().unwrap().to_owned();
    let listed = server.alerts("ListMaintenanceWindows", json!({})).await;
    assert_eq!(listed["activeIds"], json!([window]), "{listed}");

    healthy.store(false, Ordering::SeqCst);
    wait_for_state(server.addr, &monitor, "MONITOR_STATE_DOWN").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(receiver.received("/hook").is_empty(), "muted");
    let (_, results) = support::rpc(
        server.addr,
        "MonitorService",
        "ListResults",
        json!({"monitorId": monitor}),
    )
    .await;
    let newest = &results["results"][0];
    assert_eq!(
        newest["maintenance"], true,
        "checks go on, marked: {newest}"
    );
    assert_eq!(newest["outcome"], "OUTCOME_DOWN");

    // The window goes; the next check says how things stand.
    server
        .alerts("DeleteMaintenanceWindow", json!({"id": window}))
        .await;
    eventually(5, "the down announced after the window", || async {
        (receiver.received("/hook").len() == 1).then_some(())
    })
    .await;
    let down = receiver.received("/hook")[0].json();
    assert_eq!(down["event"], "down");
    assert!(
        down["cause"]
            .as_str()
            .unwrap()
            .starts_with("after maintenance"),
        "{down}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_going_down_and_up_is_announced_once_per_channel_each_way() {
    let receiver = Receiver::start().await;
    let (target, healthy, _target) = switchable_target().await;
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let hook = server
        .channel("hook", "webhook", json!({"url": receiver.url("/hook")}))
        .await;
    let slack = server
        .channel(
            "slack",
            "slack",
            json!({"webhook_url": receiver.url("/slack")}),
        )
        .await;
    let (status, created) = support::rpc(
        server.addr,
        "MonitorService",
        "CreateMonitor",
        json!({"monitor": {"name": "shop", "url": format!("http://{target}/health"),
            "intervalSeconds": 1, "timeoutMs": 800, "failureThreshold": 2,
            "recoveryThreshold": 2}}),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let monitor = created["monitor"]["id"].as_str().unwrap().to_owned();
    for channel in [hook, slack] {
        server
            .alerts(
                "SetChannelRouting",
                json!({"routing": {"channelId": channel.to_string(), "monitorIds": [monitor]}}),
            )
            .await;
    }
    wait_for_state(server.addr, &monitor, "MONITOR_STATE_UP").await;

    healthy.store(false, Ordering::SeqCst);
    wait_for_state(server.addr, &monitor, "MONITOR_STATE_DOWN").await;
    eventually(5, "a down notification on each channel", || async {
        (receiver.received("/hook").len() == 1 && receiver.received("/slack").len() == 1)
            .then_some(())
    })
    .await;
    healthy.store(true, Ordering::SeqCst);
    wait_for_state(server.addr, &monitor, "MONITOR_STATE_UP").await;
    eventually(5, "a recovery on each channel", || async {
        (receiver.received("/hook").len() == 2 && receiver.received("/slack").len() == 2)
            .then_some(())
    })
    .await;
    // Checks go on; nothing more is said while nothing changes.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(receiver.received("/hook").len(), 2);
    assert_eq!(receiver.received("/slack").len(), 2);

    let hooks = receiver.received("/hook");
    let down = hooks[0].json();
    assert_eq!(down["event"], "down");
    assert_eq!(down["monitor"]["name"], "shop");
    assert_eq!(down["failure"]["kind"], "status_unexpected");
    assert_eq!(down["status_code"], 500);
    assert_eq!(down["previous_state"], "up");
    assert!(
        down["phase_summary"].as_str().unwrap().contains("connect"),
        "{down}"
    );
    assert_eq!(
        down["dashboard_url"],
        format!("https://pulsar.example/monitors/{monitor}")
    );
    let up = hooks[1].json();
    assert_eq!(up["event"], "recovered");
    assert!(up["down_for_ms"].as_u64().unwrap() >= 1_000, "{up}");
    assert_ne!(down["id"], up["id"]);
    let slack_down = receiver.received("/slack")[0].json();
    assert!(
        slack_down["text"]
            .as_str()
            .unwrap()
            .starts_with("[DOWN] shop"),
        "{slack_down}"
    );

    let log = server
        .alerts("ListDeliveries", json!({"monitorId": monitor}))
        .await;
    let log = log["deliveries"].as_array().unwrap().clone();
    assert_eq!(log.len(), 4, "{log:?}");
    assert!(log.iter().all(|d| d["success"] == true));
    server.stop().await;
}

// ---- the notifier on its own, over a real store, with a fast retry policy ----

const FAST: RetryPolicy = RetryPolicy {
    first_delay: Duration::from_millis(200),
    max_delay: Duration::from_secs(5),
    max_attempts: 5,
};

/// A store holding one monitor that has just gone DOWN, with one webhook routed to it: one
/// notification waits in the outbox.
async fn one_notification(store: &dyn Store, url: String) {
    let monitor = store
        .create_monitor(
            &Monitor::new("api", "http://127.0.0.1:9/"),
            SystemTime::now(),
        )
        .await
        .unwrap();
    let mut channel = NotificationChannel::new("hook", "webhook");
    channel.config.insert("url".into(), url);
    let channel = store
        .create_channel(&channel, SystemTime::now())
        .await
        .unwrap();
    let mut routing = ChannelRouting::none(channel.id);
    routing.all_monitors = true;
    store.set_channel_routing(&routing).await.unwrap();
    let now = SystemTime::now() - Duration::from_secs(10);
    let down: Vec<CheckResult> = (0..3)
        .map(|k| {
            let slot = now + Duration::from_secs(k);
            let mut result = CheckResult::new(
                monitor.id,
                slot,
                "w",
                "",
                pulsar_core::ProbeReport {
                    url: String::new(),
                    started_at: slot,
                    hops: Vec::new(),
                    phases: Phases::default(),
                    failure: None,
                    body_assertion_held: None,
                },
                pulsar_core::Verdict {
                    outcome: Outcome::Down,
                    failure_kind: Some(FailureKind::ConnectRefused),
                    reason: "connection refused".into(),
                },
            );
            result.failure = Some(Failure::new(FailureKind::ConnectRefused, "refused"));
            result
        })
        .collect();
    store.record_results(&down).await.unwrap();
    assert_eq!(store.pending_notifications().await.unwrap(), 1);
}

fn notifier(store: Arc<dyn Store>, holder: &str) -> Notifier {
    Notifier {
        store,
        bus: None,
        prober: Arc::new(Prober::builder().build().unwrap()),
        holder: holder.into(),
        public_url: None,
        retry: FAST,
        poll: Duration::from_millis(50),
        reminder_sweep: Duration::from_millis(200),
        host_rules: pulsar_core::HostRules::default(),
        host_interval: Duration::from_secs(5),
        metrics: pulsar_server::metrics::Metrics::default(),
    }
}

async fn attempts(store: &dyn Store) -> Vec<(u32, bool, String)> {
    let mut log = store
        .list_deliveries(&DeliveryFilter::default(), &PageRequest::first(50))
        .await
        .unwrap()
        .items;
    log.reverse();
    log.into_iter()
        .map(|d| (d.attempt, d.success, d.detail))
        .collect()
}

async fn memory_store() -> Arc<dyn Store> {
    let store = SqliteStore::open_with(SqliteOptions::in_memory().fold_interval(None))
        .await
        .unwrap();
    Arc::new(store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_gets_it_once_it_recovers_with_every_attempt_logged() {
    let receiver = Receiver::start().await;
    receiver.script(&[(500, None), (500, None), (200, None)]);
    let store = memory_store().await;
    one_notification(store.as_ref(), receiver.url("/hook")).await;
    let (stop, stopped) = oneshot::channel::<()>();
    let running = tokio::spawn(notifier(Arc::clone(&store), "n1").run(async {
        let _ = stopped.await;
    }));
    eventually(10, "three attempts", || async {
        (attempts(store.as_ref()).await.len() == 3).then_some(())
    })
    .await;
    let log = attempts(store.as_ref()).await;
    let outcome: Vec<_> = log.iter().map(|(n, ok, _)| (*n, *ok)).collect();
    assert_eq!(outcome, [(1, false), (2, false), (3, true)]);
    assert_eq!(log[0].2, "HTTP 500: ok");
    let sent = receiver.received("/hook");
    assert_eq!(sent.len(), 3);
    let key = &sent[0].headers["idempotency-key"];
    assert!(
        sent.iter().all(|r| &r.headers["idempotency-key"] == key),
        "one key"
    );
    assert!(
        sent[2].at - sent[1].at >= Duration::from_millis(400),
        "the wait doubles"
    );
    assert_eq!(store.pending_notifications().await.unwrap(), 0);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received("/hook").len(), 3, "delivered once");
    stop.send(()).unwrap();
    running.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_attempt_waits_as_long_as_the_receiver_asks() {
    let receiver = Receiver::start().await;
    receiver.script(&[(429, Some("2"))]);
    let store = memory_store().await;
    one_notification(store.as_ref(), receiver.url("/hook")).await;
    let (stop, stopped) = oneshot::channel::<()>();
    let running = tokio::spawn(notifier(Arc::clone(&store), "n1").run(async {
        let _ = stopped.await;
    }));
    eventually(10, "a second attempt", || async {
        (receiver.received("/hook").len() == 2).then_some(())
    })
    .await;
    let sent = receiver.received("/hook");
    let waited = sent[1].at - sent[0].at;
    assert!(
        waited >= Duration::from_secs(2),
        "waited {waited:?}, asked for 2 s"
    );
    assert!(waited < Duration::from_secs(4), "waited {waited:?}");
    eventually(5, "the success logged", || async {
        (attempts(store.as_ref()).await.len() == 2).then_some(())
    })
    .await;
    assert_eq!(attempts(store.as_ref()).await[0].2, "HTTP 429: wait");
    stop.send(()).unwrap();
    running.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_down_across_a_restart_gets_the_notification_after_it() {
    let data = tempfile::tempdir().unwrap();
    let path = data.path().join("pulsar.db");
    // A port with nothing behind it yet: the receiver starts there later.
    let reserved = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = reserved.local_addr().unwrap().port();
    drop(reserved);
    let url = format!("http://127.0.0.1:{port}/hook");

    let store = SqliteStore::open(&path).await.unwrap();
    one_notification(&store, url).await;
    let shared: Arc<dyn Store> = Arc::new(store.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let first = tokio::spawn(notifier(Arc::clone(&shared), "before").run(async {
        let _ = stopped.await;
    }));
    eventually(10, "a failed attempt", || async {
        (!attempts(shared.as_ref()).await.is_empty()).then_some(())
    })
    .await;
    stop.send(()).unwrap();
    first.await.unwrap();
    drop(shared);
    store.close().await;
    let failed = attempts(&SqliteStore::open(&path).await.unwrap()).await;
    assert!(failed[0].2.starts_with("connect_refused"), "{failed:?}");

    // The receiver comes up while no notifier runs; the next one delivers.
    let receiver = Receiver::on(TcpListener::bind(("127.0.0.1", port)).await.unwrap());
    let reopened: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let second = tokio::spawn(notifier(Arc::clone(&reopened), "after").run(async {
        let _ = stopped.await;
    }));
    eventually(10, "delivery after the restart", || async {
        (receiver.received("/hook").len() == 1).then_some(())
    })
    .await;
    eventually(5, "the outbox empty", || async {
        (reopened.pending_notifications().await.unwrap() == 0).then_some(())
    })
    .await;
    let log = attempts(reopened.as_ref()).await;
    assert!(log.last().unwrap().1, "{log:?}");
    stop.send(()).unwrap();
    second.await.unwrap();
}

/// Zombie processes on this machine now (state `Z` in `/proc/<pid>/stat`).
fn zombies() -> u64 {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| {
            let stat = std::fs::read_to_string(entry.ok()?.path().join("stat")).ok()?;
            let state = stat.rsplit_once(')')?.1.trim_start().chars().next()?;
            (state == 'Z').then_some(())
        })
        .count() as u64
}

/// The machine's zombies once their number has held for 2 s (at most 30 s of waiting).
async fn settled_zombies() -> u64 {
    let mut last = zombies();
    let mut steady = 0;
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = zombies();
        steady = if now == last { steady + 1 } else { 0 };
        last = now;
        if steady >= 4 {
            break;
        }
    }
    last
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_zombie_fires_the_host_rule_and_reaping_it_resolves_it() {
    let receiver = Receiver::start().await;
    let data = tempfile::tempdir().unwrap();
    // A margin over the zombies the machine has once their number holds still (orphans of
    // earlier tests are reaped by init at its own pace), so one that comes or goes elsewhere
    // meanwhile neither fires the rule early nor keeps it from firing.
    let baseline = settled_zombies().await;
    const MARGIN: u64 = 2;
    const SPAWNED: usize = 5;
    let rules = pulsar_core::HostRules {
        zombies: baseline + MARGIN,
        // Two samples each way: one sample taken while the children exit is not a change.
        fire_after: 2,
        resolve_after: 2,
        ..pulsar_core::HostRules::default()
    };
    let server = start_with(Settings {
        data_dir: data.path().to_owned(),
        host_interval: Duration::from_millis(200),
        host_rules: rules,
        host: pulsar_server::config::HostSource {
            name: Some("zombie-host".into()),
            ..Default::default()
        },
        ..Settings::default()
    })
    .await;
    let hook = server
        .channel("hosts", "webhook", json!({"url": receiver.url("/hook")}))
        .await;
    server
        .alerts(
            "SetChannelRouting",
            json!({"routing": {"channelId": hook.to_string(), "hosts": true}}),
        )
        .await;
    let zombie_notices = |event: &'static str| {
        receiver
            .received("/hook")
            .into_iter()
            .map(|r| r.json())
            .filter(|body| body["condition"] == "zombies" && body["event"] == event)
            .collect::<Vec<_>>()
    };

    // Children that exit and are not waited for stay zombies of this test.
    let mut children: Vec<_> = (0..SPAWNED)
        .map(|_| std::process::Command::new("true").spawn().unwrap())
        .collect();
    let fired = eventually(10, "a zombie alert", || async {
        zombie_notices("host_alert").into_iter().next()
    })
    .await;
    assert_eq!(fired["host"], "zombie-host");
    let title = fired["title"].as_str().unwrap();
    assert!(title.starts_with("[HOST] zombie-host: "), "{title}");
    assert!(title.contains("zombie processes"), "{title}");

    for child in &mut children {
        child.wait().unwrap();
    }
    let resolved = eventually(10, "the zombie alert resolved", || async {
        zombie_notices("host_resolved").into_iter().next()
    })
    .await;
    assert_eq!(resolved["condition"], "zombies");
    // (That a condition told twice notifies once is the store's conformance test.)
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_that_stops_reporting_is_announced_and_its_next_sample_resolves_it() {
    let receiver = Receiver::start().await;
    let store = memory_store().await;
    let mut channel = NotificationChannel::new("hosts", "webhook");
    channel.config.insert("url".into(), receiver.url("/hook"));
    let channel = store
        .create_channel(&channel, SystemTime::now())
        .await
        .unwrap();
    let mut routing = ChannelRouting::none(channel.id);
    routing.hosts = true;
    store.set_channel_routing(&routing).await.unwrap();
    let report = |at: SystemTime| pulsar_core::proto::v1::HostSnapshot {
        host: "edge-3".into(),
        hostname: "edge-3".into(),
        taken_at_unix_ms: pulsar_core::unix_ms(at),
        ..Default::default()
    };
    store
        .insert_host_samples(&[report(SystemTime::now())])
        .await
        .unwrap();

    // Sampled every 100 ms, so silent after 3 intervals without a sample.
    let mut notifier = notifier(Arc::clone(&store), "n1");
    notifier.host_interval = Duration::from_millis(100);
    notifier.reminder_sweep = Duration::from_millis(50);
    let (stop, stopped) = oneshot::channel::<()>();
    let running = tokio::spawn(notifier.run(async {
        let _ = stopped.await;
    }));
    let silent = |event: &'static str| {
        receiver
            .received("/hook")
            .into_iter()
            .map(|r| r.json())
            .filter(|body| body["condition"] == "silent" && body["event"] == event)
            .collect::<Vec<_>>()
    };
    let fired = eventually(10, "a silent-host alert", || async {
        silent("host_alert").into_iter().next()
    })
    .await;
    assert_eq!(fired["host"], "edge-3");
    // Judged silent again on every sweep while it stays quiet: told once.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(silent("host_alert").len(), 1);

    store
        .insert_host_samples(&[report(SystemTime::now())])
        .await
        .unwrap();
    eventually(10, "the silent-host alert resolved", || async {
        silent("host_resolved").into_iter().next()
    })
    .await;
    stop.send(()).unwrap();
    running.await.unwrap();
    assert_eq!(silent("host_resolved").len(), 1);
}
