-- Referral codes: one per person, unique in the workspace (docs/referral.md).
CREATE TABLE referral_codes (
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    code          TEXT NOT NULL,
    person_id     BLOB NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, code),
    UNIQUE (workspace_id, person_id)
) WITHOUT ROWID;
