
-- SQLite only: the R*Tree over sensor_geo's boxes, kept by triggers (so
-- `db copy` into SQLite refills it). Its id is sensor_geo.rid. Each
-- trigger is on one line: the migration runner splits at a semicolon
-- that ends a line.
CREATE UNIQUE INDEX sensor_geo_rid ON sensor_geo (rid);
CREATE VIRTUAL TABLE sensor_geo_rtree USING rtree (rid, min_lon, max_lon, min_lat, max_lat);
CREATE TRIGGER sensor_geo_rtree_insert AFTER INSERT ON sensor_geo BEGIN INSERT INTO sensor_geo_rtree VALUES (NEW.rid, NEW.min_lon, NEW.max_lon, NEW.min_lat, NEW.max_lat); END;
CREATE TRIGGER sensor_geo_rtree_update AFTER UPDATE ON sensor_geo BEGIN DELETE FROM sensor_geo_rtree WHERE rid = OLD.rid; INSERT INTO sensor_geo_rtree VALUES (NEW.rid, NEW.min_lon, NEW.max_lon, NEW.min_lat, NEW.max_lat); END;
CREATE TRIGGER sensor_geo_rtree_delete AFTER DELETE ON sensor_geo BEGIN DELETE FROM sensor_geo_rtree WHERE rid = OLD.rid; END;
