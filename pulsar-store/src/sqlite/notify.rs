//! Incident listings, notification channels and the delivery log (SQLite).

use pulsar_core::{Delivery, Incident, NotificationChannel, unix_ms};
use sqlx::SqlitePool;

use crate::error::{Result, StoreError, is_foreign_key_violation};
use crate::query::{DeliveryFilter, IncidentFilter, Page, PageRequest};
use crate::rows::{
    ChannelRow, DeliveryRow, IncidentRow, channel_columns, delivery_columns, delivery_latency_us,
    incident_columns, incident_cursor,
};

crate::portable::channel_statements!(SqlitePool);

pub(super) async fn list_incidents(
    pool: &SqlitePool,
    filter: &IncidentFilter,
    page: &PageRequest,
) -> Result<Page<Incident>> {
    let (before_ms, before_id) = page.cursor_pair()?.unwrap_or((i64::MAX, i64::MAX));
    let rows: Vec<IncidentRow> = sqlx::query_as(concat!(
        "SELECT ",
        incident_columns!(),
        " FROM incidents WHERE (?1 IS NULL OR monitor_id = ?1) \
         AND (?2 = 0 OR closed_at_ms IS NULL) AND (opened_at_ms, id) < (?3, ?4) \
         ORDER BY opened_at_ms DESC, id DESC LIMIT ?5"
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

pub(super) async fn list_channels(pool: &SqlitePool) -> Result<Vec<NotificationChannel>> {
    sqlx::query_as::<_, ChannelRow>(concat!(
        "SELECT ",
        channel_columns!(),
        " FROM notification_channels ORDER BY name"
    ))
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(ChannelRow::into_channel)
    .collect()
}

pub(super) async fn record_delivery(pool: &SqlitePool, delivery: &Delivery) -> Result<Delivery> {
    // A delivery about a monitor or incident that is gone is still logged, without the link.
    let row: DeliveryRow = sqlx::query_as(concat!(
        "INSERT INTO deliveries (channel_id, monitor_id, incident_id, event, attempted_at_ms, \
         attempt, success, detail, latency_us) VALUES (?1, \
         (SELECT id FROM monitors WHERE id = ?2), (SELECT id FROM incidents WHERE id = ?3), \
         ?4, ?5, ?6, ?7, ?8, ?9) RETURNING ",
        delivery_columns!()
    ))
    .bind(delivery.channel_id.0)
    .bind(delivery.monitor_id.map(|m| m.0))
    .bind(delivery.incident_id.map(|i| i.0))
    .bind(&delivery.event)
    .bind(unix_ms(delivery.attempted_at))
    .bind(i64::from(delivery.attempt))
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
    pool: &SqlitePool,
    filter: &DeliveryFilter,
    page: &PageRequest,
) -> Result<Page<Delivery>> {
    let before_id = page.cursor_i64()?.unwrap_or(i64::MAX);
    let rows: Vec<DeliveryRow> = sqlx::query_as(concat!(
        "SELECT ",
        delivery_columns!(),
        " FROM deliveries WHERE (?1 IS NULL OR channel_id = ?1) \
         AND (?2 IS NULL OR monitor_id = ?2) AND id < ?3 ORDER BY id DESC LIMIT ?4"
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
