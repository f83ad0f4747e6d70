-- Fewer index writes per delivery. Every state change of a delivery row (pending, delivering, delivered) writes a
-- new entry into every index that is not partial, and into each partial one whose predicate the new row meets.
-- Two of them did not earn that:
--   * (endpoint_id, ordering_key, seq) over every row: the order checks read the live rows' index
--     (crm_webhooks_delivery_live_order_idx); the panel's list of an endpoint's deliveries, newest first, is
--     served better by (endpoint_id, seq).
--   * claim_token over every row, NULLs included: only claimed rows carry one.
-- (state, next_attempt_at) stays: SQLite's claim of the oldest due heads reads it for its two OR branches, and
-- without it scans the table.
DROP INDEX crm_webhooks_delivery_order_idx;
DROP INDEX crm_webhooks_delivery_claim_idx;
CREATE INDEX crm_webhooks_delivery_endpoint_idx ON crm_webhooks_delivery (endpoint_id, seq);
CREATE INDEX crm_webhooks_delivery_claim_idx ON crm_webhooks_delivery (claim_token) WHERE claim_token IS NOT NULL;
