-- A store's channel QR codes (渠道活码, docs/relationships.md), kept whole as JSON: a few
-- dozen per store, edited by operators. Who came through each is on the events.
CREATE TABLE channel_codes (
    workspace_id  INTEGER PRIMARY KEY REFERENCES workspaces(id),
    body          TEXT NOT NULL,
    updated_at    INTEGER NOT NULL
);
