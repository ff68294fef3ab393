//! Live events as the server tells them: a stored state change as its wire event, and
//! publishing, which is best effort (what was stored stays stored whatever the bus does).

use pulsar_core::IncidentAction;
use pulsar_core::proto::v1;
use pulsar_queue::EventBus;
use pulsar_store::StateChange;

/// `change`, which happened at `at_unix_ms`, as the bus carries it: the state change, and
/// the incident it opened, escalated or closed, if any.
pub fn state_changed(change: StateChange, at_unix_ms: i64) -> Vec<v1::Event> {
    let incident = match change.action {
        IncidentAction::None => None,
        IncidentAction::Open | IncidentAction::Escalate | IncidentAction::Close => {
            change.incident.clone()
        }
    };
    let mut events = vec![v1::Event::monitor_state_changed(v1::MonitorStateChanged {
        monitor_id: change.monitor_id.to_string(),
        from: v1::MonitorState::from(change.previous).into(),
        to: v1::MonitorState::from(change.current).into(),
        at_unix_ms,
        reason: change.cause,
    })];
    if let Some(incident) = incident {
        events.push(v1::Event::incident_changed(incident.into()));
    }
    events
}

/// Publishes `event`; a failure is logged, never returned.
pub async fn publish(bus: &dyn EventBus, event: v1::Event) {
    if let Err(error) = bus.publish_event(&event).await {
        tracing::warn!(%error, "could not publish an event");
    }
}
