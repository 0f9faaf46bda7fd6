-- Invitations to work for a workspace. Membership is granted only by the invitee: signed in
-- (an existing account) or by redeeming the one-time token (a new account).
CREATE TABLE invitations (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    -- Lower-cased by the caller, as users.email.
    email         TEXT NOT NULL,
    role          TEXT NOT NULL,
    -- The hash of the one-time token; NULL once spent.
    token_hash    TEXT UNIQUE,
    created_at    INTEGER NOT NULL,
    UNIQUE (workspace_id, email)
);
CREATE INDEX invitations_email ON invitations(email);
