-- Pulsar's schema: the SQLite dialect of migrations/postgres. Times are unix milliseconds
-- (INTEGER *_ms), durations microseconds (*_us). Rollup and host tables are WITHOUT ROWID,
-- so one monitor's (or host's) buckets sit together in key order.

CREATE TABLE monitors (
    id              BLOB PRIMARY KEY,
    name            TEXT NOT NULL,
    -- The full definition as an encoded pulsar.v1.Monitor message.
    definition      BLOB NOT NULL,
    interval_ms     INTEGER NOT NULL,
    enabled         INTEGER NOT NULL,
    state           TEXT NOT NULL,
    next_due_at_ms  INTEGER NOT NULL,
    created_at_ms   INTEGER NOT NULL,
    updated_at_ms   INTEGER NOT NULL,
    CONSTRAINT monitors_name_key UNIQUE (name)
);
-- The scheduler's scan: enabled monitors by due time.
CREATE INDEX monitors_due ON monitors (next_due_at_ms) WHERE enabled = 1;

CREATE TABLE monitor_labels (
    monitor_id  BLOB NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    PRIMARY KEY (monitor_id, key)
);
CREATE INDEX monitor_labels_by_value ON monitor_labels (key, value);

CREATE TABLE check_results (
    monitor_id      BLOB NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
    slot_ms         INTEGER NOT NULL,
    started_at_ms   INTEGER NOT NULL,
    worker          TEXT NOT NULL,
    region          TEXT NOT NULL,
    -- pulsar.v1.Outcome and pulsar.v1.FailureKind numbers.
    outcome         INTEGER NOT NULL,
    failure_kind    INTEGER NOT NULL,
    message         TEXT NOT NULL,
    status_code     INTEGER,
    http_version    TEXT,
    remote_addr     TEXT,
    dns_us          INTEGER,
    connect_us      INTEGER,
    tls_us          INTEGER,
    ttfb_us         INTEGER,
    download_us     INTEGER,
    total_us        INTEGER,
    body_bytes      INTEGER NOT NULL,
    -- Hops and TLS details as an encoded pulsar.v1.CheckResult holding only those.
    detail          BLOB NOT NULL,
    PRIMARY KEY (monitor_id, slot_ms)
);

-- Per monitor and bucket (60 s, 3600 s, 86400 s): counts, sums and latency histograms.
-- Keyed time first: one scheduler tick's rows are neighbours (few pages written per batch),
-- and a summary of many monitors reads a few contiguous ranges. Deleted with their monitor
-- by the store (no foreign key: no per-row check on the ingest path).
CREATE TABLE rollups (
    monitor_id       BLOB NOT NULL,
    bucket_seconds   INTEGER NOT NULL,
    bucket_start_ms  INTEGER NOT NULL,
    up_count         INTEGER NOT NULL,
    degraded_count   INTEGER NOT NULL,
    down_count       INTEGER NOT NULL,
    total_min_us     INTEGER,
    total_max_us     INTEGER,
    dns_sum_us       INTEGER NOT NULL,
    connect_sum_us   INTEGER NOT NULL,
    tls_sum_us       INTEGER NOT NULL,
    ttfb_sum_us      INTEGER NOT NULL,
    download_sum_us  INTEGER NOT NULL,
    total_sum_us     INTEGER NOT NULL,
    -- pulsar_core::PhaseHistograms::encode
    histograms       BLOB NOT NULL,
    PRIMARY KEY (bucket_seconds, bucket_start_ms, monitor_id)
) WITHOUT ROWID;
-- One monitor's history: charts, single-monitor summaries, deletes.
CREATE INDEX rollups_by_monitor ON rollups (monitor_id, bucket_seconds, bucket_start_ms);

CREATE TABLE incidents (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    monitor_id    BLOB NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
    state         TEXT NOT NULL,
    opened_at_ms  INTEGER NOT NULL,
    closed_at_ms  INTEGER,
    cause         TEXT NOT NULL,
    resolution    TEXT NOT NULL
);
CREATE INDEX incidents_by_monitor ON incidents (monitor_id, opened_at_ms DESC, id DESC);
CREATE INDEX incidents_by_time ON incidents (opened_at_ms DESC, id DESC);
-- At most one open incident per monitor.
CREATE UNIQUE INDEX incidents_one_open ON incidents (monitor_id) WHERE closed_at_ms IS NULL;

CREATE TABLE host_samples (
    hostname                  TEXT NOT NULL,
    taken_at_ms               INTEGER NOT NULL,
    cpu_busy_pct              REAL,
    load1                     REAL,
    memory_used_bytes         REAL,
    memory_total_bytes        REAL,
    net_rx_bytes_per_sec      REAL,
    net_tx_bytes_per_sec      REAL,
    disk_read_bytes_per_sec   REAL,
    disk_write_bytes_per_sec  REAL,
    -- The full pulsar.v1.HostSnapshot.
    snapshot                  BLOB NOT NULL,
    PRIMARY KEY (hostname, taken_at_ms)
) WITHOUT ROWID;

-- Host averages per minute and hour: per metric the sum and the number of samples with it.
CREATE TABLE host_rollups (
    hostname          TEXT NOT NULL,
    bucket_seconds    INTEGER NOT NULL,
    bucket_start_ms   INTEGER NOT NULL,
    samples           INTEGER NOT NULL,
    cpu_busy_pct_sum  REAL NOT NULL,
    cpu_busy_pct_n    INTEGER NOT NULL,
    load1_sum         REAL NOT NULL,
    load1_n           INTEGER NOT NULL,
    mem_used_sum      REAL NOT NULL,
    mem_used_n        INTEGER NOT NULL,
    mem_total_sum     REAL NOT NULL,
    mem_total_n       INTEGER NOT NULL,
    net_rx_sum        REAL NOT NULL,
    net_rx_n          INTEGER NOT NULL,
    net_tx_sum        REAL NOT NULL,
    net_tx_n          INTEGER NOT NULL,
    disk_read_sum     REAL NOT NULL,
    disk_read_n       INTEGER NOT NULL,
    disk_write_sum    REAL NOT NULL,
    disk_write_n      INTEGER NOT NULL,
    PRIMARY KEY (hostname, bucket_seconds, bucket_start_ms)
) WITHOUT ROWID;

CREATE TABLE notification_channels (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL,
    -- Kind-specific settings, secrets included, as a JSON object of strings.
    config         TEXT NOT NULL,
    enabled        INTEGER NOT NULL,
    created_at_ms  INTEGER NOT NULL,
    updated_at_ms  INTEGER NOT NULL,
    CONSTRAINT notification_channels_name_key UNIQUE (name)
);

CREATE TABLE deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id       INTEGER NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
    -- The log outlives the monitor and incident it was about.
    monitor_id       BLOB REFERENCES monitors (id) ON DELETE SET NULL,
    incident_id      INTEGER REFERENCES incidents (id) ON DELETE SET NULL,
    event            TEXT NOT NULL,
    attempted_at_ms  INTEGER NOT NULL,
    attempt          INTEGER NOT NULL,
    success          INTEGER NOT NULL,
    detail           TEXT NOT NULL,
    latency_us       INTEGER NOT NULL
);
CREATE INDEX deliveries_by_channel ON deliveries (channel_id, id DESC);
CREATE INDEX deliveries_by_monitor ON deliveries (monitor_id, id DESC);
CREATE INDEX deliveries_by_incident ON deliveries (incident_id);
CREATE INDEX deliveries_by_time ON deliveries (attempted_at_ms);
