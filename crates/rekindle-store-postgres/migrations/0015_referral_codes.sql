-- Referral codes: one per person, unique in the workspace (docs/referral.md).
CREATE TABLE referral_codes (
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    code          TEXT NOT NULL,
    person_id     UUID NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, code),
    UNIQUE (workspace_id, person_id)
);
