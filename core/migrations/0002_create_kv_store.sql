-- Key-value pairs of Lua scripts (owner "lua:<file>") and, later, plugins (owner = plugin id).
-- value holds JSON text; updated_at is BIGINT milliseconds since the epoch, UTC.

CREATE TABLE kv_store (
    owner TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (owner, key)
);
