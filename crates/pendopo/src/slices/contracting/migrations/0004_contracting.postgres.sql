-- Open contracting: the releases a region publishes, as received (JSON
-- text), keyed by process (ocid) and release id. Records, compiled and
-- versioned releases are computed from these.

CREATE TABLE ocds_releases (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    ocid TEXT NOT NULL,
    release_id TEXT NOT NULL,
    date_ms BIGINT NOT NULL,
    date TEXT NOT NULL,
    tags TEXT NOT NULL,
    data TEXT NOT NULL,
    seq BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, ocid, release_id),
    UNIQUE (tenant_id, seq)
);

CREATE INDEX ocds_releases_date ON ocds_releases (tenant_id, date_ms);
