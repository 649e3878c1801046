-- PostgreSQL only: the shapes PostGIS does not decide alone (a GeoProperty
-- with several instances, datasetId, or a geometry it could not read) are
-- candidates of every box search, whatever their default instance's shape,
-- since another instance may lie in the box (the body decides them; SQLite
-- finds them by a box holding every instance). This index finds them
-- beside the GIST index (a BitmapOr), not by reading every shape.
CREATE INDEX sensor_geo_shapes_undecided ON sensor_geo_shapes (tenant_id, name) WHERE NOT decided;
