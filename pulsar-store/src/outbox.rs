//! The outbox: notifications written with the state change that causes them, one row per
//! routed channel, and handed to notifiers under a lease until an attempt settles each one.
//! The same SQL text on both dialects, but for the row locks of the claim.

use std::time::{Duration, SystemTime};

use prost::Message;
use pulsar_core::proto::v1;
use pulsar_core::{
    ChannelId, Delivery, DeliveryId, MonitorId, Notice, NotificationChannel, from_unix_ms,
    in_maintenance, unix_ms,
};
use uuid::Uuid;

use crate::backend::Backend;
use crate::error::{Result, StoreError};
use crate::notify;
use crate::routing;
use crate::sql::{Conn, Statement};

/// How often a notifier asks for reminders ([`Store::enqueue_reminders`]): reminders come
/// at most this late.
///
/// [`Store::enqueue_reminders`]: crate::Store::enqueue_reminders
pub const REMINDER_SWEEP: Duration = Duration::from_secs(30);

/// An outbox row's id, assigned by the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NotificationId(pub i64);

/// A notification a notifier has claimed: what to say, where, and how often it was tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub id: NotificationId,
    /// The channel as it is now, secrets included.
    pub channel: NotificationChannel,
    /// Its `key` is the idempotency key, the same on every attempt.
    pub notice: Notice,
    /// Attempts made before this one.
    pub attempts: u32,
}

/// How an attempt at a claimed notification ended, and so what becomes of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The receiver took it: done.
    Delivered,
    /// Not delivered; due again at this time.
    RetryAt(SystemTime),
    /// Not delivered, and never will be (refused for good, or out of attempts).
    Failed,
}

/// One attempt at a claimed notification, to log and settle it
/// ([`Store::finish_notification`](crate::Store::finish_notification)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub id: NotificationId,
    /// The notifier that claimed it.
    pub holder: String,
    pub attempted_at: SystemTime,
    pub latency: Duration,
    /// The error, or a short account of the receiver's answer.
    pub detail: String,
    pub outcome: AttemptOutcome,
}

/// Writes `notice` to the outbox once for each enabled channel that alerts for its monitor,
/// in the caller's transaction, each copy under a key of its own. Returns how many rows.
pub(crate) async fn enqueue<C: Conn>(conn: &mut C, notice: &Notice) -> Result<u64> {
    let Some(monitor_id) = notice.monitor_id else {
        return Ok(0);
    };
    let channels = routing::channels_for(conn, monitor_id).await?;
    let mut written = 0;
    for channel in channels.iter().filter(|c| c.enabled) {
        let mut copy = notice.clone();
        copy.key = Uuid::new_v4().to_string();
        written += insert(conn, channel.id, &copy).await?;
    }
    Ok(written)
}

/// Writes reminders for the monitors that stay down (and are not in maintenance): one to
/// each routed, enabled channel with a reminder interval (the monitor's own, else the
/// channel's `remind_every`) once that long has passed since the channel last heard of the
/// incident. Locks the down monitors first, so concurrent callers
/// queue and the second finds the first's reminders.
pub(crate) async fn remind<B: Backend>(tx: &mut B::Conn, now: SystemTime) -> Result<u64> {
    let sql = format!(
        "SELECT id FROM monitors WHERE state = 'down' AND announced_state = 'down'          ORDER BY id{}",
        B::SQL.lock_rows
    );
    let down: Vec<(Uuid,)> = tx.fetch_all(Statement::composed(sql)).await?;
    if down.is_empty() {
        return Ok(0);
    }
    let windows = crate::maintenance::list(tx).await?;
    let mut written = 0;
    for (id,) in down {
        let monitor = crate::monitors::get(tx, MonitorId(id)).await?;
        let Some(incident) = crate::monitors::open_incident(tx, monitor.id).await? else {
            continue;
        };
        if in_maintenance(&windows, monitor.id, &monitor.labels, now) {
            continue;
        }
        for channel in routing::channels_for(tx, monitor.id).await? {
            let Some(every) = monitor
                .reminder_interval(&channel)
                .filter(|_| channel.enabled)
            else {
                continue;
            };
            let last = Statement::new(
                "SELECT MAX(created_at_ms) FROM notifications WHERE channel_id = $1 \
                 AND incident_id = $2",
            )
            .bind(channel.id.0)
            .bind(incident.id.0);
            let (last,): (Option<i64>,) = tx.fetch_optional(last).await?.unwrap_or((None,));
            let since = last.map_or(incident.opened_at, from_unix_ms);
            if now.duration_since(since).unwrap_or_default() >= every {
                let mut notice = Notice::reminder(&monitor, &incident, now);
                notice.key = Uuid::new_v4().to_string();
                written += insert(tx, channel.id, &notice).await?;
            }
        }
    }
    Ok(written)
}

/// Writes `notice` to the outbox for `channel`, due at once.
pub(crate) async fn insert<C: Conn>(
    conn: &mut C,
    channel: ChannelId,
    notice: &Notice,
) -> Result<u64> {
    let payload = v1::Notification::from(notice).encode_to_vec();
    let now = unix_ms(notice.occurred_at);
    let statement = Statement::new(
        "INSERT INTO notifications (channel_id, monitor_id, incident_id, event, payload, \
         created_at_ms, status, attempts, next_attempt_at_ms, lease_holder, lease_until_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $6, NULL, 0)",
    )
    .bind(channel.0)
    .bind(notice.monitor_id.map(|m| m.0))
    .bind(notice.incident_id.map(|i| i.0))
    .bind(notice.event.as_str())
    .bind(payload.as_slice())
    .bind(now);
    Ok(conn.execute(statement).await?)
}

