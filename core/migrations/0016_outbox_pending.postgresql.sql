-- The outbox's queue of undispatched events (docs/events.md "Fan-out"). Before, the fan-out stamped
-- outbox_events.delivered_at: every event was written twice, and the second write, not HOT (delivered_at was
-- indexed), left a dead tuple and dead index entries that the fan-out's next scans walked until a vacuum,
-- which on a table kept for the retention period scans every index in full. Now the commit that writes an
-- event also writes its (seq, event_id) here and the fan-out deletes it: outbox_events is insert-only, and
-- this table holds only what is waiting, so autovacuum cleans it cheaply and often.
-- Needs a full stop of a cluster (docs/operations.md "Upgrades"): an older node still stamps delivered_at.

CREATE TABLE outbox_pending (
    seq BIGINT PRIMARY KEY,  -- the event's outbox_events.seq: the fan-out takes the lowest first
    event_id UUID NOT NULL
);
ALTER TABLE outbox_pending SET (autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_scale_factor = 0,
                                autovacuum_analyze_threshold = 1000, autovacuum_analyze_scale_factor = 0);
INSERT INTO outbox_pending (seq, event_id) SELECT seq, id FROM outbox_events WHERE delivered_at IS NULL;

DROP INDEX outbox_events_undispatched_idx;
DROP INDEX outbox_events_pending_idx;
ALTER TABLE outbox_events DROP COLUMN delivered_at;
CREATE INDEX outbox_events_created_idx ON outbox_events (created_at);  -- retention
