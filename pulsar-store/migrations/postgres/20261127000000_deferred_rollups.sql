-- Rollups are folded from results after they are written, not in the insert's transaction:
-- ingest writes one row per result, and a fold merges many results into each rollup row.
-- `seq` orders results by arrival; results with a seq above the cursor are pending and
-- are merged into reads from the raw rows. Rows written before this migration were
-- already rolled up (seq stays NULL).
CREATE SEQUENCE check_results_seq;
ALTER TABLE check_results ADD COLUMN seq BIGINT;
ALTER TABLE check_results ALTER COLUMN seq SET DEFAULT nextval('check_results_seq');
CREATE INDEX check_results_by_seq ON check_results (seq);

-- One row: every result with seq <= folded_seq is in the rollups.
CREATE TABLE rollup_cursor (
    singleton   BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    folded_seq  BIGINT NOT NULL
);
INSERT INTO rollup_cursor (singleton, folded_seq) VALUES (TRUE, 0);
