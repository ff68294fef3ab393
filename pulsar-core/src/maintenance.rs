//! Maintenance windows: when alerts are muted, and for which monitors. A window is one-off
//! (from a start to an end) or weekly (on some days, from a time of day, for a duration, in
//! a fixed UTC offset). While one covers a monitor its checks go on and are marked, and no
//! notification is sent.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{CoreError, FieldError};
use crate::monitor::MonitorId;
use crate::proto::v1;
use crate::routing::{parse_monitor_ids, selects};
use crate::time::{from_unix_ms, unix_ms};
use crate::validate::limits;

const MINUTE_MS: i64 = 60_000;
const DAY_MINUTES: i64 = 1440;
const WEEK_MINUTES: i64 = 7 * DAY_MINUTES;

/// A window's id, assigned by the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WindowId(pub i64);

impl fmt::Display for WindowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// When a window is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowSchedule {
    /// From `start` (inclusive) to `end` (exclusive), once.
    Once { start: SystemTime, end: SystemTime },
    /// Every week on `days` (0 = Monday … 6 = Sunday), from `start_minute` after midnight
    /// for `duration_minutes`, in the zone `utc_offset_minutes` east of UTC. A window may run
    /// past midnight into the next day.
    Weekly {
        days: BTreeSet<u8>,
        start_minute: u32,
        duration_minutes: u32,
        utc_offset_minutes: i32,
    },
}

/// A maintenance window and the monitors it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintenanceWindow {
    pub id: WindowId,
    pub name: String,
    pub schedule: WindowSchedule,
    pub all_monitors: bool,
    /// Monitors carrying every one of these labels (empty: none by labels).
    pub labels: BTreeMap<String, String>,
    pub monitor_ids: BTreeSet<MonitorId>,
    pub created_at: SystemTime,
    pub updated_at: SystemTime,
}

impl MaintenanceWindow {
    /// A window covering no monitor yet; the store assigns the id.
    pub fn new(name: impl Into<String>, schedule: WindowSchedule) -> Self {
        Self {
            id: WindowId(0),
            name: name.into(),
            schedule,
            all_monitors: false,
            labels: BTreeMap::new(),
            monitor_ids: BTreeSet::new(),
            created_at: UNIX_EPOCH,
            updated_at: UNIX_EPOCH,
        }
    }

    /// Whether the window covers the monitor `id` carrying `labels`.
    pub fn covers(&self, id: MonitorId, labels: &BTreeMap<String, String>) -> bool {
        selects(
            self.all_monitors,
            &self.labels,
            &self.monitor_ids,
            id,
            labels,
        )
    }

    /// Whether the window is open at `at`.
    pub fn active_at(&self, at: SystemTime) -> bool {
        match &self.schedule {
            WindowSchedule::Once { start, end } => *start <= at && at < *end,
            WindowSchedule::Weekly {
                days,
                start_minute,
                duration_minutes,
                utc_offset_minutes,
            } => {
                // Minutes since Monday 00:00 of the window's zone; 1970-01-01 was a Thursday.
                let local_ms = unix_ms(at) + i64::from(*utc_offset_minutes) * MINUTE_MS;
                let minute_of_week =
                    (local_ms.div_euclid(MINUTE_MS) + 3 * DAY_MINUTES).rem_euclid(WEEK_MINUTES);
                days.iter().any(|day| {
                    let start = i64::from(*day) * DAY_MINUTES + i64::from(*start_minute);
                    let since = (minute_of_week - start).rem_euclid(WEEK_MINUTES);
                    since < i64::from(*duration_minutes)
                })
            }
        }
    }

