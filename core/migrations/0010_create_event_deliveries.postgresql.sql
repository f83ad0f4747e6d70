-- Durable event subscriptions for plugins (docs/events.md "Durable subscriptions").
-- The outbox gains a sequence; the dispatcher moves each committed, undispatched event (delivered_at IS NULL)
-- into one event_deliveries row per matching subscription and stamps delivered_at, in one transaction.
-- It never keeps a "last seq seen" cursor: a row that commits late with an earlier seq is still undispatched
-- and is picked up by the next pass, so nothing is skipped. Delivery order per (subscription, conversation)
-- is event_deliveries.id, assigned under a cluster-wide fan-out lock, i.e. the order events became visible.

ALTER TABLE outbox_events ADD COLUMN seq BIGSERIAL;
CREATE INDEX outbox_events_undispatched_idx ON outbox_events (seq) WHERE delivered_at IS NULL;

CREATE TABLE event_subscriptions (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    events TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE event_deliveries (
    id BIGSERIAL PRIMARY KEY,
    subscription TEXT NOT NULL REFERENCES event_subscriptions (name) ON DELETE CASCADE,
    event_id UUID NOT NULL REFERENCES outbox_events (id) ON DELETE CASCADE,
    ordering_key TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX event_deliveries_due_idx ON event_deliveries (subscription, next_attempt_at);
CREATE INDEX event_deliveries_order_idx ON event_deliveries (subscription, ordering_key, id);
