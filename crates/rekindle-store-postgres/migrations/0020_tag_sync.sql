-- What a store syncs with WeCom's corporate tags (docs/relationships.md), kept whole as JSON.
CREATE TABLE wecom_tag_sync (
    workspace_id  BIGINT PRIMARY KEY REFERENCES workspaces(id),
    body          JSONB NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
