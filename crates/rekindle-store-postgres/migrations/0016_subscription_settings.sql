-- A store's subscription settings (定期购: when to ask, the cut-off, what an unanswered
-- shipment does), kept whole as JSON. Subscriptions themselves are events.
CREATE TABLE subscription_settings (
    workspace_id  BIGINT PRIMARY KEY REFERENCES workspaces(id),
    body          JSONB NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
