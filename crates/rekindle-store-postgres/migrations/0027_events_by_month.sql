-- The event log becomes a table partitioned by month of arrival (`received_at`, UTC), so a
-- month's events can be detached or dropped whole and each month's indexes stay small
-- (docs/deploy.md, "Old events").
--
-- A unique index on a partitioned table must hold the partition key, so the message ids
-- that de-duplicate the log move to a table of their own: one row per stored message.
CREATE TABLE event_ids (
    workspace_id  BIGINT NOT NULL,
    message_id    TEXT NOT NULL,
    PRIMARY KEY (workspace_id, message_id)
);
INSERT INTO event_ids (workspace_id, message_id) SELECT workspace_id, message_id FROM events;

ALTER TABLE events RENAME TO events_unpartitioned;
CREATE TABLE events (
    id            BIGINT NOT NULL,
    workspace_id  BIGINT NOT NULL,
    person_id     UUID NOT NULL,
    message_id    TEXT NOT NULL,
    kind          TEXT NOT NULL,
    name          TEXT,
    timestamp     TIMESTAMPTZ NOT NULL,
    received_at   TIMESTAMPTZ NOT NULL,
    payload       JSONB NOT NULL
) PARTITION BY RANGE (received_at);
-- The ids go on from the same sequence: followers read the log by id.
ALTER SEQUENCE events_id_seq OWNED BY events.id;
ALTER TABLE events ALTER COLUMN id SET DEFAULT nextval('events_id_seq');
-- Rows of a month with no partition (one that could not be made, see below) land here.
CREATE TABLE events_default PARTITION OF events DEFAULT;

-- The partition for the month holding `at`, made if missing; its name, or NULL when the
-- default partition already holds rows of that month (then they stay there, still read).
-- Called by every node before it appends to a month it has not seen (event_log.rs).
CREATE FUNCTION rekindle_event_partition(at TIMESTAMPTZ) RETURNS TEXT
LANGUAGE plpgsql AS $$
DECLARE
    month TIMESTAMPTZ := date_trunc('month', at, 'UTC');
    part TEXT := 'events_' || to_char(month AT TIME ZONE 'UTC', 'YYYY_MM');
BEGIN
    IF to_regclass(quote_ident(part)) IS NOT NULL THEN
        RETURN part;
    END IF;
    -- Two nodes making the same month: one waits, then finds it made.
    PERFORM pg_advisory_xact_lock(hashtext('rekindle event partitions ' || current_schema()));
    BEGIN
        EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
                       part, month, month + INTERVAL '1 month');
    EXCEPTION WHEN check_violation THEN
        RAISE NOTICE 'events of % are in events_default; no partition made', part;
        RETURN NULL;
    END;
    RETURN part;
END $$;

SELECT rekindle_event_partition(m)
FROM (SELECT DISTINCT date_trunc('month', received_at, 'UTC') AS m FROM events_unpartitioned
      UNION SELECT now() UNION SELECT now() + INTERVAL '1 month') AS months
ORDER BY m;

INSERT INTO events (id, workspace_id, person_id, message_id, kind, name, timestamp, received_at, payload)
SELECT id, workspace_id, person_id, message_id, kind, name, timestamp, received_at, payload
FROM events_unpartitioned;
DROP TABLE events_unpartitioned;

-- The same keys as before, on every partition; the id is unique through its sequence.
ALTER TABLE events ADD PRIMARY KEY (id, received_at);
CREATE INDEX events_person_time ON events (person_id, timestamp);
CREATE INDEX events_name_time ON events (workspace_id, name, timestamp);
CREATE INDEX events_time ON events (workspace_id, timestamp);
CREATE INDEX events_log ON events (workspace_id, id);
