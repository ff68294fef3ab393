-- The certificate a monitor's checks last saw (its expiry) and the smallest warning
-- threshold already announced for it: each threshold is announced once per certificate,
-- and a renewed certificate starts over.
ALTER TABLE monitors ADD COLUMN cert_not_after_ms BIGINT;
ALTER TABLE monitors ADD COLUMN cert_warned_days INTEGER;
