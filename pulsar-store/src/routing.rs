//! Which channels alert for which monitors, with its SQL: the same text on both dialects.
//! A channel's `route_all` and `route_labels` live in its row, its monitor list in
//! `channel_monitors` (whose rows go with the channel or the monitor). The rule that joins
//! them is [`ChannelRouting::routes`], in core.

use std::collections::{BTreeMap, BTreeSet};

use pulsar_core::{ChannelId, ChannelRouting, MonitorId, NotificationChannel};
use uuid::Uuid;

use crate::backend::Backend;
use crate::error::{Result, StoreError};
use crate::notify;
use crate::sql::{Conn, Field, ROWS_PER_STATEMENT, Statement, Value, insert_values};

fn labels_json(labels: &BTreeMap<String, String>) -> Result<String> {
    serde_json::to_string(labels).map_err(StoreError::internal)
}

fn labels_from_json(json: &str) -> Result<BTreeMap<String, String>> {
    serde_json::from_str(json).map_err(StoreError::internal)
}

/// Replaces a channel's routing. Every listed monitor must exist.
pub(crate) async fn set<B: Backend>(
    tx: &mut B::Conn,
    routing: &ChannelRouting,
) -> Result<ChannelRouting> {
    routing.validate()?;
    let labels = labels_json(&routing.labels)?;
    let update = Statement::new(
        "UPDATE notification_channels SET route_all = $2, route_labels = $3, route_hosts = $4 \
         WHERE id = $1",
    )
    .bind(routing.channel_id.0)
    .bind(routing.all_monitors)
    .bind(&labels)
    .bind(routing.hosts);
    if tx.execute(update).await? == 0 {
        return Err(StoreError::not_found(
            "notification channel",
            routing.channel_id,
        ));
    }
    let ids: Vec<Uuid> = routing.monitor_ids.iter().map(|id| id.0).collect();
    let known = Statement::composed(format!("SELECT id FROM monitors WHERE id{}", B::SQL.in_ids));
    let known: Vec<(Uuid,)> = tx.fetch_all(known.bind(Value::Ids(&ids))).await?;
    if known.len() < ids.len() {
        let known: BTreeSet<Uuid> = known.into_iter().map(|(id,)| id).collect();
        let missing = ids.iter().find(|id| !known.contains(id)).copied();
        let missing = missing
            .map(|id| MonitorId(id).to_string())
            .unwrap_or_default();
        return Err(StoreError::invalid(
            "monitor_ids",
            format!("no monitor {missing}"),
        ));
    }
    let clear = Statement::new("DELETE FROM channel_monitors WHERE channel_id = $1")
        .bind(routing.channel_id.0);
    tx.execute(clear).await?;
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<Vec<Field<'_>>> = chunk
            .iter()
            .map(|id| {
                vec![
                    Field::key("channel_id", routing.channel_id.0),
                    Field::key("monitor_id", *id),
                ]
            })
            .collect();
        tx.execute(insert_values(
            "channel_monitors",
            &rows,
            "",
            B::SQL.placeholders,
        ))
        .await?;
    }
    Ok(routing.clone())
}

pub(crate) async fn get<C: Conn>(conn: &mut C, channel_id: ChannelId) -> Result<ChannelRouting> {
    let row = Statement::new(
        "SELECT route_all, route_labels, route_hosts FROM notification_channels WHERE id = $1",
    )
    .bind(channel_id.0);
    let (all_monitors, labels, hosts): (bool, String, bool) = conn
        .fetch_optional(row)
        .await?
        .ok_or_else(|| StoreError::not_found("notification channel", channel_id))?;
    let listed = Statement::new("SELECT monitor_id FROM channel_monitors WHERE channel_id = $1")
        .bind(channel_id.0);
    let listed: Vec<(Uuid,)> = conn.fetch_all(listed).await?;
    Ok(ChannelRouting {
        channel_id,
        all_monitors,
        labels: labels_from_json(&labels)?,
        monitor_ids: listed.into_iter().map(|(id,)| MonitorId(id)).collect(),
        hosts,
    })
}

/// The enabled channels that alert for hosts, by name.
pub(crate) async fn channels_for_hosts<C: Conn>(conn: &mut C) -> Result<Vec<NotificationChannel>> {
    let ids = Statement::new("SELECT id FROM notification_channels WHERE route_hosts");
    let ids: BTreeSet<i64> = conn
        .fetch_all::<(i64,)>(ids)
        .await?
        .into_iter()
        .map(|(id,)| id)
        .collect();
    let channels = notify::list_channels(conn).await?;
    Ok(channels
        .into_iter()
        .filter(|c| c.enabled && ids.contains(&c.id.0))
        .collect())
}

/// The enabled channels that alert for a monitor, by name, in four queries whatever the
/// number of channels.
pub(crate) async fn channels_for<C: Conn>(
    conn: &mut C,
    monitor_id: MonitorId,
) -> Result<Vec<NotificationChannel>> {
    let labels = Statement::new("SELECT key, value FROM monitor_labels WHERE monitor_id = $1")
        .bind(monitor_id.0);
    let labels: BTreeMap<String, String> = conn
        .fetch_all::<(String, String)>(labels)
        .await?
        .into_iter()
        .collect();
    let listing = Statement::new("SELECT channel_id FROM channel_monitors WHERE monitor_id = $1")
        .bind(monitor_id.0);
    let listing: BTreeSet<i64> = conn
        .fetch_all::<(i64,)>(listing)
        .await?
        .into_iter()
        .map(|(id,)| id)
        .collect();
    let routes = Statement::new("SELECT id, route_all, route_labels FROM notification_channels");
    let mut routed = BTreeSet::new();
    for (id, all_monitors, route_labels) in conn.fetch_all::<(i64, bool, String)>(routes).await? {
        let routing = ChannelRouting {
            channel_id: ChannelId(id),
            all_monitors,
            labels: labels_from_json(&route_labels)?,
            // Only whether this monitor is listed matters here.
            monitor_ids: if listing.contains(&id) {
                BTreeSet::from([monitor_id])
            } else {
                BTreeSet::new()
            },
            hosts: false,
        };
        if routing.routes(monitor_id, &labels) {
            routed.insert(id);
        }
    }
    let channels = notify::list_channels(conn).await?;
    Ok(channels
        .into_iter()
        .filter(|c| c.enabled && routed.contains(&c.id.0))
        .collect())
}
