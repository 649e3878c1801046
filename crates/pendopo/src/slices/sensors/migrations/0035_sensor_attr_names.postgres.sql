-- The value indexes keyed by a number per attribute name, as on SQLite
-- (where that shrank the index a batch of new numbers rewrites to a
-- seventh): one schema and one set of queries on both engines.
ALTER TABLE sensor_attr_values ADD COLUMN attr BIGINT;
UPDATE sensor_attr_values v SET attr = n.id FROM sensor_attr_names n WHERE n.tenant_id = v.tenant_id AND n.name = v.name;
ALTER TABLE sensor_attr_values ALTER COLUMN attr SET NOT NULL;
DROP INDEX sensor_attr_values_num;
DROP INDEX sensor_attr_values_txt;
CREATE INDEX sensor_attr_values_num ON sensor_attr_values (attr, num) INCLUDE (entity_id);
CREATE INDEX sensor_attr_values_txt ON sensor_attr_values (attr, txt) INCLUDE (entity_id);
