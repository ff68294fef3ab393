//! `/metrics`, in the Prometheus (OpenMetrics) text format, encoded by prometheus-client:
//!
//! - blackbox_exporter's series for each monitor's latest check, so dashboards made for it
//!   work: `probe_success`, `probe_duration_seconds`,
//!   `probe_http_duration_seconds{phase="resolve|connect|tls|processing|transfer"}`,
//!   `probe_http_status_code` and `probe_ssl_earliest_cert_expiry`, labelled with the
//!   monitor's name, id and URL (`instance`);
//! - the process's own `pulsar_*` series: scheduling lateness, checks by outcome, the
//!   runtime's scheduling delay, queue depth and in-flight tasks, WebSocket clients, rollup
//!   lag.
//!
//! Counters and histograms live as long as the process ([`Metrics`]); the rest is read from
//! the store and queue when scraped.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use pulsar_core::{CheckResult, Monitor, Outcome, unix_ms};
use pulsar_queue::TaskQueue;
use pulsar_store::{MAX_PAGE_LIMIT, MonitorFilter, PageRequest, Store};

type Labels = Vec<(&'static str, String)>;
type FloatGauge = Gauge<f64, AtomicU64>;

/// The content type of the encoded text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The series a process keeps for its whole life; cheap to clone (shared counters).
#[derive(Clone)]
pub struct Metrics {
    /// A check's start minus its due time.
    pub lateness: Histogram,
    pub checks: Family<Labels, Counter>,
    /// The runtime's scheduling delay, as the worker last measured it.
    pub scheduling_delay: FloatGauge,
    /// Checks not started because the runtime was running late.
    pub deferred: Counter,
    /// Scheduler ticks that claimed nothing because the queue was backed up.
    pub held_back: Counter,
    pub websocket_clients: Gauge,
    /// Notification attempts, by channel kind and what came of them.
    pub notifications: Family<Labels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let buckets = [
            0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ];
        Self {
            lateness: Histogram::new(buckets),
            checks: Family::default(),
            scheduling_delay: FloatGauge::default(),
            deferred: Counter::default(),
            held_back: Counter::default(),
            websocket_clients: Gauge::default(),
            notifications: Family::default(),
        }
    }
}

impl Metrics {
    /// Counts a finished scheduled check and how late it started.
    pub fn observe_check(&self, result: &CheckResult) {
        let outcome = match result.outcome {
            Outcome::Up => "up",
            Outcome::Degraded => "degraded",
            Outcome::Down => "down",
        };
        self.checks
            .get_or_create(&vec![("outcome", outcome.to_owned())])
            .inc();
        if !result.manual {
            let late = result
                .started_at
                .duration_since(result.slot)
                .unwrap_or_default();
            self.lateness.observe(late.as_secs_f64());
        }
    }

    /// Counts a notification attempt: `delivered`, `retrying` or `failed`.
    pub fn observe_notification(&self, kind: &str, outcome: pulsar_store::AttemptOutcome) {
        let result = match outcome {
            pulsar_store::AttemptOutcome::Delivered => "delivered",
            pulsar_store::AttemptOutcome::RetryAt(_) => "retrying",
            pulsar_store::AttemptOutcome::Failed => "failed",
        };
        let labels = vec![("kind", kind.to_owned()), ("result", result.to_owned())];
        self.notifications.get_or_create(&labels).inc();
    }

    fn register(&self, registry: &mut Registry) {
        registry.register_with_unit(
            "pulsar_scheduler_lateness",
            "How late scheduled checks start: start time minus due time",
            Unit::Seconds,
            self.lateness.clone(),
        );
        registry.register(
            "pulsar_checks",
            "Scheduled checks this process ran and stored, by outcome",
            self.checks.clone(),
        );
        registry.register_with_unit(
            "pulsar_runtime_scheduling_delay",
            "How late a short periodic timer fires in this process's runtime",
            Unit::Seconds,
            self.scheduling_delay.clone(),
        );
        registry.register(
            "pulsar_checks_deferred",
            "Times the worker took no new check because the runtime was late",
            self.deferred.clone(),
        );
        registry.register(
            "pulsar_scheduler_held_back",
            "Scheduler ticks that claimed nothing because the queue was backed up",
            self.held_back.clone(),
        );
        registry.register(
            "pulsar_notification_attempts",
            "Notification attempts this process made, by channel kind and result",
            self.notifications.clone(),
        );
        registry.register(
            "pulsar_websocket_clients",
            "Live WebSocket clients of this process",
            self.websocket_clients.clone(),
        );
    }

