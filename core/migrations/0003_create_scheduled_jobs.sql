-- Jobs that run once per cluster: each node claims a due run by moving locked_until forward in one UPDATE.
-- name is "<owner>:<job>"; times are BIGINT milliseconds since the epoch, UTC.

CREATE TABLE scheduled_jobs (
    name TEXT PRIMARY KEY,
    interval_seconds INTEGER NOT NULL,
    next_run_at BIGINT NOT NULL,
    locked_until BIGINT NOT NULL DEFAULT 0,
    locked_by TEXT,
    last_run_at BIGINT,
    last_error TEXT
);
