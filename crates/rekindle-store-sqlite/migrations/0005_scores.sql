-- Each person's latest predictions (docs/models.md), as written by `rekindle score` or serve.
CREATE TABLE person_scores (
    workspace_id  INTEGER NOT NULL,
    person_id     BLOB NOT NULL,
    as_of         INTEGER NOT NULL,
    scores        TEXT NOT NULL,
    PRIMARY KEY (workspace_id, person_id)
) WITHOUT ROWID;
