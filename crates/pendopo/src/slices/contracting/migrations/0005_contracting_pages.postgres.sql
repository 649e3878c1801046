-- Open contracting for people: the region's settings, a per-process summary
-- derived from the releases (lists, filters, the map and the dashboard read
-- it; rebuilt from ocds_releases whenever they change), the red flags per
-- process and per buyer or supplier, files attached to releases, and the
-- citizens' monitoring reports with the agencies' answers.

CREATE TABLE ocds_settings (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id),
    ocid_prefix TEXT NOT NULL,
    flags_ini TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE ocds_processes (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    ocid TEXT NOT NULL,
    buyer_id TEXT NOT NULL,
    buyer_name TEXT NOT NULL,
    title TEXT NOT NULL,
    method TEXT NOT NULL,
    method_details TEXT NOT NULL,
    category TEXT NOT NULL,
    year BIGINT,
    stage TEXT NOT NULL,
    budget DOUBLE PRECISION,
    tender_value DOUBLE PRECISION,
    award_value DOUBLE PRECISION,
    contract_value DOUBLE PRECISION,
    paid DOUBLE PRECISION NOT NULL,
    progress BIGINT,
    supplier_names TEXT NOT NULL,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    flag_count BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    compiled TEXT NOT NULL,
    PRIMARY KEY (tenant_id, ocid)
);

CREATE INDEX ocds_processes_buyer ON ocds_processes (tenant_id, buyer_id);
CREATE INDEX ocds_processes_year ON ocds_processes (tenant_id, year);

-- kind: OCID (the process itself), Buyer or Tenderer (a party the process
-- involves); value: the indicator's value as text (a score, a ratio, a list).
CREATE TABLE ocds_flags (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    code TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (tenant_id, kind, subject, code)
);

CREATE TABLE ocds_files (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    file_key TEXT NOT NULL,
    filename TEXT NOT NULL,
    size BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- contact is the reporter's own (a phone or e-mail for the agency's reply):
-- it is shown to the agency's officers only, never on public pages or APIs.
CREATE TABLE ocds_reports (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    ocid TEXT NOT NULL,
    body TEXT NOT NULL,
    photo_id TEXT,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    contact TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    answer TEXT,
    answered_by TEXT,
    answered_at BIGINT,
    PRIMARY KEY (tenant_id, id)
);

CREATE INDEX ocds_reports_ocid ON ocds_reports (tenant_id, ocid, created_at);
