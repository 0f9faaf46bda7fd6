-- A store's service settings (promises, working hours, the FAQ threshold), kept whole as JSON.
CREATE TABLE service_settings (
    workspace_id  INTEGER PRIMARY KEY REFERENCES workspaces(id),
    body          TEXT NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- The FAQ knowledge base: one row per entry, the entry whole as JSON.
CREATE TABLE faq_entries (
    seq           INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    id            TEXT NOT NULL,
    body          TEXT NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (workspace_id, id)
);

-- Every question the assistant was asked: what it answered with, or that it handed off.
CREATE TABLE faq_log (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    person_id     BLOB,
    at            INTEGER NOT NULL,
    question      TEXT NOT NULL,
    entry_id      TEXT,
    confidence    REAL NOT NULL,
    answered      INTEGER NOT NULL,
    source        TEXT NOT NULL
);
CREATE INDEX faq_log_latest ON faq_log (workspace_id, answered, id);
CREATE INDEX faq_log_person ON faq_log (workspace_id, person_id);
