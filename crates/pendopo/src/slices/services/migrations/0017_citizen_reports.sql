-- Citizens file reports on the web form without an account (issue 11).
-- sender: a digest of the filing client's address (never the address
-- itself), so filings per client can be limited; the limit per phone number
-- counts reporter_phone.
ALTER TABLE service_cases ADD COLUMN sender TEXT;
CREATE INDEX service_cases_sender ON service_cases (tenant_id, sender, created_at);
CREATE INDEX service_cases_phone ON service_cases (tenant_id, reporter_phone, created_at);
-- Duplicate suggestions look at the open cases of one service.
CREATE INDEX service_cases_service ON service_cases (tenant_id, service_id, created_at);
-- A report's photos (at most three), stored with the case in one
-- transaction after their metadata (EXIF, XMP, IPTC, text chunks) was
-- removed; seq orders them from 1.
CREATE TABLE service_case_photos (
    tenant_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    media_type TEXT NOT NULL,
    content BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, case_id, seq),
    FOREIGN KEY (tenant_id, case_id) REFERENCES service_cases (tenant_id, id)
);
-- The region's key signing the filing form's issued-at time (the time
-- check that stands in for a CAPTCHA), made on first use.
CREATE TABLE service_form_keys (
    tenant_id TEXT NOT NULL PRIMARY KEY,
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
