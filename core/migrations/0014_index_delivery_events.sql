-- The outbox clean-up deletes dispatched events that no subscription still has to deliver: the check, and the
-- ON DELETE CASCADE of event_deliveries, look deliveries up by event.
CREATE INDEX event_deliveries_event_idx ON event_deliveries (event_id);
