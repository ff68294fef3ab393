//! The in-process bus: publishing is handing the event to the topic's broadcast channel.

use std::sync::Arc;

use async_trait::async_trait;
use pulsar_core::proto::v1;

use crate::bus::{EventBus, Hub, Subscription};
use crate::config::BusBuilder;
use crate::error::QueueError;

/// The in-process [`EventBus`]; cheap to clone (clones share the bus).
#[derive(Clone)]
pub struct MemoryBus {
    hub: Arc<Hub>,
}

impl std::fmt::Debug for MemoryBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryBus").finish_non_exhaustive()
    }
}

impl MemoryBus {
    pub(crate) fn new(config: BusBuilder) -> Self {
        Self {
            hub: Arc::new(Hub::new(config.subscriber_buffer)),
        }
    }
}

#[async_trait]
impl EventBus for MemoryBus {
    async fn publish(&self, topic: &str, event: &v1::Event) -> Result<(), QueueError> {
        self.hub.deliver(topic, event.clone());
        Ok(())
    }

    async fn subscribe(&self, topics: &[&str]) -> Result<Subscription, QueueError> {
        Ok(self.hub.subscribe(topics))
    }
}
