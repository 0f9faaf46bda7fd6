-- Timestamps are milliseconds since the Unix epoch, UTC. Person ids are 16-byte UUIDv7 blobs.
CREATE TABLE workspaces (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    time_zone   TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
INSERT INTO workspaces (slug, name, time_zone, created_at)
VALUES ('default', 'Default store', 'Asia/Shanghai', CAST(unixepoch('subsec') * 1000 AS INTEGER));

CREATE TABLE write_keys (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    name          TEXT NOT NULL,
    key_hash      TEXT NOT NULL UNIQUE,
    prefix        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    revoked_at    INTEGER
);

CREATE TABLE people (
    id            BLOB PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    traits        TEXT NOT NULL DEFAULT '{}',
    -- Set when this person was merged into another; always the final survivor.
    merged_into   BLOB
) WITHOUT ROWID;
CREATE INDEX people_merged_into ON people(merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX people_live ON people(workspace_id) WHERE merged_into IS NULL;

CREATE TABLE identities (
    workspace_id  INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    value         TEXT NOT NULL,
    person_id     BLOB NOT NULL,
    linked_at     INTEGER NOT NULL,
    message_id    TEXT NOT NULL,
    PRIMARY KEY (workspace_id, kind, value)
) WITHOUT ROWID;
CREATE INDEX identities_person ON identities(person_id);

CREATE TABLE events (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL,
    person_id     BLOB NOT NULL,
    message_id    TEXT NOT NULL,
    -- The first 8 bytes of SHA-256(message_id): the de-duplication index holds this instead of
    -- the id's text, so it stays small and an insert dirties fewer pages. A match is confirmed
    -- against message_id, so a collision never drops a message.
    message_key   INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    name          TEXT,
    timestamp     INTEGER NOT NULL,
    received_at   INTEGER NOT NULL,
    payload       TEXT NOT NULL
);
-- The de-duplication key store: the single writer checks it before every insert.
CREATE INDEX events_message_key ON events(workspace_id, message_key);
CREATE INDEX events_person_time ON events(person_id, timestamp);
CREATE INDEX events_name_time ON events(workspace_id, name, timestamp);
CREATE INDEX events_time ON events(workspace_id, timestamp);

CREATE TABLE identity_merges (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL,
    into_person   BLOB NOT NULL,
    from_person   BLOB NOT NULL,
    via_kind      TEXT NOT NULL,
    via_value     TEXT NOT NULL,
    message_id    TEXT NOT NULL,
    source        TEXT NOT NULL,
    at            INTEGER NOT NULL
);
CREATE INDEX identity_merges_into ON identity_merges(workspace_id, into_person);

CREATE TABLE identity_conflicts (
    id                INTEGER PRIMARY KEY,
    workspace_id      INTEGER NOT NULL,
    kind              TEXT NOT NULL,
    person_id         BLOB NOT NULL,
    other_person_id   BLOB,
    identifier_kind   TEXT NOT NULL,
    identifier_value  TEXT NOT NULL,
    limited_kind      TEXT NOT NULL,
    limit_value       INTEGER NOT NULL,
    message_id        TEXT NOT NULL,
    source            TEXT NOT NULL,
    at                INTEGER NOT NULL
);
CREATE INDEX identity_conflicts_ws ON identity_conflicts(workspace_id, id);