    /// Checks every rule, reporting each broken one with its field.
    pub fn validate(&self) -> Result<(), CoreError> {
        let mut errors = Vec::new();
        let mut check = |ok: bool, field: &str, message: String| {
            if !ok {
                errors.push(FieldError::new(field, message));
            }
        };
        check(
            !self.name.trim().is_empty()
                && self.name.chars().count() <= 200
                && !self.name.chars().any(char::is_control),
            "name",
            "1..=200 characters, no control characters".into(),
        );
        match &self.schedule {
            WindowSchedule::Once { start, end } => {
                check(start < end, "once.end", "must be after the start".into());
            }
            WindowSchedule::Weekly {
                days,
                start_minute,
                duration_minutes,
                utc_offset_minutes,
            } => {
                check(
                    !days.is_empty() && days.iter().all(|d| *d < 7),
                    "weekly.days",
                    "one or more of 0 (Monday) .. 6 (Sunday)".into(),
                );
                check(
                    i64::from(*start_minute) < DAY_MINUTES,
                    "weekly.start_minute",
                    "0..1440 minutes after midnight".into(),
                );
                check(
                    (1..=WEEK_MINUTES).contains(&i64::from(*duration_minutes)),
                    "weekly.duration_minutes",
                    "1 minute .. 7 days".into(),
                );
                check(
                    (-720..=840).contains(utc_offset_minutes),
                    "weekly.utc_offset_minutes",
                    "-720 ..= 840 minutes from UTC".into(),
                );
            }
        }
        check(
            self.labels.len() <= limits::LABELS,
            "labels",
            format!("at most {} labels", limits::LABELS),
        );
        check(
            self.monitor_ids.len() <= crate::routing::ROUTED_MONITORS_MAX,
            "monitor_ids",
            format!("at most {} monitors", crate::routing::ROUTED_MONITORS_MAX),
        );
        check(
            self.all_monitors || !self.labels.is_empty() || !self.monitor_ids.is_empty(),
            "monitor_ids",
            "cover some monitors: all, by labels, or listed".into(),
        );
        if errors.is_empty() {
            Ok(())
        } else {
            Err(CoreError::Invalid(errors))
        }
    }
}

/// Whether any of `windows` mutes the monitor `id` carrying `labels` at `at`.
pub fn in_maintenance(
    windows: &[MaintenanceWindow],
    id: MonitorId,
    labels: &BTreeMap<String, String>,
    at: SystemTime,
) -> bool {
    windows
        .iter()
        .any(|w| w.active_at(at) && w.covers(id, labels))
}

impl From<MaintenanceWindow> for v1::MaintenanceWindow {
    fn from(w: MaintenanceWindow) -> Self {
        use v1::maintenance_window::Schedule;
        let schedule = match w.schedule {
            WindowSchedule::Once { start, end } => Schedule::Once(v1::OneOffWindow {
                start_unix_ms: unix_ms(start),
                end_unix_ms: unix_ms(end),
            }),
            WindowSchedule::Weekly {
                days,
                start_minute,
                duration_minutes,
                utc_offset_minutes,
            } => Schedule::Weekly(v1::WeeklyWindow {
                days: days.into_iter().map(u32::from).collect(),
                start_minute,
                duration_minutes,
                utc_offset_minutes,
            }),
        };
        Self {
            id: w.id.0,
            name: w.name,
            schedule: Some(schedule),
            all_monitors: w.all_monitors,
            labels: w.labels,
            monitor_ids: w.monitor_ids.iter().map(ToString::to_string).collect(),
            created_at_unix_ms: unix_ms(w.created_at),
            updated_at_unix_ms: unix_ms(w.updated_at),
        }
    }
}

