-- WhatsApp: the numbers each tenant connects (secrets sealed), contacts' service windows, every send (messages,
-- templates, broadcast recipients) with its Graph id and status, statuses as Meta reported them, broadcasts,
-- flows and flow sessions.
CREATE TABLE whatsapp_numbers (
    phone_number_id TEXT PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    widget_id UUID NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    business_account_id TEXT NOT NULL,
    display_number TEXT NOT NULL,
    graph_version TEXT NOT NULL,
    verify_token_sealed TEXT NOT NULL,
    app_secret_sealed TEXT NOT NULL,
    access_token_sealed TEXT NOT NULL,
    window_template TEXT NOT NULL,
    token_state TEXT NOT NULL,
    token_error TEXT NOT NULL,
    last_webhook_at BIGINT,
    last_send_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX whatsapp_numbers_tenant ON whatsapp_numbers (tenant_id);

CREATE TABLE whatsapp_contacts (
    conversation_id UUID PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
    tenant_id UUID NOT NULL,
    phone_number_id TEXT NOT NULL,
    wa_id TEXT NOT NULL,
    last_inbound_at BIGINT NOT NULL,
    last_inbound_wamid TEXT NOT NULL
);

CREATE TABLE whatsapp_broadcasts (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    phone_number_id TEXT NOT NULL,
    name TEXT NOT NULL,
    template TEXT NOT NULL,
    status TEXT NOT NULL,
    stop_reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE whatsapp_sends (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    phone_number_id TEXT NOT NULL,
    conversation_id UUID,
    message_id UUID,
    broadcast_id UUID,
    recipient TEXT NOT NULL,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    position BIGINT NOT NULL,
    lease_until BIGINT,
    graph_message_id TEXT,
    error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX whatsapp_sends_due ON whatsapp_sends (status, next_attempt_at);
CREATE UNIQUE INDEX whatsapp_sends_graph_id ON whatsapp_sends (graph_message_id);
CREATE UNIQUE INDEX whatsapp_sends_broadcast_recipient ON whatsapp_sends (broadcast_id, recipient);

CREATE TABLE whatsapp_statuses (
    wamid TEXT NOT NULL,
    status TEXT NOT NULL,
    at BIGINT NOT NULL,
    recipient TEXT NOT NULL,
    errors TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (wamid, status)
);

CREATE TABLE whatsapp_flows (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    widget_id UUID NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    definition TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE whatsapp_flow_sessions (
    conversation_id UUID PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
    flow_id UUID NOT NULL,
    node TEXT NOT NULL,
    variables TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
