-- Launch safety (docs/journeys.md): entry limits count a journey's enrollments by day; people
-- a limit turned away, for the readout; coupons charged to the journey that issued them, for
-- its budget; the store's test-send seeds and approval setting; approval requests.
CREATE INDEX enrollments_journey_entered ON enrollments (journey_id, entered_at);

CREATE TABLE journey_entry_refusals (
    journey_id    INTEGER NOT NULL REFERENCES journeys(id),
    person_id     BLOB NOT NULL,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    -- entries_per_day or entries_total, the last one that applied
    reason        TEXT NOT NULL,
    times         INTEGER NOT NULL,
    at            INTEGER NOT NULL,
    PRIMARY KEY (journey_id, person_id)
) WITHOUT ROWID;

ALTER TABLE coupons ADD COLUMN journey_id INTEGER;
-- A journey's coupon key starts with its enrollment (`enrollment:seq:step`).
UPDATE coupons SET journey_id = (
    SELECT e.journey_id FROM enrollments e
    WHERE e.id = CAST(substr(coupons.issue_key, 1, instr(coupons.issue_key, ':') - 1) AS INTEGER)
) WHERE issue_key GLOB '[0-9]*:*:*';
CREATE INDEX coupons_journey ON coupons (journey_id) WHERE journey_id IS NOT NULL;

CREATE TABLE launch_settings (
    workspace_id  INTEGER PRIMARY KEY REFERENCES workspaces(id),
    body          TEXT NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE journey_approvals (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    journey_id    INTEGER NOT NULL REFERENCES journeys(id),
    -- The draft as it was when publishing was asked for: what the owner approves.
    draft         TEXT NOT NULL,
    state         TEXT NOT NULL,
    requested_by  TEXT NOT NULL,
    requested_at  INTEGER NOT NULL,
    decided_by    TEXT,
    decided_at    INTEGER,
    reason        TEXT
);
CREATE UNIQUE INDEX journey_approvals_pending ON journey_approvals (journey_id) WHERE state = 'pending';
CREATE INDEX journey_approvals_journey ON journey_approvals (workspace_id, journey_id, id);
