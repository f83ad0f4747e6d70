-- Routing: each agent's capacity and departments per tenant; a conversation's department, when it joined the
-- queue and how far each side has read; files visitors and agents attach to messages.

CREATE TABLE agent_settings (
    tenant_id UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    capacity INTEGER NOT NULL,
    departments JSONB NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);

ALTER TABLE conversations ADD COLUMN department TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN queued_at BIGINT;
ALTER TABLE conversations ADD COLUMN first_assigned_at BIGINT;
ALTER TABLE conversations ADD COLUMN first_agent_id UUID;
ALTER TABLE conversations ADD COLUMN visitor_read_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN agent_read_seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX conversations_queue_idx ON conversations (tenant_id, status, queued_at);
CREATE INDEX conversations_agent_idx ON conversations (assigned_agent_id, status);

CREATE TABLE files (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    conversation_id UUID NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    access_token TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX files_conversation_idx ON files (conversation_id);
