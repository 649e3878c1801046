-- Where a case is, for the dashboards per kecamatan and the village pages:
-- the desa/kelurahan code (Kemendagri, `35.22.01.2001`) when known and its
-- kecamatan (`35.22.01`), kept apart so a report placed only in a
-- kecamatan counts there too. external_id: the tracking id of the system
-- the case came from (SP4N-LAPOR!), so a re-import finds it again.
-- first_answer_at and closed_at (ms): the first answer and the close, for
-- the medians of days to first response and to closing.
ALTER TABLE service_cases ADD COLUMN desa_code TEXT;
ALTER TABLE service_cases ADD COLUMN kecamatan_code TEXT;
ALTER TABLE service_cases ADD COLUMN external_id TEXT;
ALTER TABLE service_cases ADD COLUMN first_answer_at BIGINT;
ALTER TABLE service_cases ADD COLUMN closed_at BIGINT;
CREATE UNIQUE INDEX service_cases_external ON service_cases (tenant_id, external_id);
CREATE INDEX service_cases_kecamatan ON service_cases (tenant_id, kecamatan_code, created_at);
CREATE INDEX service_cases_agency_created ON service_cases (tenant_id, agency_id, created_at);
