-- Posts to customer groups, each counted against its group's day (docs/groups.md).
CREATE TABLE group_posts (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    send_key      TEXT NOT NULL,
    group_id      TEXT NOT NULL,
    day           TEXT NOT NULL,
    promotional   INTEGER NOT NULL,
    sender        TEXT NOT NULL,
    text          TEXT NOT NULL,
    attachments   TEXT NOT NULL,
    state         TEXT NOT NULL,
    msgid         TEXT,
    error         TEXT,
    created_at    INTEGER NOT NULL,
    sent_at       INTEGER,
    UNIQUE (workspace_id, send_key)
);
CREATE INDEX group_posts_day ON group_posts (workspace_id, group_id, day);
CREATE INDEX group_posts_due ON group_posts (state, id);
