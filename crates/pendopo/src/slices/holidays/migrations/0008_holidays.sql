-- The region's days off besides weekends and the fixed-date national
-- holidays (which are built in): the year's SKB list of moving national
-- holidays and cuti bersama, and the region's own (kernel::holidays).
-- kind: libur_nasional, cuti_bersama, libur_daerah. date: YYYY-MM-DD.
CREATE TABLE region_holidays (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    date TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, date, kind)
);
