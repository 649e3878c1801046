-- A resource id a client chooses (a copy from another CKAN keeps its ids)
-- must be free in every region, since a resource's datastore table is named
-- by its id alone: this index answers that check without a scan.
CREATE INDEX resources_by_id ON resources (id)
