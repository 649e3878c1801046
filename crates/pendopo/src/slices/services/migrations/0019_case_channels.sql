-- The other channels that feed cases (slices/services/channels).
--
-- A Dialog Publik session: the regent's weekly meeting with citizens (or a
-- radio programme, an SMS round-up) as staff entered it. held_on: the day
-- (YYYY-MM-DD); officials: who answered, as written. Its items are cases
-- (service_cases.channel says dialog_publik, radio or sms), in the order
-- they were raised.
CREATE TABLE dialog_sessions (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    held_on TEXT NOT NULL,
    place TEXT NOT NULL,
    officials TEXT NOT NULL,
    notes TEXT NOT NULL,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX dialog_sessions_held ON dialog_sessions (tenant_id, held_on);
CREATE TABLE dialog_items (
    tenant_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    case_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, session_id, seq),
    FOREIGN KEY (tenant_id, session_id) REFERENCES dialog_sessions (tenant_id, id)
);
-- The SMS/WhatsApp gateway of a region: the shared secret its webhook
-- calls are signed with (HMAC-SHA256; kept as written, since checking a
-- signature needs it), and the service a message files under when it
-- names none (intake_service_id).
CREATE TABLE message_gateways (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    secret TEXT NOT NULL,
    intake_service_id TEXT NOT NULL,
    updated_by TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id)
);
