-- The bookkeeper asks, every round, which endpoints have a row due: per endpoint, a pending row whose time has come
-- (this index) or a claimed row whose lease ran out (crm_webhooks_delivery_claimed_idx): a probe each, however long
-- the backlog or the retries waiting.
CREATE INDEX crm_webhooks_delivery_pending_idx ON crm_webhooks_delivery (endpoint_id, next_attempt_at)
    WHERE state = 'pending';
