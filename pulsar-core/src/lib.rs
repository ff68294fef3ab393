#![doc = include_str!("../README.md")]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod alert;
mod body;
mod check;
pub mod declared;
mod destination;
mod error;
mod event;
mod histogram;
mod host_rules;
mod host_series;
mod hub;
mod incident;
mod lifecycle;
mod maintenance;
mod monitor;
mod notice;
mod notification;
mod outcome;
mod overview;
mod pem;
mod phases;
mod presence;
mod render;
mod report;
mod retry;
mod rollup;
mod routing;
mod schedule;
mod secrets;
mod series;
mod stats;
mod summary;
mod text;
mod time;
mod validate;

pub mod proto;

pub use alert::{AlertMemory, AlertStep, AlertThresholds, SlotVerdict, alert_step};
pub use body::{
    BodyMatcher, CompiledAssertion, REGEX_DFA_SIZE_LIMIT_BYTES, REGEX_SIZE_LIMIT_BYTES,
    REGEX_WINDOW_BYTES,
};
pub use check::CheckResult;
pub use destination::{
    CHANNEL_KINDS, DEFAULT_NTFY_SERVER, Destination, EmailSettings, SmtpSecurity,
};
pub use error::{CoreError, FieldError, bad_request};
pub use event::{
    TOPIC_CHECKS, TOPIC_HOSTS, TOPIC_INCIDENTS, TOPIC_MONITOR_STATES, TOPIC_MONITORS,
    check_task_key,
};
pub use histogram::{HISTOGRAM_RELATIVE_ERROR, LatencyHistogram, PhaseHistograms};
pub use host_rules::{
    HostCondition, HostRule, HostRuleMemory, HostRules, host_conditions, host_rule_step,
    samples_to_fire, silence,
};
pub use host_series::{
    HostMetrics, HostPoint, HostSeries, NAMED_SERIES_PER_KIND, named_series, series_step,
};
pub use hub::{EventFilter, HUB_TOPICS};
pub use incident::{
    HostIncident, Incident, IncidentAction, IncidentId, RESOLUTION_PAUSED, RESOLUTION_RECOVERED,
};
pub use lifecycle::{MonitorUpdate, NewMonitor, claimed_slot, state_change, truncate_to_ms};
pub use maintenance::{MaintenanceWindow, WindowId, WindowSchedule, in_maintenance};
pub use monitor::{
    BodyAssertion, CheckSpec, DEFAULT_CERT_EXPIRY_DAYS, DEFAULT_ENABLED, DEFAULT_FAILURE_THRESHOLD,
    DEFAULT_FOLLOW_REDIRECTS, DEFAULT_INTERVAL, DEFAULT_MAX_REDIRECTS, DEFAULT_RECOVERY_THRESHOLD,
    DEFAULT_TIMEOUT, Expectations, Header, Monitor, MonitorId, MonitorState, StatusRange,
    default_timeout,
};
pub use notice::{Notice, NoticeEvent, certificate_warning, phase_summary};
pub use notification::{
    ChannelId, Delivery, DeliveryId, MIN_REMINDER_INTERVAL, NotificationChannel, REMIND_EVERY,
    channel_limits,
};
pub use outcome::{Outcome, Verdict, classify};
pub use overview::{
    OVERVIEW_SPARKLINE_CHECKS, OVERVIEW_STRIP_CHECKS, OVERVIEW_UPTIME_WINDOW, OverviewMonitor,
    RecentCheck, StateCounts, merge_recent,
};
pub use phases::PHASE_NAMES;
pub use phases::Phases;
pub use presence::{PRESENCE_INTERVAL, PRESENCE_KEPT, WorkerSeen};
pub mod channel_format {
    //! Each channel's message format.
    pub use crate::render::{discord, event_colour, ntfy, plain_text, slack, webhook};
}
pub use report::{Failure, FailureKind, FailurePhase, HopReport, ProbeReport, TlsInfo};
pub use retry::{AttemptVerdict, DEFAULT_RETRY, RetryPolicy, parse_retry_after};
pub use rollup::{BucketSize, BucketSpan, Rollup, RollupSample, RollupStats, cover, window_start};
pub use routing::{ChannelRouting, ROUTED_MONITORS_MAX};
pub use schedule::{
    CHECKS_PER_STEP, MIN_DELIVERY_STEP, delivery_delay, manual_slot, slot_after, slot_at_or_after,
    slot_at_or_before, slot_phase,
};
pub use secrets::{REDACTED, is_secret_header, is_secret_setting, redact_url};
pub use series::{
    PhaseSeries, SERIES_DEFAULT_POINTS, SERIES_MAX_POINTS, SeriesPlan, series_points,
};
pub use stats::{PhasePercentiles, percentile};
pub use summary::{PhaseLatency, SUMMARY_WINDOWS, Summary, uptime_pct};
pub use text::printable;
pub use time::{
    from_unix_ms, human_duration, parse_duration, parse_rfc3339, parse_utc_offset, rfc3339, unix_ms,
};
pub use validate::limits;
