-- A number for each attribute name of a tenant (`attr_names.rs`), given by
-- the writer; the value indexes are keyed by it (below, per engine). The
-- names of the values stored so far are numbered here.
CREATE TABLE sensor_attr_names (
    id BIGINT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    name TEXT NOT NULL,
    UNIQUE (tenant_id, name)
);
INSERT INTO sensor_attr_names (id, tenant_id, name)
    SELECT ROW_NUMBER() OVER (ORDER BY tenant_id, name), tenant_id, name FROM (SELECT DISTINCT tenant_id, name FROM sensor_attr_values) n;
