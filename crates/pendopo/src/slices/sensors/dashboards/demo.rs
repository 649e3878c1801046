//! Demo (labelled as such: every entity's `dataProvider` is "Demo data"):
//! Bojonegoro's rainfall stations, traffic counters, farm parcels, market
//! prices and the devices behind them, with their history up to now,
//! written through `measures::store` in batches like a device's measures.
//! Figures come from fixed formulas (no random state), so a page shows the
//! same numbers on every load; a few are pinned for the reader to check.

use ngsild::entity::{AttrKind, Attribute};
use serde_json::{Value as Json, json};

use super::figures::{DAY_MS, HOUR_MS, week_start};
use crate::slices::sensors::measures::{self, Measure};
use crate::store::{Store, StoreError, sql};

pub const DEMO: &str = "Demo data";
/// Days of history: daily rainfall, the parcels' harvests.
pub const DAYS: i64 = 90;
/// Days of hourly traffic: four whole weeks (each weekday four times) keep
/// the demo quick to load (three attributes, 20 counters: 40,320 points).
pub const TRAFFIC_DAYS: i64 = 28;
/// Weeks of market prices.
pub const WEEKS: i64 = 52;
const BATCH: usize = 500;

/// Rainfall stations (BMKG's manual rain gauges, one per kecamatan named):
/// entity name, kecamatan, latitude, longitude. Kalitidu, Malo and Kanor are
/// the simulator's (`pendopo sensors simulate`), so its live measures land
/// on the same entities.
pub const STATIONS: &[(&str, &str, f64, f64)] = &[
    ("bojonegoro", "Bojonegoro", -7.1502, 111.8817),
    ("kalitidu", "Kalitidu", -7.1386, 111.7381),
    ("malo", "Malo", -7.1061, 111.6578),
    ("kanor", "Kanor", -7.0969, 112.0175),
    ("padangan", "Padangan", -7.1550, 111.6150),
    ("dander", "Dander", -7.2550, 111.8400),
    ("sumberrejo", "Sumberrejo", -7.1700, 112.0000),
    ("baureno", "Baureno", -7.1330, 112.1000),
    ("ngasem", "Ngasem", -7.2500, 111.7300),
    ("temayang", "Temayang", -7.3300, 111.9200),
];

/// The station whose last daily figure is pinned, and the figure: Kanor,
/// 158.0 mm (ekstrem) on the last rain day; Bojonegoro 62.5 mm (lebat).
pub const PINNED_RAIN: &[(&str, f64)] = &[("kanor", 158.0), ("bojonegoro", 62.5)];

/// Traffic counters: entity name, street, kecamatan, lat, lon, vehicles in
/// the busiest hour, lanes' capacity an hour.
pub const COUNTERS: &[(&str, &str, &str, f64, f64, f64, f64)] = &[
    ("jl-veteran", "Jl. Veteran", "Bojonegoro", -7.1521, 111.8862, 1850.0, 2000.0),
    ("jl-panglima-polim", "Jl. Panglima Polim", "Bojonegoro", -7.1588, 111.8810, 1500.0, 1800.0),
    ("jl-panglima-sudirman", "Jl. Panglima Sudirman", "Bojonegoro", -7.1545, 111.8905, 1650.0, 2200.0),
    ("jl-gajah-mada", "Jl. Gajah Mada", "Bojonegoro", -7.1610, 111.8790, 1200.0, 1800.0),
    ("jl-diponegoro", "Jl. Diponegoro", "Bojonegoro", -7.1490, 111.8830, 900.0, 1600.0),
    ("jl-teuku-umar", "Jl. Teuku Umar", "Bojonegoro", -7.1470, 111.8760, 800.0, 1400.0),
    ("jl-hayam-wuruk", "Jl. Hayam Wuruk", "Bojonegoro", -7.1630, 111.8920, 750.0, 1400.0),
    ("jl-pahlawan", "Jl. Pahlawan", "Bojonegoro", -7.1560, 111.8740, 700.0, 1400.0),
    ("jl-rajekwesi", "Jl. Rajekwesi", "Bojonegoro", -7.1515, 111.8950, 650.0, 1200.0),
    ("jl-ahmad-yani", "Jl. Ahmad Yani", "Bojonegoro", -7.1660, 111.8860, 1100.0, 1800.0),
    ("jl-basuki-rahmat", "Jl. Basuki Rahmat", "Bojonegoro", -7.1440, 111.8890, 600.0, 1200.0),
    ("jl-mh-thamrin", "Jl. M.H. Thamrin", "Bojonegoro", -7.1585, 111.8985, 550.0, 1200.0),
    ("jembatan-sosrodilogo", "Jembatan Sosrodilogo", "Trucuk", -7.1290, 111.8800, 1300.0, 1600.0),
    ("jembatan-kali-ketek", "Jembatan Kali Ketek", "Bojonegoro", -7.1380, 111.8930, 1000.0, 1500.0),
    ("jl-raya-babat-baureno", "Jl. Raya Bojonegoro-Babat (Baureno)", "Baureno", -7.1340, 112.0950, 1400.0, 2400.0),
    ("jl-raya-sumberrejo", "Jl. Raya Bojonegoro-Babat (Sumberrejo)", "Sumberrejo", -7.1690, 112.0050, 1250.0, 2400.0),
    ("jl-raya-cepu-kalitidu", "Jl. Raya Bojonegoro-Cepu (Kalitidu)", "Kalitidu", -7.1400, 111.7400, 1150.0, 2400.0),
    ("jl-raya-padangan", "Jl. Raya Bojonegoro-Cepu (Padangan)", "Padangan", -7.1560, 111.6200, 950.0, 2400.0),
    ("jl-raya-dander", "Jl. Raya Bojonegoro-Nganjuk (Dander)", "Dander", -7.2500, 111.8420, 700.0, 1800.0),
    ("jl-raya-temayang", "Jl. Raya Temayang", "Temayang", -7.3280, 111.9230, 400.0, 1400.0),
];

