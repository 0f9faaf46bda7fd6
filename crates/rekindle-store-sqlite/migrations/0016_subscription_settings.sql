-- A store's subscription settings (定期购: when to ask, the cut-off, what an unanswered
-- shipment does), kept whole as JSON. Subscriptions themselves are events.
CREATE TABLE subscription_settings (
    workspace_id  INTEGER PRIMARY KEY REFERENCES workspaces(id),
    body          TEXT NOT NULL,
    updated_at    INTEGER NOT NULL
);
