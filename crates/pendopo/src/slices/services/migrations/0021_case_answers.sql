-- The agency's answers with attachments, and handing a case on within the
-- agency (issue 11).
--
-- assignee: the agency's officer who works on the case now (a user id), set
-- when a colleague hands it on, cleared when the case goes to another
-- agency. handed_to: on a hand_on history row, the colleague it went to.
ALTER TABLE service_cases ADD COLUMN assignee TEXT;
ALTER TABLE service_case_history ADD COLUMN handed_to TEXT;
-- An officer's inbox of the cases handed to them (?mine=1).
CREATE INDEX service_cases_assignee ON service_cases (tenant_id, assignee, state);
-- The files of one step (an answer, a question to the reporter): at most
-- three, photos stripped of their metadata or PDF documents, stored in the
-- transaction of the history row (step = its seq) they belong to; n orders
-- them from 1. file_name: as sent, made safe, for the download.
CREATE TABLE service_case_attachments (
    tenant_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    step BIGINT NOT NULL,
    n BIGINT NOT NULL,
    media_type TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, case_id, step, n),
    FOREIGN KEY (tenant_id, case_id, step) REFERENCES service_case_history (tenant_id, case_id, seq)
);
