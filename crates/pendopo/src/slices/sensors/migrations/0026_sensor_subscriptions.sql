-- NGSI-LD subscriptions and their notification status; the flood warning's
-- email list.

-- A subscription: its body as the client gave it (names compacted through
-- its @context, kept beside it), what matching needs with names expanded
-- (`compiled`), and the delivery status the broker keeps.
CREATE TABLE sensor_subscriptions (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    -- The @context: a URL (JSON string), an inline context, or null (the core).
    context TEXT NOT NULL,
    compiled TEXT NOT NULL,
    -- 1 active, 0 paused (isActive).
    active BIGINT NOT NULL,
    -- Milliseconds; NULL: never expires.
    expires_at BIGINT,
    -- Milliseconds; 0: none.
    throttling_ms BIGINT NOT NULL,
    time_interval_ms BIGINT NOT NULL,
    -- When a notification was last queued (for throttling).
    last_queued BIGINT,
    times_sent BIGINT NOT NULL DEFAULT 0,
    times_failed BIGINT NOT NULL DEFAULT 0,
    last_notification BIGINT,
    last_success BIGINT,
    last_failure BIGINT,
    -- Why the last delivery failed ('' after a success).
    last_error TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    modified_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- Addresses (one a line) that get the flood status changes by email.
ALTER TABLE flood_settings ADD COLUMN emails TEXT NOT NULL DEFAULT '';