    /// Encodes every series: this process's own, the queue's and store's, and the probe
    /// series of each monitor's latest check.
    pub async fn encode(
        &self,
        store: Option<&dyn Store>,
        queue: Option<&dyn TaskQueue>,
    ) -> anyhow::Result<String> {
        let mut own = Registry::default();
        self.register(&mut own);
        if let Some(queue) = queue {
            let stats = queue.stats().await?;
            let depth = Gauge::<i64>::default();
            depth.set(to_i64(stats.pending + stats.delayed + stats.retrying));
            own.register("pulsar_queue_depth", "Check tasks waiting to run", depth);
            let in_flight = Gauge::<i64>::default();
            in_flight.set(to_i64(stats.in_flight));
            own.register(
                "pulsar_queue_in_flight",
                "Check tasks held by workers",
                in_flight,
            );
        }
        let mut probes = Registry::default();
        if let Some(store) = store {
            let lag = Gauge::<i64>::default();
            lag.set(to_i64(store.rollup_lag().await?));
            own.register(
                "pulsar_rollup_lag",
                "Results stored and not yet folded into rollups",
                lag,
            );
            let outbox = Gauge::<i64>::default();
            outbox.set(to_i64(store.pending_notifications().await?));
            own.register(
                "pulsar_notifications_pending",
                "Notifications in the outbox waiting to be delivered",
                outbox,
            );
            probe_series(store, &mut probes).await?;
        }
        let mut text = String::new();
        encode_registry(&mut text, &probes)?;
        encode_registry(&mut text, &own)?;
        encode_eof(&mut text)?;
        Ok(text)
    }
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// blackbox_exporter's series for the latest check of every monitor that has one.
async fn probe_series(store: &dyn Store, registry: &mut Registry) -> anyhow::Result<()> {
    let success = Family::<Labels, Gauge>::default();
    let duration = Family::<Labels, FloatGauge>::default();
    let phases = Family::<Labels, FloatGauge>::default();
    let status = Family::<Labels, Gauge>::default();
    let expiry = Family::<Labels, Gauge>::default();
    let mut page = PageRequest::first(MAX_PAGE_LIMIT);
    loop {
        let monitors = store
            .list_monitors(&MonitorFilter::default(), &page)
            .await?;
        let ids: Vec<_> = monitors.items.iter().map(|m| m.id).collect();
        for result in store.latest_results(&ids).await? {
            let Some(monitor) = monitors.items.iter().find(|m| m.id == result.monitor_id) else {
                continue;
            };
            let labels = monitor_labels(monitor);
            success
                .get_or_create(&labels)
                .set(i64::from(result.outcome != Outcome::Down));
            duration
                .get_or_create(&labels)
                .set(result.phases.total.unwrap_or_default().as_secs_f64());
            for (phase, took) in blackbox_phases(&result) {
                let mut with_phase = labels.clone();
                with_phase.push(("phase", phase.to_owned()));
                phases.get_or_create(&with_phase).set(took);
            }
            if let Some(code) = result.status {
                status.get_or_create(&labels).set(i64::from(code));
            }
            if let Some(not_after) = result.tls.as_ref().and_then(|tls| tls.not_after) {
                expiry.get_or_create(&labels).set(unix_ms(not_after) / 1000);
            }
        }
        match monitors.next_cursor {
            Some(cursor) => page = PageRequest::after(MAX_PAGE_LIMIT, cursor),
            None => break,
        }
    }
    registry.register(
        "probe_success",
        "Whether the latest check succeeded",
        success,
    );
    registry.register_with_unit(
        "probe_duration",
        "How long the latest check took",
        Unit::Seconds,
        duration,
    );
    registry.register_with_unit(
        "probe_http_duration",
        "Duration of each phase of the latest check's request",
        Unit::Seconds,
        phases,
    );
    registry.register(
        "probe_http_status_code",
        "The latest check's response status code",
        status,
    );
    registry.register(
        "probe_ssl_earliest_cert_expiry",
        "When the latest check's server certificate expires (unix seconds)",
        expiry,
    );
    Ok(())
}

fn monitor_labels(monitor: &Monitor) -> Labels {
    vec![
        ("monitor", monitor.name.clone()),
        ("monitor_id", monitor.id.to_string()),
        (
            "instance",
            pulsar_core::redact_url(&monitor.check.url).into_owned(),
        ),
    ]
}

/// The check's phases under blackbox_exporter's names: resolve (DNS), connect, tls,
/// processing (time to first byte) and transfer (download), in seconds.
fn blackbox_phases(result: &CheckResult) -> [(&'static str, f64); 5] {
    let p = &result.phases;
    let secs = |d: Option<std::time::Duration>| d.unwrap_or_default().as_secs_f64();
    [
        ("resolve", secs(p.dns)),
        ("connect", secs(p.connect)),
        ("tls", secs(p.tls)),
        ("processing", secs(p.ttfb)),
        ("transfer", secs(p.download)),
    ]
}
