-- Durable background jobs (kernel::jobs): queued by the write that causes
-- them, in its transaction; claimed by one server at a time with a lease
-- (a server that dies leaves its lease to run out, and another takes the
-- job over); retried with backoff; kept with their last error.
-- state: queued, running, done, failed. At most one queued job per
-- (tenant, kind, dedup_key): fifty procurement steps make one pending
-- recomputation of the region's flags.
CREATE TABLE jobs (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    run_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    max_attempts BIGINT NOT NULL,
    lease_until BIGINT NOT NULL,
    leased_by TEXT NOT NULL,
    last_error TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX jobs_one_queued ON jobs (tenant_id, kind, dedup_key) WHERE state = 'queued';
CREATE INDEX jobs_due ON jobs (state, run_at);
