//! The dashboards' figures, read only through the broker's functions
//! (`repo::of_type`, `repo::series`, `repo::load`): per rainfall station,
//! traffic counter, market price, parcel and device; and each table as CSV
//! (the downloads and the catalogue dataset write the same text).

use std::collections::BTreeMap;

use ngsild::entity::Entity;
use serde::Serialize;
use serde_json::Value as Json;

use super::figures::{self, RainCategory};
use crate::slices::sensors::repo;
use crate::store::{Store, StoreError};

/// Entities of a type a dashboard reads at most (a regency has hundreds).
const MAX_ENTITIES: i64 = 5_000;

fn attr<'a>(e: &'a Entity, name: &str) -> Option<&'a ngsild::entity::Attribute> {
    e.attrs.get(name).and_then(|list| list.iter().find(|a| a.dataset_id.is_none()).or(list.first()))
}

pub fn text(e: &Entity, name: &str) -> String {
    attr(e, name).map(|a| a.value.as_str().map(str::to_string).unwrap_or_else(|| a.value.to_string())).unwrap_or_default()
}

pub fn num(e: &Entity, name: &str) -> Option<f64> {
    attr(e, name).and_then(|a| a.value.as_f64())
}

/// The entity's id after its type: `urn:ngsi-ld:WeatherObserved:kanor` is `kanor`.
pub fn key(e: &Entity) -> String {
    e.id.rsplit(':').next().unwrap_or(&e.id).to_string()
}

/// (latitude, longitude) of a Point `location`.
pub fn lat_lon(e: &Entity) -> Option<(f64, f64)> {
    let c = attr(e, "location")?.value.get("coordinates")?;
    Some((c.get(1)?.as_f64()?, c.get(0)?.as_f64()?))
}

/// Where it is: kecamatan, desa name, desa code.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Place {
    pub kecamatan: String,
    pub desa: String,
    pub desa_code: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

pub fn place(e: &Entity) -> Place {
    let address = attr(e, "address").map(|a| a.value.clone()).unwrap_or(Json::Null);
    let field = |k: &str| address.get(k).and_then(Json::as_str).unwrap_or_default().to_string();
    let code = attr(e, "refVillage").and_then(|a| a.value.as_str()).and_then(|u| u.rsplit(':').next()).unwrap_or_default().to_string();
    let ll = lat_lon(e);
    Place { kecamatan: field("district"), desa: field("addressLocality"), desa_code: code, lat: ll.map(|p| p.0), lon: ll.map(|p| p.1) }
}

/// The newest `observedAt` over its attributes (ms).
pub fn last_observed_ms(e: &Entity) -> Option<i64> {
    e.attrs.values().flatten().filter_map(|a| a.observed_at_micros()).max().map(|us| us / 1000)
}

pub fn is_demo(e: &Entity) -> bool {
    text(e, "dataProvider") == super::demo::DEMO
}

/// One CSV file being written.
pub struct Csv(Vec<u8>);

impl Csv {
    pub fn new(header: &[&str]) -> Csv {
        Csv(crate::web::format::csv_line(header, b','))
    }
    pub fn row<S: AsRef<[u8]>>(&mut self, cells: impl IntoIterator<Item = S>) {
        self.0.extend(crate::web::format::csv_line(cells, b','));
    }
    pub fn into_string(self) -> String {
        String::from_utf8(self.0).unwrap_or_default()
    }
}

