-- The models a workspace's leader fitted last: every node scores with these parameters
-- (a follower no longer fits its own, which could differ by up to the refit interval).
CREATE TABLE model_fits (
    workspace_id  BIGINT PRIMARY KEY,
    as_of         TIMESTAMPTZ NOT NULL,
    fit           JSONB NOT NULL
);
