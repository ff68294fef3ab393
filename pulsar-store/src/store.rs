//! The `Store` trait: everything Pulsar persists, behind one contract that PostgreSQL and
//! SQLite both implement (and both pass the same conformance suite).

use std::time::{Duration, SystemTime};

use pulsar_core::proto::v1::HostSnapshot;
use pulsar_core::{
    BucketSize, ChannelId, ChannelRouting, CheckResult, Delivery, HostCondition, HostIncident,
    HostSeries, Incident, IncidentId, MaintenanceWindow, Monitor, MonitorId, MonitorState,
    NotificationChannel, PhaseSeries, Rollup, Summary, WindowId, WorkerSeen,
};

use crate::error::Result;
use crate::leases::Lease;
use crate::outbox::{Attempt, Outgoing};
use crate::query::{
    DeliveryFilter, DueCheck, HostIncidentFilter, HostSummary, IncidentFilter, MonitorFilter,
    MonitorWrite, Overview, Page, PageRequest, Recorded, ResultFilter, StateChange, TimeRange,
};
use crate::retention::{PruneReport, Retention};

/// Persistence for monitors, results, rollups, incidents, host samples and notifications.
///
/// Every call that depends on the current time takes it as `now`, so the caller owns the
/// clock (and tests never sleep). Implementations are cheap to share: use `Arc<dyn Store>`.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// Applies pending schema migrations (also done when the store opens).
    async fn migrate(&self) -> Result<()>;

    // ---- monitors ----

    /// Validates and stores a new monitor; `created_at`/`updated_at` become `now`, the state
    /// Unknown (Paused if disabled), and its first slot is the first point of its schedule
    /// grid at or after `now` — spread over the interval by the monitor's id.
    /// Errors: `Invalid` (field errors), `AlreadyExists` (name or id taken).
    async fn create_monitor(&self, monitor: &Monitor, now: SystemTime) -> Result<Monitor>;

    async fn get_monitor(&self, id: MonitorId) -> Result<Monitor>;

    /// Monitors ordered by name, filtered by labels (all must match) and state.
    async fn list_monitors(
        &self,
        filter: &MonitorFilter,
        page: &PageRequest,
    ) -> Result<Page<Monitor>>;

    /// Replaces a monitor's definition (keeping its creation time and, unless it is
    /// enabled or disabled by the update, its state). A changed interval restarts the
    /// schedule at the first slot at or after `now`. A pause or a resume comes back as a
    /// state change (see [`MonitorWrite`]).
    async fn update_monitor(&self, monitor: &Monitor, now: SystemTime) -> Result<MonitorWrite>;

    /// Deletes a monitor with its results, rollups and incidents.
    async fn delete_monitor(&self, id: MonitorId) -> Result<()>;

    /// Disabling pauses the monitor (state Paused, open incident closed, never claimed);
    /// enabling sets it Unknown and schedules it from the first slot at or after `now`. Either
    /// comes back as a state change (see [`MonitorWrite`]).
    async fn set_monitor_enabled(
        &self,
        id: MonitorId,
        enabled: bool,
        now: SystemTime,
    ) -> Result<MonitorWrite>;

    /// Records a monitor's new state, opening, escalating or closing its incident per
    /// [`IncidentAction::on_state_change`](pulsar_core::IncidentAction::on_state_change).
    /// `cause` is why (the reason of the deciding check). Ignored for paused monitors.
    async fn set_monitor_state(
        &self,
        id: MonitorId,
        state: MonitorState,
        at: SystemTime,
        cause: &str,
    ) -> Result<StateChange>;

    // ---- scheduling ----

    /// Claims up to `limit` enabled monitors due at `now` (earliest first) and atomically
    /// moves each one's next due time to its first slot after `now`. The returned slot is
    /// the latest slot at or before `now`: after downtime, missed slots are skipped, not
    /// replayed. Concurrent claimers never claim the same slot.
    async fn claim_due(&self, now: SystemTime, limit: u32) -> Result<Vec<DueCheck>>;

    /// Hands claimed slots back, for a scheduler that could not enqueue them, so the next
    /// claim takes each again (or the newer slot, if it comes after the next one). A monitor
    /// changed since its claim (edited, paused, deleted) is left as it is. Returns how
    /// many slots were handed back.
    async fn release_claims(&self, claims: &[DueCheck]) -> Result<u64>;

    // ---- results and rollups ----

    /// Stores results, ignoring any whose `(monitor_id, slot)` is already stored or whose
    /// monitor does not exist; returns how many were new. Only the raw rows are written
    /// here; new rows are folded into their minute, hour and day rollups later (see
    /// [`Store::fold_rollups`]), each exactly once, so late results count and redelivered
    /// ones do not count twice.
    async fn insert_results(&self, results: &[CheckResult]) -> Result<u64>;

    /// Stores results as [`Store::insert_results`] does and, in the same transaction, moves
    /// each monitor with new results through the alert rule ([`pulsar_core::alert_step`]),
    /// one result at a time in slot order, with the memory the store keeps for it: its
    /// state changes (DOWN after `failure_threshold` failures in a row, UP again after
    /// `recovery_threshold` good checks, …) open, escalate and close its incidents as
    /// [`Store::set_monitor_state`] does. A result for a slot at or before the newest one
    /// applied (late, or delivered again) is stored but changes no state; a duplicate changes
    /// nothing. Returns how many results were new and every state change.
    async fn record_results(&self, results: &[CheckResult]) -> Result<Recorded>;

    /// A monitor's results that pass `filter` (slots in its range; its worker and region,
    /// where given), newest first. Manual checks are listed with the scheduled ones.
    async fn list_results(
        &self,
        monitor_id: MonitorId,
        filter: &ResultFilter,
        page: &PageRequest,
    ) -> Result<Page<CheckResult>>;

    /// The dashboard's first screen: a page of the monitors that pass `filter` (by name),
    /// each with its newest result (manual or scheduled), its uptime since 24 hours before
    /// `now` rounded down to the hour, and its last 90 scheduled checks; and the counts by
    /// state and of open incidents over every monitor. Six queries, whatever the page size.
    async fn overview(
        &self,
        filter: &MonitorFilter,
        page: &PageRequest,
        now: SystemTime,
    ) -> Result<Overview>;

    /// Folds up to `max_results` results written since the last fold (oldest first) into
    /// their minute, hour and day rollups, in one transaction; returns how many were folded
    /// (0: nothing was pending). The store's background task does this every
    /// [`DEFAULT_FOLD_INTERVAL`](crate::DEFAULT_FOLD_INTERVAL) unless it was opened without
    /// one; call it to fold on your own schedule. Reads never depend on it: rollups and
    /// summaries merge the pending results from their raw rows.
    async fn fold_rollups(&self, max_results: usize) -> Result<u64>;

    /// How many stored results are not folded into rollups yet: the fold's lag, for
    /// health checks and metrics.
    async fn rollup_lag(&self) -> Result<u64>;

    /// The newest result of each given monitor that has one, in one query.
    async fn latest_results(&self, monitor_ids: &[MonitorId]) -> Result<Vec<CheckResult>>;

    /// A monitor's rollups of one bucket size with starts in `range`, oldest first: the
    /// points of a history chart.
    async fn list_rollups(
        &self,
        monitor_id: MonitorId,
        bucket: BucketSize,
        range: TimeRange,
    ) -> Result<Vec<Rollup>>;

    /// A monitor's history chart over `range`: at most `max_points` points (0: the
    /// default; clamped to [`SERIES_MAX_POINTS`](pulsar_core::SERIES_MAX_POINTS)), read from
    /// the rollup level the step allows ([`SeriesPlan`](pulsar_core::SeriesPlan)): minute
    /// rows only where `retention` still keeps them at `now`. Each point holds its checks,
    /// uptime and per-phase percentiles from the merged histograms. Errors: `Invalid` (an
    /// empty or backwards range), `NotFound`.
    async fn phase_series(
        &self,
        monitor_id: MonitorId,
        range: TimeRange,
        max_points: u32,
        retention: &Retention,
        now: SystemTime,
    ) -> Result<PhaseSeries>;

    /// Uptime and per-phase percentiles over the `window` ending at `now` (the current time),
    /// one summary per given id in the same order (empty for monitors without checks), read
    /// from rollups, never from raw results. The window starts at
    /// [`pulsar_core::window_start`] (`now - window` rounded down to a minute, or to an hour
    /// for 30 days) and is tiled by [`pulsar_core::cover`]: a few minute and hour rows at the
    /// start, then whole days through today.
    async fn summaries(
        &self,
        monitor_ids: &[MonitorId],
        window: Duration,
        now: SystemTime,
    ) -> Result<Vec<Summary>>;

    // ---- incidents ----

    async fn get_incident(&self, id: IncidentId) -> Result<Incident>;

    /// Incidents newest first (by opening time).
    async fn list_incidents(
        &self,
        filter: &IncidentFilter,
        page: &PageRequest,
    ) -> Result<Page<Incident>>;

    // ---- hosts ----

    /// Stores host snapshots, ignoring any already stored for the same host and time;
    /// returns how many were new. Minute and hour averages are kept up to date with them.
    async fn insert_host_samples(&self, samples: &[HostSnapshot]) -> Result<u64>;

    /// Every host with samples, by name.
    async fn list_hosts(&self) -> Result<Vec<HostSummary>>;

    /// The newest full snapshot of a host.
    async fn latest_host_sample(&self, hostname: &str) -> Result<HostSnapshot>;

    /// A host's metrics over `range`, averaged over steps so that at most `points` points
    /// come back (steps with no samples are left out). Steps of a minute or more are read
    /// from minute or hour averages (and aligned to them), shorter ones from raw samples.
    async fn host_series(
        &self,
        hostname: &str,
        range: TimeRange,
        points: u32,
    ) -> Result<HostSeries>;

    // ---- notification channels and deliveries ----

    /// Validates and stores a channel; the store assigns its id.
    /// Errors: `Invalid`, `AlreadyExists` (name).
    async fn create_channel(
        &self,
        channel: &NotificationChannel,
        now: SystemTime,
    ) -> Result<NotificationChannel>;

    /// A channel with its full configuration, secrets included.
    async fn get_channel(&self, id: ChannelId) -> Result<NotificationChannel>;

    /// Every channel by name, secrets included (redact before showing them).
    async fn list_channels(&self) -> Result<Vec<NotificationChannel>>;

    /// Replaces a channel's settings. A secret sent back as
    /// [`REDACTED`](pulsar_core::REDACTED) (as [`NotificationChannel::redacted`] shows it)
    /// keeps its stored value.
    async fn update_channel(
        &self,
        channel: &NotificationChannel,
        now: SystemTime,
    ) -> Result<NotificationChannel>;

    /// Deletes a channel and its delivery log.
    async fn delete_channel(&self, id: ChannelId) -> Result<()>;

    /// Appends a delivery attempt to the log; the store assigns its id.
    async fn record_delivery(&self, delivery: &Delivery) -> Result<Delivery>;

    /// Delivery attempts, newest first.
    async fn list_deliveries(
        &self,
        filter: &DeliveryFilter,
        page: &PageRequest,
    ) -> Result<Page<Delivery>>;

    // ---- maintenance windows: alerts muted ----

    /// Validates and stores a window; the store assigns its id. While a window is open for a
    /// monitor, [`Store::record_results`] marks that monitor's results (`maintenance`) and
    /// announces none of its state changes; the first result after the window announces the
    /// state as it is then, if the channels were last told of another.
    /// Errors: `Invalid`, `AlreadyExists` (name).
    async fn create_window(
        &self,
        window: &MaintenanceWindow,
        now: SystemTime,
    ) -> Result<MaintenanceWindow>;

    /// Every window, by name.
    async fn list_windows(&self) -> Result<Vec<MaintenanceWindow>>;

    /// Replaces a window's name, schedule and monitors. Errors: `Invalid`, `NotFound`,
    /// `AlreadyExists`.
    async fn update_window(
        &self,
        window: &MaintenanceWindow,
        now: SystemTime,
    ) -> Result<MaintenanceWindow>;

    async fn delete_window(&self, id: WindowId) -> Result<()>;

    // ---- the outbox: notifications on their way out ----

    /// Leases up to `limit` pending notifications due at `now` to `holder` (a name unique
    /// per process) until `now + lease`, earliest first, each with its channel. Any number
    /// of notifiers may claim at once; none gets a row another holds. A holder that stops
    /// before settling a row loses it when the lease ends, and another notifier sends it
    /// again under the same key. Notifications enter the outbox with the state changes of
    /// [`Store::record_results`], one per routed channel.
    async fn claim_notifications(
        &self,
        holder: &str,
        now: SystemTime,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<Outgoing>>;

    /// Logs an attempt at a claimed notification in the delivery log and settles the
    /// notification as its outcome says, in one transaction. Errors: `NotFound`; `Conflict`
    /// when the holder's lease ran out and another notifier took the row (nothing is
    /// written).
    async fn finish_notification(&self, attempt: &Attempt) -> Result<Delivery>;

    /// Writes a reminder to the outbox for each monitor that stays DOWN (outside any
    /// maintenance window), to each routed channel with a `remind_every` setting, once that
    /// long has passed since the channel last heard of the incident. Safe to call from any
    /// number of processes at once; returns how many reminders were written. Notifiers call
    /// it every [`REMINDER_SWEEP`](crate::REMINDER_SWEEP) or so.
    async fn enqueue_reminders(&self, now: SystemTime) -> Result<u64>;

    /// Records that a host's condition fires (`condition.breached`) or stopped firing at
    /// `at`: the first time it fires a host incident opens and each enabled channel routed to
    /// hosts ([`ChannelRouting::hosts`](pulsar_core::ChannelRouting)) gets a `host_alert`;
    /// when it stops, the incident closes and they get a `host_resolved`. Telling it again
    /// changes nothing; returns whether this call did.
    async fn set_host_condition(
        &self,
        host: &str,
        condition: &HostCondition,
        at: SystemTime,
    ) -> Result<bool>;

    /// Host incidents newest first (by opening time): each a period in which one
    /// condition of a host fired.
    async fn list_host_incidents(
        &self,
        filter: &HostIncidentFilter,
        page: &PageRequest,
    ) -> Result<Page<HostIncident>>;

    /// How many notifications wait to be delivered.
    async fn pending_notifications(&self) -> Result<u64>;

    // ---- processes ----

    /// Records that a process that runs checks was seen (and forgets any unseen for
    /// [`PRESENCE_KEPT`](pulsar_core::PRESENCE_KEPT)).
    async fn record_worker(&self, worker: &WorkerSeen) -> Result<()>;

    /// Every process that runs checks seen within
    /// [`PRESENCE_KEPT`](pulsar_core::PRESENCE_KEPT), by name.
    async fn list_workers(&self) -> Result<Vec<WorkerSeen>>;

    // ---- routing: which channels alert for which monitors ----

    /// A channel's routing (a new channel routes nothing). Errors: `NotFound`.
    async fn get_channel_routing(&self, channel_id: ChannelId) -> Result<ChannelRouting>;

    /// Replaces a channel's routing. Errors: `NotFound` (channel), `Invalid` (sizes, or a
    /// listed monitor that does not exist). A deleted monitor leaves every list.
    async fn set_channel_routing(&self, routing: &ChannelRouting) -> Result<ChannelRouting>;

    /// The enabled channels that alert for a monitor, by name: the channels a state change
    /// of that monitor is sent to.
    async fn routed_channels(&self, monitor_id: MonitorId) -> Result<Vec<NotificationChannel>>;

    // ---- leases: roles that one process runs at a time ----

    /// Takes or renews `role`'s lease for `holder` (a name unique per process) until
    /// `now + ttl`; `false` while another holder's lease runs. Renew well within `ttl`; a
    /// holder that stops renewing loses the role when it expires. The store's background
    /// fold runs under [`FOLD_LEASE`](crate::FOLD_LEASE).
    async fn take_lease(
        &self,
        role: &str,
        holder: &str,
        ttl: Duration,
        now: SystemTime,
    ) -> Result<bool>;

    /// Gives the role up at once, if `holder` holds it.
    async fn release_lease(&self, role: &str, holder: &str) -> Result<()>;

    /// Every lease by role, expired ones included: who runs what, for a status page.
    async fn list_leases(&self) -> Result<Vec<Lease>>;

    // ---- retention ----

    /// Deletes what `retention` no longer keeps at `now`, in batches of at most
    /// `retention.batch_rows` rows per statement, so no statement holds locks for long.
    async fn prune(&self, now: SystemTime, retention: &Retention) -> Result<PruneReport>;
}
