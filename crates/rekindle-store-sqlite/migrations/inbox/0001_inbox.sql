-- The ingestion inbox (inbox.db, beside rekindle.db): messages acknowledged and not yet
-- applied to the store. A separate file has its own write lock, so acknowledging never waits
-- for an apply. AUTOINCREMENT: sequence numbers never repeat, even after every row is released.
CREATE TABLE inbox (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  INTEGER NOT NULL,
    source        TEXT NOT NULL,
    kind          TEXT NOT NULL,
    -- The event time as decided on arrival (clock skew already corrected), ms since the epoch.
    timestamp     INTEGER NOT NULL,
    received_at   INTEGER NOT NULL,
    payload       TEXT NOT NULL
);
