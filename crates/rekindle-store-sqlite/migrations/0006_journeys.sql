-- Journeys, enrollments, the outbox, message templates, coupons, consent and subscriptions.
CREATE TABLE journeys (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    name          TEXT NOT NULL,
    status        TEXT NOT NULL,
    draft         TEXT NOT NULL,
    version       INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE journey_versions (
    journey_id    INTEGER NOT NULL REFERENCES journeys(id),
    version       INTEGER NOT NULL,
    definition    TEXT NOT NULL,
    published_at  INTEGER NOT NULL,
    published_by  TEXT,
    PRIMARY KEY (journey_id, version)
) WITHOUT ROWID;

CREATE TABLE enrollments (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    journey_id    INTEGER NOT NULL REFERENCES journeys(id),
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

CREATE TABLE journey_cursors (
    workspace_id  INTEGER PRIMARY KEY REFERENCES workspaces(id),
    cursor        INTEGER NOT NULL
);

CREATE TABLE outbox (
    id             INTEGER PRIMARY KEY,
    workspace_id   INTEGER NOT NULL REFERENCES workspaces(id),
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
    UNIQUE (workspace_id, send_key)
);
CREATE INDEX outbox_person_day ON outbox (workspace_id, person_id, day);
CREATE INDEX outbox_recipient_day ON outbox (workspace_id, channel, recipient, day);
CREATE INDEX outbox_queued ON outbox (not_before) WHERE state = 'queued';
CREATE INDEX outbox_sending ON outbox (lease_until) WHERE state = 'sending';
CREATE INDEX outbox_journey ON outbox (journey_id);

CREATE TABLE message_templates (
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    name          TEXT NOT NULL,
    body          TEXT NOT NULL,
    PRIMARY KEY (workspace_id, name)
) WITHOUT ROWID;

CREATE TABLE coupon_definitions (
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    name          TEXT NOT NULL,
    body          TEXT NOT NULL,
    PRIMARY KEY (workspace_id, name)
) WITHOUT ROWID;

CREATE TABLE coupons (
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    code          TEXT NOT NULL,
    coupon        TEXT NOT NULL,
    person_id     BLOB NOT NULL,
    issue_key     TEXT NOT NULL,
    issued_at     INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    redeemed_at   INTEGER,
    order_id      TEXT,
    PRIMARY KEY (workspace_id, code),
    UNIQUE (workspace_id, issue_key)
);
CREATE INDEX coupons_person ON coupons (workspace_id, person_id, coupon);

CREATE TABLE consent (
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    person_id     BLOB NOT NULL,
    channel       TEXT NOT NULL,
    allowed       INTEGER NOT NULL,
    source        TEXT NOT NULL,
    at            INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, person_id, channel)
) WITHOUT ROWID;

CREATE TABLE subscriptions (
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    event_key     TEXT NOT NULL,
    person_id     BLOB NOT NULL,
    template      TEXT NOT NULL,
    at            INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, event_key)
) WITHOUT ROWID;
CREATE INDEX subscriptions_person ON subscriptions (workspace_id, person_id, template);
