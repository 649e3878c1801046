//! The complaints' monthly figures as open datasets of the region's
//! catalogue (per agency and per kecamatan), published with
//! `catalog::generated` and refreshed by a durable job: every filing and
//! every step queues it in its own transaction, a few minutes ahead, and a
//! job already waiting absorbs the next ones, so a busy hour makes one
//! refresh. Aggregates only: no number, text, place or reporter of a case.

use kalender::Date;

use super::dashboard::{FIGURE_COLUMNS, Names, figure_fields};
use super::figures::{self, Dim, Filter};
use crate::kernel::files::FileStore;
use crate::kernel::jobs::{self, NewJob};
use crate::slices::catalog::generated::{self, Generated};
use crate::store::{Store, StoreError, Tx, sql};

pub const REFRESH_JOB: &str = "layanan:datasets";
/// How long after a change the datasets are made again; the changes in
/// between join that refresh.
const DELAY_MS: i64 = 10 * 60 * 1000;
/// The organisation that publishes them: the coordinating admin's.
pub const PUBLISHER: &str = "diskominfo";
pub const BY_AGENCY: &str = "pengaduan-layanan-per-perangkat-daerah";
pub const BY_KECAMATAN: &str = "pengaduan-layanan-per-kecamatan";

/// Queues the refresh in the transaction of a change to cases.
pub async fn changed(tx: &mut Tx, tenant: &str, now: i64) -> Result<(), StoreError> {
    let job = NewJob { run_at: now + DELAY_MS, ..NewJob::now(now, tenant, REFRESH_JOB, "refresh", serde_json::json!({})) };
    jobs::enqueue(tx, &job).await.map(|_| ())
}

fn offset_of(tenant: &str) -> i64 {
    wilayah::Code::parse(tenant).map(|c| wilayah::TimeZone::of_province(c.province_number()).utc_offset_hours()).unwrap_or(7)
}

/// The two tables: one line per month and agency, one per month and kecamatan.
async fn tables(store: &Store, tenant: &str, today: Date, offset: i64) -> Result<(String, String), StoreError> {
    let first: Option<i64> = store
        .fetch_optional(sql("SELECT MIN(created_at) AS first FROM service_cases WHERE tenant_id = $1").bind(tenant))
        .await?
        .map(|r| r.get::<Option<i64>>("first"))
        .transpose()?
        .flatten();
    let names = Names::of(store, tenant).await.map_err(|e| StoreError::Other(format!("{e:?}")))?;
    let header = |what: &[&str]| ["tahun", "bulan"].iter().chain(what).chain(FIGURE_COLUMNS.iter()).copied().collect::<Vec<_>>().join(",");
    let mut by_agency = header(&["kode_perangkat_daerah", "perangkat_daerah"]) + "\n";
    let mut by_kecamatan = header(&["kode_kecamatan", "kecamatan"]) + "\n";
    let Some(first) = first else { return Ok((by_agency, by_kecamatan)) };
    let start = Date::from_unix_millis(first, offset).unwrap_or(today);
    let field = |v: &str| if v.contains([',', '"', '\n']) { format!("\"{}\"", v.replace('"', "\"\"")) } else { v.to_string() };
    for year in start.year()..=today.year() {
        for month in 1..=12u8 {
            if (year, month) < (start.year(), start.month()) || (year, month) > (today.year(), today.month()) {
                continue;
            }
            let f = Filter { year, month: Some(month), agency_id: None, kecamatan: None };
            let fig = figures::compute(store, tenant, &f, &[Dim::Agency, Dim::Kecamatan], today, offset).await?;
            for (dim, lines, out) in [(Dim::Agency, &fig.agencies, &mut by_agency), (Dim::Kecamatan, &fig.kecamatan, &mut by_kecamatan)] {
                for line in lines {
                    let (key, name) = names.label(dim, &line.key, "");
                    let row: Vec<String> =
                        [year.to_string(), month.to_string(), field(&key), field(&name)].into_iter().chain(figure_fields(line)).collect();
                    out.push_str(&row.join(","));
                    out.push('\n');
                }
            }
        }
    }
    Ok((by_agency, by_kecamatan))
}

/// Makes both datasets again (a new file version only where a figure
/// changed). Without the publishing organisation nothing is published.
pub async fn refresh(store: &Store, files: &FileStore, tenant: &str) -> Result<usize, String> {
    let Some(org) = crate::kernel::organizations::get(store, tenant, PUBLISHER).await.map_err(|e| e.to_string())? else {
        tracing::info!(tenant, "no {PUBLISHER} organisation: the complaint datasets are not published");
        return Ok(0);
    };
    let offset = offset_of(tenant);
    let today = Date::from_unix_millis(store.now_ms(), offset).ok_or("the clock is outside the calendar")?;
    let (by_agency, by_kecamatan) = tables(store, tenant, today, offset).await.map_err(|e| e.to_string())?;
    let note = "Angka bulanan laporan warga (pengaduan, aspirasi, permintaan informasi): diterima, terverifikasi, dalam proses, \
        dijawab, selesai, terlambat (per hari pembaruan), warna merah/kuning/biru, median hari sampai tanggapan pertama dan sampai \
        selesai, dan persentase selesai tepat waktu. Laporan rahasia ikut dihitung.";
    let sets = [
        (BY_AGENCY, "Pengaduan layanan publik per perangkat daerah per bulan", "per-perangkat-daerah.csv", by_agency),
        (BY_KECAMATAN, "Pengaduan layanan publik per kecamatan per bulan", "per-kecamatan.csv", by_kecamatan),
    ];
    for (name, title, filename, csv) in sets {
        let g = Generated {
            name,
            title,
            notes: note,
            owner_org: &org.id,
            tags: &["pengaduan", "layanan-publik"],
            generator: "layanan",
            resource_name: title,
            filename,
            csv,
        };
        generated::publish(store, files, tenant, &g).await.map_err(|e| format!("{name}: {e}"))?;
    }
    Ok(2)
}
