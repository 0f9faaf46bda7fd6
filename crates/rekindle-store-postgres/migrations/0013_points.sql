-- The points ledger: every change of a balance is an entry, written once per source.
CREATE TABLE points_entries (
    id            BIGSERIAL PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    person_id     UUID NOT NULL,
    kind          TEXT NOT NULL,
    points        BIGINT NOT NULL,
    source        TEXT NOT NULL,
    reason        TEXT NOT NULL,
    at            TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ,
    -- A redemption's confirmation (the order went through).
    confirmed_at  TIMESTAMPTZ,
    UNIQUE (workspace_id, source)
);
CREATE INDEX points_entries_person ON points_entries (workspace_id, person_id, id);

-- The store's loyalty program, kept whole as JSON.
CREATE TABLE loyalty_programs (
    workspace_id  BIGINT PRIMARY KEY REFERENCES workspaces(id),
    body          JSONB NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

-- Where the points follower is in the event log.
CREATE TABLE points_cursors (
    workspace_id  BIGINT PRIMARY KEY REFERENCES workspaces(id),
    cursor        BIGINT NOT NULL
);
