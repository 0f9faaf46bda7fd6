-- A workspace's message providers as its owner set them in the console, as SQLite's
-- 0009_channel_settings.sql.
CREATE TABLE channel_settings (
    workspace_id  BIGINT PRIMARY KEY REFERENCES workspaces(id),
    settings      JSONB NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
