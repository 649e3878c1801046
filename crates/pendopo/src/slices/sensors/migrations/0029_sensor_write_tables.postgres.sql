-- SQLite's half of this migration makes the time series and the roll-up's
-- marks WITHOUT ROWID tables; PostgreSQL has none (its heap and primary key
-- stay as they are), so it only records why.
COMMENT ON TABLE sensor_instances IS 'points of attribute series, by (tenant, entity, attribute, datasetId, µs)';
