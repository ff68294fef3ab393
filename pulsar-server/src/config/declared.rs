//! Config as code: monitors, notification channels and maintenance windows declared in the
//! config file, and applying them to a store. Applying is idempotent (upsert by name, nothing written for
//! what is unchanged); with `prune`, a kind the file declares is owned by the file, and what
//! is stored of it and not declared is deleted. The file is checked whole before the first
//! write, so a bad file changes nothing.

use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::time::SystemTime;

use pulsar_core::declared::plan;
use pulsar_core::proto::v1;
use pulsar_core::{
    ChannelRouting, MaintenanceWindow, Monitor, NotificationChannel, WindowSchedule,
};
use pulsar_store::{MAX_PAGE_LIMIT, MonitorFilter, PageRequest, Store};
use serde::Deserialize;

/// A monitor as the file declares it (`[[monitors]]`); the API's options, with durations
/// written as `30s`, `2m` or `500ms`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredMonitor {
    pub name: String,
    pub url: String,
    pub method: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub body: Option<String>,
    pub interval: Option<String>,
    pub timeout: Option<String>,
    /// Status codes and ranges: `[200, "300-399"]`.
    #[serde(default)]
    pub expected_status: Vec<StatusSpec>,
    pub body_contains: Option<String>,
    pub body_not_contains: Option<String>,
    pub body_regex: Option<String>,
    pub follow_redirects: Option<bool>,
    pub max_redirects: Option<u32>,
    pub skip_tls_verify: Option<bool>,
    pub tls_ca_pem: Option<String>,
    pub degraded_above: Option<String>,
    pub failure_threshold: Option<u32>,
    pub recovery_threshold: Option<u32>,
    pub enabled: Option<bool>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Days before the certificate expires to warn at; `[]` never warns.
    pub cert_expiry_days: Option<Vec<u32>>,
    /// How often every channel is reminded while it stays down, e.g. `"15m"`.
    pub remind_every: Option<String>,
}

/// One accepted status code, or a range of them as `"200-299"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum StatusSpec {
    Code(u32),
    Range(String),
}

/// A notification channel as the file declares it (`[[channels]]`), with the monitors it
/// alerts for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredChannel {
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    pub enabled: Option<bool>,
    /// Alert for every monitor.
    #[serde(default)]
    pub all_monitors: bool,
    /// Alert for monitors carrying all of these labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Alert for these monitors, by name.
    #[serde(default)]
    pub monitors: Vec<String>,
    /// Alert for hosts too (their rules firing and resolving).
    #[serde(default)]
    pub hosts: bool,
}

/// A maintenance window as the file declares it (`[[maintenance]]`): `once` or `weekly`,
/// and the monitors it covers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredWindow {
    pub name: String,
    pub once: Option<DeclaredOnce>,
    pub weekly: Option<DeclaredWeekly>,
    #[serde(default)]
    pub all_monitors: bool,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// By name.
    #[serde(default)]
    pub monitors: Vec<String>,
}

/// `once = { start = "2026-12-01T02:00:00Z", end = "2026-12-01T04:00:00Z" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredOnce {
    pub start: String,
    pub end: String,
}

/// `weekly = { days = ["mon", "wed"], start = "02:00", duration = "1h", utc_offset = "+01:00" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredWeekly {
    pub days: Vec<String>,
    pub start: String,
    pub duration: String,
    pub utc_offset: Option<String>,
}

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl DeclaredWindow {
    /// The window it declares, its monitors named by `ids` (names to ids; a name missing
    /// there is an error), validated as the API validates a new one.
    pub fn to_window(
        &self,
        ids: &BTreeMap<&str, pulsar_core::MonitorId>,
    ) -> Result<MaintenanceWindow, String> {
        let schedule = match (&self.once, &self.weekly) {
            (Some(once), None) => WindowSchedule::Once {
                start: pulsar_core::parse_rfc3339(&once.start)
                    .map_err(|e| format!("once.start: {e}"))?,
                end: pulsar_core::parse_rfc3339(&once.end).map_err(|e| format!("once.end: {e}"))?,
            },
            (None, Some(weekly)) => weekly.schedule()?,
            _ => return Err("give exactly one of once = { … } and weekly = { … }".into()),
        };
        let mut window = MaintenanceWindow::new(&self.name, schedule);
        window.all_monitors = self.all_monitors;
        window.labels = self.labels.clone();
        for name in &self.monitors {
            let id = ids
                .get(name.as_str())
                .ok_or_else(|| format!("no monitor named {name:?}"))?;
            window.monitor_ids.insert(*id);
        }
        window.validate().map_err(|e| e.to_string())?;
        Ok(window)
    }
}

