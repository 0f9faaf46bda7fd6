-- Where the journey runner and the points follower are in the log and in the recorded changes:
-- each moves with their writes here, and waiting for `rekindle.db`'s writer to move one held
-- up the runner's next pass behind an append (issue 24). Made in `rekindle.db` by the store's
-- migrations 0006, 0007 and 0013, and moved here at start like the tables of 0001.

CREATE TABLE journey_cursors (
    workspace_id  INTEGER PRIMARY KEY,
    cursor        INTEGER NOT NULL
);

CREATE TABLE journey_change_cursors (
    workspace_id  INTEGER PRIMARY KEY,
    membership    INTEGER NOT NULL,
    stages        INTEGER NOT NULL
);

CREATE TABLE points_cursors (
    workspace_id  INTEGER PRIMARY KEY,
    cursor        INTEGER NOT NULL
);
