-- Processes that run checks, as last seen (each says so every few seconds): the status
-- page lists them. One unseen for an hour is forgotten.
CREATE TABLE workers (
    name           TEXT COLLATE "C" PRIMARY KEY,
    host           TEXT NOT NULL,
    region         TEXT NOT NULL,
    last_seen_ms   BIGINT NOT NULL
);