impl DeclaredWeekly {
    fn schedule(&self) -> Result<WindowSchedule, String> {
        let days = self
            .days
            .iter()
            .map(|day| {
                let day = day.to_ascii_lowercase();
                DAY_NAMES
                    .iter()
                    .position(|d| day.starts_with(d))
                    .map(|i| i as u8)
                    .ok_or_else(|| format!("weekly.days: {day:?} is not a day (mon … sun)"))
            })
            .collect::<Result<_, _>>()?;
        let (hour, minute) = self
            .start
            .split_once(':')
            .and_then(|(h, m)| Some((h.parse::<u32>().ok()?, m.parse::<u32>().ok()?)))
            .filter(|(h, m)| *h < 24 && *m < 60)
            .ok_or_else(|| format!("weekly.start: {:?} is not a time like 02:30", self.start))?;
        let duration = pulsar_core::parse_duration(&self.duration)
            .map_err(|e| format!("weekly.duration: {e}"))?;
        let utc_offset_minutes = match &self.utc_offset {
            Some(offset) => pulsar_core::parse_utc_offset(offset)
                .map_err(|e| format!("weekly.utc_offset: {e}"))?,
            None => 0,
        };
        Ok(WindowSchedule::Weekly {
            days,
            start_minute: hour * 60 + minute,
            duration_minutes: u32::try_from(duration.as_secs() / 60).unwrap_or(u32::MAX),
            utc_offset_minutes,
        })
    }
}

fn millis(field: &str, text: &Option<String>) -> Result<u32, String> {
    let Some(text) = text else { return Ok(0) };
    let duration = pulsar_core::parse_duration(text).map_err(|e| format!("{field}: {e}"))?;
    u32::try_from(duration.as_millis()).map_err(|_| format!("{field}: {text:?} is too long"))
}

impl DeclaredMonitor {
    /// The monitor it declares, validated as the API validates a new one.
    pub fn to_monitor(&self) -> Result<Monitor, String> {
        let interval_seconds = match &self.interval {
            None => 0,
            Some(text) => {
                let interval =
                    pulsar_core::parse_duration(text).map_err(|e| format!("interval: {e}"))?;
                if interval.subsec_nanos() != 0 {
                    return Err(format!("interval: {text:?} is not whole seconds"));
                }
                u32::try_from(interval.as_secs())
                    .map_err(|_| format!("interval: {text:?} is too long"))?
            }
        };
        let remind_every_seconds = match &self.remind_every {
            None => 0,
            Some(text) => {
                let every =
                    pulsar_core::parse_duration(text).map_err(|e| format!("remind_every: {e}"))?;
                u32::try_from(every.as_secs())
                    .map_err(|_| format!("remind_every: {text:?} is too long"))?
            }
        };
        let expected_status = self
            .expected_status
            .iter()
            .map(StatusSpec::range)
            .collect::<Result<_, _>>()?;
        let assertions = [
            (&self.body_contains, v1::BodyAssertionKind::Contains),
            (&self.body_not_contains, v1::BodyAssertionKind::NotContains),
            (&self.body_regex, v1::BodyAssertionKind::Regex),
        ];
        let mut body_assertion = None;
        for (pattern, kind) in assertions {
            if let Some(pattern) = pattern {
                if body_assertion.is_some() {
                    return Err(
                        "body_contains, body_not_contains, body_regex: set at most one".into(),
                    );
                }
                body_assertion = Some(v1::BodyAssertion {
                    kind: kind.into(),
                    pattern: pattern.clone(),
                });
            }
        }
        let wire = v1::Monitor {
            name: self.name.clone(),
            url: self.url.clone(),
            method: self.method.clone().unwrap_or_default(),
            headers: self
                .headers
                .iter()
                .map(|(name, value)| v1::Header {
                    name: name.clone(),
                    value: value.clone(),
                })
                .collect(),
            body: self.body.clone().unwrap_or_default(),
            interval_seconds,
            timeout_ms: millis("timeout", &self.timeout)?,
            expected_status,
            body_assertion,
            follow_redirects: self.follow_redirects,
            max_redirects: self.max_redirects.unwrap_or(0),
            skip_tls_verify: self.skip_tls_verify.unwrap_or(false),
            degraded_above_ms: millis("degraded_above", &self.degraded_above)?,
            failure_threshold: self.failure_threshold.unwrap_or(0),
            recovery_threshold: self.recovery_threshold.unwrap_or(0),
            enabled: self.enabled,
            labels: self.labels.clone(),
            tls_ca_pem: self.tls_ca_pem.clone().unwrap_or_default(),
            cert_expiry: self
                .cert_expiry_days
                .clone()
                .map(|days| v1::CertificateExpiry { days }),
            remind_every_seconds,
            ..Default::default()
        };
        let monitor = Monitor::try_from(wire).map_err(|e| e.to_string())?;
        monitor.validate().map_err(|e| e.to_string())?;
        Ok(monitor)
    }
}

