//! The Redis bus: PUBLISH through the pool; one pub/sub connection per process feeds the
//! local hub, resubscribes by itself after Redis restarts and tells subscribers about the gap.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use prost::Message;
use pulsar_core::proto::v1;
use redis::aio::{PubSubSink, PubSubStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::{Pool, classify, open_redis, pooled, with_retry};
use crate::backoff::Backoff;
use crate::bus::{EventBus, Hub, Subscription};
use crate::config::BusBuilder;
use crate::error::QueueError;

/// How often the subscriber connection is checked, so a connection that died without a
/// word (a host gone, not a restart) is noticed.
const PING_INTERVAL: Duration = Duration::from_secs(5);
const PING_TIMEOUT: Duration = Duration::from_secs(3);

/// The [`EventBus`] on Redis pub/sub; cheap to clone (clones share one subscriber
/// connection and one pool).
#[derive(Clone)]
pub struct RedisBus {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RedisBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBus")
            .field("prefix", &self.inner.prefix)
            .finish_non_exhaustive()
    }
}

struct Inner {
    config: BusBuilder,
    pool: Pool,
    prefix: String,
    hub: Arc<Hub>,
    requests: mpsc::Sender<SubscribeRequest>,
    listener: JoinHandle<()>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

struct SubscribeRequest {
    channels: Vec<String>,
    reply: oneshot::Sender<Result<(), QueueError>>,
}

impl RedisBus {
    pub(crate) async fn connect(
        config: BusBuilder,
        url: &str,
        prefix: &str,
    ) -> Result<Self, QueueError> {
        let (client, pool) = open_redis(url, prefix, config.pool_size, config.connect_timeout)?;
        // Fail early on a wrong address instead of at the first publish.
        with_retry(config.retry_budget, || async {
            pooled(&pool).await.map(drop)
        })
        .await?;
        let hub = Arc::new(Hub::new(config.subscriber_buffer));
        let (requests, incoming) = mpsc::channel(64);
        let channel_prefix = format!("{prefix}:bus:");
        let listener = tokio::spawn(listen(client, channel_prefix, Arc::clone(&hub), incoming));
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                pool,
                prefix: prefix.to_owned(),
                hub,
                requests,
                listener,
            }),
        })
    }

    fn channel(&self, topic: &str) -> String {
        format!("{}:bus:{topic}", self.inner.prefix)
    }
}

#[async_trait]
impl EventBus for RedisBus {
    async fn publish(&self, topic: &str, event: &v1::Event) -> Result<(), QueueError> {
        let channel = self.channel(topic);
        let payload = event.encode_to_vec();
        with_retry(self.inner.config.retry_budget, || async {
            let mut conn = pooled(&self.inner.pool).await?;
            redis::cmd("PUBLISH")
                .arg(&channel)
                .arg(&payload)
                .query_async::<i64>(&mut *conn)
                .await
                .map(drop)
                .map_err(classify)
        })
        .await
    }

    async fn subscribe(&self, topics: &[&str]) -> Result<Subscription, QueueError> {
        // Local receivers exist before Redis confirms, so nothing published after the
        // confirmation can slip past them.
        let subscription = self.inner.hub.subscribe(topics);
        let channels: Vec<String> = topics.iter().map(|topic| self.channel(topic)).collect();
        with_retry(self.inner.config.retry_budget, || async {
            let (reply, answer) = oneshot::channel();
            self.inner
                .requests
                .send(SubscribeRequest {
                    channels: channels.clone(),
                    reply,
                })
                .await
                .map_err(|_| QueueError::Closed)?;
            answer.await.map_err(|_| QueueError::Closed)?
        })
        .await?;
        Ok(subscription)
    }
}

/// Why a served connection ended.
enum Ended {
    Lost(String),
    BusDropped,
}

