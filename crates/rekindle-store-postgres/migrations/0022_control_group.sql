-- A store's global control group (全局对照组: the share held out of marketing journeys, how
-- often it is redrawn, the day its first period starts), kept whole as JSON. Who is in it is
-- drawn from the person id, not stored.
CREATE TABLE control_groups (
    workspace_id  BIGINT PRIMARY KEY REFERENCES workspaces(id),
    body          JSONB NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
