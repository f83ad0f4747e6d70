-- Deliveries still to make are few beside those made: index only them, so the claim's scan of due rows and its
-- check for an earlier unfinished delivery of the same conversation touch live rows, not the whole history.
CREATE INDEX crm_webhooks_delivery_live_idx ON crm_webhooks_delivery (seq) WHERE state IN ('pending', 'delivering');
CREATE INDEX crm_webhooks_delivery_live_order_idx ON crm_webhooks_delivery (endpoint_id, ordering_key, seq)
    WHERE state IN ('pending', 'delivering');
