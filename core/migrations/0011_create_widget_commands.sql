-- Incoming commands (POST /api/v1/widgets/{key}/commands): the webhook ids already accepted (replays are
-- refused), and commands for a visitor or conversation that was not connected, kept briefly until it is.

CREATE TABLE command_receipts (
    widget_id UUID NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    webhook_id TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (widget_id, webhook_id)
);
CREATE INDEX command_receipts_age_idx ON command_receipts (received_at);

CREATE TABLE pending_commands (
    id TEXT PRIMARY KEY,
    widget_id UUID NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    visitor_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    frame TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX pending_commands_widget_idx ON pending_commands (widget_id, visitor_id);
