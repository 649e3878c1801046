-- Who sent a citizen's monitoring report, as a SHA-256 digest of the
-- client's address (never the address itself): enough to hold back one
-- sender's flood, nothing to identify anyone by.
ALTER TABLE ocds_reports ADD COLUMN sender TEXT NOT NULL DEFAULT ''
