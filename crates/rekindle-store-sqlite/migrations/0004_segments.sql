-- Saved segments with versions and live membership; lifecycle stages; tags.
CREATE TABLE segments (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    name          TEXT NOT NULL,
    description   TEXT NOT NULL,
    rule          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    version       INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE segment_versions (
    segment_id  INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    rule        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    created_by  TEXT,
    PRIMARY KEY (segment_id, version)
) WITHOUT ROWID;

CREATE TABLE segment_members (
    segment_id  INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    person_id   BLOB NOT NULL,
    since       INTEGER NOT NULL,
    PRIMARY KEY (segment_id, person_id)
) WITHOUT ROWID;

-- Kept when a segment is deleted: they are history.
CREATE TABLE segment_changes (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL,
    segment_id    INTEGER NOT NULL,
    person_id     BLOB NOT NULL,
    entered       INTEGER NOT NULL,
    at            INTEGER NOT NULL
);
CREATE INDEX segment_changes_segment ON segment_changes(segment_id, id);

CREATE TABLE segment_sizes (
    segment_id  INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    PRIMARY KEY (segment_id, at)
) WITHOUT ROWID;

CREATE TABLE person_stages (
    workspace_id  INTEGER NOT NULL,
    person_id     BLOB NOT NULL,
    stage         TEXT NOT NULL,
    since         INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, person_id)
) WITHOUT ROWID;

CREATE TABLE stage_changes (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL,
    person_id     BLOB NOT NULL,
    from_stage    TEXT,
    to_stage      TEXT NOT NULL,
    at            INTEGER NOT NULL
);
CREATE INDEX stage_changes_person ON stage_changes(person_id, id);
CREATE INDEX stage_changes_workspace ON stage_changes(workspace_id, id);

CREATE TABLE tags (
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    name          TEXT NOT NULL,
    rule          TEXT,
    description   TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, name)
) WITHOUT ROWID;

CREATE TABLE person_tags (
    workspace_id  INTEGER NOT NULL,
    person_id     BLOB NOT NULL,
    tag           TEXT NOT NULL,
    at            INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, person_id, tag),
    FOREIGN KEY (workspace_id, tag) REFERENCES tags(workspace_id, name) ON DELETE CASCADE
) WITHOUT ROWID;
