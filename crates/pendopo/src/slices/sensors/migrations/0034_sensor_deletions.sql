-- The deletions in attributes' temporal histories (NGSI-LD v1.8+:
-- `timeproperty=deletedAt`): one row per deleted instance (an attribute,
-- one datasetId of it, or every attribute of a deleted entity, and an
-- entity's scope), at the time of the deletion in microseconds. Apart from
-- the time series, so that its readers, the roll-up and aggregation never
-- see a deletion as a value; written only by writes that delete.
CREATE TABLE sensor_deletions (
    tenant_id TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    name TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (tenant_id, entity_id, name, dataset_id, at)
);
