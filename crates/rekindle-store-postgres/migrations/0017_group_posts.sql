-- Posts to customer groups, each counted against its group's day (docs/groups.md).
CREATE TABLE group_posts (
    id            BIGSERIAL PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    send_key      TEXT NOT NULL,
    group_id      TEXT NOT NULL,
    day           DATE NOT NULL,
    promotional   BOOLEAN NOT NULL,
    sender        TEXT NOT NULL,
    text          TEXT NOT NULL,
    attachments   JSONB NOT NULL,
    state         TEXT NOT NULL,
    msgid         TEXT,
    error         TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    sent_at       TIMESTAMPTZ,
    UNIQUE (workspace_id, send_key)
);
CREATE INDEX group_posts_day ON group_posts (workspace_id, group_id, day);
CREATE INDEX group_posts_due ON group_posts (state, id);
