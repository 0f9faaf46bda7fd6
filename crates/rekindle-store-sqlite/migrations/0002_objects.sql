-- Products and live sessions: objects the store describes. Lists are JSON arrays.
CREATE TABLE products (
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    sku           TEXT NOT NULL,
    name          TEXT NOT NULL,
    category      TEXT NOT NULL,
    price         INTEGER NOT NULL,
    pack_size     INTEGER NOT NULL,
    tags          TEXT NOT NULL,
    months        TEXT NOT NULL,
    PRIMARY KEY (workspace_id, sku)
) WITHOUT ROWID;

CREATE TABLE live_sessions (
    workspace_id     INTEGER NOT NULL REFERENCES workspaces(id),
    id               TEXT NOT NULL,
    title            TEXT NOT NULL,
    topics           TEXT NOT NULL,
    host             TEXT NOT NULL,
    scheduled_start  INTEGER NOT NULL,
    started_at       INTEGER,
    ended_at         INTEGER,
    PRIMARY KEY (workspace_id, id)
) WITHOUT ROWID;
CREATE INDEX live_sessions_start ON live_sessions(workspace_id, scheduled_start);
