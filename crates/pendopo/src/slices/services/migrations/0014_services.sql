-- The service catalogue (slices/services): an agency's public services,
-- the versioned text of each one's Standar Pelayanan, and the answers of
-- the IKM survey (PermenPANRB 14/2017).
--
-- kinds: the report kinds accepted, comma-separated layanan::case::Kind
-- codes. The four SLA columns are layanan::case::SlaSettings. yearly_users:
-- the IKM population (users a year), NULL when unknown. attributes: the
-- Open311 attributes as JSON, in presentation order.
CREATE TABLE services (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    org_id TEXT NOT NULL,
    description TEXT NOT NULL,
    kinds TEXT NOT NULL,
    verify_working_days BIGINT NOT NULL,
    follow_up_working_days BIGINT NOT NULL,
    auto_close_working_days BIGINT NOT NULL,
    resolution_days BIGINT NOT NULL,
    yearly_users BIGINT,
    attributes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, code),
    FOREIGN KEY (tenant_id, org_id) REFERENCES organizations (tenant_id, id)
);
CREATE INDEX services_org ON services (tenant_id, org_id);

-- Each change of a standard is a new version; old ones stay readable.
-- components: JSON object of the 14 layanan::standar::Component codes.
CREATE TABLE service_standards (
    tenant_id TEXT NOT NULL,
    service_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    components TEXT NOT NULL,
    maklumat TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT,
    PRIMARY KEY (tenant_id, service_id, version),
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id)
);

-- One respondent's answers: the nine scores and the profile, never a name.
-- answered_on: the region's local day (YYYY-MM-DD) the survey was filled.
-- source: web (the public form), api, paper (a staff batch).
CREATE TABLE ikm_responses (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    service_id TEXT NOT NULL,
    answered_on TEXT NOT NULL,
    u1 BIGINT NOT NULL,
    u2 BIGINT NOT NULL,
    u3 BIGINT NOT NULL,
    u4 BIGINT NOT NULL,
    u5 BIGINT NOT NULL,
    u6 BIGINT NOT NULL,
    u7 BIGINT NOT NULL,
    u8 BIGINT NOT NULL,
    u9 BIGINT NOT NULL,
    age_band TEXT,
    sex TEXT,
    education TEXT,
    occupation TEXT,
    source TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id)
);
-- The report sums one service's period: this index answers it alone.
CREATE INDEX ikm_responses_period ON ikm_responses (tenant_id, service_id, answered_on);

-- Reports (cases) on a service, filed through Open311 so far. number: the
-- tracking number, the Open311 service_request_id. state: a
-- layanan::case::State code; stage_due: the last day (YYYY-MM-DD) of the
-- stage it runs. The reporter's name, email and phone are never shown in
-- public answers; anonymous hides the name from the agency too,
-- confidential keeps the case out of every public answer. token: the
-- secret of the reporter's private link (and Open311's tokens/{token}).
-- idempotency_key: the filer's key for a POST, so a replay gets the same case.
CREATE TABLE service_cases (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    number TEXT NOT NULL,
    service_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    state TEXT NOT NULL,
    description TEXT NOT NULL,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    address TEXT,
    address_id TEXT,
    media_url TEXT,
    attributes TEXT NOT NULL,
    reporter_name TEXT,
    reporter_email TEXT,
    reporter_phone TEXT,
    device_id TEXT,
    account_id TEXT,
    anonymous BIGINT NOT NULL,
    confidential BIGINT NOT NULL,
    token TEXT NOT NULL,
    stage_due TEXT,
    filed_by TEXT,
    idempotency_key TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, number),
    UNIQUE (tenant_id, token),
    UNIQUE (tenant_id, filed_by, idempotency_key),
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id)
);
CREATE INDEX service_cases_created ON service_cases (tenant_id, created_at);

-- Every transition of a case: who (a user id, or NULL for the reporter and
-- the system), when, why.
CREATE TABLE service_case_history (
    tenant_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    actor TEXT,
    note TEXT NOT NULL,
    PRIMARY KEY (tenant_id, case_id, seq),
    FOREIGN KEY (tenant_id, case_id) REFERENCES service_cases (tenant_id, id)
);