/// The counter that stopped reporting three days ago (a stale device on
/// `/sensor`), and the station that stopped two days ago.
pub const SILENT_COUNTER: &str = "jl-raya-temayang";
pub const SILENT_STATION: &str = "temayang";
/// The device with a nearly flat battery.
pub const LOW_BATTERY_DEVICE: &str = "atcs-jl-raya-dander";

/// Markets: entity part, name, kecamatan, lat, lon, price factor (per mille).
pub const MARKETS: &[(&str, &str, &str, f64, f64, i64)] = &[
    ("pasar-kota", "Pasar Kota Bojonegoro", "Bojonegoro", -7.1535, 111.8870, 1000),
    ("pasar-banjarejo", "Pasar Banjarejo", "Bojonegoro", -7.1620, 111.8680, 985),
    ("pasar-sumberrejo", "Pasar Sumberrejo", "Sumberrejo", -7.1710, 112.0010, 970),
    ("pasar-baureno", "Pasar Baureno", "Baureno", -7.1320, 112.0980, 975),
    ("pasar-padangan", "Pasar Padangan", "Padangan", -7.1540, 111.6170, 990),
];

/// Commodities: entity part, name, unit, base price in Rupiah per unit,
/// how much it swings over the year (per mille).
pub const COMMODITIES: &[(&str, &str, &str, i64, i64)] = &[
    ("beras-medium", "Beras medium", "kg", 13_500, 40),
    ("beras-premium", "Beras premium", "kg", 15_500, 40),
    ("gula-pasir", "Gula pasir", "kg", 17_500, 50),
    ("minyak-goreng", "Minyak goreng curah", "liter", 16_500, 60),
    ("cabai-rawit", "Cabai rawit", "kg", 45_000, 400),
    ("cabai-merah", "Cabai merah keriting", "kg", 40_000, 350),
    ("bawang-merah", "Bawang merah", "kg", 35_000, 250),
    ("bawang-putih", "Bawang putih", "kg", 38_000, 120),
    ("telur-ayam", "Telur ayam ras", "kg", 28_000, 100),
    ("daging-ayam", "Daging ayam ras", "kg", 35_000, 100),
];

/// The price of this week at Pasar Kota Bojonegoro for beras medium, pinned.
pub const PINNED_PRICE: (&str, &str, i64) = ("pasar-kota", "beras-medium", 13_500);

/// Crops of the parcels, with their share in a hundred parcels and a
/// harvest in kilograms per hectare.
const CROPS: &[(&str, u64, f64)] =
    &[("padi", 55, 5_600.0), ("jagung", 20, 5_900.0), ("tembakau", 10, 1_300.0), ("kedelai", 8, 1_500.0), ("cabai", 7, 8_000.0)];
