-- Villages (slices/villages): each desa's APBDes per year as versions (the
-- original and every APBDes Perubahan kept), its lines, the village
-- profile, the IDM scores per year, the published transparency items
-- (LPJ, billboard photos), the DPMD's review per village and year, and the
-- regency's settings (transparency weights, APBDes tolerance).
-- Money is integer rupiah; times are milliseconds; dates are YYYY-MM-DD.

-- status: draft (the operator's, not public) or published. pre_2018: the
-- lines use the 1/2/3 accounts of before 2018, mapped when read. The totals are
-- the checked budget's, kept here so the comparison of all villages reads
-- one row per village and year.
CREATE TABLE village_apbdes (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    desa_code TEXT NOT NULL,
    year BIGINT NOT NULL,
    version BIGINT NOT NULL,
    status TEXT NOT NULL,
    pendapatan BIGINT NOT NULL,
    belanja BIGINT NOT NULL,
    belanja_s1 BIGINT NOT NULL,
    belanja_s2 BIGINT NOT NULL,
    dana_desa BIGINT NOT NULL,
    alokasi_dana_desa BIGINT NOT NULL,
    above_plan BIGINT NOT NULL,
    pre_2018 BIGINT NOT NULL,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    published_at BIGINT,
    realised_at BIGINT,
    PRIMARY KEY (tenant_id, desa_code, year, version)
);

CREATE TABLE village_apbdes_lines (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    desa_code TEXT NOT NULL,
    year BIGINT NOT NULL,
    version BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    kode TEXT NOT NULL,
    akun TEXT NOT NULL,
    nama TEXT NOT NULL,
    sumber TEXT NOT NULL,
    anggaran BIGINT NOT NULL,
    realisasi_s1 BIGINT,
    realisasi_s2 BIGINT,
    alasan TEXT,
    PRIMARY KEY (tenant_id, desa_code, year, version, seq),
    FOREIGN KEY (tenant_id, desa_code, year, version) REFERENCES village_apbdes (tenant_id, desa_code, year, version)
);

-- dusun: JSON [{"nama": "...", "penduduk": N}]; population is their sum.
CREATE TABLE village_profiles (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    desa_code TEXT NOT NULL,
    head_name TEXT NOT NULL,
    address TEXT NOT NULL,
    facilities TEXT NOT NULL,
    bumdes TEXT NOT NULL,
    dusun TEXT NOT NULL,
    population BIGINT NOT NULL,
    updated_by TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, desa_code)
);

-- scores: the 50 indicator scores as 50 digits in anggaran::idm order;
-- idm in ten-thousandths (0.8000 is 8000); source: entry or kemendesa.
CREATE TABLE village_idm (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    desa_code TEXT NOT NULL,
    year BIGINT NOT NULL,
    scores TEXT NOT NULL,
    idm BIGINT NOT NULL,
    status TEXT NOT NULL,
    source TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, desa_code, year)
);

-- kind: lpj (a PDF) or baliho (a photo of the billboard, EXIF stripped,
-- with where and when it was taken).
CREATE TABLE village_documents (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    desa_code TEXT NOT NULL,
    year BIGINT NOT NULL,
    kind TEXT NOT NULL,
    media_type TEXT NOT NULL,
    content BYTEA NOT NULL,
    place TEXT NOT NULL,
    taken_on TEXT,
    created_by TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX village_documents_desa ON village_documents (tenant_id, desa_code, year);

-- state: returned (with the DPMD's note, which the operator sees) or
-- accepted.
CREATE TABLE village_reviews (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    desa_code TEXT NOT NULL,
    year BIGINT NOT NULL,
    state TEXT NOT NULL,
    note TEXT NOT NULL,
    reviewer TEXT,
    reviewed_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, desa_code, year)
);

-- weights: five integers in anggaran::transparency::Item order.
CREATE TABLE village_settings (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    weights TEXT NOT NULL,
    fresh_days BIGINT NOT NULL,
    stale_percent BIGINT NOT NULL,
    tolerance BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id)
);

-- A counter bumped in the transaction of every write of this slice: the
-- comparison of all villages is cached under it, so every server sees a
-- change at its next request.
CREATE TABLE village_figures_version (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    version BIGINT NOT NULL,
    PRIMARY KEY (tenant_id)
);
