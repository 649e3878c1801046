-- The catalogue version: a per-tenant counter bumped in the same
-- transaction as every write that can change a search answer (datasets,
-- their tags, groups and resources, organisations). Servers keep search
-- answers in memory under the version they were computed at, so all the
-- servers on one database agree on when an answer is stale. No row yet
-- means version 0.
CREATE TABLE catalog_versions (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    version BIGINT NOT NULL,
    PRIMARY KEY (tenant_id)
);
