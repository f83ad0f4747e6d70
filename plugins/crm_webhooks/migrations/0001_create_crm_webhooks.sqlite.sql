-- Endpoints, the durable delivery queue, the webhook_errors log and automation (n8n) settings.
CREATE TABLE crm_webhooks_endpoint (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    widget_id TEXT,
    url TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    events TEXT NOT NULL,
    format TEXT NOT NULL,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_expires_at BIGINT,
    enabled INTEGER NOT NULL,
    disabled_reason TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    failing_since BIGINT,
    failing_notified INTEGER NOT NULL DEFAULT 0,
    last_success_at BIGINT,
    last_failure_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX crm_webhooks_endpoint_tenant_idx ON crm_webhooks_endpoint (tenant_id);

CREATE TABLE crm_webhooks_delivery (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL REFERENCES crm_webhooks_endpoint (id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    event_name TEXT NOT NULL,
    ordering_key TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    locked_until BIGINT NOT NULL DEFAULT 0,
    last_status INTEGER,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX crm_webhooks_delivery_due_idx ON crm_webhooks_delivery (state, next_attempt_at);
CREATE INDEX crm_webhooks_delivery_order_idx ON crm_webhooks_delivery (endpoint_id, ordering_key, seq);

CREATE TABLE crm_webhooks_error (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    event_name TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    status INTEGER,
    error TEXT NOT NULL,
    response_excerpt TEXT NOT NULL DEFAULT '',
    latency_ms INTEGER NOT NULL,
    occurred_at BIGINT NOT NULL
);
CREATE INDEX crm_webhooks_error_tenant_idx ON crm_webhooks_error (tenant_id, occurred_at);

CREATE TABLE crm_webhooks_automation (
    widget_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    mode TEXT NOT NULL,
    timeout_ms INTEGER NOT NULL,
    fallback_text TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
