-- The outbox: one row per notification per routed channel, written in the transaction of
-- the state change that causes it, and delivered by a notifier, at least once. A notifier
-- leases the rows it sends (lease_until_ms); a crashed one's rows come back when that
-- passes. Rows outlive their monitor and incident, like the delivery log.
CREATE TABLE notifications (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id          INTEGER NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
    monitor_id          BLOB,
    incident_id         INTEGER,
    event               TEXT NOT NULL,
    -- pulsar.v1.Notification, binary.
    payload             BLOB NOT NULL,
    created_at_ms       INTEGER NOT NULL,
    -- 'pending' (due at next_attempt_at_ms), 'delivered' or 'failed'.
    status              TEXT NOT NULL,
    attempts            INTEGER NOT NULL,
    next_attempt_at_ms  INTEGER NOT NULL,
    lease_holder        TEXT,
    lease_until_ms      INTEGER NOT NULL
);
CREATE INDEX notifications_due ON notifications (next_attempt_at_ms) WHERE status = 'pending';
CREATE INDEX notifications_by_time ON notifications (created_at_ms);
