-- OCDS feeds. The licence and the publication policy that every package
-- carries, as the region sets them (empty: Pendopo's defaults, CC BY 4.0
-- and the portal's own policy page). And the index for `?since=`, which
-- reads when Pendopo published a release: `created_at`, the time it was
-- stored (a release is public the moment it is stored, and never changed
-- after), so every existing row already has it.
ALTER TABLE ocds_settings ADD COLUMN license TEXT NOT NULL DEFAULT '';
ALTER TABLE ocds_settings ADD COLUMN publication_policy TEXT NOT NULL DEFAULT '';
CREATE INDEX ocds_releases_published ON ocds_releases (tenant_id, created_at, seq)
