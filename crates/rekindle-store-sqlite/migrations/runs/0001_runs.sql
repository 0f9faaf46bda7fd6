-- The journey runner's tables and the points ledger, in `runs.db`, a file with a writer of its
-- own (src/files.rs). They were made in `rekindle.db` by the store's migrations 0006, 0011,
-- 0013, 0021 and 0023, and are moved here at start; this is their shape after those, without
-- the foreign keys to `workspaces` and `journeys`, which SQLite cannot hold across files.
-- Change them here from now on, never in the store's migrations.

CREATE TABLE enrollments (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL,
    journey_id    INTEGER NOT NULL,
    version       INTEGER NOT NULL,
    person_id     BLOB NOT NULL,
    trigger_key   TEXT NOT NULL,
    state         TEXT NOT NULL,
    step          TEXT,
    wake_at       INTEGER,
    variant       TEXT,
    seq           INTEGER NOT NULL DEFAULT 0,
    entered_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    converted_at  INTEGER,
    context       TEXT NOT NULL DEFAULT 'null',
    UNIQUE (journey_id, trigger_key)
);
CREATE INDEX enrollments_person ON enrollments (workspace_id, person_id, journey_id);
CREATE INDEX enrollments_due ON enrollments (workspace_id, wake_at) WHERE state = 'active';
CREATE INDEX enrollments_entered ON enrollments (workspace_id, entered_at);
CREATE INDEX enrollments_journey_entered ON enrollments (journey_id, entered_at);

CREATE TABLE journey_steps (
    workspace_id   INTEGER NOT NULL,
    journey_id     INTEGER NOT NULL,
    enrollment_id  INTEGER NOT NULL,
    step           TEXT NOT NULL,
    variant        TEXT,
    outcome        TEXT NOT NULL,
    detail         TEXT,
    at             INTEGER NOT NULL
);
CREATE INDEX journey_steps_journey ON journey_steps (journey_id);

CREATE TABLE journey_entry_refusals (
    journey_id    INTEGER NOT NULL,
    person_id     BLOB NOT NULL,
    workspace_id  INTEGER NOT NULL,
    -- entries_per_day or entries_total, the last one that applied
    reason        TEXT NOT NULL,
    times         INTEGER NOT NULL,
    at            INTEGER NOT NULL,
    PRIMARY KEY (journey_id, person_id)
) WITHOUT ROWID;

CREATE TABLE outbox (
    id             INTEGER PRIMARY KEY,
    workspace_id   INTEGER NOT NULL,
    send_key       TEXT NOT NULL,
    person_id      BLOB NOT NULL,
    journey_id     INTEGER,
    enrollment_id  INTEGER,
    step           TEXT,
    variant        TEXT,
    channel        TEXT NOT NULL,
    recipient      TEXT NOT NULL,
    sender         TEXT,
    template       TEXT,
    body           TEXT NOT NULL,
    transactional  INTEGER NOT NULL,
    state          TEXT NOT NULL,
    attempts       INTEGER NOT NULL DEFAULT 0,
    not_before     INTEGER NOT NULL,
    day            TEXT NOT NULL,
    lease_until    INTEGER,
    recovered      INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    sent_at        INTEGER,
    delivered_at   INTEGER,
    provider_id    TEXT,
    error_kind     TEXT,
    error_code     TEXT,
    error_message  TEXT,
    priority       INTEGER NOT NULL DEFAULT 5,
    tag            TEXT,
    defer_until    TEXT,
    UNIQUE (workspace_id, send_key)
);
CREATE INDEX outbox_person_day ON outbox (workspace_id, person_id, day);
CREATE INDEX outbox_recipient_day ON outbox (workspace_id, channel, recipient, day);
CREATE INDEX outbox_queued ON outbox (not_before) WHERE state = 'queued';
CREATE INDEX outbox_sending ON outbox (lease_until) WHERE state = 'sending';
CREATE INDEX outbox_journey ON outbox (journey_id);
CREATE INDEX outbox_sent ON outbox (workspace_id, sent_at) WHERE journey_id IS NOT NULL;

-- The points ledger: every change of a balance is an entry, written once per source.
CREATE TABLE points_entries (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL,
    person_id     BLOB NOT NULL,
    kind          TEXT NOT NULL,
    points        INTEGER NOT NULL,
    source        TEXT NOT NULL,
    reason        TEXT NOT NULL,
    at            INTEGER NOT NULL,
    expires_at    INTEGER,
    -- A redemption's confirmation (the order went through).
    confirmed_at  INTEGER,
    UNIQUE (workspace_id, source)
);
CREATE INDEX points_entries_person ON points_entries (workspace_id, person_id, id);
