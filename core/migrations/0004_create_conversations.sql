-- Conversations, their messages (ordered by a per-conversation seq) and the transactional outbox.
-- A message and its outbox event commit in one transaction, before the client hears 2xx.

CREATE TABLE conversations (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    widget_id UUID NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    visitor_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    visitor_token_hash TEXT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    visitor_info JSONB NOT NULL,
    context JSONB NOT NULL,
    attributes JSONB NOT NULL,
    last_seq BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    closed_at BIGINT
);
CREATE INDEX conversations_tenant_idx ON conversations (tenant_id, created_at);
CREATE INDEX conversations_visitor_idx ON conversations (widget_id, visitor_id);

CREATE TABLE messages (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    conversation_id UUID NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    sender_type TEXT NOT NULL,
    type TEXT NOT NULL,
    text TEXT NOT NULL,
    payload JSONB NOT NULL,
    client_message_id TEXT,
    origin TEXT NOT NULL,
    flagged INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    UNIQUE (conversation_id, seq)
);
CREATE UNIQUE INDEX messages_client_id_idx ON messages (conversation_id, client_message_id);

CREATE TABLE outbox_events (
    id UUID PRIMARY KEY,
    tenant_id UUID,
    name TEXT NOT NULL,
    payload JSONB NOT NULL,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX outbox_events_pending_idx ON outbox_events (delivered_at, created_at);
