//! The `EventBus` trait and the in-process fan-out both backends deliver through: one tokio
//! broadcast channel per topic, so each subscriber has its own bounded cursor, a slow one
//! is told how many events it missed, and nobody waits for it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures_util::future::select_all;
use pulsar_core::proto::v1;
use tokio::sync::{broadcast, watch};

use crate::error::QueueError;

/// Publish and subscribe to [`v1::Event`]s on named topics (see pulsar-core's `TOPIC_*`).
///
/// Object safe: an `Arc<dyn EventBus>` lets a server pick Redis or in-process at startup.
#[async_trait]
pub trait EventBus: Send + Sync + 'static {
    /// Sends `event` to every current subscriber of `topic`, never waiting for any of them.
    async fn publish(&self, topic: &str, event: &v1::Event) -> Result<(), QueueError>;

    /// Publishes `event` on its kind's topic ([`v1::Event::topic`]).
    async fn publish_event(&self, event: &v1::Event) -> Result<(), QueueError> {
        let topic = event
            .topic()
            .ok_or_else(|| QueueError::InvalidArgument("an event without a kind".into()))?;
        self.publish(topic, event).await
    }

    /// Subscribes to `topics`; events published after this returns are received.
    async fn subscribe(&self, topics: &[&str]) -> Result<Subscription, QueueError>;
}

/// An event as a subscriber receives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    pub topic: String,
    pub event: v1::Event,
}

/// What a subscription yields.
#[derive(Debug, Clone, PartialEq)]
pub enum BusItem {
    /// The next event (shared between the subscribers of this process).
    Event(Arc<Published>),
    /// This subscriber fell more than its buffer behind on `topic`, and the `missed` oldest
    /// events it had not read were dropped for it alone.
    Lagged { topic: String, missed: u64 },
    /// The connection to the bus broke; events published until [`BusItem::Reconnected`]
    /// are not received. The bus reconnects by itself.
    Disconnected { reason: String },
    /// The bus is connected again after a [`BusItem::Disconnected`].
    Reconnected,
}

/// Whether the process is connected to the bus; `generation` counts reconnections.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Link {
    pub(crate) generation: u64,
    pub(crate) down: Option<String>,
}

/// Per-topic broadcast channels of one bus in one process.
pub(crate) struct Hub {
    topics: Mutex<HashMap<String, broadcast::Sender<Arc<Published>>>>,
    buffer: usize,
    link: watch::Sender<Link>,
}

impl Hub {
    pub(crate) fn new(buffer: usize) -> Self {
        Self {
            topics: Mutex::new(HashMap::new()),
            buffer: buffer.max(1),
            link: watch::Sender::new(Link::default()),
        }
    }

    /// Hands `event` to the local subscribers of `topic`.
    pub(crate) fn deliver(&self, topic: &str, event: v1::Event) {
        let sender = lock(&self.topics).get(topic).cloned();
        if let Some(sender) = sender {
            // An error only means nobody is subscribed right now.
            let _ = sender.send(Arc::new(Published {
                topic: topic.to_owned(),
                event,
            }));
        }
    }

    /// A subscription to `topics`; it ends when the hub (the bus) is dropped.
    pub(crate) fn subscribe(&self, topics: &[&str]) -> Subscription {
        let mut channels = lock(&self.topics);
        let receivers = topics
            .iter()
            .map(|topic| {
                let receiver = channels
                    .entry((*topic).to_owned())
                    .or_insert_with(|| broadcast::Sender::new(self.buffer))
                    .subscribe();
                ((*topic).to_owned(), receiver)
            })
            .collect();
        let link = self.link.subscribe();
        let seen = link.borrow().clone();
        Subscription {
            receivers,
            link,
            seen,
            queued: VecDeque::new(),
            rotation: 0,
        }
    }

    pub(crate) fn mark_down(&self, reason: &str) {
        self.link.send_if_modified(|link| {
            let changed = link.down.is_none();
            if changed {
                link.down = Some(reason.to_owned());
            }
            changed
        });
    }

    pub(crate) fn mark_up(&self) {
        self.link.send_if_modified(|link| {
            let changed = link.down.is_some();
            if changed {
                link.down = None;
                link.generation += 1;
            }
            changed
        });
    }
}

/// A stream of [`BusItem`]s for the topics subscribed to. Dropping it unsubscribes.
pub struct Subscription {
    receivers: Vec<(String, broadcast::Receiver<Arc<Published>>)>,
    link: watch::Receiver<Link>,
    seen: Link,
    queued: VecDeque<BusItem>,
    // Which topic is polled first next time, so a busy topic cannot starve a quiet one.
    rotation: usize,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let topics: Vec<_> = self.receivers.iter().map(|(topic, _)| topic).collect();
        f.debug_struct("Subscription")
            .field("topics", &topics)
            .finish_non_exhaustive()
    }
}

enum Next {
    Topic(usize, Result<Arc<Published>, broadcast::error::RecvError>),
    LinkChanged(bool),
}

impl Subscription {
    /// The next item; `None` once the bus is gone.
    pub async fn recv(&mut self) -> Option<BusItem> {
        loop {
            if let Some(item) = self.queued.pop_front() {
                return Some(item);
            }
            if self.receivers.is_empty() {
                return None;
            }
            match self.wait().await {
                Next::Topic(_, Ok(published)) => return Some(BusItem::Event(published)),
                Next::Topic(index, Err(broadcast::error::RecvError::Lagged(missed))) => {
                    let topic = self.receivers[index].0.clone();
                    return Some(BusItem::Lagged { topic, missed });
                }
                Next::Topic(index, Err(broadcast::error::RecvError::Closed)) => {
                    self.receivers.swap_remove(index);
                }
                Next::LinkChanged(true) => self.note_link_change(),
                // The backend's listener is gone; events still buffered are read above.
                Next::LinkChanged(false) => {}
            }
        }
    }

    async fn wait(&mut self) -> Next {
        let count = self.receivers.len();
        let start = self.rotation % count;
        self.rotation = self.rotation.wrapping_add(1);
        let link = &mut self.link;
        let link_alive = link.has_changed().is_ok();
        let mut pending: Vec<_> = self
            .receivers
            .iter_mut()
            .enumerate()
            .map(|(index, (_, receiver))| Box::pin(async move { (index, receiver.recv().await) }))
            .collect();
        pending.rotate_left(start);
        let topics = select_all(pending);
        tokio::select! {
            ((index, result), _, _) = topics => Next::Topic(index, result),
            changed = link.changed(), if link_alive => Next::LinkChanged(changed.is_ok()),
        }
    }

    fn note_link_change(&mut self) {
        let now = self.link.borrow_and_update().clone();
        let was_down = self.seen.down.is_some();
        if now.generation > self.seen.generation {
            // A drop and a reconnection can both happen between two reads: report both.
            if !was_down {
                let reason = now
                    .down
                    .clone()
                    .unwrap_or_else(|| "connection to the bus was lost".to_owned());
                self.queued.push_back(BusItem::Disconnected { reason });
            }
            if now.down.is_none() {
                self.queued.push_back(BusItem::Reconnected);
            }
        } else if let (false, Some(reason)) = (was_down, &now.down) {
            self.queued.push_back(BusItem::Disconnected {
                reason: reason.clone(),
            });
        }
        self.seen = now;
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding this lock cannot leave the map half-updated.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
