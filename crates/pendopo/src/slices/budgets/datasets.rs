//! Each year's APBD as a dataset of the region's catalogue (the same CSV
//! the Fiscal Data Package points at), published with `catalog::generated`
//! by a deduplicated job: every write of a year queues one refresh of that
//! year in its own transaction, and a job already waiting absorbs the next.

use crate::kernel::files::FileStore;
use crate::kernel::jobs::{self, NewJob};
use crate::slices::catalog::generated::{self, Generated};
use crate::store::{Store, StoreError, Tx};

pub const REFRESH_JOB: &str = "anggaran:dataset";

/// Queues the year's refresh in the transaction of the write.
pub async fn changed(tx: &mut Tx, tenant: &str, year: i32, now: i64) -> Result<(), StoreError> {
    let job = NewJob::now(now, tenant, REFRESH_JOB, format!("apbd-{year}"), serde_json::json!({ "year": year }));
    jobs::enqueue(tx, &job).await.map(|_| ())
}

pub fn name_of(year: i32) -> String {
    format!("apbd-{year}")
}

/// Publishes the year's shown version; owned by the first publishing agency
/// that exists (nothing is published without one).
pub async fn refresh(store: &Store, files: &FileStore, tenant: &str, year: i32) -> Result<(), String> {
    let e = |e: StoreError| e.to_string();
    let mut owner = None;
    for slug in super::repo::publishers(store, tenant).await.map_err(e)? {
        if let Some(org) = crate::kernel::organizations::get(store, tenant, &slug).await.map_err(e)? {
            owner = Some(org);
            break;
        }
    }
    let Some(owner) = owner else {
        tracing::info!(tenant, year, "no publishing agency: the APBD dataset is not published");
        return Ok(());
    };
    let Some(version) = super::repo::current(store, tenant, year).await.map_err(e)? else { return Ok(()) };
    let kind = version.kind;
    let lines = super::repo::lines(store, tenant, year, kind).await.map_err(e)?;
    let plain: Vec<anggaran::apbd::Line> = lines.into_iter().map(|l| l.line).collect();
    let csv = anggaran::fdp::apbd_csv(year, &plain);
    let name = name_of(year);
    let title = format!("APBD {year} ({})", kind.code().to_uppercase());
    let g = Generated {
        name: &name,
        title: &title,
        notes: "Anggaran Pendapatan dan Belanja Daerah per baris: perangkat daerah, urusan, bidang, program, kegiatan, sub kegiatan \
                (Permendagri 90/2019), kode rekening enam tingkat, pagu dan realisasi per triwulan, dalam rupiah. Juga tersedia sebagai \
                Fiscal Data Package di /anggaran/{tahun}/datapackage.json.",
        owner_org: &owner.id,
        tags: &["anggaran", "apbd", "keuangan-daerah"],
        generator: "anggaran",
        resource_name: &title,
        filename: "apbd.csv",
        csv,
    };
    generated::publish(store, files, tenant, &g).await.map_err(|e| format!("{name}: {e}"))?;
    Ok(())
}
