-- Contacts (one per person per tenant, matched by email, else phone), leads captured from conversations, and
-- the visitor's rating of a conversation.

CREATE TABLE contacts (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX contacts_email_idx ON contacts (tenant_id, email);
CREATE INDEX contacts_phone_idx ON contacts (tenant_id, phone);

CREATE TABLE leads (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    contact_id UUID NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    conversation_id UUID REFERENCES conversations (id) ON DELETE SET NULL,
    widget_id UUID,
    source TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT NOT NULL,
    consent INTEGER NOT NULL,
    consent_at BIGINT,
    attribution JSONB NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX leads_tenant_idx ON leads (tenant_id, created_at);

ALTER TABLE conversations ADD COLUMN rating INTEGER;
ALTER TABLE conversations ADD COLUMN rating_comment TEXT;
ALTER TABLE conversations ADD COLUMN closed_by TEXT;
