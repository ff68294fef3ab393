//! The host sampler: every process that checks sites also reports the host it runs on. Each
//! interval it takes a snapshot, stores it under its host identity and publishes it, and
//! judges it on the host's alert rules.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use pulsar_core::proto::v1;
use pulsar_core::{
    HostCondition, HostRuleMemory, HostRules, host_conditions, host_rule_step, samples_to_fire,
};
use pulsar_host::HostCollector;
use pulsar_queue::EventBus;
use pulsar_store::Store;

/// What the sampler works with.
pub struct Sampler {
    pub store: Arc<dyn Store>,
    pub bus: Arc<dyn EventBus>,
    pub collector: HostCollector,
    pub interval: Duration,
    /// This host's alert rules, judged on every sample.
    pub rules: HostRules,
    /// Each condition's runs, by its key.
    pub memory: HashMap<String, HostRuleMemory>,
}

impl Sampler {
    /// Samples every `interval` until `shutdown` resolves. A snapshot that cannot be stored
    /// is logged and the next one tries again.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) {
        let mut ticks = tokio::time::interval(self.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => return,
                _ = ticks.tick() => self.sample().await,
            }
        }
    }

    async fn sample(&mut self) {
        let snapshot = match self.collector.collect_async().await {
            Ok(snapshot) => snapshot,
            Err(error) => {
                tracing::warn!(%error, "could not sample the host");
                return;
            }
        };
        if let Err(error) = self
            .store
            .insert_host_samples(std::slice::from_ref(&snapshot))
            .await
        {
            tracing::warn!(%error, "could not store a host sample");
            return;
        }
        let host = if snapshot.host.is_empty() {
            snapshot.hostname.clone()
        } else {
            snapshot.host.clone()
        };
        self.judge(&host, &snapshot).await;
        if let Err(error) = self
            .bus
            .publish_event(&v1::Event::host_sampled(host, snapshot))
            .await
        {
            tracing::warn!(%error, "could not publish a host sample");
        }
    }

    /// Judges the sample on this host's rules, and tells the store of each condition that
    /// starts or stops firing with it.
    async fn judge(&mut self, host: &str, snapshot: &v1::HostSnapshot) {
        for condition in host_conditions(&self.rules, snapshot) {
            let memory = self.memory.entry(condition.key()).or_default();
            let fire_after = samples_to_fire(&self.rules, condition.rule);
            let (next, told) = host_rule_step(
                *memory,
                condition.breached,
                fire_after,
                self.rules.resolve_after,
            );
            *memory = next;
            let Some(firing) = told else { continue };
            let condition = HostCondition {
                breached: firing,
                ..condition
            };
            if let Err(error) = self
                .store
                .set_host_condition(host, &condition, SystemTime::now())
                .await
            {
                tracing::warn!(%error, condition = condition.key(), "could not record a host alert");
            }
        }
    }
}
