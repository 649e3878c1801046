-- Entities deleted from the current state, whose history stays: the
-- temporal API still answers it (clause 6.3.11: with the entity's
-- `deletedAt`), and needs their types for that. One row per entity, the
-- latest deletion (microseconds); it goes with the temporal entity
-- (`DELETE /temporal/entities/{id}`).
CREATE TABLE sensor_deleted_entities (
    tenant_id TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    types TEXT NOT NULL,
    deleted_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, entity_id)
);
