-- Products and live sessions: objects the store describes.
CREATE TABLE products (
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    sku           TEXT NOT NULL,
    name          TEXT NOT NULL,
    category      TEXT NOT NULL,
    price         BIGINT NOT NULL,
    pack_size     INTEGER NOT NULL,
    tags          TEXT[] NOT NULL,
    months        INTEGER[] NOT NULL,
    PRIMARY KEY (workspace_id, sku)
);

CREATE TABLE live_sessions (
    workspace_id     BIGINT NOT NULL REFERENCES workspaces(id),
    id               TEXT NOT NULL,
    title            TEXT NOT NULL,
    topics           TEXT[] NOT NULL,
    host             TEXT NOT NULL,
    scheduled_start  TIMESTAMPTZ NOT NULL,
    started_at       TIMESTAMPTZ,
    ended_at         TIMESTAMPTZ,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX live_sessions_start ON live_sessions(workspace_id, scheduled_start);