/// Numbers in files: a dot for decimals, no thousands separator.
fn plain(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

// ---------------------------------------------------------------- rainfall

#[derive(Clone, Debug, Serialize)]
pub struct Station {
    pub id: String,
    pub key: String,
    pub name: String,
    pub place: Place,
    pub demo: bool,
    /// (rain day, mm), oldest first, only days with a reading.
    pub days: Vec<(i64, f64)>,
    pub temperature: Option<f64>,
    pub humidity: Option<f64>,
}

impl Station {
    pub fn latest(&self) -> Option<(i64, f64, RainCategory)> {
        self.days.last().map(|(d, mm)| (*d, *mm, RainCategory::of(*mm)))
    }
}

/// Every WeatherObserved with its daily rainfall (sum of `precipitation`
/// points per BMKG rain day) from `from_ms`.
pub async fn stations(store: &Store, tenant: &str, offset: i64, from_ms: i64) -> Result<Vec<Station>, StoreError> {
    let mut out = Vec::new();
    for e in repo::of_type(store, tenant, "WeatherObserved", MAX_ENTITIES).await? {
        let mut days: BTreeMap<i64, f64> = BTreeMap::new();
        for (ms, v) in repo::series(store, tenant, &e.id, "precipitation", from_ms, i64::MAX / 1000).await? {
            if let Some(mm) = v.as_f64() {
                *days.entry(figures::rain_day(ms, offset)).or_default() += mm;
            }
        }
        let name = Some(text(&e, "name")).filter(|n| !n.is_empty()).unwrap_or_else(|| key(&e));
        out.push(Station {
            id: e.id.clone(),
            key: key(&e),
            name,
            place: place(&e),
            demo: is_demo(&e),
            days: days.into_iter().map(|(d, mm)| (d, (mm * 10.0).round() / 10.0)).collect(),
            temperature: num(&e, "temperature"),
            humidity: num(&e, "relativeHumidity"),
        });
    }
    Ok(out)
}

pub fn rain_csv(stations: &[Station]) -> String {
    let mut csv = Csv::new(&["pos_id", "pos", "kecamatan", "tanggal", "curah_hujan_mm", "kategori_bmkg"]);
    for s in stations {
        for (day, mm) in &s.days {
            csv.row([
                s.id.clone(),
                s.name.clone(),
                s.place.kecamatan.clone(),
                figures::day_text(*day),
                plain(*mm),
                RainCategory::of(*mm).code().to_string(),
            ]);
        }
    }
    csv.into_string()
}

// ----------------------------------------------------------------- traffic

#[derive(Clone, Debug, Default, Serialize)]
pub struct Hour {
    pub at_ms: i64,
    pub vehicles: f64,
    pub occupancy: Option<f64>,
    pub speed: Option<f64>,
    pub congested: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Counter {
    pub id: String,
    pub key: String,
    pub name: String,
    pub place: Place,
    pub demo: bool,
    pub hours: Vec<Hour>,
}

/// The occupancy from which an hour counts as congested when the counter
/// sends no `congested` of its own.
pub const CONGESTED_OCCUPANCY: f64 = 0.8;

/// Every TrafficFlowObserved with its hourly points from `from_ms`
/// (`intensity` is the vehicles counted in the hour the point starts).
pub async fn counters(store: &Store, tenant: &str, from_ms: i64) -> Result<Vec<Counter>, StoreError> {
    let mut out = Vec::new();
    for e in repo::of_type(store, tenant, "TrafficFlowObserved", MAX_ENTITIES).await? {
        let mut hours: BTreeMap<i64, Hour> = BTreeMap::new();
        let mut said_congested = false;
        for name in ["intensity", "occupancy", "averageVehicleSpeed", "congested"] {
            for (ms, v) in repo::series(store, tenant, &e.id, name, from_ms, i64::MAX / 1000).await? {
                let h = hours.entry(ms).or_insert_with(|| Hour { at_ms: ms, ..Hour::default() });
                match name {
                    "intensity" => h.vehicles = v.as_f64().unwrap_or(0.0),
                    "occupancy" => h.occupancy = v.as_f64(),
                    "averageVehicleSpeed" => h.speed = v.as_f64(),
                    _ => {
                        said_congested = true;
                        h.congested = v.as_bool().unwrap_or(false);
                    }
                }
            }
        }
        if !said_congested {
            // Counters that do not say: congested at 80 % occupancy or more.
            for h in hours.values_mut() {
                h.congested = h.occupancy.is_some_and(|o| o >= CONGESTED_OCCUPANCY);
            }
        }
        let name = Some(text(&e, "name")).filter(|n| !n.is_empty()).unwrap_or_else(|| key(&e));
        out.push(Counter {
            id: e.id.clone(),
            key: key(&e),
            name,
            place: place(&e),
            demo: is_demo(&e),
            hours: hours.into_values().collect(),
        });
    }
    Ok(out)
}

pub fn traffic_hourly_csv(counters: &[Counter], offset: i64) -> String {
    let mut csv = Csv::new(&["lokasi_id", "lokasi", "kecamatan", "jam_mulai", "kendaraan", "okupansi", "kecepatan_rata_kmh", "macet"]);
    for c in counters {
        for h in &c.hours {
            csv.row([
                c.id.clone(),
                c.name.clone(),
                c.place.kecamatan.clone(),
                figures::hour_text(h.at_ms, offset),
                plain(h.vehicles),
                h.occupancy.map(plain).unwrap_or_default(),
                h.speed.map(plain).unwrap_or_default(),
                (if h.congested { "ya" } else { "tidak" }).to_string(),
            ]);
        }
    }
    csv.into_string()
}

/// Per counter and local day: vehicles, mean speed, hours congested.
pub fn traffic_daily_csv(counters: &[Counter], offset: i64) -> String {
    let mut csv = Csv::new(&["lokasi_id", "lokasi", "kecamatan", "tanggal", "kendaraan", "kecepatan_rata_kmh", "jam_macet"]);
    for c in counters {
        let mut days: BTreeMap<i64, (f64, f64, usize, usize)> = BTreeMap::new();
        for h in &c.hours {
            let d = days.entry(figures::local_day(h.at_ms, offset)).or_default();
            d.0 += h.vehicles;
            if let Some(s) = h.speed {
                d.1 += s;
                d.2 += 1;
            }
            d.3 += usize::from(h.congested);
        }
        for (day, (vehicles, speed, n, congested)) in days {
            let mean = if n > 0 { plain(speed / n as f64) } else { String::new() };
            csv.row([
                c.id.clone(),
                c.name.clone(),
                c.place.kecamatan.clone(),
                figures::day_text(day),
                plain(vehicles),
                mean,
                congested.to_string(),
            ]);
        }
    }
    csv.into_string()
}

// ------------------------------------------------------------------ prices

#[derive(Clone, Debug, Serialize)]
pub struct Price {
    pub id: String,
    pub market: String,
    pub commodity: String,
    pub unit: String,
    pub demo: bool,
    /// (Monday of the week, days since the epoch; Rupiah), oldest first.
    pub weeks: Vec<(i64, i64)>,
}

/// Every CommodityPrice (our own type: `commodity`, `market`, `unit`, and
/// `price` in whole Rupiah per unit) with its weekly prices from `from_ms`
/// (the last price taken in a week is the week's).
pub async fn prices(store: &Store, tenant: &str, offset: i64, from_ms: i64) -> Result<Vec<Price>, StoreError> {
    let mut out = Vec::new();
    for e in repo::of_type(store, tenant, "CommodityPrice", MAX_ENTITIES).await? {
        let mut weeks: BTreeMap<i64, i64> = BTreeMap::new();
        for (ms, v) in repo::series(store, tenant, &e.id, "price", from_ms, i64::MAX / 1000).await? {
            if let Some(p) = v.as_f64() {
                weeks.insert(figures::week_start(ms, offset), p.round() as i64);
            }
        }
        out.push(Price {
            id: e.id.clone(),
            market: text(&e, "market"),
            commodity: text(&e, "commodity"),
            unit: text(&e, "unit"),
            demo: is_demo(&e),
            weeks: weeks.into_iter().collect(),
        });
    }
    out.sort_by(|a, b| (&a.market, &a.commodity).cmp(&(&b.market, &b.commodity)));
    Ok(out)
}

pub fn prices_csv(prices: &[Price]) -> String {
    let mut csv = Csv::new(&["pasar", "komoditas", "satuan", "minggu_mulai", "harga_rupiah"]);
    for p in prices {
        for (week, price) in &p.weeks {
            csv.row([p.market.clone(), p.commodity.clone(), p.unit.clone(), figures::day_text(*week), price.to_string()]);
        }
    }
    csv.into_string()
}

// ----------------------------------------------------------------- parcels

#[derive(Clone, Debug, Serialize)]
pub struct Parcel {
    pub id: String,
    pub name: String,
    pub place: Place,
    pub crop: String,
    pub status: String,
    pub area_m2: f64,
    pub harvest_kg: Option<f64>,
    pub harvested_ms: Option<i64>,
    pub demo: bool,
}

/// Every AgriParcel as it is now (`area` m², `crop`, `cropStatus`, and the
/// last `harvest` in kg with when it was taken).
pub async fn parcels(store: &Store, tenant: &str) -> Result<Vec<Parcel>, StoreError> {
    Ok(repo::of_type(store, tenant, "AgriParcel", MAX_ENTITIES)
        .await?
        .iter()
        .map(|e| {
            let harvest = attr(e, "harvest");
            Parcel {
                id: e.id.clone(),
                name: text(e, "name"),
                place: place(e),
                crop: text(e, "crop"),
                status: text(e, "cropStatus"),
                area_m2: num(e, "area").unwrap_or(0.0),
                harvest_kg: harvest.and_then(|a| a.value.as_f64()),
                harvested_ms: harvest.and_then(|a| a.observed_at_micros()).map(|us| us / 1000),
                demo: is_demo(e),
            }
        })
        .collect())
}

pub fn parcels_csv(parcels: &[Parcel], offset: i64) -> String {
    let mut csv = Csv::new(&[
        "lahan_id",
        "nama",
        "kecamatan",
        "desa",
        "kode_desa",
        "tanaman",
        "status_tanaman",
        "luas_m2",
        "panen_terakhir_kg",
        "tanggal_panen",
    ]);
    for p in parcels {
        csv.row([
            p.id.clone(),
            p.name.clone(),
            p.place.kecamatan.clone(),
            p.place.desa.clone(),
            p.place.desa_code.clone(),
            p.crop.clone(),
            p.status.clone(),
            plain(p.area_m2),
            p.harvest_kg.map(plain).unwrap_or_default(),
            p.harvested_ms.map(|ms| figures::day_text(figures::local_day(ms, offset))).unwrap_or_default(),
        ]);
    }
    csv.into_string()
}

// ----------------------------------------------------------------- devices

#[derive(Clone, Debug, Serialize)]
pub struct Device {
    pub id: String,
    pub key: String,
    /// The type of what it observes (`TrafficFlowObserved`), or `Device`.
    pub kind: String,
    pub asset: String,
    pub properties: Vec<String>,
    pub place: Place,
    /// 0-100.
    pub battery: Option<i64>,
    pub last_ms: Option<i64>,
    pub stale: bool,
    pub demo: bool,
}

/// How long a sensor of a kind may stay silent before it is stale: three
/// of its reporting intervals (hourly counters, 3-hourly gauges, weekly
/// prices); a daily rain gauge, a day and a half (one 07:00 report missed).
pub fn stale_after_ms(kind: &str) -> i64 {
    let h = figures::HOUR_MS;
    match kind {
        "TrafficFlowObserved" => 3 * h,
        "WaterObserved" => 9 * h,
        "WeatherObserved" => 36 * h,
        "CommodityPrice" => 21 * 24 * h,
        _ => 24 * h,
    }
}

/// Every Device, with the time it last reported: its
/// `dateLastValueReported` or its observed entity's newest `observedAt`,
/// whichever is later (measures reach the observed entity directly).
pub async fn devices(store: &Store, tenant: &str, now: i64) -> Result<Vec<Device>, StoreError> {
    let core = ngsild::context::core();
    let mut out = Vec::new();
    for e in repo::of_type(store, tenant, "Device", MAX_ENTITIES).await? {
        let asset = attr(&e, "controlledAsset").and_then(|a| a.value.as_str()).unwrap_or_default().to_string();
        let reported =
            attr(&e, "dateLastValueReported").and_then(|a| a.value.as_str()).and_then(ngsild::time::parse_datetime).map(|us| us / 1000);
        let (kind, observed) = match repo::load(store, tenant, &asset).await? {
            Some(a) => {
                let kind = a.types.first().map(|t| core.compact(t)).unwrap_or_default();
                (kind, last_observed_ms(&a))
            }
            // Not there (yet): the type its URN names, `urn:ngsi-ld:<Type>:<name>`.
            None => (asset.split(':').nth(2).filter(|t| ngsild::entity::is_valid_name(t)).unwrap_or("Device").to_string(), None),
        };
        let last_ms = reported.max(observed);
        let properties = attr(&e, "controlledProperty")
            .map(|a| match &a.value {
                Json::Array(items) => items.iter().filter_map(Json::as_str).map(str::to_string).collect(),
                Json::String(s) => vec![s.clone()],
                _ => Vec::new(),
            })
            .unwrap_or_default();
        let stale = last_ms.is_none_or(|t| now - t > stale_after_ms(&kind));
        out.push(Device {
            id: e.id.clone(),
            key: key(&e),
            kind,
            asset,
            properties,
            place: place(&e),
            battery: num(&e, "batteryLevel").map(|b| (b * 100.0).round() as i64),
            last_ms,
            stale,
            demo: is_demo(&e),
        });
    }
    out.sort_by(|a, b| (&a.kind, &a.key).cmp(&(&b.kind, &b.key)));
    Ok(out)
}

pub fn devices_csv(devices: &[Device]) -> String {
    let mut csv = Csv::new(&["perangkat_id", "jenis", "entitas", "besaran", "kecamatan", "baterai_persen", "laporan_terakhir", "basi"]);
    for d in devices {
        csv.row([
            d.id.clone(),
            d.kind.clone(),
            d.asset.clone(),
            d.properties.join(" "),
            d.place.kecamatan.clone(),
            d.battery.map(|b| b.to_string()).unwrap_or_default(),
            d.last_ms.map(ngsild::temporal::format_instant).unwrap_or_default(),
            (if d.stale { "ya" } else { "tidak" }).to_string(),
        ]);
    }
    csv.into_string()
}

/// One attribute's points as CSV: the instant (UTC, as NGSI-LD writes it) and the value.
pub fn series_csv(points: &[(i64, Json)]) -> String {
    let mut csv = Csv::new(&["waktu", "nilai"]);
    for (ms, v) in points {
        let value = match v {
            Json::String(s) => s.clone(),
            // 854.0 stored from a float reads 854, as the tables write it.
            Json::Number(n) => {
                n.as_i64().map(|i| i.to_string()).or_else(|| n.as_f64().map(|f| f.to_string())).unwrap_or_else(|| n.to_string())
            }
            Json::Bool(b) => b.to_string(),
            other => other.to_string(),
        };
        csv.row([ngsild::temporal::format_instant(*ms), value]);
    }
    csv.into_string()
}
