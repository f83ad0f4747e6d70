-- Agents' presence per tenant (heartbeats: online counts only while last_seen_at is recent) and assignment
-- and response times on conversations.

CREATE TABLE agent_presence (
    tenant_id UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);

ALTER TABLE conversations ADD COLUMN assigned_agent_id UUID;
ALTER TABLE conversations ADD COLUMN assigned_at BIGINT;
ALTER TABLE conversations ADD COLUMN first_response_at BIGINT;
