-- Staff move cases through their life cycle. agency_id: the organisation the
-- case was dispositioned to (its officers work on it); duplicate_of: the
-- number of the original case; referred_to: the body outside the regency;
-- verified_on: the day (YYYY-MM-DD) the coordinator accepted the file, from
-- which the resolution deadline counts.
ALTER TABLE service_cases ADD COLUMN agency_id TEXT;
ALTER TABLE service_cases ADD COLUMN duplicate_of TEXT;
ALTER TABLE service_cases ADD COLUMN referred_to TEXT;
ALTER TABLE service_cases ADD COLUMN verified_on TEXT;
-- The staff inbox lists by state (and an agency's by agency).
CREATE INDEX service_cases_state ON service_cases (tenant_id, state, stage_due);
CREATE INDEX service_cases_agency ON service_cases (tenant_id, agency_id, state);
