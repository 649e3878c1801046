-- CKAN's core fields of a dataset that Pendopo keeps as given (author,
-- maintainer and their e-mails, version, the data's home page), as one
-- JSON object: clients read and write them together with the dataset.
ALTER TABLE datasets ADD COLUMN core TEXT NOT NULL DEFAULT '{}'
