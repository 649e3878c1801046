-- SQLite only (issue 13's `near` figure): a box's R*Tree id becomes the
-- row id of its sensor_geo row. A box search read each of the ~2,300 boxes
-- the R*Tree found twice, through the index of rids and then the table;
-- keyed by rid, the row is one b-tree lookup. The key of the entity's
-- attribute stays unique (the writes delete by it). SQLite cannot change a
-- table's key in place: it is built again under its own name, and its
-- triggers (dropped with the old table) again. The R*Tree keeps its rids.
CREATE TABLE sensor_geo_next (
    tenant_id TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    name TEXT NOT NULL,
    rid INTEGER PRIMARY KEY,
    min_lon DOUBLE PRECISION NOT NULL,
    max_lon DOUBLE PRECISION NOT NULL,
    min_lat DOUBLE PRECISION NOT NULL,
    max_lat DOUBLE PRECISION NOT NULL,
    UNIQUE (tenant_id, entity_id, name),
    FOREIGN KEY (tenant_id, entity_id) REFERENCES sensor_entities (tenant_id, id) ON DELETE CASCADE
);
INSERT INTO sensor_geo_next (tenant_id, entity_id, name, rid, min_lon, max_lon, min_lat, max_lat)
    SELECT tenant_id, entity_id, name, rid, min_lon, max_lon, min_lat, max_lat FROM sensor_geo;
DROP TABLE sensor_geo;
ALTER TABLE sensor_geo_next RENAME TO sensor_geo;
CREATE TRIGGER sensor_geo_rtree_insert AFTER INSERT ON sensor_geo BEGIN INSERT INTO sensor_geo_rtree VALUES (NEW.rid, NEW.min_lon, NEW.max_lon, NEW.min_lat, NEW.max_lat); END;
CREATE TRIGGER sensor_geo_rtree_update AFTER UPDATE ON sensor_geo BEGIN DELETE FROM sensor_geo_rtree WHERE rid = OLD.rid; INSERT INTO sensor_geo_rtree VALUES (NEW.rid, NEW.min_lon, NEW.max_lon, NEW.min_lat, NEW.max_lat); END;
CREATE TRIGGER sensor_geo_rtree_delete AFTER DELETE ON sensor_geo BEGIN DELETE FROM sensor_geo_rtree WHERE rid = OLD.rid; END;
-- A box now holds every instance of its GeoProperty (datasetId), so that a
-- `near` may leave out boxes by their distance alone (repo::boxes). The
-- boxes stored before held the default instance only: those of a
-- GeoProperty with several instances become the whole globe (found by
-- every search, then decided on the body) until their geometry changes.
UPDATE sensor_geo SET min_lon = -180, max_lon = 180, min_lat = -90, max_lat = 90 WHERE EXISTS (SELECT 1 FROM sensor_entities e WHERE e.tenant_id = sensor_geo.tenant_id AND e.id = sensor_geo.entity_id AND instr(e.body, '"datasetId"') > 0 AND json_type(e.body, '$."' || sensor_geo.name || '"') = 'array');