impl StatusSpec {
    fn range(&self) -> Result<v1::StatusRange, String> {
        let bad = || format!("expected_status: {self:?} is not a code or a range like \"200-299\"");
        match self {
            Self::Code(code) => Ok(v1::StatusRange {
                min: *code,
                max: *code,
            }),
            Self::Range(text) => {
                let (min, max) = text.split_once('-').unwrap_or((text, text));
                Ok(v1::StatusRange {
                    min: min.trim().parse().map_err(|_| bad())?,
                    max: max.trim().parse().map_err(|_| bad())?,
                })
            }
        }
    }
}

impl DeclaredChannel {
    /// The channel it declares, validated as the API validates a new one.
    pub fn to_channel(&self) -> Result<NotificationChannel, String> {
        let mut channel = NotificationChannel::new(&self.name, &self.kind);
        channel.config = self.config.clone();
        channel.enabled = self.enabled.unwrap_or(true);
        channel.validate().map_err(|e| e.to_string())?;
        Ok(channel)
    }
}

/// What an apply did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub deleted: usize,
}

/// The file's objects, checked: ready to apply.
#[derive(Debug, Clone, Default)]
pub struct Declared {
    pub monitors: Option<Vec<Monitor>>,
    pub channels: Option<Vec<(NotificationChannel, DeclaredChannel)>>,
    /// Checked but for their monitors' names, which are resolved as they are applied.
    pub windows: Option<Vec<DeclaredWindow>>,
}

/// Applies `declared` to `store` at `now`: monitors first, so channels can route to them by
/// name. Kinds the file does not declare are left alone, even with `prune`.
pub async fn apply(
    store: &dyn Store,
    declared: &Declared,
    prune: bool,
    now: SystemTime,
) -> anyhow::Result<Applied> {
    let mut applied = Applied::default();
    let stored_monitors = all_monitors(store).await?;
    // Routing and windows name a monitor of the file or one already stored; check before
    // writing.
    let known = |name: &String| {
        let declared_here = declared
            .monitors
            .as_ref()
            .is_some_and(|m| m.iter().any(|m| &m.name == name));
        let stored = stored_monitors.iter().any(|m| &m.name == name);
        let pruned = prune && declared.monitors.is_some() && !declared_here;
        (declared_here || stored) && !pruned
    };
    let named = declared
        .channels
        .iter()
        .flatten()
        .map(|(_, spec)| ("channel", &spec.name, &spec.monitors));
    let named = named.chain(
        declared
            .windows
            .iter()
            .flatten()
            .map(|spec| ("maintenance window", &spec.name, &spec.monitors)),
    );
    for (kind, owner, monitors) in named {
        if let Some(name) = monitors.iter().find(|name| !known(name)) {
            anyhow::bail!("{kind} {owner:?}: no monitor named {name:?}");
        }
    }
    if let Some(monitors) = &declared.monitors {
        let plan = plan(
            &stored_monitors,
            monitors,
            |m| &m.name,
            |m| &m.name,
            Monitor::same_definition,
            prune,
        );
        for monitor in &plan.create {
            store.create_monitor(monitor, now).await?;
        }
        for (current, wanted) in &plan.update {
            let mut monitor = (*wanted).clone();
            monitor.id = current.id;
            store.update_monitor(&monitor, now).await?;
        }
        for gone in &plan.delete {
            store.delete_monitor(gone.id).await?;
        }
        applied.created += plan.create.len();
        applied.updated += plan.update.len();
        applied.unchanged += plan.unchanged;
        applied.deleted += plan.delete.len();
    }
    if let Some(channels) = &declared.channels {
        applied = add(applied, apply_channels(store, channels, prune, now).await?);
    }
    if let Some(windows) = &declared.windows {
        applied = add(applied, apply_windows(store, windows, prune, now).await?);
    }
    Ok(applied)
}

