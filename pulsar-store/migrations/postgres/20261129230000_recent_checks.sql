-- The overview's strip: each monitor's last 90 scheduled checks (slot, outcome, total) packed
-- in one value, kept by the fold as it folds results; reads merge the pending results in.
-- Deleted with its monitor by the store (no foreign key, like rollups). Monitors checked
-- before this migration start their strip with their next results.
CREATE TABLE recent_checks (
    monitor_id  UUID PRIMARY KEY,
    checks      BYTEA NOT NULL
);
