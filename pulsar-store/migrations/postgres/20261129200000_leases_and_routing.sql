-- Roles that exactly one process runs at a time (the fold, retention): one row per role,
-- held by the process named in holder until expires_at_ms, then free to take.
CREATE TABLE leases (
    role           TEXT PRIMARY KEY,
    holder         TEXT NOT NULL,
    expires_at_ms  BIGINT NOT NULL
);

-- Which monitors a channel alerts for; the three ways add up. A channel alerts for every
-- monitor (route_all), for the monitors carrying all of route_labels (a JSON object of
-- strings; empty: none by labels), and for the monitors listed in channel_monitors.
ALTER TABLE notification_channels ADD COLUMN route_all BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE notification_channels ADD COLUMN route_labels TEXT NOT NULL DEFAULT '{}';
CREATE TABLE channel_monitors (
    channel_id  BIGINT NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
    monitor_id  UUID NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
    PRIMARY KEY (channel_id, monitor_id)
);
-- Which channels list a monitor: the lookup when the monitor changes state.
CREATE INDEX channel_monitors_by_monitor ON channel_monitors (monitor_id);
