-- Journeys, enrollments, the outbox, message templates, coupons, consent and subscriptions. As
-- SQLite's 0006_journeys.sql, in PostgreSQL types: definitions, bodies and message payloads are
-- JSONB, calendar days are DATE, flags are BOOLEAN.
CREATE TABLE journeys (
    id            BIGSERIAL PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    name          TEXT NOT NULL,
    status        TEXT NOT NULL,
    draft         JSONB NOT NULL,
    version       INTEGER,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE journey_versions (
    journey_id    BIGINT NOT NULL REFERENCES journeys(id),
    version       INTEGER NOT NULL,
    definition    JSONB NOT NULL,
    published_at  TIMESTAMPTZ NOT NULL,
    published_by  TEXT,
    PRIMARY KEY (journey_id, version)
);

CREATE TABLE enrollments (
    id            BIGSERIAL PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    journey_id    BIGINT NOT NULL REFERENCES journeys(id),
    version       INTEGER NOT NULL,
    person_id     UUID NOT NULL,
    trigger_key   TEXT NOT NULL,
    state         TEXT NOT NULL,
    step          TEXT,
    wake_at       TIMESTAMPTZ,
    variant       TEXT,
    seq           INTEGER NOT NULL DEFAULT 0,
    entered_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    converted_at  TIMESTAMPTZ,
    -- What the trigger said (the product ordered, the category running out…), for messages.
    context       JSONB NOT NULL DEFAULT 'null',
    -- The same trigger enrolls once, even when two nodes take it at the same moment.
    UNIQUE (journey_id, trigger_key)
);
CREATE INDEX enrollments_person ON enrollments (workspace_id, person_id, journey_id);
CREATE INDEX enrollments_due ON enrollments (workspace_id, wake_at) WHERE state = 'active';

-- History for the readout; SQLite's rowid made explicit, so rows keep the order they were logged.
CREATE TABLE journey_steps (
    id             BIGSERIAL PRIMARY KEY,
    workspace_id   BIGINT NOT NULL,
    journey_id     BIGINT NOT NULL,
    enrollment_id  BIGINT NOT NULL,
    step           TEXT NOT NULL,
    variant        TEXT,
    outcome        TEXT NOT NULL,
    detail         TEXT,
    at             TIMESTAMPTZ NOT NULL
);
CREATE INDEX journey_steps_journey ON journey_steps (journey_id);

CREATE TABLE journey_cursors (
    workspace_id  BIGINT PRIMARY KEY REFERENCES workspaces(id),
    cursor        BIGINT NOT NULL
);

CREATE TABLE outbox (
    id             BIGSERIAL PRIMARY KEY,
    workspace_id   BIGINT NOT NULL REFERENCES workspaces(id),
    send_key       TEXT NOT NULL,
    person_id      UUID NOT NULL,
    journey_id     BIGINT,
    enrollment_id  BIGINT,
    step           TEXT,
    variant        TEXT,
    channel        TEXT NOT NULL,
    recipient      TEXT NOT NULL,
    sender         TEXT,
    template       TEXT,
    body           JSONB NOT NULL,
    transactional  BOOLEAN NOT NULL,
    state          TEXT NOT NULL,
    attempts       INTEGER NOT NULL DEFAULT 0,
    not_before     TIMESTAMPTZ NOT NULL,
    day            DATE NOT NULL,
    lease_until    TIMESTAMPTZ,
    recovered      BOOLEAN NOT NULL DEFAULT false,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    sent_at        TIMESTAMPTZ,
    delivered_at   TIMESTAMPTZ,
    provider_id    TEXT,
    error_kind     TEXT,
    error_code     TEXT,
    error_message  TEXT,
    -- The send-once key: written before any provider call, so a message goes out at most once.
    UNIQUE (workspace_id, send_key)
);
CREATE INDEX outbox_person_day ON outbox (workspace_id, person_id, day);
CREATE INDEX outbox_recipient_day ON outbox (workspace_id, channel, recipient, day);
-- What dispatchers claim: due messages, and messages whose dispatcher's lease ran out.
CREATE INDEX outbox_queued ON outbox (not_before) WHERE state = 'queued';
CREATE INDEX outbox_sending ON outbox (lease_until) WHERE state = 'sending';
CREATE INDEX outbox_journey ON outbox (journey_id);

CREATE TABLE message_templates (
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    name          TEXT NOT NULL,
    body          JSONB NOT NULL,
    PRIMARY KEY (workspace_id, name)
);

CREATE TABLE coupon_definitions (
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    name          TEXT NOT NULL,
    body          JSONB NOT NULL,
    PRIMARY KEY (workspace_id, name)
);

CREATE TABLE coupons (
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    code          TEXT NOT NULL,
    coupon        TEXT NOT NULL,
    person_id     UUID NOT NULL,
    issue_key     TEXT NOT NULL,
    issued_at     TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    redeemed_at   TIMESTAMPTZ,
    order_id      TEXT,
    PRIMARY KEY (workspace_id, code),
    UNIQUE (workspace_id, issue_key)
);
CREATE INDEX coupons_person ON coupons (workspace_id, person_id, coupon);

CREATE TABLE consent (
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    person_id     UUID NOT NULL,
    channel       TEXT NOT NULL,
    allowed       BOOLEAN NOT NULL,
    source        TEXT NOT NULL,
    at            TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, person_id, channel)
);

CREATE TABLE subscriptions (
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    event_key     TEXT NOT NULL,
    person_id     UUID NOT NULL,
    template      TEXT NOT NULL,
    at            TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, event_key)
);
CREATE INDEX subscriptions_person ON subscriptions (workspace_id, person_id, template);
