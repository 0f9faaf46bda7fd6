-- Priorities and message tags (docs/journeys.md, "Caps and manners"): a higher-priority
-- journey's message takes a capped slot from a queued lower one; per-tag caps count `tag`;
-- a journey that defers capped messages may move one up to `defer_until`.
ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 5;
ALTER TABLE outbox ADD COLUMN tag TEXT;
ALTER TABLE outbox ADD COLUMN defer_until TEXT;
