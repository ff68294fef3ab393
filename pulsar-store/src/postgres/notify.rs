//! Incident listings, notification channels and the delivery log (PostgreSQL).

use std::time::SystemTime;

use pulsar_core::{ChannelId, Delivery, Incident, IncidentId, NotificationChannel, unix_ms};
use sqlx::PgPool;

use crate::error::{Result, StoreError, is_foreign_key_violation, is_unique_violation};
use crate::logic::truncate_ms;
use crate::query::{DeliveryFilter, IncidentFilter, Page, PageRequest};
use crate::rows::{
    ChannelRow, DeliveryRow, IncidentRow, channel_columns, channel_config_json, delivery_columns,
    delivery_latency_us, incident_columns, incident_cursor,
};

pub(super) async fn get_incident(pool: &PgPool, id: IncidentId) -> Result<Incident> {
    sqlx::query_as::<_, IncidentRow>(concat!(
        "SELECT ",
        incident_columns!(),
        " FROM incidents WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| StoreError::not_found("incident", id))?
    .into_incident()
}

pub(super) async fn list_incidents(
    pool: &PgPool,
    filter: &IncidentFilter,
    page: &PageRequest,
) -> Result<Page<Incident>> {
    let (before_ms, before_id) = page.cursor_pair()?.unwrap_or((i64::MAX, i64::MAX));
    let rows: Vec<IncidentRow> = sqlx::query_as(concat!(
        "SELECT ",
        incident_columns!(),
        " FROM incidents WHERE ($1::uuid IS NULL OR monitor_id = $1) \
         AND (NOT $2 OR closed_at_ms IS NULL) AND (opened_at_ms, id) < ($3, $4) \
         ORDER BY opened_at_ms DESC, id DESC LIMIT $5"
    ))
    .bind(filter.monitor_id.map(|m| m.0))
    .bind(filter.open_only)
    .bind(before_ms)
    .bind(before_id)
    .bind(page.fetch_limit())
    .fetch_all(pool)
    .await?;
    let incidents = rows
        .into_iter()
        .map(IncidentRow::into_incident)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::from_rows(incidents, page, incident_cursor))
}

fn name_taken(error: sqlx::Error, channel: &NotificationChannel) -> StoreError {
    if is_unique_violation(&error) {
        StoreError::already_exists("notification channel", &channel.name)
    } else {
        error.into()
    }
}

pub(super) async fn create_channel(
    pool: &PgPool,
    channel: &NotificationChannel,
    now: SystemTime,
) -> Result<NotificationChannel> {
    channel.validate()?;
    let now = truncate_ms(now);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO notification_channels (name, kind, config, enabled, created_at_ms, \
         updated_at_ms) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(&channel.name)
    .bind(&channel.kind)
    .bind(channel_config_json(channel)?)
    .bind(channel.enabled)
    .bind(unix_ms(now))
    .fetch_one(pool)
    .await
    .map_err(|e| name_taken(e, channel))?;
    Ok(NotificationChannel {
        id: ChannelId(id),
        created_at: now,
        updated_at: now,
        ..channel.clone()
    })
}

pub(super) async fn get_channel(pool: &PgPool, id: ChannelId) -> Result<NotificationChannel> {
    sqlx::query_as::<_, ChannelRow>(concat!(
        "SELECT ",
        channel_columns!(),
        " FROM notification_channels WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| StoreError::not_found("notification channel", id))?
    .into_channel()
}

pub(super) async fn list_channels(pool: &PgPool) -> Result<Vec<NotificationChannel>> {
    sqlx::query_as::<_, ChannelRow>(concat!(
        "SELECT ",
        channel_columns!(),
        " FROM notification_channels ORDER BY name COLLATE \"C\""
    ))
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(ChannelRow::into_channel)
    .collect()
}

pub(super) async fn update_channel(
    pool: &PgPool,
    channel: &NotificationChannel,
    now: SystemTime,
) -> Result<NotificationChannel> {
    channel.validate()?;
    let row: Option<ChannelRow> = sqlx::query_as(concat!(
        "UPDATE notification_channels SET name = $2, kind = $3, config = $4, enabled = $5, \
         updated_at_ms = $6 WHERE id = $1 RETURNING ",
        channel_columns!()
    ))
    .bind(channel.id.0)
    .bind(&channel.name)
    .bind(&channel.kind)
    .bind(channel_config_json(channel)?)
    .bind(channel.enabled)
    .bind(unix_ms(now))
    .fetch_optional(pool)
    .await
    .map_err(|e| name_taken(e, channel))?;
    row.ok_or_else(|| StoreError::not_found("notification channel", channel.id))?
        .into_channel()
}

pub(super) async fn delete_channel(pool: &PgPool, id: ChannelId) -> Result<()> {
    let deleted = sqlx::query("DELETE FROM notification_channels WHERE id = $1")
        .bind(id.0)
        .execute(pool)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(StoreError::not_found("notification channel", id));
    }
    Ok(())
}

pub(super) async fn record_delivery(pool: &PgPool, delivery: &Delivery) -> Result<Delivery> {
    // A delivery about a monitor or incident that is gone is still logged, without the link.
    let row: DeliveryRow = sqlx::query_as(concat!(
        "INSERT INTO deliveries (channel_id, monitor_id, incident_id, event, attempted_at_ms, \
         attempt, success, detail, latency_us) VALUES ($1, \
         (SELECT id FROM monitors WHERE id = $2::uuid), \
         (SELECT id FROM incidents WHERE id = $3::bigint), \
         $4, $5, $6, $7, $8, $9) RETURNING ",
        delivery_columns!()
    ))
    .bind(delivery.channel_id.0)
    .bind(delivery.monitor_id.map(|m| m.0))
    .bind(delivery.incident_id.map(|i| i.0))
    .bind(&delivery.event)
    .bind(unix_ms(delivery.attempted_at))
    .bind(i32::try_from(delivery.attempt).unwrap_or(i32::MAX))
    .bind(delivery.success)
    .bind(&delivery.detail)
    .bind(delivery_latency_us(delivery))
    .fetch_one(pool)
    .await
    .map_err(|e| {
        if is_foreign_key_violation(&e) {
            StoreError::not_found("notification channel", delivery.channel_id)
        } else {
            e.into()
        }
    })?;
    Ok(row.into_delivery())
}

pub(super) async fn list_deliveries(
    pool: &PgPool,
    filter: &DeliveryFilter,
    page: &PageRequest,
) -> Result<Page<Delivery>> {
    let before_id = page.cursor_i64()?.unwrap_or(i64::MAX);
    let rows: Vec<DeliveryRow> = sqlx::query_as(concat!(
        "SELECT ",
        delivery_columns!(),
        " FROM deliveries WHERE ($1::bigint IS NULL OR channel_id = $1) \
         AND ($2::uuid IS NULL OR monitor_id = $2) AND id < $3 ORDER BY id DESC LIMIT $4"
    ))
    .bind(filter.channel_id.map(|c| c.0))
    .bind(filter.monitor_id.map(|m| m.0))
    .bind(before_id)
    .bind(page.fetch_limit())
    .fetch_all(pool)
    .await?;
    let deliveries = rows.into_iter().map(DeliveryRow::into_delivery).collect();
    Ok(Page::from_rows(deliveries, page, |d: &Delivery| {
        d.id.0.to_string()
    }))
}
