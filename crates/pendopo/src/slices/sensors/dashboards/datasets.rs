//! The sensors' figures as an open dataset of the region's catalogue
//! (`data-sensor-kota`, published by Diskominfo, the smart city's office):
//! daily traffic per location, daily rainfall per station with BMKG's
//! category, weekly market prices, the farm parcels and the sensor list,
//! one CSV resource each. Measures arriving queue the refresh in their own
//! transaction, a quarter of an hour ahead; a queued refresh absorbs every
//! later one (the jobs table keeps one waiting per key), so a flood of
//! measures costs one refresh per quarter hour, not one per measure.

use super::tables;
use crate::kernel::files::FileStore;
use crate::kernel::jobs::{self, NewJob};
use crate::slices::catalog::generated::{self, Generated};
use crate::store::{Store, StoreError, Tx};

pub const REFRESH_JOB: &str = "sensor:datasets";
/// How long after measures arrive the dataset is made again.
pub const DELAY_MS: i64 = 15 * 60 * 1000;
pub const PUBLISHER: &str = "diskominfo";
pub const NAME: &str = "data-sensor-kota";

/// `key`: "refresh" for the throttled one measures queue; "now" for the
/// one a demo load asks for at once (not absorbed by a waiting "refresh").
fn job(tenant: &str, now: i64, run_at: i64, key: &str) -> NewJob {
    NewJob { run_at, ..NewJob::now(now, tenant, REFRESH_JOB, key, serde_json::json!({})) }
}

/// Queues the refresh in the transaction that stored measures.
pub async fn measures_arrived(tx: &mut Tx, tenant: &str) -> Result<(), StoreError> {
    let now = tx.now_ms();
    jobs::enqueue(tx, &job(tenant, now, now + DELAY_MS, "refresh")).await.map(|_| ())
}

/// Queues a refresh due now (after the demo is loaded).
pub async fn refresh_soon(store: &Store, tenant: &str) -> Result<(), StoreError> {
    let now = store.now_ms();
    jobs::enqueue_now(store, &job(tenant, now, now, "now")).await.map(|_| ())
}

/// The region's UTC offset in hours (WIB, WITA or WIT by its province).
pub fn offset_of(tenant: &str) -> i64 {
    wilayah::Code::parse(tenant).map(|c| wilayah::TimeZone::of_province(c.province_number()).utc_offset_hours()).unwrap_or(7)
}

/// The dataset's resources: (resource name, file name, content).
pub async fn files(store: &Store, tenant: &str, offset: i64) -> Result<Vec<(&'static str, &'static str, String)>, StoreError> {
    let now = store.now_ms();
    let counters = tables::counters(store, tenant, 0).await?;
    let stations = tables::stations(store, tenant, offset, 0).await?;
    let prices = tables::prices(store, tenant, offset, 0).await?;
    let parcels = tables::parcels(store, tenant).await?;
    let devices = tables::devices(store, tenant, now).await?;
    Ok(vec![
        ("Lalu lintas harian per lokasi", "lalu-lintas-harian.csv", tables::traffic_daily_csv(&counters, offset)),
        ("Curah hujan harian per pos", "curah-hujan-harian.csv", tables::rain_csv(&stations)),
        ("Harga komoditas mingguan per pasar", "harga-komoditas-mingguan.csv", tables::prices_csv(&prices)),
        ("Lahan pertanian dan panen", "lahan-pertanian.csv", tables::parcels_csv(&parcels, offset)),
        ("Daftar sensor", "daftar-sensor.csv", tables::devices_csv(&devices)),
    ])
}

/// Makes the dataset again (each file a new version only when it changed).
/// Without the publishing organisation nothing is published.
pub async fn refresh(store: &Store, files_store: &FileStore, tenant: &str) -> Result<usize, String> {
    let Some(org) = crate::kernel::organizations::get(store, tenant, PUBLISHER).await.map_err(|e| e.to_string())? else {
        tracing::info!(tenant, "no {PUBLISHER} organisation: the sensor dataset is not published");
        return Ok(0);
    };
    let offset = offset_of(tenant);
    let made = files(store, tenant, offset).await.map_err(|e| e.to_string())?;
    for (resource_name, filename, csv) in made {
        let g = Generated {
            name: NAME,
            title: "Data sensor kota: lalu lintas, curah hujan, harga komoditas, lahan pertanian",
            notes: "Dari sensor dan pencatatan perangkat daerah melalui context broker NGSI-LD Pendopo: jumlah kendaraan, \
                kecepatan rata-rata dan jam macet per lokasi penghitung lalu lintas dan per hari (Dinas Perhubungan); curah \
                hujan harian per pos dengan kategori BMKG (hari hujan berakhir pukul 07.00 waktu setempat), harga komoditas \
                per pasar dan per minggu dalam rupiah, lahan pertanian dengan tanaman, status dan panen terakhir (Dinas \
                Pertanian); daftar sensor dengan baterai dan laporan terakhir. Deret lengkap tiap atribut: /sensor.",
            owner_org: &org.id,
            tags: &["sensor", "lalu-lintas", "curah-hujan", "harga-komoditas", "pertanian"],
            generator: "sensor",
            resource_name,
            filename,
            csv,
        };
        generated::publish(store, files_store, tenant, &g).await.map_err(|e| format!("{NAME}: {e}"))?;
    }
    Ok(1)
}
