-- Checks run on demand (CheckNow): stored and listed like the others, but never folded into
-- rollups or merged into summaries, which count scheduled slots only.
ALTER TABLE check_results ADD COLUMN manual INTEGER NOT NULL DEFAULT 0;
