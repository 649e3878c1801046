-- Retention of the sensors' time series (issue 13, scope 1): raw points are
-- kept a number of days per entity type, then only as hourly aggregates,
-- which are kept for years. The aggregates also answer `aggregatedValues`
-- for every whole hour already rolled up, raw points or not, so a year of
-- 5-minute readings is 8,760 rows to read instead of 105,000.

-- The walidata's settings per entity type (the expanded type IRI); the row
-- with entity_type '' is the region's default for every other type.
-- hourly_years NULL: hourly aggregates are kept for ever.
CREATE TABLE sensor_retention (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    entity_type TEXT NOT NULL,
    raw_days BIGINT NOT NULL,
    hourly_years BIGINT,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, entity_type)
);

-- One row per attribute series (entity, attribute, datasetId) and hour
-- (microseconds, the hour's start): what its points were. raw_kept 1: the
-- row is exactly the raw points still in sensor_instances for that hour
-- (recomputed when they change); 0: the raw points were deleted by
-- retention and the row is all that remains (a late point for that hour is
-- added to it by the next sweep). Numbers only: n_total counts every point.
CREATE TABLE sensor_hourly (
    tenant_id TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    name TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    hour BIGINT NOT NULL,
    n_total BIGINT NOT NULL,
    n_num BIGINT NOT NULL,
    sum_num DOUBLE PRECISION,
    min_num DOUBLE PRECISION,
    max_num DOUBLE PRECISION,
    sumsq_num DOUBLE PRECISION,
    raw_kept BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, entity_id, name, dataset_id, hour)
);
-- The sweep's questions: which series have raw points past their days, and
-- which hourly rows are past their years.
CREATE INDEX sensor_hourly_raw ON sensor_hourly (tenant_id, hour) WHERE raw_kept = 1;
CREATE INDEX sensor_hourly_hour ON sensor_hourly (tenant_id, hour);

-- Hours of a series whose raw points changed since their hourly row was
-- computed (every write of instances marks its hours here, in its own
-- transaction): until the sweep recomputes them, readers take these hours
-- from the raw points. marked_at is rewritten by each mark, so that on
-- PostgreSQL a sweep and a concurrent writer of the same hour conflict
-- instead of the sweep forgetting a mark it did not see the points of.
CREATE TABLE sensor_pending (
    tenant_id TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    name TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    hour BIGINT NOT NULL,
    marked_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, entity_id, name, dataset_id, hour)
);

-- Points stored before this migration: every hour of theirs is to be rolled up.
INSERT INTO sensor_pending (tenant_id, entity_id, name, dataset_id, hour, marked_at)
SELECT DISTINCT tenant_id, entity_id, name, dataset_id, (at / 3600000000) * 3600000000, 0 FROM sensor_instances;
