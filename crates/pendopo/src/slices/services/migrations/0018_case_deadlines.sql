-- Deadlines, escalation and notifications of cases. escalated_at (ms): when
-- the deadline job found the case still in the stage it was due to leave
-- (the agency head and the coordinator were told); cleared by the next
-- transition, since each stage runs its own deadline.
ALTER TABLE service_cases ADD COLUMN escalated_at BIGINT;
-- The outbox: one row per message to one recipient, written in the same
-- transaction as the event it tells of, then sent by a job (or kept for
-- the staff pages when no SMTP server is configured). audience: reporter,
-- agency, coordinator or head; state: pending, sent or kept.
CREATE TABLE service_notifications (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    event TEXT NOT NULL,
    audience TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX service_notifications_case ON service_notifications (tenant_id, case_id, created_at);
CREATE INDEX service_notifications_recent ON service_notifications (tenant_id, created_at);
