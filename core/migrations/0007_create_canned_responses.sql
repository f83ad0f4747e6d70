-- Canned responses: a tenant's ready answers, picked by shortcut in the inbox.
CREATE TABLE canned_responses (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    shortcut TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (tenant_id, shortcut)
);
