-- The outbox's queue of undispatched events (docs/events.md "Fan-out"): the commit that writes an event also
-- writes its (seq, event_id) here, and the fan-out deletes what it took, instead of stamping
-- outbox_events.delivered_at. The same design as PostgreSQL's, where it matters most (dead tuples); here the
-- outbox table is written once per event instead of twice. seq is the event's rowid: commit order, SQLite
-- having one writer.

CREATE TABLE outbox_pending (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL
);
INSERT INTO outbox_pending (seq, event_id) SELECT rowid, id FROM outbox_events WHERE delivered_at IS NULL;

DROP INDEX outbox_events_undispatched_idx;
DROP INDEX outbox_events_pending_idx;
ALTER TABLE outbox_events DROP COLUMN delivered_at;
CREATE INDEX outbox_events_created_idx ON outbox_events (created_at);