/// Leases up to `limit` pending notifications due at `now` to `holder` until `now + lease`,
/// earliest first. Rows another notifier holds are skipped (PostgreSQL skips the ones being
/// claimed; SQLite serializes claimers).
pub(crate) async fn claim<B: Backend>(
    tx: &mut B::Conn,
    holder: &str,
    now: SystemTime,
    lease: Duration,
    limit: u32,
) -> Result<Vec<Outgoing>> {
    if holder.is_empty() {
        return Err(StoreError::invalid("holder", "must not be empty"));
    }
    let now_ms = unix_ms(now);
    let sql = format!(
        "UPDATE notifications SET lease_holder = $1, lease_until_ms = $2 WHERE id IN \
         (SELECT id FROM notifications WHERE status = 'pending' AND next_attempt_at_ms <= $3 \
         AND lease_until_ms <= $3 ORDER BY next_attempt_at_ms, id LIMIT $4{}) \
         RETURNING id, channel_id, payload, attempts",
        B::SQL.skip_locked
    );
    let statement = Statement::composed(sql)
        .bind(holder)
        .bind(unix_ms(now + lease))
        .bind(now_ms)
        .bind(i64::from(limit));
    let mut rows: Vec<(i64, i64, Vec<u8>, i32)> = tx.fetch_all(statement).await?;
    rows.sort_unstable_by_key(|row| row.0);
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let channels = notify::list_channels(tx).await?;
    rows.into_iter()
        .filter_map(|(id, channel_id, payload, attempts)| {
            // The foreign key keeps the channel while its rows exist.
            let channel = channels.iter().find(|c| c.id.0 == channel_id)?.clone();
            Some(decode(payload).map(|notice| Outgoing {
                id: NotificationId(id),
                channel,
                notice,
                attempts: u32::try_from(attempts).unwrap_or(0),
            }))
        })
        .collect()
}

fn decode(payload: Vec<u8>) -> Result<Notice> {
    let wire = v1::Notification::decode(payload.as_slice()).map_err(StoreError::internal)?;
    Notice::try_from(wire).map_err(StoreError::internal)
}

/// Logs `attempt` in the delivery log and settles its notification: delivered, failed, or
/// pending again at its retry time, with the lease released. Errors: `NotFound` when the
/// notification is gone; `Conflict` when `attempt.holder` no longer holds it (its lease ran
/// out and another notifier took it), in which case nothing is written.
pub(crate) async fn finish<B: Backend>(tx: &mut B::Conn, attempt: &Attempt) -> Result<Delivery> {
    let sql = format!(
        "SELECT channel_id, monitor_id, incident_id, event, attempts, lease_holder \
         FROM notifications WHERE id = $1{}",
        B::SQL.lock_rows
    );
    type Row = (i64, Option<Uuid>, Option<i64>, String, i32, Option<String>);
    let row: Option<Row> = tx
        .fetch_optional(Statement::composed(sql).bind(attempt.id.0))
        .await?;
    let (channel_id, monitor_id, incident_id, event, attempts, holder) =
        row.ok_or_else(|| StoreError::not_found("notification", attempt.id.0))?;
    if holder.as_deref() != Some(attempt.holder.as_str()) {
        return Err(StoreError::conflict(format!(
            "notification {} is no longer held by {}",
            attempt.id.0, attempt.holder
        )));
    }
    let attempt_number = u32::try_from(attempts).unwrap_or(0) + 1;
    let (status, next_ms) = match attempt.outcome {
        AttemptOutcome::Delivered => ("delivered", unix_ms(attempt.attempted_at)),
        AttemptOutcome::Failed => ("failed", unix_ms(attempt.attempted_at)),
        AttemptOutcome::RetryAt(at) => ("pending", unix_ms(at)),
    };
    let update = Statement::new(
        "UPDATE notifications SET status = $2, attempts = $3, next_attempt_at_ms = $4, \
         lease_holder = NULL, lease_until_ms = 0 WHERE id = $1",
    )
    .bind(attempt.id.0)
    .bind(status)
    .bind(i64::from(attempt_number))
    .bind(next_ms);
    tx.execute(update).await?;
    let delivery = Delivery {
        id: DeliveryId(0),
        channel_id: ChannelId(channel_id),
        monitor_id: monitor_id.map(MonitorId),
        incident_id: incident_id.map(pulsar_core::IncidentId),
        event,
        attempted_at: attempt.attempted_at,
        attempt: attempt_number,
        success: attempt.outcome == AttemptOutcome::Delivered,
        detail: attempt.detail.clone(),
        latency: attempt.latency,
    };
    notify::record_delivery(tx, &delivery).await
}

/// How many notifications wait to be delivered (for metrics and the status page).
pub(crate) async fn pending<C: Conn>(conn: &mut C) -> Result<u64> {
    let statement = Statement::new("SELECT COUNT(*) FROM notifications WHERE status = 'pending'");
    let (count,): (i64,) = conn
        .fetch_optional(statement)
        .await?
        .ok_or_else(|| StoreError::internal("a count returned no row"))?;
    Ok(u64::try_from(count).unwrap_or(0))
}
