-- The broker's indexes made to answer queries without visiting rows
-- (issue 13's figures): on SQLite the value and type tables become
-- WITHOUT ROWID tables, clustered on their primary keys, so the value
-- indexes (tenant_id, name, num|txt) carry the entity id along (a query
-- driven by a selective `q` term reads the index only) and a write of a
-- value updates one b-tree fewer. SQLite cannot change a table's kind in
-- place: each is built again under its own name. The btree indexes of
-- boxes go: the R*Tree answers box searches here (they are PostgreSQL's).
CREATE TABLE sensor_attr_values_next (
    tenant_id TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    name TEXT NOT NULL,
    num DOUBLE PRECISION,
    txt TEXT,
    observed_at BIGINT,
    PRIMARY KEY (tenant_id, entity_id, name),
    FOREIGN KEY (tenant_id, entity_id) REFERENCES sensor_entities (tenant_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO sensor_attr_values_next (tenant_id, entity_id, name, num, txt, observed_at)
    SELECT tenant_id, entity_id, name, num, txt, observed_at FROM sensor_attr_values;
DROP TABLE sensor_attr_values;
ALTER TABLE sensor_attr_values_next RENAME TO sensor_attr_values;
CREATE INDEX sensor_attr_values_num ON sensor_attr_values (tenant_id, name, num);
CREATE INDEX sensor_attr_values_txt ON sensor_attr_values (tenant_id, name, txt);

CREATE TABLE sensor_entity_types_next (
    tenant_id TEXT NOT NULL,
    type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, type, entity_id),
    FOREIGN KEY (tenant_id, entity_id) REFERENCES sensor_entities (tenant_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO sensor_entity_types_next (tenant_id, type, entity_id) SELECT tenant_id, type, entity_id FROM sensor_entity_types;
DROP TABLE sensor_entity_types;
ALTER TABLE sensor_entity_types_next RENAME TO sensor_entity_types;
CREATE INDEX sensor_entity_types_entity ON sensor_entity_types (tenant_id, entity_id);

DROP INDEX sensor_geo_lat;
DROP INDEX sensor_geo_lon;
