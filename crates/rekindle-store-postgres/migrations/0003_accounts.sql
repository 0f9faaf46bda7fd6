-- Operator accounts, as SQLite's 0003_accounts.sql. Secrets are stored as hashes only.
CREATE TABLE users (
    id             BIGSERIAL PRIMARY KEY,
    -- Lower-cased by the caller, so plain equality is the lookup.
    email          TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE memberships (
    user_id       BIGINT NOT NULL REFERENCES users(id),
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    role          TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, workspace_id)
);
CREATE INDEX memberships_workspace ON memberships(workspace_id);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users(id),
    csrf_token  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
-- New sessions sweep out expired ones.
CREATE INDEX sessions_expires ON sessions(expires_at);

CREATE TABLE api_tokens (
    id          BIGSERIAL PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users(id),
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    prefix      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

-- No foreign keys: the log outlives what it names.
CREATE TABLE audit_log (
    id            BIGSERIAL PRIMARY KEY,
    -- NULL for deployment-wide actions (login, logout).
    workspace_id  BIGINT,
    user_id       BIGINT,
    action        TEXT NOT NULL,
    target        TEXT,
    ip            TEXT,
    at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_log_workspace ON audit_log(workspace_id, id);
CREATE INDEX audit_log_user ON audit_log(user_id, id);
