//! `pulsar serve` end to end, embedded: a real server on 127.0.0.1:0 over a SQLite file,
//! driven through its Connect JSON API, checking a test server this test starts.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use futures_util::StreamExt;
use pulsar_probe::testkit::{ServerOptions, TestPki, TestServer};
use pulsar_server::config::Settings;
use pulsar_server::serve::serve;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

mod support;
use support::eventually;

struct Running {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<anyhow::Result<()>>,
}

async fn start(data_dir: &Path) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let config = Settings {
        data_dir: data_dir.to_owned(),
        name: "test-worker".into(),
        region: "local".into(),
        concurrency: 8,
        host_interval: Duration::from_millis(500),
        ..Settings::default()
    };
    let task = tokio::spawn(serve(listener, config, async {
        let _ = stopped.await;
    }));
    Running { addr, stop, task }
}

impl Running {
    async fn stop(self) {
        self.stop.send(()).unwrap();
        let stopped = tokio::time::timeout(Duration::from_secs(10), self.task).await;
        stopped.expect("stops within 10 s").unwrap().unwrap();
    }

    /// One MonitorService call.
    async fn call(&self, method: &str, body: Value) -> (u16, Value) {
        self.rpc("MonitorService", method, body).await
    }

    /// One Connect JSON call.
    async fn rpc(&self, service: &str, method: &str, body: Value) -> (u16, Value) {
        support::rpc(self.addr, service, method, body).await
    }

    async fn monitor(&self, id: &str) -> Value {
        let (status, got) = self.call("GetMonitor", json!({"id": id})).await;
        assert_eq!(status, 200, "{got}");
        got["monitor"].clone()
    }

    async fn results(&self, id: &str) -> Vec<Value> {
        let (status, page) = self.call("ListResults", json!({"monitorId": id})).await;
        assert_eq!(status, 200, "{page}");
        page["results"].as_array().cloned().unwrap_or_default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monitor_is_checked_goes_down_recovers_and_survives_a_restart() {
    let target = TestServer::start(&TestPki::new().unwrap(), ServerOptions::default())
        .await
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let (mut live, _) =
        tokio_tungstenite::connect_async(format!("ws://{}/ws?topics=checks", server.addr))
            .await
            .unwrap();
    let (mut changes, _) =
        tokio_tungstenite::connect_async(format!("ws://{}/ws?topics=monitors", server.addr))
            .await
            .unwrap();
    let (mut incidents, _) =
        tokio_tungstenite::connect_async(format!("ws://{}/ws?topics=incidents", server.addr))
            .await
            .unwrap();
    let (status, created) = server
        .call(
            "CreateMonitor",
            json!({"monitor": {"name": "target", "url": target.url("/"),
                "intervalSeconds": 1, "timeoutMs": 800, "failureThreshold": 2,
                "recoveryThreshold": 1}}),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let id = created["monitor"]["id"].as_str().unwrap().to_owned();

    // Other clients hear of the new monitor at once.
    let told = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            if let Some(Ok(Message::Text(text))) = changes.next().await {
                let message: Value = serde_json::from_str(&text).unwrap();
                if let Some(changed) = message["event"].get("monitorChanged") {
                    return changed.clone();
                }
            }
        }
    })
    .await
    .expect("a monitor-changed event");
    assert_eq!(told["monitor"]["id"], id.as_str());
    assert_eq!(told["monitor"]["name"], "target");

    // The result arrives live over the WebSocket within two intervals, with its phases.
    let event = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            if let Some(Ok(Message::Text(text))) = live.next().await {
                let value: Value = serde_json::from_str(&text).unwrap();
                if let Some(event) = value.get("event") {
                    return event.clone();
                }
            }
        }
    })
    .await
    .expect("a live check result within 3 s");
    let result = &event["checkCompleted"]["result"];
    assert_eq!(result["monitorId"], id.as_str(), "{event}");
    assert!(result["phases"]["totalUs"].as_str().is_some(), "{event}");

    // Checked within two intervals, with its phases, and UP.
    let first = eventually(5, "a first result", || async {
        server.results(&id).await.into_iter().next()
    })
    .await;
    assert_eq!(first["outcome"], "OUTCOME_UP", "{first}");
    assert_eq!(first["worker"], "test-worker");
    assert!(first["phases"]["totalUs"].as_str().is_some(), "{first}");
    eventually(5, "state UP", || async {
        (server.monitor(&id).await["state"] == "MONITOR_STATE_UP").then_some(())
    })
    .await;

    // The target fails: DOWN after two failed checks; then it answers again: UP.
    let mut failing = server.monitor(&id).await;
    failing["url"] = json!(target.url("/status/503"));
    let (status, _) = server
        .call("UpdateMonitor", json!({"monitor": failing}))
        .await;
    assert_eq!(status, 200);
    eventually(8, "state DOWN", || async {
        (server.monitor(&id).await["state"] == "MONITOR_STATE_DOWN").then_some(())
    })
    .await;
    let mut healthy = server.monitor(&id).await;
    healthy["url"] = json!(target.url("/"));
    server
        .call("UpdateMonitor", json!({"monitor": healthy}))
        .await;
    eventually(8, "state UP again", || async {
        (server.monitor(&id).await["state"] == "MONITOR_STATE_UP").then_some(())
    })
    .await;
    // Live clients saw the incident open, then close.
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let message = tokio::time::timeout(Duration::from_secs(5), incidents.next())
            .await
            .expect("incident events within 5 s");
        if let Some(Ok(Message::Text(text))) = message {
            let message: Value = serde_json::from_str(&text).unwrap();
            if let Some(changed) = message["event"].get("incidentChanged") {
                seen.push(changed["incident"].clone());
            }
        }
    }
    assert_eq!(seen[0]["monitorId"], id.as_str());
    assert!(
        seen[0].get("closedAtUnixMs").is_none(),
        "opened: {}",
        seen[0]
    );
    assert!(
        seen[1].get("closedAtUnixMs").is_some(),
        "closed: {}",
        seen[1]
    );
    assert_eq!(seen[0]["id"], seen[1]["id"]);
    let before = server.results(&id).await.len();
    let (mut watching, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", server.addr))
        .await
        .unwrap();

    // The process reports the host it runs on.
    let (status, hosts) = server.rpc("HostService", "ListHosts", json!({})).await;
    assert_eq!(status, 200, "{hosts}");
    let host = hosts["hosts"][0]["host"]
        .as_str()
        .expect("a host")
        .to_owned();
    let (status, latest) = server
        .rpc("HostService", "GetHostSnapshot", json!({"host": host}))
        .await;
    assert_eq!(status, 200, "{latest}");
    assert!(
        latest["snapshot"]["memory"]["totalBytes"]
            .as_str()
            .is_some(),
        "{latest}"
    );
    server.stop().await;
    // Live clients are told the server is going away.
    let close = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match watching.next().await {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => continue,
                other => panic!("no close frame: {other:?}"),
            }
        }
    })
    .await
    .expect("a close frame within 5 s")
    .expect("with a code");
    assert_eq!(u16::from(close.code), 1001, "going away");

    // A restart keeps the monitor, its state and its results, and goes on checking.
    let server = start(data.path()).await;
    let kept = server.monitor(&id).await;
    assert_eq!(kept["state"], "MONITOR_STATE_UP");
    assert!(server.results(&id).await.len() >= before);
    eventually(5, "checks after the restart", || async {
        (server.results(&id).await.len() > before).then_some(())
    })
    .await;
    server.stop().await;
}