pub const PARCELS: usize = 200;
const CROP_STATUS: &[&str] = &["seeded", "justBorn", "growing", "maturing", "readyForHarvest"];

/// A number in [0, 1) from a few integers: the demo's fixed "noise".
pub fn noise(a: u64, b: u64) -> f64 {
    let mut h = a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    h ^= h >> 31;
    h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^= h >> 29;
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// A station's rainfall on a rain day (days since the epoch): wetter from
/// November to March, most days light or none, a few heavy ones.
pub fn rain_mm(station: usize, day: i64) -> f64 {
    let month = kalender::Date::from_days_since_epoch(day).map(|d| d.month()).unwrap_or(1);
    let wet = matches!(month, 11 | 12 | 1 | 2 | 3);
    let n = noise(station as u64 + 1, day as u64);
    let chance = if wet { 0.6 } else { 0.15 };
    if n >= chance {
        return 0.0;
    }
    // Mostly light; the tail of the distribution gives sedang and lebat days.
    let depth = noise(day as u64, station as u64 + 101);
    let mm = if depth < 0.55 {
        1.0 + 18.0 * depth / 0.55
    } else if depth < 0.9 {
        20.0 + 30.0 * (depth - 0.55) / 0.35
    } else {
        50.0 + 60.0 * (depth - 0.9) / 0.1
    };
    (mm * 10.0).round() / 10.0
}

/// A counter's vehicles in the hour starting at local hour `hour` of a day
/// (0 Monday), from its busiest hour: morning and afternoon peaks, quiet
/// nights, a lighter Sunday.
pub fn vehicles(counter: usize, peak: f64, weekday: i64, hour: i64, day: i64) -> f64 {
    const PROFILE: [f64; 24] = [
        0.05, 0.03, 0.03, 0.04, 0.10, 0.35, 0.75, 1.00, 0.85, 0.65, 0.60, 0.62, 0.66, 0.64, 0.68, 0.80, 0.95, 0.90, 0.70, 0.50, 0.38, 0.25,
        0.15, 0.08,
    ];
    let week = if weekday == 6 {
        0.7
    } else if weekday == 5 {
        0.9
    } else {
        1.0
    };
    let wobble = 0.9 + 0.2 * noise(counter as u64 + 7, (day * 24 + hour) as u64);
    (peak * PROFILE[hour as usize] * week * wobble).round()
}

fn text(v: &str) -> Attribute {
    Attribute::property(json!(v))
}

fn number(v: f64) -> Attribute {
    Attribute::property(json!(v))
}

fn with_unit(v: Json, unit: &str) -> Attribute {
    Attribute { unit_code: Some(unit.into()), ..Attribute::property(v) }
}

fn point(lat: f64, lon: f64) -> Attribute {
    Attribute::new(AttrKind::GeoProperty, json!({"type": "Point", "coordinates": [lon, lat]}))
}

/// A desa of the region: code, name, kecamatan name.
#[derive(Clone)]
struct Desa {
    code: String,
    name: String,
    kecamatan: String,
}

/// The region's desa and kelurahan with their kecamatan's name (empty when
/// the region has no directory loaded).
async fn villages(store: &Store, tenant: &str) -> Result<Vec<Desa>, StoreError> {
    let rows = store
        .fetch_all(
            sql("SELECT d.code, d.name, k.name FROM tenant_regions d JOIN tenant_regions k ON k.tenant_id = d.tenant_id AND k.code = d.parent_code
                 WHERE d.tenant_id = $1 AND d.level IN ('desa', 'kelurahan') ORDER BY d.code")
            .bind(tenant),
        )
        .await?;
    rows.iter().map(|r| Ok(Desa { code: r.at(0)?, name: r.at(1)?, kecamatan: r.at(2)? })).collect()
}

/// Where a place is: its kecamatan (and desa when known), as an address and
/// a relationship to the village (`urn:ngsi-ld:Village:<code>`).
fn place_attrs(kecamatan: &str, desa: Option<&Desa>) -> Vec<(String, Attribute)> {
    let mut address = json!({"district": kecamatan, "addressRegion": "Kabupaten Bojonegoro", "addressCountry": "ID"});
    let mut out = Vec::new();
    if let Some(d) = desa {
        address["addressLocality"] = json!(d.name);
        out.push(("refVillage".to_string(), Attribute::new(AttrKind::Relationship, json!(format!("urn:ngsi-ld:Village:{}", d.code)))));
    }
    out.push(("address".to_string(), Attribute::property(address)));
    out
}

/// The first desa of a kecamatan by name (its seat is often the first code).
fn desa_in<'a>(all: &'a [Desa], kecamatan: &str, nth: usize) -> Option<&'a Desa> {
    let mine: Vec<&Desa> = all.iter().filter(|d| d.kecamatan.eq_ignore_ascii_case(kecamatan)).collect();
    (!mine.is_empty()).then(|| mine[nth % mine.len()])
}

