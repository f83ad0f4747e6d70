-- Subscriptions with payload conditions (ABI 1.6, docs/events.md "Durable subscriptions"): filtered_events holds
-- the patterns as the plugin gave them, conditions included, and events the same patterns without their
-- conditions. A node older than 1.6 reads only events and so delivers more than was asked for, never less,
-- while a cluster is upgraded. NULL when the subscription has no conditions.
ALTER TABLE event_subscriptions ADD COLUMN filtered_events TEXT;
