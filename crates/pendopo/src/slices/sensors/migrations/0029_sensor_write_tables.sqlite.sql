-- The time series and the roll-up's marks without a rowid (issue 13's write
-- figures): both are read and written only by their primary key, so a rowid
-- table made every point and every mark two b-tree inserts (the rows, then
-- the key's index, which repeats most of the row); WITHOUT ROWID keeps the
-- rows in the key's b-tree, one insert each, and a range of a series' points
-- is read without a lookup per point. PostgreSQL has no such tables.
CREATE TABLE sensor_instances_next (
    tenant_id TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    name TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    num DOUBLE PRECISION,
    body TEXT NOT NULL,
    PRIMARY KEY (tenant_id, entity_id, name, dataset_id, at)
) WITHOUT ROWID;
INSERT INTO sensor_instances_next (tenant_id, entity_id, name, dataset_id, at, num, body)
    SELECT tenant_id, entity_id, name, dataset_id, at, num, body FROM sensor_instances;
DROP TABLE sensor_instances;
ALTER TABLE sensor_instances_next RENAME TO sensor_instances;

CREATE TABLE sensor_pending_next (
    tenant_id TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    name TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    hour BIGINT NOT NULL,
    marked_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, entity_id, name, dataset_id, hour)
) WITHOUT ROWID;
INSERT INTO sensor_pending_next (tenant_id, entity_id, name, dataset_id, hour, marked_at)
    SELECT tenant_id, entity_id, name, dataset_id, hour, marked_at FROM sensor_pending;
DROP TABLE sensor_pending;
ALTER TABLE sensor_pending_next RENAME TO sensor_pending;
