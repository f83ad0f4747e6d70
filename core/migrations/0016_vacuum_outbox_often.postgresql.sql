-- The fan-out finds undispatched events through the partial index outbox_events (seq) WHERE delivered_at IS
-- NULL; every stamp leaves a dead entry there until a vacuum. With the default thresholds (20 % of a table that
-- keeps its rows for retention_days) that is hours of dead entries, which every pass steps over. Vacuumed after
-- every 10,000 changed rows instead: a vacuum of the pages changed since the last one, not of the table.
ALTER TABLE outbox_events SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000,
                               autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 10000);
