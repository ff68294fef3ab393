//! The WebSocket hub at `/ws`: live events to browsers and other clients.
//!
//! - A client picks topics and subjects in the query: `?topics=checks,monitor-states`,
//!   `&monitors=<id>,<id>`, `&hosts=<host>` (none: everything).
//! - It receives a hello with the server time, then each event it subscribed to, as proto3
//!   JSON text, or as binary protobuf when it asks for the `pulsar.v1.proto` subprotocol.
//! - One that fell behind gets a resync (events were dropped for it alone: refetch through
//!   the API); one that takes no message for [`SEND_TIMEOUT`] is closed as too slow, and one
//!   that answers no ping for two [`PING_INTERVAL`]s is dropped. A client never delays
//!   another: each reads its own subscription of the bus.
//! - A browser's `Origin` must be this server's own host or an allowed origin.
//! - With private reads, the admin token is needed (`?token=` or `Authorization`).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use prost::Message as _;
use pulsar_core::EventFilter;
use pulsar_core::proto::v1;
use pulsar_queue::{BusItem, EventBus};
use tokio::sync::watch;

/// The subprotocol that asks for binary protobuf frames.
pub const PROTO_SUBPROTOCOL: &str = "pulsar.v1.proto";
/// How often the server pings each client.
pub const PING_INTERVAL: Duration = Duration::from_secs(20);
/// How long one message may wait for a client to take it.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(5);

/// What the hub needs of the server: the bus, when this process has one.
#[derive(Clone)]
pub struct HubState {
    pub bus: Option<Arc<dyn EventBus>>,
    /// Turns true when the server stops: every client is then closed with "going away".
    pub stopping: watch::Receiver<bool>,
    pub access: crate::access::Access,
    /// Other sites' origins allowed besides this server's own.
    pub origins: Vec<String>,
    /// Counts the clients connected now.
    pub clients: prometheus_client::metrics::gauge::Gauge,
}

/// Upgrades `/ws` requests.
pub(crate) async fn upgrade(
    State(state): State<HubState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let Some(bus) = state.bus.clone() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "no live events here\n").into_response();
    };
    if !same_origin(&headers, &state.origins) {
        return (StatusCode::FORBIDDEN, "cross-origin WebSocket refused\n").into_response();
    }
    let token = query.get("token").map(String::as_str);
    let allowed = match token {
        Some(_) => state.access.check_token(token, false),
        None => state.access.check(&headers, false),
    };
    if let Err(refused) = allowed {
        return (StatusCode::UNAUTHORIZED, format!("{}\n", refused.message())).into_response();
    }
    let list = |key: &str| -> BTreeSet<String> {
        query
            .get(key)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let filter = EventFilter {
        topics: list("topics"),
        monitors: list("monitors"),
        hosts: list("hosts"),
    };
    let stopping = state.stopping.clone();
    ws.protocols([PROTO_SUBPROTOCOL])
        .on_upgrade(move |socket| async move {
            state.clients.inc();
            serve_client(socket, bus, filter, stopping).await;
            state.clients.dec();
        })
}

/// A request without an `Origin` is not from a browser; one with it must name this host
/// or be one of `allowed`.
fn same_origin(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return true;
    };
    if allowed.iter().any(|a| a.eq_ignore_ascii_case(origin)) {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin.split_once("://").map(|(_, rest)| rest);
    matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
}

/// How one client's messages are framed.
#[derive(Clone, Copy)]
enum Framing {
    Json,
    Proto,
}

impl Framing {
    fn frame(self, message: &v1::HubMessage) -> Option<Message> {
        Some(match self {
            Self::Json => Message::Text(Utf8Bytes::from(serde_json::to_string(message).ok()?)),
            Self::Proto => Message::Binary(message.encode_to_vec().into()),
        })
    }
}

async fn serve_client(
    mut socket: WebSocket,
    bus: Arc<dyn EventBus>,
    filter: EventFilter,
    mut stopping: watch::Receiver<bool>,
) {
    let framing = match socket.protocol() {
        Some(p) if p == PROTO_SUBPROTOCOL => Framing::Proto,
        _ => Framing::Json,
    };
    let topics = filter.topics();
    let mut subscription = match bus.subscribe(&topics).await {
        Ok(subscription) => subscription,
        Err(error) => {
            tracing::warn!(%error, "could not subscribe a WebSocket client");
            close(
                &mut socket,
                close_code::ERROR,
                "the event bus is unreachable",
            )
            .await;
            return;
        }
    };
    let hello = v1::HubMessage::hello(SystemTime::now(), &topics);
    if !send(&mut socket, framing, &hello).await {
        return;
    }
    let mut ping = tokio::time::interval(PING_INTERVAL);
    ping.tick().await;
    let mut last_pong = Instant::now();
    loop {
        tokio::select! {
            () = stopped(&mut stopping) => {
                close(&mut socket, close_code::AWAY, "the server is shutting down").await;
                return;
            }
            item = subscription.recv() => {
                let message = match item {
                    None => {
                        close(&mut socket, close_code::AWAY, "the server is shutting down").await;
                        return;
                    }
                    Some(BusItem::Event(published)) if filter.matches(&published.event) => {
                        v1::HubMessage::event(published.event.clone())
                    }
                    Some(BusItem::Event(_) | BusItem::Disconnected { .. }) => continue,
                    Some(BusItem::Lagged { missed, .. }) => v1::HubMessage::resync(missed),
                    // Events published while the bus was away were not received.
                    Some(BusItem::Reconnected) => v1::HubMessage::resync(0),
                };
                if !send(&mut socket, framing, &message).await {
                    return;
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Pong(_))) => last_pong = Instant::now(),
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => {
                if last_pong.elapsed() > 2 * PING_INTERVAL {
                    close(&mut socket, close_code::POLICY, "no answer to pings").await;
                    return;
                }
                if socket.send(Message::Ping(Default::default())).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Resolves once the server stops.
async fn stopped(stopping: &mut watch::Receiver<bool>) {
    // The guard `wait_for` answers is dropped here, before the caller goes on. A server that
    // never says when it stops (no sender left) never stops its clients this way.
    let closed = stopping.wait_for(|stop| *stop).await.is_err();
    if closed {
        std::future::pending::<()>().await;
    }
}

/// Sends one message within [`SEND_TIMEOUT`]; `false` once the client is gone or too slow.
async fn send(socket: &mut WebSocket, framing: Framing, message: &v1::HubMessage) -> bool {
    let Some(frame) = framing.frame(message) else {
        return true;
    };
    match tokio::time::timeout(SEND_TIMEOUT, socket.send(frame)).await {
        Ok(Ok(())) => true,
        Ok(Err(_)) => false,
        Err(_) => {
            close(
                socket,
                close_code::POLICY,
                "too slow: messages were not taken",
            )
            .await;
            false
        }
    }
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let frame = CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    };
    let _ = tokio::time::timeout(
        Duration::from_secs(1),
        socket.send(Message::Close(Some(frame))),
    )
    .await;
}
