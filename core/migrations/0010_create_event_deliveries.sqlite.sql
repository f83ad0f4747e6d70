-- Durable event subscriptions for plugins (docs/events.md "Durable subscriptions").
-- SQLite has one writer at a time, so the outbox's rowid is already commit order; the dispatcher reads
-- undispatched events (delivered_at IS NULL) by rowid and moves each into one event_deliveries row per
-- matching subscription, stamping delivered_at in the same transaction.

CREATE INDEX outbox_events_undispatched_idx ON outbox_events (delivered_at) WHERE delivered_at IS NULL;

CREATE TABLE event_subscriptions (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    events TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE event_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription TEXT NOT NULL REFERENCES event_subscriptions (name) ON DELETE CASCADE,
    event_id TEXT NOT NULL REFERENCES outbox_events (id) ON DELETE CASCADE,
    ordering_key TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX event_deliveries_due_idx ON event_deliveries (subscription, next_attempt_at);
CREATE INDEX event_deliveries_order_idx ON event_deliveries (subscription, ordering_key, id);
