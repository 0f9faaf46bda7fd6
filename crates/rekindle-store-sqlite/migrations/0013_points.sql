-- The points ledger: every change of a balance is an entry, written once per source.
CREATE TABLE points_entries (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    person_id     BLOB NOT NULL,
    kind          TEXT NOT NULL,
    points        INTEGER NOT NULL,
    source        TEXT NOT NULL,
    reason        TEXT NOT NULL,
    at            INTEGER NOT NULL,
    expires_at    INTEGER,
    -- A redemption's confirmation (the order went through).
    confirmed_at  INTEGER,
    UNIQUE (workspace_id, source)
);
CREATE INDEX points_entries_person ON points_entries (workspace_id, person_id, id);

-- The store's loyalty program, kept whole as JSON.
CREATE TABLE loyalty_programs (
    workspace_id  INTEGER PRIMARY KEY REFERENCES workspaces(id),
    body          TEXT NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- Where the points follower is in the event log.
CREATE TABLE points_cursors (
    workspace_id  INTEGER PRIMARY KEY REFERENCES workspaces(id),
    cursor        INTEGER NOT NULL
);
