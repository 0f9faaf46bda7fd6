-- Where the journey runner is in the recorded segment and stage changes (docs/journeys.md): the
-- last of each it has acted on, so a restart picks up every change recorded meanwhile.
CREATE TABLE journey_change_cursors (
    workspace_id  INTEGER PRIMARY KEY REFERENCES workspaces(id),
    membership    INTEGER NOT NULL,
    stages        INTEGER NOT NULL
);
