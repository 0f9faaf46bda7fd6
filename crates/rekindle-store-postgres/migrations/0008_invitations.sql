-- Invitations to work for a workspace, as SQLite's 0008_invitations.sql. Membership is granted
-- only by the invitee: signed in (an existing account) or by redeeming the one-time token.
CREATE TABLE invitations (
    id            BIGSERIAL PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    -- Lower-cased by the caller, as users.email.
    email         TEXT NOT NULL,
    role          TEXT NOT NULL,
    -- The hash of the one-time token; NULL once spent.
    token_hash    TEXT UNIQUE,
    created_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (workspace_id, email)
);
CREATE INDEX invitations_email ON invitations(email);
