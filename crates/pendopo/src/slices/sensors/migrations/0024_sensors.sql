-- The NGSI-LD context broker (slices/sensors): entities with their current
-- attributes, the attributes' instances over time, the indexes queries use,
-- and the @contexts the sysadmin stored (never fetched).
--
-- Names (types, attributes) are stored expanded (full IRIs), as the
-- standard's data model is; requests compact them through their @context.
-- sensor_entities.body: the entity in the normalised form with its system
-- attributes, as JSON text. Times: milliseconds; instants of instances:
-- microseconds (NGSI-LD DateTimes carry them).
CREATE TABLE sensor_entities (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    types TEXT NOT NULL,
    scope TEXT,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    modified_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- One row per type of an entity (an entity may have several): `type=`
-- queries read this index, `/types` counts it.
CREATE TABLE sensor_entity_types (
    tenant_id TEXT NOT NULL,
    type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, type, entity_id),
    FOREIGN KEY (tenant_id, entity_id) REFERENCES sensor_entities (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX sensor_entity_types_entity ON sensor_entity_types (tenant_id, entity_id);

-- The current value of each attribute's default instance (no datasetId):
-- numbers in num, strings (and booleans as true/false, URIs of
-- relationships) in txt, so that `q` comparisons run in SQL.
CREATE TABLE sensor_attr_values (
    tenant_id TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    name TEXT NOT NULL,
    num DOUBLE PRECISION,
    txt TEXT,
    observed_at BIGINT,
    PRIMARY KEY (tenant_id, entity_id, name),
    FOREIGN KEY (tenant_id, entity_id) REFERENCES sensor_entities (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX sensor_attr_values_num ON sensor_attr_values (tenant_id, name, num);
CREATE INDEX sensor_attr_values_txt ON sensor_attr_values (tenant_id, name, txt);

-- The bounding box of each GeoProperty's default instance. On SQLite an
-- R*Tree (created beside this file, kept by triggers) answers the box
-- search by rid; on PostgreSQL the btree indexes below do.
CREATE TABLE sensor_geo (
    tenant_id TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    name TEXT NOT NULL,
    rid BIGINT NOT NULL,
    min_lon DOUBLE PRECISION NOT NULL,
    max_lon DOUBLE PRECISION NOT NULL,
    min_lat DOUBLE PRECISION NOT NULL,
    max_lat DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (tenant_id, entity_id, name),
    FOREIGN KEY (tenant_id, entity_id) REFERENCES sensor_entities (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX sensor_geo_lat ON sensor_geo (tenant_id, name, min_lat, max_lat);
CREATE INDEX sensor_geo_lon ON sensor_geo (tenant_id, name, min_lon, max_lon);

-- Every instance of every attribute over time (the temporal API's source).
-- dataset_id '' is the default instance. at: observedAt when given, else
-- the time of the write, in microseconds. num: the value when numeric, for
-- aggregation in SQL. One instance per (attribute, dataset, time): a
-- measure sent twice is stored once.
CREATE TABLE sensor_instances (
    tenant_id TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    name TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    num DOUBLE PRECISION,
    body TEXT NOT NULL,
    PRIMARY KEY (tenant_id, entity_id, name, dataset_id, at)
);

-- @context documents the sysadmin stored, by URL: requests that name a
-- URL are resolved from here and nowhere else.
CREATE TABLE sensor_contexts (
    url TEXT NOT NULL PRIMARY KEY,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
