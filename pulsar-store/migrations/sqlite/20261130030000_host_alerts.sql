-- Host alerts: channels opt in (route_hosts), and each firing condition of a host is an
-- incident of its own, open while it fires: at most one open per host and condition.
ALTER TABLE notification_channels ADD COLUMN route_hosts INTEGER NOT NULL DEFAULT 0;
CREATE TABLE host_incidents (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    host           TEXT NOT NULL,
    condition      TEXT NOT NULL,
    opened_at_ms   INTEGER NOT NULL,
    closed_at_ms   INTEGER,
    detail         TEXT NOT NULL
);
CREATE UNIQUE INDEX host_incidents_one_open ON host_incidents (host, condition)
    WHERE closed_at_ms IS NULL;
CREATE INDEX host_incidents_by_time ON host_incidents (opened_at_ms DESC, id DESC);
