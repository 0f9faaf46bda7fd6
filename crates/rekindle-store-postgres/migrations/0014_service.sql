-- A store's service settings (promises, working hours, the FAQ threshold), kept whole as JSON.
CREATE TABLE service_settings (
    workspace_id  BIGINT PRIMARY KEY REFERENCES workspaces(id),
    body          JSONB NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

-- The FAQ knowledge base: one row per entry, the entry whole as JSON.
CREATE TABLE faq_entries (
    seq           BIGSERIAL PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    id            TEXT NOT NULL,
    body          JSONB NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (workspace_id, id)
);

-- Every question the assistant was asked: what it answered with, or that it handed off.
CREATE TABLE faq_log (
    id            BIGSERIAL PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    person_id     UUID,
    at            TIMESTAMPTZ NOT NULL,
    question      TEXT NOT NULL,
    entry_id      TEXT,
    confidence    DOUBLE PRECISION NOT NULL,
    answered      BOOLEAN NOT NULL,
    source        TEXT NOT NULL
);
CREATE INDEX faq_log_latest ON faq_log (workspace_id, answered, id);
CREATE INDEX faq_log_person ON faq_log (workspace_id, person_id);
