//! The village figures as an open dataset of the region's catalogue: one
//! line per village and year (APBDes totals, realisation, IDM, the
//! transparency score), published by the DPMD with `catalog::generated`
//! and refreshed by a durable job that every write of this slice queues in
//! its own transaction (a queued one absorbs the rest). Aggregates only:
//! no names of people.

use kalender::Date;

use super::compare;
use crate::kernel::files::FileStore;
use crate::kernel::jobs::{self, NewJob};
use crate::slices::catalog::generated::{self, Generated};
use crate::store::{Store, StoreError, Tx, sql};

pub const REFRESH_JOB: &str = "desa:datasets";
/// How long after a change the dataset is made again.
const DELAY_MS: i64 = 10 * 60 * 1000;
/// The organisation that publishes it.
pub const PUBLISHER: &str = "dpmd";
pub const NAME: &str = "anggaran-dan-indeks-desa";

/// Bumps the figures' version (the comparison's cache key) and queues the
/// refresh, in the transaction of a change.
pub async fn changed(tx: &mut Tx, tenant: &str, now: i64) -> Result<(), StoreError> {
    bump(tx, tenant).await?;
    let job = NewJob { run_at: now + DELAY_MS, ..NewJob::now(now, tenant, REFRESH_JOB, "refresh", serde_json::json!({})) };
    jobs::enqueue(tx, &job).await.map(|_| ())
}

/// The next version of the region's village figures.
pub async fn bump(tx: &mut Tx, tenant: &str) -> Result<(), StoreError> {
    let updated = tx.execute(sql("UPDATE village_figures_version SET version = version + 1 WHERE tenant_id = $1").bind(tenant)).await?;
    if updated == 0 {
        tx.execute(sql("INSERT INTO village_figures_version (tenant_id, version) VALUES ($1, 1)").bind(tenant)).await?;
    }
    Ok(())
}

/// The version of the region's village figures (0 before any write).
pub async fn version(store: &Store, tenant: &str) -> Result<i64, StoreError> {
    let row = store.fetch_optional(sql("SELECT version FROM village_figures_version WHERE tenant_id = $1").bind(tenant)).await?;
    row.map(|r| r.get::<i64>("version")).transpose().map(|v| v.unwrap_or(0))
}

pub fn offset_of(tenant: &str) -> i64 {
    wilayah::Code::parse(tenant).map(|c| wilayah::TimeZone::of_province(c.province_number()).utc_offset_hours()).unwrap_or(7)
}

const HEADER: &str = "tahun,kode_desa,desa,kode_kecamatan,kecamatan,jenis,penduduk,dana_desa,alokasi_dana_desa,belanja,realisasi_belanja,\
realisasi_persen,jumlah_versi_apbdes,baris_di_atas_rencana,idm,status_idm,skor_transparansi,peringkat_kabupaten,peringkat_kecamatan";

/// The table: every village for every year with a budget or an IDM.
pub async fn table(store: &Store, tenant: &str, today: Date, offset: i64) -> Result<String, StoreError> {
    let mut years: Vec<i64> = Vec::new();
    for q in [
        sql("SELECT DISTINCT year FROM village_apbdes WHERE tenant_id = $1 AND status = 'published'"),
        sql("SELECT DISTINCT year FROM village_idm WHERE tenant_id = $1"),
    ] {
        for r in store.fetch_all(q.bind(tenant)).await? {
            years.push(r.get("year")?);
        }
    }
    years.sort_unstable();
    years.dedup();
    let field = |v: &str| if v.contains([',', '"', '\n']) { format!("\"{}\"", v.replace('"', "\"\"")) } else { v.to_string() };
    let mut out = format!("{HEADER}\n");
    for year in years {
        let mut rows = compare::rows(store, tenant, year as i32, today, offset).await?;
        rows.sort_by(|a, b| a.code.cmp(&b.code));
        for r in rows {
            let cells = [
                year.to_string(),
                r.code.clone(),
                field(&r.name),
                r.kecamatan.clone(),
                field(&r.kecamatan_name),
                (if r.kelurahan { "kelurahan" } else { "desa" }).to_string(),
                r.population.to_string(),
                r.dana_desa.to_string(),
                r.add.to_string(),
                r.belanja.to_string(),
                r.realised.to_string(),
                r.realisation_bp.map(|bp| format!("{}.{:02}", bp / 100, bp % 100)).unwrap_or_default(),
                r.versions.to_string(),
                r.above_plan.to_string(),
                r.idm.map(|i| format!("{i:.4}")).unwrap_or_default(),
                r.status.unwrap_or_default().to_string(),
                r.transparency.clone(),
                r.rank.to_string(),
                r.rank_kecamatan.to_string(),
            ];
            out.push_str(&cells.join(","));
            out.push('\n');
        }
    }
    Ok(out)
}

/// Makes the dataset again (a new file version only when a figure
/// changed). Without the DPMD organisation nothing is published.
pub async fn refresh(store: &Store, files: &FileStore, tenant: &str) -> Result<usize, String> {
    let Some(org) = crate::kernel::organizations::get(store, tenant, PUBLISHER).await.map_err(|e| e.to_string())? else {
        tracing::info!(tenant, "no {PUBLISHER} organisation: the village dataset is not published");
        return Ok(0);
    };
    let offset = offset_of(tenant);
    let today = Date::from_unix_millis(store.now_ms(), offset).ok_or("the clock is outside the calendar")?;
    let csv = table(store, tenant, today, offset).await.map_err(|e| e.to_string())?;
    let title = "Anggaran, realisasi, IDM dan transparansi desa per tahun";
    let g = Generated {
        name: NAME,
        title,
        notes: "Per desa/kelurahan dan tahun: pendapatan Dana Desa dan Alokasi Dana Desa (rencana APBDes terbaru yang \
            diterbitkan), belanja dan realisasinya (semester 1 dan 2), jumlah versi APBDes (lebih dari satu: ada APBDes \
            Perubahan), baris yang realisasinya melebihi rencana, Indeks Desa Membangun dan statusnya, skor Festival \
            Transparansi Desa dan peringkatnya. Penduduk: jumlah penduduk dusun pada profil desa.",
        owner_org: &org.id,
        tags: &["desa", "apbdes", "idm", "transparansi"],
        generator: "desa",
        resource_name: title,
        filename: "desa-per-tahun.csv",
        csv,
    };
    generated::publish(store, files, tenant, &g).await.map_err(|e| format!("{NAME}: {e}"))?;
    Ok(1)
}
