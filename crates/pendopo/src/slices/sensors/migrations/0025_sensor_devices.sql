-- Device ingestion (FIWARE IoT Agent JSON's provisioning) and the flood warning.

-- Service groups: an apikey and what its devices' entities default to.
-- MQTT topics carry the apikey but no tenant, so an apikey is unique over
-- all tenants.
CREATE TABLE iot_groups (
    tenant_id TEXT NOT NULL,
    apikey TEXT NOT NULL,
    resource TEXT NOT NULL,
    fiware_service TEXT NOT NULL,
    service_path TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    -- The group as provisioned (JSON), given back by GET /iot/services.
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, apikey)
);
CREATE UNIQUE INDEX iot_groups_apikey ON iot_groups (apikey);

-- Devices: their entity and how their measures' keys map to attributes.
CREATE TABLE iot_devices (
    tenant_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    -- The device's own apikey, or '' (its group's, by service path).
    apikey TEXT NOT NULL,
    fiware_service TEXT NOT NULL,
    service_path TEXT NOT NULL,
    entity_name TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    -- The device as provisioned (JSON): attributes, static_attributes.
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- Measures accepted from it, and when the last one arrived.
    measures BIGINT NOT NULL DEFAULT 0,
    last_measure_at BIGINT,
    PRIMARY KEY (tenant_id, device_id)
);

-- Measures refused (wrong apikey, unknown device, unreadable payload),
-- counted per source; a wrong apikey has no tenant and is counted under the
-- default one.
CREATE TABLE iot_rejections (
    tenant_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    apikey TEXT NOT NULL,
    device_id TEXT NOT NULL,
    count BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, reason, apikey, device_id)
);

-- River gauges the BPBD watches, with the places at risk (JSON list of
-- lines) and the agency whose officers enter readings by hand (its slug).
CREATE TABLE flood_gauges (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    agency TEXT NOT NULL,
    villages TEXT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- Alert levels in centimetres, each set valid from a day (ms) onwards.
CREATE TABLE flood_levels (
    tenant_id TEXT NOT NULL,
    gauge_id TEXT NOT NULL,
    valid_from BIGINT NOT NULL,
    hijau_cm BIGINT NOT NULL,
    kuning_cm BIGINT NOT NULL,
    merah_cm BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, gauge_id, valid_from)
);

-- The status last announced per gauge, so a change is noticed once.
CREATE TABLE flood_status (
    tenant_id TEXT NOT NULL,
    gauge_id TEXT NOT NULL,
    status TEXT NOT NULL,
    level_cm BIGINT NOT NULL,
    observed_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, gauge_id)
);

-- The region's flood settings: when a reading is too old to be current,
-- where status changes are announced.
CREATE TABLE flood_settings (
    tenant_id TEXT NOT NULL,
    stale_after_ms BIGINT NOT NULL,
    webhook_url TEXT NOT NULL,
    status_topic TEXT NOT NULL,
    PRIMARY KEY (tenant_id)
);