async fn write(store: &Store, tenant: &str, batch: &[Measure]) -> Result<usize, StoreError> {
    let mut stored = 0;
    for chunk in batch.chunks(BATCH) {
        stored += measures::store(store, tenant, chunk).await?.points;
    }
    Ok(stored)
}

fn measure(entity_type: &str, name: &str, at: i64, attrs: Vec<(String, Attribute)>) -> Measure {
    Measure { entity_id: format!("urn:ngsi-ld:{entity_type}:{name}"), entity_type: entity_type.into(), observed_at_ms: at, attrs }
}

/// Where a device stands: latitude, longitude, its place's attributes.
struct At(f64, f64, Vec<(String, Attribute)>);

/// A device for an observed entity: what it measures, its battery, when it last reported.
fn device(id: &str, asset: &str, properties: &[&str], battery: f64, last: i64, at: At) -> Measure {
    let At(lat, lon, place) = at;
    let mut attrs = vec![
        ("name".to_string(), text(id)),
        ("deviceCategory".to_string(), Attribute::property(json!(["sensor"]))),
        ("controlledProperty".to_string(), Attribute::property(json!(properties))),
        ("controlledAsset".to_string(), Attribute::new(AttrKind::Relationship, json!(asset))),
        ("batteryLevel".to_string(), number(battery)),
        ("dateLastValueReported".to_string(), text(&ngsild::temporal::format_instant(last))),
        ("location".to_string(), point(lat, lon)),
        ("dataProvider".to_string(), text(DEMO)),
    ];
    attrs.extend(place);
    measure("Device", id, last, attrs)
}

fn battery(i: usize, salt: u64) -> f64 {
    ((0.45 + 0.55 * noise(i as u64, salt)) * 100.0).round() / 100.0
}

