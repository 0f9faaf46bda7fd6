-- A store's channel QR codes (渠道活码, docs/relationships.md), kept whole as JSON: a few
-- dozen per store, edited by operators. Who came through each is on the events.
CREATE TABLE channel_codes (
    workspace_id  BIGINT PRIMARY KEY REFERENCES workspaces(id),
    body          JSONB NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
