-- Team targets: the retention rate each team is judged on and the share to reach.
CREATE TABLE team_targets (
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    team          TEXT NOT NULL,
    kpi           TEXT NOT NULL,
    target        DOUBLE PRECISION NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, team, kpi)
);