async fn apply_windows(
    store: &dyn Store,
    windows: &[DeclaredWindow],
    prune: bool,
    now: SystemTime,
) -> anyhow::Result<Applied> {
    let monitors = all_monitors(store).await?;
    let ids: BTreeMap<&str, _> = monitors.iter().map(|m| (m.name.as_str(), m.id)).collect();
    let wanted = windows
        .iter()
        .map(|spec| {
            spec.to_window(&ids)
                .map_err(|e| anyhow::anyhow!("maintenance window {:?}: {e}", spec.name))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let stored = store.list_windows().await?;
    let plan = plan(
        &stored,
        &wanted,
        |w| &w.name,
        |w| &w.name,
        MaintenanceWindow::same_definition,
        prune,
    );
    for window in &plan.create {
        store.create_window(window, now).await?;
    }
    for (current, wanted) in &plan.update {
        let mut window = (*wanted).clone();
        window.id = current.id;
        store.update_window(&window, now).await?;
    }
    for gone in &plan.delete {
        store.delete_window(gone.id).await?;
    }
    Ok(Applied {
        created: plan.create.len(),
        updated: plan.update.len(),
        unchanged: plan.unchanged,
        deleted: plan.delete.len(),
    })
}

async fn apply_channels(
    store: &dyn Store,
    channels: &[(NotificationChannel, DeclaredChannel)],
    prune: bool,
    now: SystemTime,
) -> anyhow::Result<Applied> {
    let stored = store.list_channels().await?;
    let plan = plan(
        &stored,
        channels,
        |c| &c.name,
        |(c, _)| &c.name,
        |s, (d, _)| s.same_definition(d),
        prune,
    );
    for (channel, _) in &plan.create {
        store.create_channel(channel, now).await?;
    }
    let mut updated: BTreeSet<&str> = BTreeSet::new();
    for (current, (wanted, _)) in &plan.update {
        let mut channel = wanted.clone();
        channel.id = current.id;
        store.update_channel(&channel, now).await?;
        updated.insert(&wanted.name);
    }
    for gone in &plan.delete {
        store.delete_channel(gone.id).await?;
    }
    // Routing is part of a channel's declaration: set whenever it differs.
    let monitors = all_monitors(store).await?;
    let by_name: BTreeMap<&str, _> = monitors.iter().map(|m| (m.name.as_str(), m.id)).collect();
    for channel in store.list_channels().await? {
        let Some((_, spec)) = channels.iter().find(|(c, _)| c.name == channel.name) else {
            continue;
        };
        let wanted = ChannelRouting {
            channel_id: channel.id,
            all_monitors: spec.all_monitors,
            labels: spec.labels.clone(),
            monitor_ids: spec
                .monitors
                .iter()
                .filter_map(|name| by_name.get(name.as_str()).copied())
                .collect(),
            hosts: spec.hosts,
        };
        if store.get_channel_routing(channel.id).await? != wanted {
            store.set_channel_routing(&wanted).await?;
            if !plan.create.iter().any(|(c, _)| c.name == channel.name) {
                updated.insert(&spec.name);
            }
        }
    }
    Ok(Applied {
        created: plan.create.len(),
        updated: updated.len(),
        unchanged: channels.len() - plan.create.len() - updated.len(),
        deleted: plan.delete.len(),
    })
}

fn add(a: Applied, b: Applied) -> Applied {
    Applied {
        created: a.created + b.created,
        updated: a.updated + b.updated,
        unchanged: a.unchanged + b.unchanged,
        deleted: a.deleted + b.deleted,
    }
}

/// Every stored monitor, page by page.
async fn all_monitors(store: &dyn Store) -> anyhow::Result<Vec<Monitor>> {
    let mut monitors = Vec::new();
    let mut page = PageRequest::first(MAX_PAGE_LIMIT);
    loop {
        let got = store
            .list_monitors(&MonitorFilter::default(), &page)
            .await?;
        monitors.extend(got.items);
        match got.next_cursor {
            Some(cursor) => page = PageRequest::after(MAX_PAGE_LIMIT, cursor),
            None => return Ok(monitors),
        }
    }
}
