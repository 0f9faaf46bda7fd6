-- The models a workspace's leader fitted last: every node scores with these parameters.
CREATE TABLE model_fits (
    workspace_id  INTEGER PRIMARY KEY REFERENCES workspaces(id),
    as_of         INTEGER NOT NULL,
    fit           TEXT NOT NULL
);
