-- Operator accounts. Secrets are stored as hashes only.
CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);

CREATE TABLE memberships (
    user_id       INTEGER NOT NULL REFERENCES users(id),
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    role          TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (user_id, workspace_id)
) WITHOUT ROWID;
CREATE INDEX memberships_workspace ON memberships(workspace_id);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    csrf_token  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    prefix      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER,
    user_id       INTEGER,
    action        TEXT NOT NULL,
    target        TEXT,
    ip            TEXT,
    at            INTEGER NOT NULL
);
CREATE INDEX audit_log_workspace ON audit_log(workspace_id, id);
CREATE INDEX audit_log_user ON audit_log(user_id, id);
