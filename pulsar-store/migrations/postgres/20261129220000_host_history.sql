-- Every host that has reported, kept up to date by the sample insert: the host list reads
-- this table instead of scanning the samples.
CREATE TABLE hosts (
    hostname       TEXT COLLATE "C" PRIMARY KEY,
    first_seen_ms  BIGINT NOT NULL,
    last_seen_ms   BIGINT NOT NULL
);
INSERT INTO hosts (hostname, first_seen_ms, last_seen_ms)
    SELECT hostname, min(taken_at_ms), max(taken_at_ms) FROM host_samples GROUP BY hostname;

-- Host averages per minute and hour of the named series (pulsar_core::named_series: swap,
-- processes and threads by state, each mount's use, each interface's rates): per name, the
-- sum and the number of samples that had it.
CREATE TABLE host_named_rollups (
    hostname         TEXT COLLATE "C" NOT NULL,
    bucket_seconds   INTEGER NOT NULL,
    bucket_start_ms  BIGINT NOT NULL,
    name             TEXT COLLATE "C" NOT NULL,
    value_sum        DOUBLE PRECISION NOT NULL,
    value_n          BIGINT NOT NULL,
    PRIMARY KEY (hostname, bucket_seconds, bucket_start_ms, name)
);
