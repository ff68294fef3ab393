//! The WebSocket hub over a real socket: hello, filtered events in JSON and binary, and the
//! requests it refuses.

use std::net::SocketAddr;
use std::sync::Arc;

use futures_util::StreamExt;
use prost::Message as _;
use pulsar_core::proto::v1;
use pulsar_queue::{BusBuilder, EventBus};
use pulsar_server::config::Settings;
use pulsar_server::{AppState, app};
use pulsar_store::{SqliteOptions, SqliteStore};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

async fn serve(bus: Option<Arc<dyn EventBus>>) -> SocketAddr {
    serve_with(bus, &Settings::default()).await
}

async fn serve_with(bus: Option<Arc<dyn EventBus>>, settings: &Settings) -> SocketAddr {
    let store = SqliteStore::open_with(SqliteOptions::in_memory())
        .await
        .unwrap();
    let mut state = AppState::new(Arc::new(store)).with_settings(settings);
    if let Some(bus) = bus {
        state = state.with_bus(bus);
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app(state)).await });
    addr
}

fn check(monitor: &str) -> v1::Event {
    v1::Event::check_completed(v1::CheckResult {
        monitor_id: monitor.into(),
        slot_unix_ms: 1,
        ..Default::default()
    })
}

async fn next_text<S>(socket: &mut S) -> Value
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let message = tokio::time::timeout(std::time::Duration::from_secs(5), socket.next())
            .await
            .expect("a message within 5 s")
            .expect("the socket is open")
            .unwrap();
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_gets_a_hello_then_only_the_events_it_asked_for() {
    let bus: Arc<dyn EventBus> = Arc::new(BusBuilder::new().in_process());
    let addr = serve(Some(bus.clone())).await;
    let url = format!("ws://{addr}/ws?topics=checks&monitors=a");
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let hello = next_text(&mut socket).await;
    assert!(
        hello["hello"]["serverTimeUnixMs"].as_str().is_some(),
        "{hello}"
    );
    assert_eq!(hello["hello"]["topics"], serde_json::json!(["checks"]));
    for monitor in ["b", "a"] {
        bus.publish_event(&check(monitor)).await.unwrap();
    }
    bus.publish_event(&v1::Event::host_sampled(
        "web-1",
        v1::HostSnapshot::default(),
    ))
    .await
    .unwrap();
    let event = next_text(&mut socket).await;
    assert_eq!(
        event["event"]["checkCompleted"]["result"]["monitorId"], "a",
        "{event}"
    );
    // Nothing else was for this client: the next thing it sees is what comes after.
    bus.publish_event(&check("a")).await.unwrap();
    let event = next_text(&mut socket).await;
    assert_eq!(event["event"]["checkCompleted"]["result"]["monitorId"], "a");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proto_subprotocol_gets_binary_frames() {
    let bus: Arc<dyn EventBus> = Arc::new(BusBuilder::new().in_process());
    let addr = serve(Some(bus.clone())).await;
    let mut request = format!("ws://{addr}/ws").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "pulsar.v1.proto".parse().unwrap());
    let (mut socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        "pulsar.v1.proto"
    );
    let Some(Ok(Message::Binary(bytes))) = socket.next().await else {
        panic!("a binary hello");
    };
    let hello = v1::HubMessage::decode(bytes.as_ref()).unwrap();
    assert!(matches!(hello.kind, Some(v1::hub_message::Kind::Hello(_))));
    bus.publish_event(&check("x")).await.unwrap();
    let Some(Ok(Message::Binary(bytes))) = socket.next().await else {
        panic!("a binary event");
    };
    let event = v1::HubMessage::decode(bytes.as_ref()).unwrap();
    assert_eq!(event, v1::HubMessage::event(check("x")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_origin_and_busless_requests_are_refused() {
    let bus: Arc<dyn EventBus> = Arc::new(BusBuilder::new().in_process());
    let addr = serve(Some(bus)).await;
    let mut request = format!("ws://{addr}/ws").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("origin", "http://evil.example".parse().unwrap());
    let error = tokio_tungstenite::connect_async(request).await.unwrap_err();
    assert!(error.to_string().contains("403"), "{error}");
    // The same host as Origin is fine.
    let mut request = format!("ws://{addr}/ws").into_client_request().unwrap();
    let origin = format!("http://{addr}");
    request
        .headers_mut()
        .insert("origin", origin.parse().unwrap());
    assert!(tokio_tungstenite::connect_async(request).await.is_ok());

    let busless = serve(None).await;
    let error = tokio_tungstenite::connect_async(format!("ws://{busless}/ws"))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("503"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_reads_close_the_hub_to_clients_without_the_token() {
    let bus: Arc<dyn EventBus> = Arc::new(BusBuilder::new().in_process());
    let settings = Settings {
        admin_token: Some("s3cret-token".into()),
        private_reads: true,
        cors_origins: vec!["https://status.example".into()],
        ..Settings::default()
    };
    let addr = serve_with(Some(bus), &settings).await;
    let refused = tokio_tungstenite::connect_async(format!("ws://{addr}/ws")).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 401);
        }
        other => panic!("expected 401, got {other:?}"),
    }
    let wrong = tokio_tungstenite::connect_async(format!("ws://{addr}/ws?token=guess")).await;
    assert!(wrong.is_err());
    // The token in the query (browsers cannot set a WebSocket's headers), from an allowed
    // origin of another site.
    let mut request = format!("ws://{addr}/ws?token=s3cret-token")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("origin", "https://status.example".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let hello = next_text(&mut socket).await;
    assert!(hello.get("hello").is_some(), "{hello}");
}
