-- The probe's own table, to test plugin migrations and parameterized SQL on both databases.
CREATE TABLE http_probe_notes (
    id INTEGER NOT NULL,
    body TEXT NOT NULL,
    score DOUBLE PRECISION,
    done INTEGER NOT NULL,
    PRIMARY KEY (id)
);
