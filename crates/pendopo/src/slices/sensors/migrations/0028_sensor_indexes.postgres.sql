-- The broker's indexes made to answer queries without visiting rows
-- (issue 13's figures): the value indexes carry the entity id, so a query
-- driven by a selective `q` term can read the index only (SQLite gets the
-- same by making the tables WITHOUT ROWID).
DROP INDEX sensor_attr_values_num;
DROP INDEX sensor_attr_values_txt;
CREATE INDEX sensor_attr_values_num ON sensor_attr_values (tenant_id, name, num) INCLUDE (entity_id);
CREATE INDEX sensor_attr_values_txt ON sensor_attr_values (tenant_id, name, txt) INCLUDE (entity_id);
