-- The staff inbox lists the nearest deadline first (cases without one
-- last): this index gives that order, so a page of 1,000 out of 100,000
-- cases is read in order instead of sorting them all.
CREATE INDEX service_cases_inbox ON service_cases (tenant_id, (stage_due IS NULL), stage_due, number);
-- The dashboard's cached figures stay valid while no case changed: the
-- latest change is read from this index alone.
CREATE INDEX service_cases_updated ON service_cases (tenant_id, updated_at);
