-- PostgreSQL only: geoQ relations decided by PostGIS (SQLite keeps its
-- R*Tree and decides them in Rust). Each box of sensor_geo gets the shape
-- of its GeoProperty in sensor_geo_shapes, computed by a trigger from the
-- stored body, so rows written by the broker, rows already stored and rows
-- `pendopo db copy` brings from SQLite all have it (the table is derived:
-- db copy does not copy it).
--
-- PostGIS is Debian's postgresql-15-postgis-3: a server without it stops
-- here with an error naming the package, not at the first CREATE below.
-- Each statement is on one line: the migration runner splits at a
-- semicolon that ends a line.
DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'postgis') THEN RAISE EXCEPTION 'PostGIS is not installed on this PostgreSQL server: install the package postgresql-15-postgis-3 (Debian/Ubuntu; postgresql-NN-postgis-3 for PostgreSQL NN) and start pendopo again'; END IF; IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'postgis') AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN RAISE EXCEPTION 'PostGIS is installed but not created in database %: a superuser runs CREATE EXTENSION postgis in it once (see docs/deploy.md), then start pendopo again', current_database(); END IF; END $$;
CREATE EXTENSION IF NOT EXISTS postgis;

-- shape: the default instance's geometry (SRID 4326, two dimensions).
-- decided: whether the shape alone answers a relation. It does not when
-- the GeoProperty has other instances (datasetId: any instance may match)
-- or when PostGIS could not read the geometry (then shape is the box and
-- the query checks the body in Rust, as on SQLite).
CREATE TABLE sensor_geo_shapes (
    tenant_id TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    name TEXT NOT NULL,
    shape geometry(Geometry, 4326) NOT NULL,
    decided BOOLEAN NOT NULL,
    PRIMARY KEY (tenant_id, entity_id, name),
    FOREIGN KEY (tenant_id, entity_id, name) REFERENCES sensor_geo (tenant_id, entity_id, name) ON DELETE CASCADE
);
CREATE INDEX sensor_geo_shapes_shape ON sensor_geo_shapes USING GIST (shape);
CREATE INDEX sensor_geo_shapes_name ON sensor_geo_shapes (tenant_id, name);

-- The broker writes sensor_geo after the entity's body (repo::save), and
-- writes a row again when the geometry or the number of instances changes
-- even if the box stays.
CREATE FUNCTION sensor_geo_shape() RETURNS trigger LANGUAGE plpgsql AS $$ DECLARE attr jsonb; one jsonb; shape geometry; BEGIN SELECT body::jsonb -> NEW.name INTO attr FROM sensor_entities WHERE tenant_id = NEW.tenant_id AND id = NEW.entity_id; IF jsonb_typeof(attr) = 'array' THEN SELECT i INTO one FROM jsonb_array_elements(attr) i WHERE i -> 'datasetId' IS NULL LIMIT 1; ELSE one := attr; END IF; BEGIN shape := ST_SetSRID(ST_Force2D(ST_GeomFromGeoJSON((one -> 'value')::text)), 4326); EXCEPTION WHEN OTHERS THEN shape := NULL; END; INSERT INTO sensor_geo_shapes (tenant_id, entity_id, name, shape, decided) VALUES (NEW.tenant_id, NEW.entity_id, NEW.name, COALESCE(shape, ST_MakeEnvelope(NEW.min_lon, NEW.min_lat, NEW.max_lon, NEW.max_lat, 4326)), shape IS NOT NULL AND (jsonb_typeof(attr) <> 'array' OR jsonb_array_length(attr) = 1)) ON CONFLICT (tenant_id, entity_id, name) DO UPDATE SET shape = excluded.shape, decided = excluded.decided; RETURN NULL; END $$;
CREATE TRIGGER sensor_geo_shape AFTER INSERT OR UPDATE ON sensor_geo FOR EACH ROW EXECUTE FUNCTION sensor_geo_shape();

-- The boxes already stored get their shapes.
UPDATE sensor_geo SET rid = rid;

-- The btree indexes of boxes answered PostgreSQL's box searches: the GIST
-- index does now.
DROP INDEX sensor_geo_lat;
DROP INDEX sensor_geo_lon;
