-- The attribute values SQL cannot compare (lists, compound values, language
-- maps, JSON: rows with neither number nor text), found without reading the
-- value indexes: every query with a `q` first asks whether its attributes
-- hold such a value (`unindexed::undecided`); through the primary key that
-- read every value of the region (25 ms at 100,000 entities).
CREATE INDEX sensor_attr_values_unindexed ON sensor_attr_values (name, tenant_id) WHERE num IS NULL AND txt IS NULL;
