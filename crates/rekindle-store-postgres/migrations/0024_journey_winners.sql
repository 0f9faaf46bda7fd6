-- Automatic winners of journeys' experiments: one per split, the first decision stands.
CREATE TABLE journey_winners (
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    journey_id    BIGINT NOT NULL REFERENCES journeys(id),
    step          TEXT NOT NULL,
    winner        TEXT NOT NULL,
    version       INTEGER NOT NULL,
    decided_at    TIMESTAMPTZ NOT NULL,
    evidence      JSONB NOT NULL,
    PRIMARY KEY (journey_id, step)
);
