-- Attribution reads every journey's entries, sent messages and coupons over a time range.
CREATE INDEX enrollments_entered ON enrollments (workspace_id, entered_at);
CREATE INDEX outbox_sent ON outbox (workspace_id, sent_at) WHERE journey_id IS NOT NULL;
CREATE INDEX coupons_issued ON coupons (workspace_id, issued_at);
