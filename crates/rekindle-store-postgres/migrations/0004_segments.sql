-- Saved segments with versions and live membership; lifecycle stages; tags. As SQLite's
-- 0004_segments.sql, in PostgreSQL types.
CREATE TABLE segments (
    id            BIGSERIAL PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    name          TEXT NOT NULL,
    description   TEXT NOT NULL,
    rule          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    version       INTEGER NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE segment_versions (
    segment_id  BIGINT NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    rule        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    created_by  TEXT,
    PRIMARY KEY (segment_id, version)
);

CREATE TABLE segment_members (
    segment_id  BIGINT NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    person_id   UUID NOT NULL,
    since       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (segment_id, person_id)
);

-- Kept when a segment is deleted: they are history.
CREATE TABLE segment_changes (
    id            BIGSERIAL PRIMARY KEY,
    workspace_id  BIGINT NOT NULL,
    segment_id    BIGINT NOT NULL,
    person_id     UUID NOT NULL,
    entered       BOOLEAN NOT NULL,
    at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX segment_changes_segment ON segment_changes(segment_id, id);

CREATE TABLE segment_sizes (
    segment_id  BIGINT NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    at          TIMESTAMPTZ NOT NULL,
    size        BIGINT NOT NULL,
    PRIMARY KEY (segment_id, at)
);

CREATE TABLE person_stages (
    workspace_id  BIGINT NOT NULL,
    person_id     UUID NOT NULL,
    stage         TEXT NOT NULL,
    since         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, person_id)
);

CREATE TABLE stage_changes (
    id            BIGSERIAL PRIMARY KEY,
    workspace_id  BIGINT NOT NULL,
    person_id     UUID NOT NULL,
    from_stage    TEXT,
    to_stage      TEXT NOT NULL,
    at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX stage_changes_person ON stage_changes(person_id, id);
CREATE INDEX stage_changes_workspace ON stage_changes(workspace_id, id);

CREATE TABLE tags (
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    name          TEXT NOT NULL,
    rule          TEXT,
    description   TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, name)
);

CREATE TABLE person_tags (
    workspace_id  BIGINT NOT NULL,
    person_id     UUID NOT NULL,
    tag           TEXT NOT NULL,
    at            TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, person_id, tag),
    FOREIGN KEY (workspace_id, tag) REFERENCES tags(workspace_id, name) ON DELETE CASCADE
);
-- PostgreSQL indexes no foreign key by itself; deleting a tag finds its uses by this one.
CREATE INDEX person_tags_tag ON person_tags(workspace_id, tag);
