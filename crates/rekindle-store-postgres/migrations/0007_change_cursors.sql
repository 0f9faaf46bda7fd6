-- Where the journey runner is in the recorded segment and stage changes (docs/journeys.md): the
-- last of each it has acted on, so a restart picks up every change recorded meanwhile.
CREATE TABLE journey_change_cursors (
    workspace_id  BIGINT PRIMARY KEY REFERENCES workspaces(id),
    membership    BIGINT NOT NULL,
    stages        BIGINT NOT NULL
);
CREATE INDEX segment_changes_workspace ON segment_changes(workspace_id, id);
