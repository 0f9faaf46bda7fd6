-- The SQLite schema in PostgreSQL types. Person ids are UUIDv7 minted by the OneID planner, so
-- they sort by creation time; times are TIMESTAMPTZ; traits and payloads are JSONB.
CREATE TABLE workspaces (
    id          BIGSERIAL PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    time_zone   TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
INSERT INTO workspaces (slug, name, time_zone, created_at)
VALUES ('default', 'Default store', 'Asia/Shanghai', now());

CREATE TABLE write_keys (
    id            BIGSERIAL PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    name          TEXT NOT NULL,
    key_hash      TEXT NOT NULL UNIQUE,
    prefix        TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    revoked_at    TIMESTAMPTZ
);
CREATE INDEX write_keys_workspace ON write_keys(workspace_id);

CREATE TABLE people (
    id            UUID PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    traits        JSONB NOT NULL DEFAULT '{}',
    -- Set when this person was merged into another; always the final survivor.
    merged_into   UUID
);
CREATE INDEX people_merged_into ON people(merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX people_live ON people(workspace_id) WHERE merged_into IS NULL;

CREATE TABLE identities (
    workspace_id  BIGINT NOT NULL,
    kind          TEXT NOT NULL,
    value         TEXT NOT NULL,
    person_id     UUID NOT NULL,
    linked_at     TIMESTAMPTZ NOT NULL,
    message_id    TEXT NOT NULL,
    PRIMARY KEY (workspace_id, kind, value)
);
CREATE INDEX identities_person ON identities(person_id);

CREATE TABLE events (
    id            BIGSERIAL PRIMARY KEY,
    workspace_id  BIGINT NOT NULL,
    person_id     UUID NOT NULL,
    message_id    TEXT NOT NULL,
    kind          TEXT NOT NULL,
    name          TEXT,
    timestamp     TIMESTAMPTZ NOT NULL,
    received_at   TIMESTAMPTZ NOT NULL,
    payload       JSONB NOT NULL
);
-- Doubles as the de-duplication key store: a messageId is stored once per workspace.
CREATE UNIQUE INDEX events_message_id ON events(workspace_id, message_id);
CREATE INDEX events_person_time ON events(person_id, timestamp);
CREATE INDEX events_name_time ON events(workspace_id, name, timestamp);
CREATE INDEX events_time ON events(workspace_id, timestamp);

CREATE TABLE identity_merges (
    id            BIGSERIAL PRIMARY KEY,
    workspace_id  BIGINT NOT NULL,
    into_person   UUID NOT NULL,
    from_person   UUID NOT NULL,
    via_kind      TEXT NOT NULL,
    via_value     TEXT NOT NULL,
    message_id    TEXT NOT NULL,
    source        TEXT NOT NULL,
    at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX identity_merges_into ON identity_merges(workspace_id, into_person);

CREATE TABLE identity_conflicts (
    id                BIGSERIAL PRIMARY KEY,
    workspace_id      BIGINT NOT NULL,
    kind              TEXT NOT NULL,
    person_id         UUID NOT NULL,
    other_person_id   UUID,
    identifier_kind   TEXT NOT NULL,
    identifier_value  TEXT NOT NULL,
    limited_kind      TEXT NOT NULL,
    limit_value       BIGINT NOT NULL,
    message_id        TEXT NOT NULL,
    source            TEXT NOT NULL,
    at                TIMESTAMPTZ NOT NULL
);
CREATE INDEX identity_conflicts_ws ON identity_conflicts(workspace_id, id);
