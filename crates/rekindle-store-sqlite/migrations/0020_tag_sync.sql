-- What a store syncs with WeCom's corporate tags (docs/relationships.md), kept whole as JSON.
CREATE TABLE wecom_tag_sync (
    workspace_id  INTEGER PRIMARY KEY REFERENCES workspaces(id),
    body          TEXT NOT NULL,
    updated_at    INTEGER NOT NULL
);
