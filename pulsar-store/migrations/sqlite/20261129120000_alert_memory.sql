-- What each monitor remembers of its verdicts for the alert rule (pulsar_core::alert_step):
-- the newest slot applied, and the runs of DOWN, DEGRADED, UP and working verdicts ending
-- there. Updated with the results, in the same transaction.
ALTER TABLE monitors ADD COLUMN alert_last_slot_ms INTEGER;
ALTER TABLE monitors ADD COLUMN alert_down INTEGER NOT NULL DEFAULT 0;
ALTER TABLE monitors ADD COLUMN alert_degraded INTEGER NOT NULL DEFAULT 0;
ALTER TABLE monitors ADD COLUMN alert_up INTEGER NOT NULL DEFAULT 0;
ALTER TABLE monitors ADD COLUMN alert_working INTEGER NOT NULL DEFAULT 0;
