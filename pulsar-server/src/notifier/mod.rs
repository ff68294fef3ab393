//! The notifier role: delivers the outbox. It claims due notifications under a lease, sends
//! each one in a task of its own (a slow or failing channel never holds up another), and
//! settles it in the store: delivered, due again after a backoff (or the receiver's
//! `Retry-After`), or failed. Any number of processes may run it; the leases keep each
//! notification with one of them at a time, and one that dies hands its notifications on
//! when its leases end. It wakes on every state change on the bus, and polls besides, so a
//! notification goes out within moments of the change that caused it.

mod attempt;
mod email;
mod send;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use pulsar_core::{
    Delivery, DeliveryId, Notice, NotificationChannel, RetryPolicy, TOPIC_MONITOR_STATES, silence,
};
use pulsar_probe::Prober;
use pulsar_queue::EventBus;
use pulsar_store::{Attempt, AttemptOutcome, Outgoing, Store, StoreError};
use tokio::task::JoinSet;

use crate::metrics::Metrics;

pub use attempt::{SEND_TIMEOUT, Sent};
pub use send::{
    EVENT_HEADER, IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, monitor_link, signature,
};

/// How often the notifier looks for due notifications when nothing wakes it.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// How long a claimed notification stays with its notifier: well beyond one attempt.
pub const CLAIM_LEASE: Duration = Duration::from_secs(60);
/// Notifications sent at once by one process.
pub const IN_FLIGHT: usize = 16;

/// What the notifier role works with.
pub struct Notifier {
    pub store: Arc<dyn Store>,
    /// Woken by state changes; `None`: polls only.
    pub bus: Option<Arc<dyn EventBus>>,
    /// Sends the HTTP channels, under the server's target policy.
    pub prober: Arc<Prober>,
    /// Unique per process: the claims' holder.
    pub holder: String,
    pub public_url: Option<String>,
    pub retry: RetryPolicy,
    pub poll: Duration,
    /// How often to ask the store for reminders of monitors that stay down, and to judge
    /// hosts' silence.
    pub reminder_sweep: Duration,
    /// Silence is `host_rules.silent_intervals` of `host_interval` without a sample.
    pub host_rules: pulsar_core::HostRules,
    pub host_interval: Duration,
    pub metrics: Metrics,
}

