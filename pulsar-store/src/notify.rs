//! Incidents, notification channels and the delivery log, with their SQL: the same text on
//! both dialects.

use std::time::SystemTime;

use pulsar_core::{
    ChannelId, Delivery, Incident, IncidentId, NotificationChannel, truncate_to_ms, unix_ms,
};

use crate::error::{Result, StoreError, is_foreign_key_violation, is_unique_violation};
use crate::query::{DeliveryFilter, IncidentFilter, Page, PageRequest};
use crate::rows::{
    CHANNEL_SELECT, ChannelRow, DELIVERY_SELECT, DeliveryRow, INCIDENT_SELECT, IncidentRow,
    channel_config_json, delivery_latency_us, incident_cursor,
};
use crate::sql::{Conn, Statement};

// ---- incidents ----

pub(crate) async fn get_incident<C: Conn>(conn: &mut C, id: IncidentId) -> Result<Incident> {
    let sql = format!("SELECT {INCIDENT_SELECT} FROM incidents WHERE id = $1");
    conn.fetch_optional::<IncidentRow>(Statement::composed(sql).bind(id.0))
        .await?
        .ok_or_else(|| StoreError::not_found("incident", id))?
        .into_incident()
}

/// Incidents newest first, by keyset pages on (opening time, id).
pub(crate) async fn list_incidents<C: Conn>(
    conn: &mut C,
    filter: &IncidentFilter,
    page: &PageRequest,
) -> Result<Page<Incident>> {
    let (before_ms, before_id) = page.cursor_pair()?.unwrap_or((i64::MAX, i64::MAX));
    let sql = format!(
        "SELECT {INCIDENT_SELECT} FROM incidents WHERE ($1 IS NULL OR monitor_id = $1) \
         AND (NOT $2 OR closed_at_ms IS NULL) AND (opened_at_ms, id) < ($3, $4) \
         ORDER BY opened_at_ms DESC, id DESC LIMIT $5"
    );
    let statement = Statement::composed(sql)
        .bind(filter.monitor_id.map(|m| m.0))
        .bind(filter.open_only)
        .bind(before_ms)
        .bind(before_id)
        .bind(page.fetch_limit());
    let incidents = conn
        .fetch_all::<IncidentRow>(statement)
        .await?
        .into_iter()
        .map(IncidentRow::into_incident)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::from_rows(incidents, page, incident_cursor))
}

// ---- notification channels ----

fn name_taken(error: sqlx::Error, channel: &NotificationChannel) -> StoreError {
    if is_unique_violation(&error) {
        StoreError::already_exists("notification channel", &channel.name)
    } else {
        error.into()
    }
}

