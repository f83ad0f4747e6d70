-- The claim token of the subscription transaction that claimed a delivery as it enqueued it (delivery.cpp).
ALTER TABLE crm_webhooks_delivery ADD COLUMN claim_token TEXT;
CREATE INDEX crm_webhooks_delivery_claim_idx ON crm_webhooks_delivery (claim_token);
