//! `pulsar.v1.AlertService`: notification channels (read with their secrets masked), which
//! monitors each alerts for, incidents, the delivery log, and maintenance windows.

use std::time::SystemTime;

use axum::response::Response;
use bytes::Bytes;
use pulsar_core::proto::v1;
use pulsar_core::{ChannelId, ChannelRouting, MaintenanceWindow, NotificationChannel, WindowId};
use pulsar_store::{DeliveryFilter, HostIncidentFilter, IncidentFilter};

use super::AppState;
use super::connect::{Code, Codec, ConnectError, no_such_method, unary};
use super::fields::{optional_monitor_id, page};

/// Dispatches `/pulsar.v1.AlertService/{method}`.
pub(crate) async fn call(state: &AppState, method: &str, codec: Codec, body: Bytes) -> Response {
    let s = state;
    match method {
        "CreateChannel" => unary(codec, body, |r| create(s, r)).await,
        "GetChannel" => {
            unary(codec, body, |r: v1::GetChannelRequest| async move {
                let channel = s.store.get_channel(ChannelId(r.id)).await?;
                Ok(v1::GetChannelResponse {
                    channel: shown(&channel),
                })
            })
            .await
        }
        "ListChannels" => {
            unary(codec, body, |_: v1::ListChannelsRequest| async move {
                let channels = s.store.list_channels().await?;
                Ok(v1::ListChannelsResponse {
                    channels: channels.iter().filter_map(shown).collect(),
                })
            })
            .await
        }
        "UpdateChannel" => unary(codec, body, |r| update(s, r)).await,
        "DeleteChannel" => {
            unary(codec, body, |r: v1::DeleteChannelRequest| async move {
                s.store.delete_channel(ChannelId(r.id)).await?;
                Ok(v1::DeleteChannelResponse {})
            })
            .await
        }
        "TestChannel" => unary(codec, body, |r| test(s, r)).await,
        "GetChannelRouting" => {
            unary(codec, body, |r: v1::GetChannelRoutingRequest| async move {
                let routing = s.store.get_channel_routing(ChannelId(r.channel_id)).await?;
                Ok(v1::GetChannelRoutingResponse {
                    routing: Some(routing.into()),
                })
            })
            .await
        }
        "SetChannelRouting" => unary(codec, body, |r| set_routing(s, r)).await,
        "ListIncidents" => unary(codec, body, |r| incidents(s, r)).await,
        "ListHostIncidents" => unary(codec, body, |r| host_incidents(s, r)).await,
        "ListDeliveries" => unary(codec, body, |r| deliveries(s, r)).await,
        "CreateMaintenanceWindow" => unary(codec, body, |r| create_window(s, r)).await,
        "ListMaintenanceWindows" => {
            unary(
                codec,
                body,
                |_: v1::ListMaintenanceWindowsRequest| async move {
                    let windows = s.store.list_windows().await?;
                    let now = SystemTime::now();
                    Ok(v1::ListMaintenanceWindowsResponse {
                        active_ids: windows
                            .iter()
                            .filter(|w| w.active_at(now))
                            .map(|w| w.id.0)
                            .collect(),
                        windows: windows.into_iter().map(Into::into).collect(),
                    })
                },
            )
            .await
        }
        "UpdateMaintenanceWindow" => unary(codec, body, |r| update_window(s, r)).await,
        "DeleteMaintenanceWindow" => {
            unary(
                codec,
                body,
                |r: v1::DeleteMaintenanceWindowRequest| async move {
                    s.store.delete_window(WindowId(r.id)).await?;
                    Ok(v1::DeleteMaintenanceWindowResponse {})
                },
            )
            .await
        }
        _ => no_such_method(),
    }
}

/// The channel as a person may see it.
fn shown(channel: &NotificationChannel) -> Option<v1::NotificationChannel> {
    Some(channel.redacted().into())
}

async fn create(
    state: &AppState,
    request: v1::CreateChannelRequest,
) -> Result<v1::CreateChannelResponse, ConnectError> {
    let channel = NotificationChannel::from(request.channel.unwrap_or_default());
    let created = state
        .store
        .create_channel(&channel, SystemTime::now())
        .await
        .map_err(|e| super::errors::under("channel", e))?;
    Ok(v1::CreateChannelResponse {
        channel: shown(&created),
    })
}

async fn update(
    state: &AppState,
    request: v1::UpdateChannelRequest,
) -> Result<v1::UpdateChannelResponse, ConnectError> {
    let channel = NotificationChannel::from(request.channel.unwrap_or_default());
    let updated = state
        .store
        .update_channel(&channel, SystemTime::now())
        .await
        .map_err(|e| super::errors::under("channel", e))?;
    Ok(v1::UpdateChannelResponse {
        channel: shown(&updated),
    })
}

