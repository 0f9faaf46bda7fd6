-- Team targets: the retention rate each team is judged on and the share to reach.
CREATE TABLE team_targets (
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    team          TEXT NOT NULL,
    kpi           TEXT NOT NULL,
    target        REAL NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, team, kpi)
) WITHOUT ROWID;
