-- Each person's latest predictions (docs/models.md), as written by `rekindle score` or serve.
CREATE TABLE person_scores (
    workspace_id  BIGINT NOT NULL,
    person_id     UUID NOT NULL,
    as_of         TIMESTAMPTZ NOT NULL,
    scores        JSONB NOT NULL,
    PRIMARY KEY (workspace_id, person_id)
);
