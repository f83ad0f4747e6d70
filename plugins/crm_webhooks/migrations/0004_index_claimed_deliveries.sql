-- Rows in flight are at most a few per endpoint, however long the backlog: counting them for the cap (every claim
-- round) reads this small index, not every live row of the endpoint.
CREATE INDEX crm_webhooks_delivery_claimed_idx ON crm_webhooks_delivery (endpoint_id, locked_until)
    WHERE state = 'delivering';
