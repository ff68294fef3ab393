//! Incidents: the periods in which a monitor was not UP, and the rule that opens and
//! closes them on state changes.

use std::fmt;
use std::time::SystemTime;

use crate::error::CoreError;
use crate::monitor::{MonitorId, MonitorState};
use crate::proto::v1;
use crate::time::{from_unix_ms, unix_ms};

/// An incident's id, assigned by the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IncidentId(pub i64);

impl fmt::Display for IncidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A period in which a monitor was DOWN or DEGRADED.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub id: IncidentId,
    pub monitor_id: MonitorId,
    /// The worst state seen while open: [`MonitorState::Down`] or [`MonitorState::Degraded`].
    pub state: MonitorState,
    pub opened_at: SystemTime,
    pub closed_at: Option<SystemTime>,
    /// Why it opened.
    pub cause: String,
    /// Why it closed; empty while open.
    pub resolution: String,
}

impl Incident {
    pub fn is_open(&self) -> bool {
        self.closed_at.is_none()
    }
}

/// What a state change does to a monitor's incidents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentAction {
    /// Open a new incident in the new state.
    Open,
    /// Keep the open incident, now marked DOWN (it was DEGRADED).
    Escalate,
    /// Close the open incident.
    Close,
    /// Nothing changes.
    None,
}

/// The resolution recorded when a monitor recovers.
pub const RESOLUTION_RECOVERED: &str = "recovered";
/// The resolution recorded when a monitor is paused while an incident is open.
pub const RESOLUTION_PAUSED: &str = "paused";

impl IncidentAction {
    /// One incident per outage: it opens when a monitor turns DOWN or DEGRADED, stays open
    /// (escalating from DEGRADED to DOWN) until the monitor is UP again or paused.
    /// `open` is the monitor's currently open incident, if any.
    pub fn on_state_change(open: Option<MonitorState>, to: MonitorState) -> Self {
        match (open, to) {
            (None, MonitorState::Down | MonitorState::Degraded) => Self::Open,
            (Some(MonitorState::Degraded), MonitorState::Down) => Self::Escalate,
            (Some(_), MonitorState::Up | MonitorState::Paused) => Self::Close,
            _ => Self::None,
        }
    }

    /// The resolution text for a close caused by moving to `to`.
    pub fn resolution(to: MonitorState) -> &'static str {
        if to == MonitorState::Paused {
            RESOLUTION_PAUSED
        } else {
            RESOLUTION_RECOVERED
        }
    }
}

impl From<Incident> for v1::Incident {
    fn from(i: Incident) -> Self {
        Self {
            id: i.id.0,
            monitor_id: i.monitor_id.to_string(),
            state: v1::MonitorState::from(i.state).into(),
            opened_at_unix_ms: unix_ms(i.opened_at),
            closed_at_unix_ms: i.closed_at.map_or(0, unix_ms),
            cause: i.cause,
            resolution: i.resolution,
        }
    }
}

impl TryFrom<v1::Incident> for Incident {
    type Error = CoreError;

    fn try_from(w: v1::Incident) -> Result<Self, CoreError> {
        let state = v1::MonitorState::try_from(w.state)
            .map_err(|_| CoreError::malformed("state", "unknown state"))?;
        Ok(Self {
            id: IncidentId(w.id),
            monitor_id: w.monitor_id.parse()?,
            state: state.into(),
            opened_at: from_unix_ms(w.opened_at_unix_ms),
            closed_at: (w.closed_at_unix_ms != 0).then(|| from_unix_ms(w.closed_at_unix_ms)),
            cause: w.cause,
            resolution: w.resolution,
        })
    }
}

/// A period in which one condition of a host fired (host alerts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostIncident {
    pub id: IncidentId,
    /// The identity the host reports under.
    pub host: String,
    /// The condition's key ([`crate::HostCondition::key`]): `cpu_busy`, `disk_full:/data`, …
    pub condition: String,
    pub opened_at: SystemTime,
    pub closed_at: Option<SystemTime>,
    /// What the sample showed when it fired.
    pub detail: String,
}

impl HostIncident {
    pub fn is_open(&self) -> bool {
        self.closed_at.is_none()
    }
}

impl From<HostIncident> for v1::HostIncident {
    fn from(i: HostIncident) -> Self {
        Self {
            id: i.id.0,
            host: i.host,
            condition: i.condition,
            opened_at_unix_ms: unix_ms(i.opened_at),
            closed_at_unix_ms: i.closed_at.map_or(0, unix_ms),
            detail: i.detail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use IncidentAction as A;
    use MonitorState as S;

    #[test]
    fn one_incident_per_outage() {
        assert_eq!(A::on_state_change(None, S::Down), A::Open);
        assert_eq!(A::on_state_change(None, S::Degraded), A::Open);
        assert_eq!(A::on_state_change(None, S::Up), A::None);
        assert_eq!(A::on_state_change(Some(S::Degraded), S::Down), A::Escalate);
        assert_eq!(A::on_state_change(Some(S::Down), S::Degraded), A::None);
        assert_eq!(A::on_state_change(Some(S::Down), S::Down), A::None);
        assert_eq!(A::on_state_change(Some(S::Down), S::Up), A::Close);
        assert_eq!(A::on_state_change(Some(S::Degraded), S::Paused), A::Close);
        assert_eq!(A::on_state_change(Some(S::Down), S::Unknown), A::None);
        assert_eq!(A::resolution(S::Paused), RESOLUTION_PAUSED);
        assert_eq!(A::resolution(S::Up), RESOLUTION_RECOVERED);
    }

    #[test]
    fn incidents_round_trip_through_proto() {
        let incident = Incident {
            id: IncidentId(7),
            monitor_id: MonitorId::new(),
            state: S::Down,
            opened_at: from_unix_ms(1_700_000_000_000),
            closed_at: Some(from_unix_ms(1_700_000_600_000)),
            cause: "connection refused".into(),
            resolution: RESOLUTION_RECOVERED.into(),
        };
        let back = Incident::try_from(v1::Incident::from(incident.clone())).unwrap();
        assert_eq!(back, incident);
    }

    #[test]
    fn a_host_incident_says_zero_while_it_fires() {
        let open = HostIncident {
            id: IncidentId(3),
            host: "edge-1".into(),
            condition: "disk_full:/data".into(),
            opened_at: from_unix_ms(1_700_000_000_000),
            closed_at: None,
            detail: "mount /data 93.1 % full (limit 90 %)".into(),
        };
        assert!(open.is_open());
        let wire = v1::HostIncident::from(open.clone());
        assert_eq!(wire.closed_at_unix_ms, 0);
        assert_eq!(wire.opened_at_unix_ms, 1_700_000_000_000);
        assert_eq!(wire.condition, "disk_full:/data");
        let closed = HostIncident {
            closed_at: Some(from_unix_ms(1_700_000_060_000)),
            ..open
        };
        assert!(!closed.is_open());
        assert_eq!(
            v1::HostIncident::from(closed).closed_at_unix_ms,
            1_700_000_060_000
        );
    }
}
