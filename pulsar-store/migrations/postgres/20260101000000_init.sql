-- Pulsar's schema. Times are unix milliseconds (BIGINT *_ms), durations microseconds (*_us).

CREATE TABLE monitors (
    id              UUID PRIMARY KEY,
    name            TEXT NOT NULL,
    -- The full definition as an encoded pulsar.v1.Monitor message.
    definition      BYTEA NOT NULL,
    interval_ms     BIGINT NOT NULL,
    enabled         BOOLEAN NOT NULL,
    state           TEXT NOT NULL,
    next_due_at_ms  BIGINT NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    updated_at_ms   BIGINT NOT NULL,
    CONSTRAINT monitors_name_key UNIQUE (name)
);
-- The scheduler's scan: enabled monitors by due time.
CREATE INDEX monitors_due ON monitors (next_due_at_ms) WHERE enabled;

CREATE TABLE monitor_labels (
    monitor_id  UUID NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    PRIMARY KEY (monitor_id, key)
);
CREATE INDEX monitor_labels_by_value ON monitor_labels (key, value);

CREATE TABLE check_results (
    monitor_id      UUID NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
    slot_ms         BIGINT NOT NULL,
    started_at_ms   BIGINT NOT NULL,
    worker          TEXT NOT NULL,
    region          TEXT NOT NULL,
    -- pulsar.v1.Outcome and pulsar.v1.FailureKind numbers.
    outcome         INTEGER NOT NULL,
    failure_kind    INTEGER NOT NULL,
    message         TEXT NOT NULL,
    status_code     INTEGER,
    http_version    TEXT,
    remote_addr     TEXT,
    dns_us          BIGINT,
    connect_us      BIGINT,
    tls_us          BIGINT,
    ttfb_us         BIGINT,
    download_us     BIGINT,
    total_us        BIGINT,
    body_bytes      BIGINT NOT NULL,
    -- Hops and TLS details as an encoded pulsar.v1.CheckResult holding only those.
    detail          BYTEA NOT NULL,
    PRIMARY KEY (monitor_id, slot_ms)
);

-- Per monitor and bucket (60 s, 3600 s, 86400 s): counts, sums and latency histograms.
-- Keyed time first: one scheduler tick's rows are neighbours (few pages written per batch),
-- and a summary of many monitors reads a few contiguous ranges. Deleted with their monitor
-- by the store (no foreign key: no per-row check on the ingest path).
CREATE TABLE rollups (
    monitor_id       UUID NOT NULL,
    bucket_seconds   INTEGER NOT NULL,
    bucket_start_ms  BIGINT NOT NULL,
    up_count         BIGINT NOT NULL,
    degraded_count   BIGINT NOT NULL,
    down_count       BIGINT NOT NULL,
    total_min_us     BIGINT,
    total_max_us     BIGINT,
    dns_sum_us       BIGINT NOT NULL,
    connect_sum_us   BIGINT NOT NULL,
    tls_sum_us       BIGINT NOT NULL,
    ttfb_sum_us      BIGINT NOT NULL,
    download_sum_us  BIGINT NOT NULL,
    total_sum_us     BIGINT NOT NULL,
    -- pulsar_core::PhaseHistograms::encode
    histograms       BYTEA NOT NULL,
    PRIMARY KEY (bucket_seconds, bucket_start_ms, monitor_id)
) WITH (fillfactor = 80);
-- One monitor's history: charts, single-monitor summaries, deletes.
CREATE INDEX rollups_by_monitor ON rollups (monitor_id, bucket_seconds, bucket_start_ms);

CREATE TABLE incidents (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    monitor_id    UUID NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
    state         TEXT NOT NULL,
    opened_at_ms  BIGINT NOT NULL,
    closed_at_ms  BIGINT,
    cause         TEXT NOT NULL,
    resolution    TEXT NOT NULL
);
CREATE INDEX incidents_by_monitor ON incidents (monitor_id, opened_at_ms DESC, id DESC);
CREATE INDEX incidents_by_time ON incidents (opened_at_ms DESC, id DESC);
-- At most one open incident per monitor.
CREATE UNIQUE INDEX incidents_one_open ON incidents (monitor_id) WHERE closed_at_ms IS NULL;

CREATE TABLE host_samples (
    hostname                  TEXT NOT NULL,
    taken_at_ms               BIGINT NOT NULL,
    cpu_busy_pct              DOUBLE PRECISION,
    load1                     DOUBLE PRECISION,
    memory_used_bytes         DOUBLE PRECISION,
    memory_total_bytes        DOUBLE PRECISION,
    net_rx_bytes_per_sec      DOUBLE PRECISION,
    net_tx_bytes_per_sec      DOUBLE PRECISION,
    disk_read_bytes_per_sec   DOUBLE PRECISION,
    disk_write_bytes_per_sec  DOUBLE PRECISION,
    -- The full pulsar.v1.HostSnapshot.
    snapshot                  BYTEA NOT NULL,
    PRIMARY KEY (hostname, taken_at_ms)
);

-- Host averages per minute and hour: per metric the sum and the number of samples with it.
CREATE TABLE host_rollups (
    hostname          TEXT NOT NULL,
    bucket_seconds    INTEGER NOT NULL,
    bucket_start_ms   BIGINT NOT NULL,
    samples           BIGINT NOT NULL,
    cpu_busy_pct_sum  DOUBLE PRECISION NOT NULL,
    cpu_busy_pct_n    BIGINT NOT NULL,
    load1_sum         DOUBLE PRECISION NOT NULL,
    load1_n           BIGINT NOT NULL,
    mem_used_sum      DOUBLE PRECISION NOT NULL,
    mem_used_n        BIGINT NOT NULL,
    mem_total_sum     DOUBLE PRECISION NOT NULL,
    mem_total_n       BIGINT NOT NULL,
    net_rx_sum        DOUBLE PRECISION NOT NULL,
    net_rx_n          BIGINT NOT NULL,
    net_tx_sum        DOUBLE PRECISION NOT NULL,
    net_tx_n          BIGINT NOT NULL,
    disk_read_sum     DOUBLE PRECISION NOT NULL,
    disk_read_n       BIGINT NOT NULL,
    disk_write_sum    DOUBLE PRECISION NOT NULL,
    disk_write_n      BIGINT NOT NULL,
    PRIMARY KEY (hostname, bucket_seconds, bucket_start_ms)
);

CREATE TABLE notification_channels (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL,
    -- Kind-specific settings, secrets included, as a JSON object of strings.
    config         TEXT NOT NULL,
    enabled        BOOLEAN NOT NULL,
    created_at_ms  BIGINT NOT NULL,
    updated_at_ms  BIGINT NOT NULL,
    CONSTRAINT notification_channels_name_key UNIQUE (name)
);

CREATE TABLE deliveries (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel_id       BIGINT NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
    -- The log outlives the monitor and incident it was about.
    monitor_id       UUID REFERENCES monitors (id) ON DELETE SET NULL,
    incident_id      BIGINT REFERENCES incidents (id) ON DELETE SET NULL,
    event            TEXT NOT NULL,
    attempted_at_ms  BIGINT NOT NULL,
    attempt          INTEGER NOT NULL,
    success          BOOLEAN NOT NULL,
    detail           TEXT NOT NULL,
    latency_us       BIGINT NOT NULL
);
CREATE INDEX deliveries_by_channel ON deliveries (channel_id, id DESC);
CREATE INDEX deliveries_by_monitor ON deliveries (monitor_id, id DESC);
CREATE INDEX deliveries_by_incident ON deliveries (incident_id);
CREATE INDEX deliveries_by_time ON deliveries (attempted_at_ms);
