-- Maintenance windows: alerts muted while one covers a monitor. The schedule and the
-- monitors it covers are one encoded pulsar.v1.MaintenanceWindow (id and times aside).
CREATE TABLE maintenance_windows (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    name           TEXT NOT NULL,
    definition     BLOB NOT NULL,
    created_at_ms  INTEGER NOT NULL,
    updated_at_ms  INTEGER NOT NULL,
    CONSTRAINT maintenance_windows_name_key UNIQUE (name)
);

-- The state the monitor's channels were last told of. A change while a window mutes the
-- monitor is not announced; the first check after the window announces the state then, if
-- it differs from this one.
ALTER TABLE monitors ADD COLUMN announced_state TEXT NOT NULL DEFAULT 'unknown';
UPDATE monitors SET announced_state = state;
