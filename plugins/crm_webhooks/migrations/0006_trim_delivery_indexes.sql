-- Fewer index writes per delivery. Every state change of a delivery row (pending, delivering, delivered) writes a
-- new entry into every index that is not partial, and into each partial one whose predicate the new row meets.
-- Three of them did not earn that:
--   * (state, next_attempt_at) over every row: the due-row checks read crm_webhooks_delivery_pending_idx and
--     crm_webhooks_delivery_claimed_idx; the week's clean-up of delivered rows gets its own partial index below,
--     written once per delivery (when it is delivered) instead of at every change.
--   * (endpoint_id, ordering_key, seq) over every row: the order checks read the live rows' index
--     (crm_webhooks_delivery_live_order_idx); the panel's list of an endpoint's deliveries, newest first, is
--     served better by (endpoint_id, seq).
--   * claim_token over every row, NULLs included: only claimed rows carry one.
DROP INDEX crm_webhooks_delivery_due_idx;
DROP INDEX crm_webhooks_delivery_order_idx;
DROP INDEX crm_webhooks_delivery_claim_idx;
CREATE INDEX crm_webhooks_delivery_endpoint_idx ON crm_webhooks_delivery (endpoint_id, seq);
CREATE INDEX crm_webhooks_delivery_claim_idx ON crm_webhooks_delivery (claim_token) WHERE claim_token IS NOT NULL;
CREATE INDEX crm_webhooks_delivery_delivered_idx ON crm_webhooks_delivery (delivered_at) WHERE state = 'delivered';
