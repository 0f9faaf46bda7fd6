-- Launch safety (docs/journeys.md): entry limits count a journey's enrollments by day; people
-- a limit turned away, for the readout; coupons charged to the journey that issued them, for
-- its budget; the store's test-send seeds and approval setting; approval requests.
CREATE INDEX enrollments_journey_entered ON enrollments (journey_id, entered_at);

CREATE TABLE journey_entry_refusals (
    journey_id    BIGINT NOT NULL REFERENCES journeys(id),
    person_id     UUID NOT NULL,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    -- entries_per_day or entries_total, the last one that applied
    reason        TEXT NOT NULL,
    times         INTEGER NOT NULL,
    at            TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (journey_id, person_id)
);

ALTER TABLE coupons ADD COLUMN journey_id BIGINT;
-- A journey's coupon key starts with its enrollment (`enrollment:seq:step`).
UPDATE coupons SET journey_id = e.journey_id
FROM enrollments e
WHERE coupons.issue_key ~ '^[0-9]+:[^:]*:' AND e.id = split_part(coupons.issue_key, ':', 1)::BIGINT;
CREATE INDEX coupons_journey ON coupons (journey_id) WHERE journey_id IS NOT NULL;

CREATE TABLE launch_settings (
    workspace_id  BIGINT PRIMARY KEY REFERENCES workspaces(id),
    body          JSONB NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE journey_approvals (
    id            BIGSERIAL PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    journey_id    BIGINT NOT NULL REFERENCES journeys(id),
    -- The draft as it was when publishing was asked for: what the owner approves.
    draft         JSONB NOT NULL,
    state         TEXT NOT NULL,
    requested_by  TEXT NOT NULL,
    requested_at  TIMESTAMPTZ NOT NULL,
    decided_by    TEXT,
    decided_at    TIMESTAMPTZ,
    reason        TEXT
);
CREATE UNIQUE INDEX journey_approvals_pending ON journey_approvals (journey_id) WHERE state = 'pending';
CREATE INDEX journey_approvals_journey ON journey_approvals (workspace_id, journey_id, id);