async fn listen(
    client: redis::Client,
    channel_prefix: String,
    hub: Arc<Hub>,
    mut requests: mpsc::Receiver<SubscribeRequest>,
) {
    let mut channels: BTreeSet<String> = BTreeSet::new();
    let mut waiting: Vec<SubscribeRequest> = Vec::new();
    let mut backoff = Backoff::new();
    loop {
        // Nothing to listen to yet: connect on the first request.
        if channels.is_empty() && waiting.is_empty() {
            match requests.recv().await {
                Some(request) => waiting.push(request),
                None => return,
            }
        }
        let mut wanted = channels.clone();
        wanted.extend(waiting.iter().flat_map(|r| r.channels.iter().cloned()));
        match open(&client, &wanted).await {
            Ok((sink, stream)) => {
                channels = wanted;
                for request in waiting.drain(..) {
                    let _ = request.reply.send(Ok(()));
                }
                hub.mark_up();
                backoff.reset();
                let ended = serve(
                    sink,
                    stream,
                    &mut channels,
                    &mut requests,
                    &hub,
                    &channel_prefix,
                )
                .await;
                match ended {
                    Ended::BusDropped => return,
                    Ended::Lost(reason) => {
                        tracing::warn!(%reason, "bus subscriber lost its connection; reconnecting");
                        hub.mark_down(&reason);
                    }
                }
            }
            Err(error) => {
                for request in waiting.drain(..) {
                    let _ = request.reply.send(Err(error.clone()));
                }
                if channels.is_empty() {
                    // Only a first subscribe failed; its caller retries on its own.
                    continue;
                }
                hub.mark_down(&error.to_string());
                let pause = backoff.next_delay();
                let sleep = tokio::time::sleep(pause);
                tokio::pin!(sleep);
                // Requests arriving during the pause are answered at once; their callers
                // retry within their budget.
                loop {
                    tokio::select! {
                        () = &mut sleep => break,
                        request = requests.recv() => match request {
                            Some(request) => { let _ = request.reply.send(Err(error.clone())); }
                            None => return,
                        },
                    }
                }
            }
        }
    }
}

async fn open(
    client: &redis::Client,
    channels: &BTreeSet<String>,
) -> Result<(PubSubSink, PubSubStream), QueueError> {
    let pubsub = client.get_async_pubsub().await.map_err(classify)?;
    let (mut sink, stream) = pubsub.split();
    if !channels.is_empty() {
        sink.subscribe(channels.iter().collect::<Vec<_>>())
            .await
            .map_err(classify)?;
    }
    Ok((sink, stream))
}

async fn serve(
    mut sink: PubSubSink,
    mut stream: PubSubStream,
    channels: &mut BTreeSet<String>,
    requests: &mut mpsc::Receiver<SubscribeRequest>,
    hub: &Hub,
    channel_prefix: &str,
) -> Ended {
    let mut ping = tokio::time::interval(PING_INTERVAL);
    ping.tick().await;
    loop {
        tokio::select! {
            request = requests.recv() => {
                let Some(request) = request else { return Ended::BusDropped };
                let new: Vec<String> = request
                    .channels
                    .iter()
                    .filter(|channel| !channels.contains(*channel))
                    .cloned()
                    .collect();
                if new.is_empty() {
                    let _ = request.reply.send(Ok(()));
                    continue;
                }
                match sink.subscribe(&new).await {
                    Ok(()) => {
                        channels.extend(new);
                        let _ = request.reply.send(Ok(()));
                    }
                    Err(error) => {
                        let error = classify(error);
                        let _ = request.reply.send(Err(error.clone()));
                        return Ended::Lost(error.to_string());
                    }
                }
            }
            message = stream.next() => {
                let Some(message) = message else {
                    return Ended::Lost("connection closed".into());
                };
                let channel = message.get_channel_name();
                let Some(topic) = channel.strip_prefix(channel_prefix) else { continue };
                match v1::Event::decode(message.get_payload_bytes()) {
                    Ok(event) => hub.deliver(topic, event),
                    Err(error) => tracing::warn!(%channel, %error, "dropped an undecodable event"),
                }
            }
            _ = ping.tick() => {
                match tokio::time::timeout(PING_TIMEOUT, sink.ping::<redis::Value>()).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(error)) => return Ended::Lost(classify(error).to_string()),
                    Err(_) => return Ended::Lost("ping unanswered".into()),
                }
            }
        }
    }
}
