-- Satu Data catalog: datasets, their tags, groups and resources, the
-- review history, and the search index (FTS5 here, tsvector on PostgreSQL),
-- written in the same transaction as the dataset.

CREATE TABLE catalog_groups (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);

CREATE TABLE datasets (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    title TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    license_id TEXT NOT NULL DEFAULT '',
    org_id TEXT NOT NULL,
    private BIGINT NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    review_notes TEXT NOT NULL DEFAULT '',
    extras TEXT NOT NULL DEFAULT '{}',
    satudata TEXT NOT NULL DEFAULT '{}',
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    published_at BIGINT,
    -- For the "year" facet: the start of the data's period, else the creation year.
    year BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name),
    FOREIGN KEY (tenant_id, org_id) REFERENCES organizations (tenant_id, id)
);

CREATE INDEX datasets_org ON datasets (tenant_id, org_id);
CREATE INDEX datasets_updated ON datasets (tenant_id, updated_at);

CREATE TABLE dataset_tags (
    tenant_id TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (tenant_id, dataset_id, tag),
    FOREIGN KEY (tenant_id, dataset_id) REFERENCES datasets (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE dataset_groups (
    tenant_id TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    group_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, dataset_id, group_id),
    FOREIGN KEY (tenant_id, dataset_id) REFERENCES datasets (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, group_id) REFERENCES catalog_groups (tenant_id, id)
);

CREATE TABLE resources (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    format TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '',
    url_type TEXT NOT NULL DEFAULT '',
    size BIGINT,
    hash TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    modified_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, dataset_id) REFERENCES datasets (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX resources_dataset ON resources (tenant_id, dataset_id, position);

-- Every uploaded version of a resource's file is kept.
CREATE TABLE resource_versions (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    file_key TEXT NOT NULL,
    filename TEXT NOT NULL,
    size BIGINT NOT NULL,
    hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, resource_id, version),
    FOREIGN KEY (tenant_id, resource_id) REFERENCES resources (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE dataset_activity (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    user_id TEXT,
    action TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, dataset_id) REFERENCES datasets (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX dataset_activity_dataset ON dataset_activity (tenant_id, dataset_id, at);

-- Derived from the datasets: `db copy` rebuilds it rather than copying it.
CREATE VIRTUAL TABLE dataset_search USING fts5 (tenant_id UNINDEXED, dataset_id UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2');
