-- The knowledge base: entries per widget, per-widget settings (synonyms, the index version other nodes watch),
-- and the questions that found no good answer (content gaps), grouped by their normalized words.
CREATE TABLE knowledge_base_entries (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    widget_id UUID NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    question TEXT NOT NULL,
    phrasings JSONB NOT NULL,
    answer TEXT NOT NULL,
    quick_replies JSONB NOT NULL,
    links JSONB NOT NULL,
    keywords JSONB NOT NULL,
    tags JSONB NOT NULL,
    language TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    times_used BIGINT NOT NULL DEFAULT 0,
    helpful_count BIGINT NOT NULL DEFAULT 0,
    not_helpful_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX knowledge_base_entries_widget ON knowledge_base_entries (tenant_id, widget_id, created_at);

CREATE TABLE knowledge_base_settings (
    widget_id UUID PRIMARY KEY REFERENCES widgets (id) ON DELETE CASCADE,
    tenant_id UUID NOT NULL,
    synonyms JSONB NOT NULL,
    version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE knowledge_base_gaps (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    widget_id UUID NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
    group_key TEXT NOT NULL,
    example TEXT NOT NULL,
    outcome TEXT NOT NULL,
    asked BIGINT NOT NULL,
    best_entry_id TEXT,
    best_confidence DOUBLE PRECISION NOT NULL,
    first_asked_at BIGINT NOT NULL,
    last_asked_at BIGINT NOT NULL,
    UNIQUE (widget_id, group_key)
);
CREATE INDEX knowledge_base_gaps_widget ON knowledge_base_gaps (tenant_id, widget_id, asked);
