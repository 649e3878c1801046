-- The regency budget (APBD) of each year, its versions and its planning
-- documents (issue 12, slices/budgets). Money is whole rupiah (BIGINT).

-- Which agencies publish the budget (by slug, so a setting can name an
-- agency before it exists): their officers may write it, beside the
-- region admins. A new region gets BPKAD and Bappeda.
CREATE TABLE apbd_publishers (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    org_slug TEXT NOT NULL,
    PRIMARY KEY (tenant_id, org_slug)
);

-- One version of a year's budget: 'apbd' (murni) or 'apbd-p' (perubahan).
-- An APBD-P is stored beside the APBD, which stays. `revision` grows with
-- every write of the year, so readers can tell their copy is current.
CREATE TABLE apbd_versions (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    year BIGINT NOT NULL,
    kind TEXT NOT NULL,
    revision BIGINT NOT NULL,
    line_count BIGINT NOT NULL,
    source TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, year, kind)
);

-- The lines of a version: agency, sub-kegiatan (empty on pendapatan and
-- pembiayaan), six-level account, plan and realisation within each quarter.
-- org_id is the organisation the agency's name or code was matched to.
CREATE TABLE apbd_lines (
    tenant_id TEXT NOT NULL,
    year BIGINT NOT NULL,
    kind TEXT NOT NULL,
    n BIGINT NOT NULL,
    kode_opd TEXT NOT NULL,
    nama_opd TEXT NOT NULL,
    org_id TEXT,
    sub_kegiatan TEXT NOT NULL,
    nama_sub_kegiatan TEXT NOT NULL,
    rekening TEXT NOT NULL,
    uraian TEXT NOT NULL,
    plan BIGINT NOT NULL,
    tw1 BIGINT NOT NULL,
    tw2 BIGINT NOT NULL,
    tw3 BIGINT NOT NULL,
    tw4 BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, year, kind, n),
    FOREIGN KEY (tenant_id, year, kind) REFERENCES apbd_versions (tenant_id, year, kind)
);

-- Names of urusan, bidang, programmes and kegiatan for a year (the code
-- list the walidata extends; sub-kegiatan names come with their lines).
CREATE TABLE apbd_program_names (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    year BIGINT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (tenant_id, year, code)
);

-- Planning and budget documents of a year, each a file at its stage
-- (rpjmd, renstra, rkpd, kua-ppas, apbd, perbup-penjabaran, renja, rka,
-- dpa, lkpj). Files live in the file store under file_key.
CREATE TABLE apbd_documents (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    year BIGINT NOT NULL,
    stage TEXT NOT NULL,
    title TEXT NOT NULL,
    file_key TEXT NOT NULL,
    file_name TEXT NOT NULL,
    size BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE INDEX apbd_documents_year ON apbd_documents (tenant_id, year, stage);