pub(crate) async fn create_channel<C: Conn>(
    conn: &mut C,
    channel: &NotificationChannel,
    now: SystemTime,
) -> Result<NotificationChannel> {
    channel.validate()?;
    let now = truncate_to_ms(now);
    let config = channel_config_json(channel)?;
    let statement = Statement::new(
        "INSERT INTO notification_channels (name, kind, config, enabled, created_at_ms, \
         updated_at_ms) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(&channel.name)
    .bind(&channel.kind)
    .bind(&config)
    .bind(channel.enabled)
    .bind(unix_ms(now));
    let (id,): (i64,) = conn
        .fetch_optional(statement)
        .await
        .map_err(|e| name_taken(e, channel))?
        .ok_or_else(|| StoreError::internal("an insert returned no id"))?;
    Ok(NotificationChannel {
        id: ChannelId(id),
        created_at: now,
        updated_at: now,
        ..channel.clone()
    })
}

pub(crate) async fn get_channel<C: Conn>(
    conn: &mut C,
    id: ChannelId,
) -> Result<NotificationChannel> {
    let sql = format!("SELECT {CHANNEL_SELECT} FROM notification_channels WHERE id = $1");
    conn.fetch_optional::<ChannelRow>(Statement::composed(sql).bind(id.0))
        .await?
        .ok_or_else(|| StoreError::not_found("notification channel", id))?
        .into_channel()
}

/// Every channel by name (byte order on both dialects).
pub(crate) async fn list_channels<C: Conn>(conn: &mut C) -> Result<Vec<NotificationChannel>> {
    let sql = format!("SELECT {CHANNEL_SELECT} FROM notification_channels ORDER BY name");
    conn.fetch_all::<ChannelRow>(Statement::composed(sql))
        .await?
        .into_iter()
        .map(ChannelRow::into_channel)
        .collect()
}

pub(crate) async fn update_channel<C: Conn>(
    conn: &mut C,
    channel: &NotificationChannel,
    now: SystemTime,
) -> Result<NotificationChannel> {
    channel.validate()?;
    let config = channel_config_json(channel)?;
    let sql = format!(
        "UPDATE notification_channels SET name = $2, kind = $3, config = $4, enabled = $5, \
         updated_at_ms = $6 WHERE id = $1 RETURNING {CHANNEL_SELECT}"
    );
    let statement = Statement::composed(sql)
        .bind(channel.id.0)
        .bind(&channel.name)
        .bind(&channel.kind)
        .bind(&config)
        .bind(channel.enabled)
        .bind(unix_ms(now));
    conn.fetch_optional::<ChannelRow>(statement)
        .await
        .map_err(|e| name_taken(e, channel))?
        .ok_or_else(|| StoreError::not_found("notification channel", channel.id))?
        .into_channel()
}

/// Deletes a channel and its delivery log (by cascade).
pub(crate) async fn delete_channel<C: Conn>(conn: &mut C, id: ChannelId) -> Result<()> {
    let statement = Statement::new("DELETE FROM notification_channels WHERE id = $1").bind(id.0);
    if conn.execute(statement).await? == 0 {
        return Err(StoreError::not_found("notification channel", id));
    }
    Ok(())
}

// ---- deliveries ----

/// Appends a delivery attempt. One about a monitor or incident that is gone is still
/// logged, without the link.
pub(crate) async fn record_delivery<C: Conn>(
    conn: &mut C,
    delivery: &Delivery,
) -> Result<Delivery> {
    let sql = format!(
        "INSERT INTO deliveries (channel_id, monitor_id, incident_id, event, attempted_at_ms, \
         attempt, success, detail, latency_us) VALUES ($1, \
         (SELECT id FROM monitors WHERE id = $2), (SELECT id FROM incidents WHERE id = $3), \
         $4, $5, $6, $7, $8, $9) RETURNING {DELIVERY_SELECT}"
    );
    let statement = Statement::composed(sql)
        .bind(delivery.channel_id.0)
        .bind(delivery.monitor_id.map(|m| m.0))
        .bind(delivery.incident_id.map(|i| i.0))
        .bind(&delivery.event)
        .bind(unix_ms(delivery.attempted_at))
        .bind(i64::from(delivery.attempt))
        .bind(delivery.success)
        .bind(&delivery.detail)
        .bind(delivery_latency_us(delivery));
    let row: Option<DeliveryRow> = conn.fetch_optional(statement).await.map_err(|e| {
        if is_foreign_key_violation(&e) {
            StoreError::not_found("notification channel", delivery.channel_id)
        } else {
            e.into()
        }
    })?;
    row.map(DeliveryRow::into_delivery)
        .ok_or_else(|| StoreError::internal("an insert returned no row"))
}

/// Delivery attempts newest first, by keyset pages on the id.
pub(crate) async fn list_deliveries<C: Conn>(
    conn: &mut C,
    filter: &DeliveryFilter,
    page: &PageRequest,
) -> Result<Page<Delivery>> {
    let before_id = page.cursor_i64()?.unwrap_or(i64::MAX);
    let sql = format!(
        "SELECT {DELIVERY_SELECT} FROM deliveries WHERE ($1 IS NULL OR channel_id = $1) \
         AND ($2 IS NULL OR monitor_id = $2) AND id < $3 ORDER BY id DESC LIMIT $4"
    );
    let statement = Statement::composed(sql)
        .bind(filter.channel_id.map(|c| c.0))
        .bind(filter.monitor_id.map(|m| m.0))
        .bind(before_id)
        .bind(page.fetch_limit());
    let deliveries = conn
        .fetch_all::<DeliveryRow>(statement)
        .await?
        .into_iter()
        .map(DeliveryRow::into_delivery)
        .collect();
    Ok(Page::from_rows(deliveries, page, |d: &Delivery| {
        d.id.0.to_string()
    }))
}
