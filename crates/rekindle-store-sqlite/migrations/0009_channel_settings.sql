-- A workspace's message providers as its owner set them in the console (JSON, secrets
-- included: the API never returns them). The configuration file's are the default.
CREATE TABLE channel_settings (
    workspace_id  INTEGER PRIMARY KEY REFERENCES workspaces(id),
    settings      TEXT NOT NULL,
    updated_at    INTEGER NOT NULL
);