impl Notifier {
    /// Delivers until `shutdown` resolves; then waits up to [`SEND_TIMEOUT`] for the
    /// notifications being sent. One cut short goes out again once its lease ends.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let this = Arc::new(self);
        let mut wake = match &this.bus {
            Some(bus) => bus.subscribe(&[TOPIC_MONITOR_STATES]).await.ok(),
            None => None,
        };
        let mut sending = JoinSet::new();
        let mut swept: Option<std::time::Instant> = None;
        tokio::pin!(shutdown);
        loop {
            while sending.try_join_next().is_some() {}
            if swept.is_none_or(|at| at.elapsed() >= this.reminder_sweep) {
                swept = Some(std::time::Instant::now());
                if let Err(error) = this.store.enqueue_reminders(SystemTime::now()).await {
                    tracing::warn!(%error, "could not write reminders");
                }
                this.judge_silence().await;
            }
            let room = IN_FLIGHT.saturating_sub(sending.len());
            if room > 0 {
                match this.claim(room).await {
                    Ok(batch) => {
                        for outgoing in batch {
                            sending.spawn(Arc::clone(&this).deliver(outgoing));
                        }
                    }
                    Err(error) => tracing::warn!(%error, "could not claim notifications"),
                }
            }
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(this.poll) => {}
                Some(_) = async { wake.as_mut()?.recv().await }, if wake.is_some() => {}
                Some(_) = sending.join_next(), if !sending.is_empty() => {}
            }
        }
        let drained = tokio::time::timeout(SEND_TIMEOUT, async {
            while sending.join_next().await.is_some() {}
        });
        if drained.await.is_err() {
            tracing::warn!(
                "notifications still sending at shutdown; they go out after their lease"
            );
        }
    }

    /// Tells the store which hosts went silent, and which speak again.
    async fn judge_silence(&self) {
        let hosts = match self.store.list_hosts().await {
            Ok(hosts) => hosts,
            Err(error) => return tracing::warn!(%error, "could not list hosts"),
        };
        let now = SystemTime::now();
        for host in hosts {
            let quiet = silence(&self.host_rules, host.last_seen, self.host_interval, now);
            if let Err(error) = self
                .store
                .set_host_condition(&host.hostname, &quiet, now)
                .await
            {
                tracing::warn!(%error, host = host.hostname, "could not record a silent host");
            }
        }
    }

    async fn claim(&self, room: usize) -> Result<Vec<Outgoing>, StoreError> {
        let limit = u32::try_from(room).unwrap_or(u32::MAX);
        self.store
            .claim_notifications(&self.holder, SystemTime::now(), CLAIM_LEASE, limit)
            .await
    }

    /// One attempt at a claimed notification, settled in the store.
    async fn deliver(self: Arc<Self>, outgoing: Outgoing) {
        let link = monitor_link(self.public_url.as_deref(), &outgoing.notice);
        let attempted_at = SystemTime::now();
        let sent = if outgoing.channel.enabled {
            send::send(
                &self.prober,
                &outgoing.channel,
                &outgoing.notice,
                link.as_deref(),
            )
            .await
        } else {
            Sent {
                verdict: pulsar_core::AttemptVerdict::Rejected,
                detail: "the channel is disabled".into(),
                latency: Duration::ZERO,
            }
        };
        let attempts = outgoing.attempts + 1;
        let outcome = match self.retry.next_delay(attempts, sent.verdict) {
            Some(wait) => AttemptOutcome::RetryAt(SystemTime::now() + wait),
            None if sent.verdict == pulsar_core::AttemptVerdict::Delivered => {
                AttemptOutcome::Delivered
            }
            None => AttemptOutcome::Failed,
        };
        self.metrics
            .observe_notification(&outgoing.channel.kind, outcome);
        let attempt = Attempt {
            id: outgoing.id,
            holder: self.holder.clone(),
            attempted_at,
            latency: sent.latency,
            detail: sent.detail,
            outcome,
        };
        match self.store.finish_notification(&attempt).await {
            Ok(_) => {
                let event = outgoing.notice.event.as_str();
                let channel = outgoing.channel.name.as_str();
                match outcome {
                    AttemptOutcome::Delivered => {
                        tracing::info!(channel, event, "notification delivered")
                    }
                    AttemptOutcome::RetryAt(_) => {
                        tracing::warn!(channel, event, attempt = attempts, detail = %attempt.detail, "notification not delivered; retrying")
                    }
                    AttemptOutcome::Failed => {
                        tracing::warn!(channel, event, attempt = attempts, detail = %attempt.detail, "notification failed for good")
                    }
                }
            }
            // The lease ran out while sending and another notifier took over: it logs its own
            // attempt, under the same idempotency key.
            Err(error) => tracing::warn!(%error, "could not record a notification attempt"),
        }
    }
}

/// Sends a clearly marked test message over `channel` now and logs the attempt (event
/// `test`); the answer says what the receiver replied. No retry: a person is waiting.
pub async fn send_test(
    store: &dyn Store,
    prober: &Prober,
    channel: &NotificationChannel,
    public_url: Option<&str>,
) -> Result<Delivery, StoreError> {
    let mut notice = Notice::test(&channel.name, SystemTime::now());
    notice.key = uuid::Uuid::new_v4().to_string();
    let link = monitor_link(public_url, &notice);
    let attempted_at = SystemTime::now();
    let sent = send::send(prober, channel, &notice, link.as_deref()).await;
    let delivery = Delivery {
        id: DeliveryId(0),
        channel_id: channel.id,
        monitor_id: None,
        incident_id: None,
        event: notice.event.as_str().to_owned(),
        attempted_at,
        attempt: 1,
        success: sent.verdict == pulsar_core::AttemptVerdict::Delivered,
        detail: sent.detail,
        latency: sent.latency,
    };
    store.record_delivery(&delivery).await
}
