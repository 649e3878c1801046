-- The datastore: each tabular resource's rows live in a table of their own
-- (`ds_<resource id>`, columns c0, c1, ...); this registry says which table
-- holds which resource, its fields (names and types) and how many rows.

CREATE TABLE datastore_tables (
    tenant_id TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    table_name TEXT NOT NULL,
    fields TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    source_version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, resource_id),
    UNIQUE (tenant_id, table_name),
    FOREIGN KEY (tenant_id, resource_id) REFERENCES resources (tenant_id, id) ON DELETE CASCADE
);
