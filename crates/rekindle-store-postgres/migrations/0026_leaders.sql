-- Which node leads each workspace, in which term (leadership.rs). The lock itself is a session
-- advisory lock; this row numbers the terms, so a write of a replaced leader can be refused.
CREATE TABLE leader_terms (
    workspace_id BIGINT PRIMARY KEY REFERENCES workspaces(id),
    term         BIGINT NOT NULL,
    node         TEXT NOT NULL,
    since        TIMESTAMPTZ NOT NULL
);
