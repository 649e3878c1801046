-- Which server runs each singleton service (services.rs), until when: a
-- server renews its lease while the service runs, gives it back when it
-- stops, and loses it when it runs out.
CREATE TABLE service_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
)
