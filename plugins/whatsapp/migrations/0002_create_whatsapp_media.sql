-- Inbound media (image, video, audio, document, sticker): one row per message, queued by the "media" durable
-- subscription in the message's own commit, then fetched from the Graph API and stored through the host's file
-- store by a worker, after the webhook's 200. status: queued, fetching (leased), stored, refused (too large or a
-- type the file store does not take), failed (Graph error, or attempts used up).
CREATE TABLE whatsapp_media (
    message_id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    conversation_id UUID NOT NULL,
    phone_number_id TEXT NOT NULL,
    media_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    filename TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    size BIGINT,
    file_id TEXT,
    error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX whatsapp_media_due ON whatsapp_media (status, next_attempt_at);
