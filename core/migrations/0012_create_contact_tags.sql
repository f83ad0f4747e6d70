-- Tags on contacts (e.g. "vip", "newsletter"), set by admins, read by plugins (a WhatsApp broadcast to "contacts
-- by tag"). One row per contact and tag; tags are lower case [a-z0-9_-], at most 50 bytes.
CREATE TABLE contact_tags (
    tenant_id UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    contact_id UUID NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (contact_id, tag)
);
CREATE INDEX contact_tags_tag_idx ON contact_tags (tenant_id, tag);