pub async fn load(store: &Store, tenant: &str, offset_hours: i64) -> Result<String, StoreError> {
    let now = store.now_ms();
    let desa = villages(store, tenant).await?;
    let mut points = 0;
    let mut devices = Vec::new();

    // Daily rainfall at 07:00 local, the close of BMKG's rain day.
    let local_midnight = (now + offset_hours * HOUR_MS).div_euclid(DAY_MS) * DAY_MS - offset_hours * HOUR_MS;
    let mut last_close = local_midnight + 7 * HOUR_MS;
    if last_close > now {
        last_close -= DAY_MS;
    }
    for (i, (name, kecamatan, lat, lon)) in STATIONS.iter().enumerate() {
        let silent = if *name == SILENT_STATION { 2 } else { 0 };
        let mut batch = Vec::new();
        for back in (silent..DAYS).rev() {
            let at = last_close - back * DAY_MS;
            let day = super::figures::rain_day(at, offset_hours);
            let pinned = PINNED_RAIN.iter().find(|(s, _)| s == name).filter(|_| back == 0).map(|(_, mm)| *mm);
            let mm = pinned.unwrap_or_else(|| rain_mm(i, day));
            let temp = ((26.0 + 3.0 * noise(i as u64, day as u64 + 5) - mm.min(40.0) / 20.0) * 10.0).round() / 10.0;
            let rh = ((0.70 + 0.25 * (mm.min(50.0) / 50.0) + 0.04 * noise(day as u64, i as u64)).min(0.99) * 100.0).round() / 100.0;
            let mut attrs = vec![
                ("precipitation".to_string(), with_unit(json!(mm), "MMT")),
                ("temperature".to_string(), with_unit(json!(temp), "CEL")),
                ("relativeHumidity".to_string(), number(rh)),
            ];
            if back == DAYS - 1 {
                attrs.push(("name".to_string(), text(&format!("Pos hujan {kecamatan}"))));
                attrs.push(("location".to_string(), point(*lat, *lon)));
                attrs.push(("dataProvider".to_string(), text(DEMO)));
                attrs.extend(place_attrs(kecamatan, desa_in(&desa, kecamatan, 0)));
            }
            batch.push(measure("WeatherObserved", name, at, attrs));
        }
        points += write(store, tenant, &batch).await?;
        let last = last_close - silent * DAY_MS;
        let id = format!("arg-{name}");
        let at = At(*lat, *lon, place_attrs(kecamatan, desa_in(&desa, kecamatan, 0)));
        let asset = format!("urn:ngsi-ld:WeatherObserved:{name}");
        devices.push(device(&id, &asset, &["precipitation", "temperature", "relativeHumidity"], battery(i, 11), last, at));
    }

    // Hourly traffic: a point at the start of each hour fully counted.
    let last_hour = now.div_euclid(HOUR_MS) * HOUR_MS - HOUR_MS;
    for (i, (name, street, kecamatan, lat, lon, peak, capacity)) in COUNTERS.iter().enumerate() {
        let silent = if *name == SILENT_COUNTER { 72 } else { 0 };
        let mut batch = Vec::new();
        for back in (silent..TRAFFIC_DAYS * 24).rev() {
            let at = last_hour - back * HOUR_MS;
            let day = super::figures::local_day(at, offset_hours);
            let hour = super::figures::local_hour(at, offset_hours);
            let weekday = (day + 3).rem_euclid(7);
            let count = vehicles(i, *peak, weekday, hour, day);
            let occupancy = ((count / capacity).min(0.98) * 100.0).round() / 100.0;
            let speed = ((50.0 * (1.0 - 0.7 * occupancy)).max(8.0) * 10.0).round() / 10.0;
            let mut attrs = vec![
                ("intensity".to_string(), Attribute::property(json!(count as i64))),
                ("occupancy".to_string(), number(occupancy)),
                ("averageVehicleSpeed".to_string(), with_unit(json!(speed), "KMH")),
            ];
            if back == TRAFFIC_DAYS * 24 - 1 {
                attrs.push(("name".to_string(), text(street)));
                attrs.push(("location".to_string(), point(*lat, *lon)));
                attrs.push(("dataProvider".to_string(), text(DEMO)));
                attrs.extend(place_attrs(kecamatan, desa_in(&desa, kecamatan, i)));
            }
            batch.push(measure("TrafficFlowObserved", name, at, attrs));
        }
        points += write(store, tenant, &batch).await?;
        let id = format!("atcs-{name}");
        let level = if id == LOW_BATTERY_DEVICE { 0.12 } else { battery(i, 23) };
        let last = last_hour - silent * HOUR_MS;
        let at = At(*lat, *lon, place_attrs(kecamatan, desa_in(&desa, kecamatan, i)));
        devices.push(device(&id, &format!("urn:ngsi-ld:TrafficFlowObserved:{name}"), &["trafficFlow"], level, last, at));
    }

    // Weekly prices, taken on Monday at 08:00 local.
    let this_monday = week_start(now, offset_hours) * DAY_MS - offset_hours * HOUR_MS + 8 * HOUR_MS;
    let this_monday = if this_monday > now { this_monday - 7 * DAY_MS } else { this_monday };
    let mut batch = Vec::new();
    for (m, (market, market_name, kecamatan, lat, lon, factor)) in MARKETS.iter().enumerate() {
        for (c, (commodity, commodity_name, unit, base, swing)) in COMMODITIES.iter().enumerate() {
            for back in (0..WEEKS).rev() {
                let at = this_monday - back * 7 * DAY_MS;
                let season = ((WEEKS - back) as f64 / WEEKS as f64 * std::f64::consts::TAU + c as f64).sin();
                let wiggle = noise((m * 16 + c) as u64, back as u64) - 0.5;
                let price = *base as f64 * (*factor as f64 / 1000.0) * (1.0 + *swing as f64 / 1000.0 * (season + 0.6 * wiggle));
                let mut price = ((price / 100.0).round() * 100.0) as i64;
                if back == 0 && (*market, *commodity) == (PINNED_PRICE.0, PINNED_PRICE.1) {
                    price = PINNED_PRICE.2;
                }
                let mut attrs =
                    vec![("price".to_string(), Attribute { unit_code: Some("IDR".into()), ..Attribute::property(json!(price)) })];
                if back == WEEKS - 1 {
                    attrs.push(("name".to_string(), text(&format!("{commodity_name}, {market_name}"))));
                    attrs.push(("commodity".to_string(), text(commodity_name)));
                    attrs.push(("market".to_string(), text(market_name)));
                    attrs.push(("unit".to_string(), text(unit)));
                    attrs.push(("location".to_string(), point(*lat, *lon)));
                    attrs.push(("dataProvider".to_string(), text(DEMO)));
                    attrs.extend(place_attrs(kecamatan, desa_in(&desa, kecamatan, m)));
                }
                batch.push(measure("CommodityPrice", &format!("{market}-{commodity}"), at, attrs));
            }
        }
    }
    points += write(store, tenant, &batch).await?;

    // Parcels: their state now, and the last harvest of those harvested.
    let mut batch = Vec::new();
    for p in 0..PARCELS {
        let mut pick = (noise(p as u64, 31) * 100.0) as u64;
        let (crop, _, yield_ha) = CROPS
            .iter()
            .find(|(_, share, _)| {
                let hit = pick < *share;
                pick = pick.saturating_sub(*share);
                hit
            })
            .copied()
            .unwrap_or(CROPS[0]);
        let area = (2_000.0 + 18_000.0 * noise(p as u64, 37)).round();
        let status = CROP_STATUS[(noise(p as u64, 41) * CROP_STATUS.len() as f64) as usize];
        let place = desa.get(p * 7 % desa.len().max(1));
        let kecamatan = place.map(|d| d.kecamatan.clone()).unwrap_or_else(|| STATIONS[p % STATIONS.len()].1.to_string());
        let (base_lat, base_lon) =
            STATIONS.iter().find(|s| s.1.eq_ignore_ascii_case(&kecamatan)).map(|s| (s.2, s.3)).unwrap_or((-7.20, 111.85));
        let lat = base_lat + 0.04 * (noise(p as u64, 43) - 0.5);
        let lon = base_lon + 0.04 * (noise(p as u64, 47) - 0.5);
        let name = format!("parcel-{:03}", p + 1);
        let mut attrs = vec![
            ("name".to_string(), text(&format!("Lahan {:03}{}", p + 1, place.map(|d| format!(", {}", d.name)).unwrap_or_default()))),
            ("area".to_string(), with_unit(json!(area), "MTK")),
            ("crop".to_string(), text(crop)),
            ("cropStatus".to_string(), text(status)),
            ("location".to_string(), point(lat, lon)),
            ("dataProvider".to_string(), text(DEMO)),
        ];
        attrs.extend(place_attrs(&kecamatan, place));
        let planted = now - (20 + (noise(p as u64, 53) * 60.0) as i64) * DAY_MS;
        batch.push(measure("AgriParcel", &name, planted, attrs));
        // About two parcels in five were harvested within the 90 days.
        if noise(p as u64, 59) < 0.4 {
            let at = now - (1 + (noise(p as u64, 61) * (DAYS - 2) as f64) as i64) * DAY_MS;
            let kg = (yield_ha * area / 10_000.0 * (0.85 + 0.3 * noise(p as u64, 67))).round();
            batch.push(measure("AgriParcel", &name, at, vec![("harvest".to_string(), with_unit(json!(kg), "KGM"))]));
        }
    }
    points += write(store, tenant, &batch).await?;

    // The gauges' loggers, beside the flood demo's readings.
    let gauges = [("bojonegoro", "Bojonegoro", -7.1502, 111.8817), ("karangnongko", "Ngraho", -7.2086, 111.5539)];
    for (i, (name, kecamatan, lat, lon)) in gauges.iter().enumerate() {
        let last = now.div_euclid(3 * HOUR_MS) * 3 * HOUR_MS;
        let at = At(*lat, *lon, place_attrs(kecamatan, desa_in(&desa, kecamatan, 0)));
        devices.push(device(
            &format!("awlr-{name}"),
            &format!("urn:ngsi-ld:WaterObserved:{name}"),
            &["waterLevel"],
            battery(i, 71),
            last,
            at,
        ));
    }
    let n_devices = devices.len();
    points += write(store, tenant, &devices).await?;
    Ok(format!(
        "{} rainfall stations, {} traffic counters, {PARCELS} farm parcels, prices of {} commodities in {} markets, {n_devices} sensor devices ({points} points)",
        STATIONS.len(),
        COUNTERS.len(),
        COMMODITIES.len(),
        MARKETS.len()
    ))
}
