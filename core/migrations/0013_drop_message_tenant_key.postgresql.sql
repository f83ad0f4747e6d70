-- A message's tenant is its conversation's, and deleting a tenant already deletes its conversations and with
-- them their messages (ON DELETE CASCADE): the direct foreign key from messages to tenants added nothing but a
-- KEY SHARE lock on the tenant's row for every message. Under concurrent inserts those locks on one hot row
-- become multixacts, a cost every message paid on PostgreSQL. SQLite keeps its schema (no row locks there).
ALTER TABLE messages DROP CONSTRAINT IF EXISTS messages_tenant_id_fkey;
