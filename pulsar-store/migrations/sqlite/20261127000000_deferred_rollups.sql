-- Rollups are folded from results after they are written, not in the insert's transaction:
-- ingest writes one row per result, and a fold merges many results into each rollup row.
-- `seq` orders results by arrival (assigned from next_seq under the write lock); results
-- with a seq above folded_seq are pending and are merged into reads from the raw rows.
-- Rows written before this migration were already rolled up (seq stays NULL).
ALTER TABLE check_results ADD COLUMN seq INTEGER;
CREATE INDEX check_results_by_seq ON check_results (seq);

-- One row: every result with seq <= folded_seq is in the rollups; next_seq is the seq of
-- the next result written.
CREATE TABLE rollup_cursor (
    singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
    folded_seq  INTEGER NOT NULL,
    next_seq    INTEGER NOT NULL
);
INSERT INTO rollup_cursor (singleton, folded_seq, next_seq) VALUES (1, 0, 1);