impl TryFrom<v1::MaintenanceWindow> for MaintenanceWindow {
    type Error = CoreError;
    fn try_from(w: v1::MaintenanceWindow) -> Result<Self, CoreError> {
        use v1::maintenance_window::Schedule;
        let schedule = match w.schedule {
            Some(Schedule::Once(once)) => WindowSchedule::Once {
                start: from_unix_ms(once.start_unix_ms),
                end: from_unix_ms(once.end_unix_ms),
            },
            Some(Schedule::Weekly(weekly)) => WindowSchedule::Weekly {
                days: weekly
                    .days
                    .iter()
                    .map(|d| u8::try_from(*d).unwrap_or(u8::MAX))
                    .collect(),
                start_minute: weekly.start_minute,
                duration_minutes: weekly.duration_minutes,
                utc_offset_minutes: weekly.utc_offset_minutes,
            },
            None => {
                return Err(CoreError::invalid(
                    "schedule",
                    "give either once (start and end) or weekly (days, start, duration)",
                ));
            }
        };
        let monitor_ids = parse_monitor_ids(&w.monitor_ids)?;
        Ok(Self {
            id: WindowId(w.id),
            name: w.name,
            schedule,
            all_monitors: w.all_monitors,
            labels: w.labels,
            monitor_ids,
            created_at: from_unix_ms(w.created_at_unix_ms),
            updated_at: from_unix_ms(w.updated_at_unix_ms),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Monday 2026-11-30 00:00 UTC.
    const MONDAY_MS: i64 = 1_795_996_800_000;

    fn at(day: i64, hour: i64, minute: i64) -> SystemTime {
        from_unix_ms(MONDAY_MS + ((day * 24 + hour) * 60 + minute) * MINUTE_MS)
    }

    fn weekly(
        days: &[u8],
        start_minute: u32,
        duration_minutes: u32,
        offset: i32,
    ) -> MaintenanceWindow {
        let mut window = MaintenanceWindow::new(
            "nightly",
            WindowSchedule::Weekly {
                days: days.iter().copied().collect(),
                start_minute,
                duration_minutes,
                utc_offset_minutes: offset,
            },
        );
        window.all_monitors = true;
        window
    }

    #[test]
    fn the_reference_monday_is_a_monday() {
        assert_eq!(
            crate::time::rfc3339(at(0, 0, 0)),
            "2026-11-30T00:00:00.000Z"
        );
    }

    #[test]
    fn a_weekly_window_opens_on_its_days_and_may_run_past_midnight() {
        // Sundays 23:00 for 2 hours: into Monday 01:00.
        let window = weekly(&[6], 23 * 60, 120, 0);
        assert!(!window.active_at(at(6, 22, 59)));
        assert!(window.active_at(at(6, 23, 0)));
        assert!(
            window.active_at(at(7, 0, 59)),
            "Monday 00:59, after Sunday's start"
        );
        assert!(!window.active_at(at(7, 1, 0)));
        assert!(!window.active_at(at(2, 23, 30)), "a Wednesday");
    }

    #[test]
    fn a_weekly_window_keeps_to_its_time_zone() {
        // Mondays 02:00 for an hour at UTC+2 is Monday 00:00..01:00 UTC.
        let window = weekly(&[0], 2 * 60, 60, 120);
        assert!(window.active_at(at(0, 0, 30)));
        assert!(!window.active_at(at(0, 2, 30)));
    }

    #[test]
    fn a_one_off_window_is_half_open() {
        let mut window = MaintenanceWindow::new(
            "upgrade",
            WindowSchedule::Once {
                start: at(1, 10, 0),
                end: at(1, 11, 0),
            },
        );
        window.monitor_ids.insert(MonitorId::new());
        assert!(!window.active_at(at(1, 9, 59)));
        assert!(window.active_at(at(1, 10, 0)));
        assert!(!window.active_at(at(1, 11, 0)));
    }

    #[test]
    fn it_covers_by_list_labels_or_all_and_mutes_only_when_open() {
        let listed = MonitorId::new();
        let other = MonitorId::new();
        let prod: BTreeMap<String, String> = [("env".into(), "prod".into())].into();
        let mut window = weekly(&[0], 0, 60, 0);
        window.all_monitors = false;
        window.monitor_ids.insert(listed);
        assert!(window.covers(listed, &BTreeMap::new()));
        assert!(!window.covers(other, &prod));
        window.labels = prod.clone();
        assert!(window.covers(other, &prod));
        let windows = [window];
        assert!(in_maintenance(
            &windows,
            listed,
            &BTreeMap::new(),
            at(0, 0, 30)
        ));
        assert!(!in_maintenance(
            &windows,
            listed,
            &BTreeMap::new(),
            at(0, 1, 30)
        ));
    }

    #[test]
    fn validation_names_each_broken_field() {
        let mut window = weekly(&[7], 1440, 0, 900);
        window.all_monitors = false;
        window.name = String::new();
        let Err(CoreError::Invalid(errors)) = window.validate() else {
            panic!("invalid");
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "weekly.days",
                "weekly.start_minute",
                "weekly.duration_minutes",
                "weekly.utc_offset_minutes",
                "monitor_ids"
            ]
        );
        let backwards = MaintenanceWindow::new(
            "x",
            WindowSchedule::Once {
                start: at(0, 1, 0),
                end: at(0, 0, 0),
            },
        );
        assert_eq!(
            backwards.validate().unwrap_err().field_errors()[0].field,
            "once.end"
        );
    }

    #[test]
    fn windows_round_trip_through_proto() {
        let mut window = weekly(&[0, 4], 90, 45, -300);
        window.id = WindowId(3);
        window.monitor_ids.insert(MonitorId::new());
        window.labels.insert("env".into(), "prod".into());
        let back =
            MaintenanceWindow::try_from(v1::MaintenanceWindow::from(window.clone())).unwrap();
        assert_eq!(back, window);
        let none = v1::MaintenanceWindow::default();
        assert_eq!(
            MaintenanceWindow::try_from(none)
                .unwrap_err()
                .field_errors()[0]
                .field,
            "schedule"
        );
    }
}
