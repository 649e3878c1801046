-- The value indexes keyed by a number per attribute name (issue 13's batch
-- update figure). Entries of (tenant_id, name, num) repeated the region,
-- the attribute's IRI (about 55 bytes) and, the table being WITHOUT ROWID,
-- the entity's id: about 110 bytes an entry. A new number moves its entry
-- to a random place, so a batch of 2,000 new numbers rewrote most of that
-- index's pages (2,250 log frames of 4 KiB, three fifths of the batch's
-- writing). Keyed (attr, num) on a rowid table an entry is about 15 bytes,
-- the index a seventh of its size, and a batch rewrites a third as many
-- pages. The entity id is read from the row (by rowid) where a query
-- needs it; nothing refers to the implicit rowid, so VACUUM may renumber it.
CREATE TABLE sensor_attr_values_next (
    tenant_id TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    name TEXT NOT NULL,
    attr BIGINT NOT NULL,
    num DOUBLE PRECISION,
    txt TEXT,
    observed_at BIGINT,
    UNIQUE (tenant_id, entity_id, name),
    FOREIGN KEY (tenant_id, entity_id) REFERENCES sensor_entities (tenant_id, id) ON DELETE CASCADE
);
INSERT INTO sensor_attr_values_next (tenant_id, entity_id, name, attr, num, txt, observed_at)
    SELECT v.tenant_id, v.entity_id, v.name, n.id, v.num, v.txt, v.observed_at
    FROM sensor_attr_values v JOIN sensor_attr_names n ON n.tenant_id = v.tenant_id AND n.name = v.name
    ORDER BY v.tenant_id, v.entity_id, v.name;
DROP TABLE sensor_attr_values;
ALTER TABLE sensor_attr_values_next RENAME TO sensor_attr_values;
CREATE INDEX sensor_attr_values_num ON sensor_attr_values (attr, num);
CREATE INDEX sensor_attr_values_txt ON sensor_attr_values (attr, txt);
CREATE INDEX sensor_attr_values_unindexed ON sensor_attr_values (name, tenant_id) WHERE num IS NULL AND txt IS NULL;