/// Sends a test message over the channel now and answers with the logged attempt: what
/// the receiver replied, or why nothing reached it.
async fn test(
    state: &AppState,
    request: v1::TestChannelRequest,
) -> Result<v1::TestChannelResponse, ConnectError> {
    let Some(prober) = &state.prober else {
        return Err(ConnectError::new(
            Code::Unavailable,
            "this process sends no notifications",
        ));
    };
    let channel = state.store.get_channel(ChannelId(request.id)).await?;
    let delivery = crate::notifier::send_test(
        state.store.as_ref(),
        prober,
        &channel,
        state.public_url.as_deref(),
    )
    .await?;
    Ok(v1::TestChannelResponse {
        delivery: Some(delivery.into()),
    })
}

async fn create_window(
    state: &AppState,
    request: v1::CreateMaintenanceWindowRequest,
) -> Result<v1::CreateMaintenanceWindowResponse, ConnectError> {
    let window = MaintenanceWindow::try_from(request.window.unwrap_or_default())
        .map_err(|e| super::errors::under_core("window", e))?;
    let created = state
        .store
        .create_window(&window, SystemTime::now())
        .await
        .map_err(|e| super::errors::under("window", e))?;
    Ok(v1::CreateMaintenanceWindowResponse {
        window: Some(created.into()),
    })
}

async fn update_window(
    state: &AppState,
    request: v1::UpdateMaintenanceWindowRequest,
) -> Result<v1::UpdateMaintenanceWindowResponse, ConnectError> {
    let window = MaintenanceWindow::try_from(request.window.unwrap_or_default())
        .map_err(|e| super::errors::under_core("window", e))?;
    let updated = state
        .store
        .update_window(&window, SystemTime::now())
        .await
        .map_err(|e| super::errors::under("window", e))?;
    Ok(v1::UpdateMaintenanceWindowResponse {
        window: Some(updated.into()),
    })
}

async fn set_routing(
    state: &AppState,
    request: v1::SetChannelRoutingRequest,
) -> Result<v1::SetChannelRoutingResponse, ConnectError> {
    let routing = ChannelRouting::try_from(request.routing.unwrap_or_default())
        .map_err(|e| super::errors::under_core("routing", e))?;
    let set = state
        .store
        .set_channel_routing(&routing)
        .await
        .map_err(|e| super::errors::under("routing", e))?;
    Ok(v1::SetChannelRoutingResponse {
        routing: Some(set.into()),
    })
}

async fn incidents(
    state: &AppState,
    request: v1::ListIncidentsRequest,
) -> Result<v1::ListIncidentsResponse, ConnectError> {
    let filter = IncidentFilter {
        monitor_id: optional_monitor_id("monitor_id", &request.monitor_id)?,
        open_only: request.open_only,
    };
    let page = state
        .store
        .list_incidents(&filter, &page(request.page_size, request.page_token))
        .await?;
    Ok(v1::ListIncidentsResponse {
        incidents: page.items.into_iter().map(Into::into).collect(),
        next_page_token: page.next_cursor.unwrap_or_default(),
    })
}

async fn host_incidents(
    state: &AppState,
    request: v1::ListHostIncidentsRequest,
) -> Result<v1::ListHostIncidentsResponse, ConnectError> {
    let filter = HostIncidentFilter {
        host: Some(request.host).filter(|host| !host.is_empty()),
        open_only: request.open_only,
    };
    let page = state
        .store
        .list_host_incidents(&filter, &page(request.page_size, request.page_token))
        .await?;
    Ok(v1::ListHostIncidentsResponse {
        incidents: page.items.into_iter().map(Into::into).collect(),
        next_page_token: page.next_cursor.unwrap_or_default(),
    })
}

async fn deliveries(
    state: &AppState,
    request: v1::ListDeliveriesRequest,
) -> Result<v1::ListDeliveriesResponse, ConnectError> {
    let filter = DeliveryFilter {
        channel_id: (request.channel_id != 0).then_some(ChannelId(request.channel_id)),
        monitor_id: optional_monitor_id("monitor_id", &request.monitor_id)?,
    };
    let page = state
        .store
        .list_deliveries(&filter, &page(request.page_size, request.page_token))
        .await?;
    Ok(v1::ListDeliveriesResponse {
        deliveries: page.items.into_iter().map(Into::into).collect(),
        next_page_token: page.next_cursor.unwrap_or_default(),
    })
}
