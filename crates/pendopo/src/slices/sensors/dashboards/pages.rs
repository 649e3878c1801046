//! The agencies' dashboards, public and without script: `/lalu-lintas`
//! (Dinas Perhubungan), `/pertanian` (Dinas Pertanian), `/sensor` (every
//! sensor with its freshness and battery, on a map and by kecamatan), and
//! their tables and every series as CSV.

use std::collections::BTreeMap;

use axum::extract::Query;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use minijinja::Value;
use serde::Serialize;

use super::figures::{self, DAY_MS, RainCategory};
use super::tables::{self, Counter};
use crate::kernel::msg::Msg;
use crate::slices::sensors::repo;
use crate::web::chart::{self, Kind};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};

type Params = Query<BTreeMap<String, String>>;

/// Traffic pages look at the last week; rainfall at the last 30 days.
const TRAFFIC_DAYS: i64 = 7;
const RAIN_DAYS: i64 = 30;

fn offset(ctx: &Ctx) -> i64 {
    ctx.tenant.time_zone().utc_offset_hours()
}

fn svg(s: String) -> Value {
    Value::from_safe_string(s)
}

pub fn csv_response(filename: &str, body: String) -> Response {
    ([(CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\""))], body)
        .into_response()
}

fn decimal(v: f64, places: usize) -> String {
    crate::web::format::decimal(v, places)
}

// -------------------------------------------------------------- /lalu-lintas

#[derive(Serialize)]
struct CounterRow {
    key: String,
    id: String,
    name: String,
    kecamatan: String,
    last_hour: Option<String>,
    last_vehicles: Option<String>,
    congested_now: bool,
    per_day: String,
    speed: String,
    congested_hours: usize,
    selected: bool,
}

fn per_day(c: &Counter, days: i64) -> f64 {
    c.hours.iter().map(|h| h.vehicles).sum::<f64>() / days as f64
}

pub async fn traffic(ctx: Ctx, Query(params): Params) -> AppResult<Response> {
    let store = &ctx.app.store;
    let now = store.now_ms();
    let offset = offset(&ctx);
    let mut counters = tables::counters(store, &ctx.tenant.id, now - TRAFFIC_DAYS * DAY_MS).await?;
    // Busiest first: the week's vehicles a day.
    counters.sort_by(|a, b| per_day(b, TRAFFIC_DAYS).total_cmp(&per_day(a, TRAFFIC_DAYS)).then(a.key.cmp(&b.key)));
    let chosen = params.get("lokasi").and_then(|k| counters.iter().find(|c| &c.key == k)).or(counters.first());
    let chosen_key = chosen.map(|c| c.key.clone()).unwrap_or_default();
    let rows: Vec<CounterRow> = counters
        .iter()
        .map(|c| {
            let last = c.hours.last();
            let speeds: Vec<f64> = c.hours.iter().filter_map(|h| h.speed).collect();
            CounterRow {
                key: c.key.clone(),
                id: c.id.clone(),
                name: c.name.clone(),
                kecamatan: c.place.kecamatan.clone(),
                last_hour: last.map(|h| format!("{:02}.00", figures::local_hour(h.at_ms, offset))),
                last_vehicles: last.map(|h| crate::web::format::thousands(h.vehicles as i64)),
                congested_now: last.is_some_and(|h| h.congested && now - h.at_ms <= 2 * figures::HOUR_MS),
                per_day: crate::web::format::thousands(per_day(c, TRAFFIC_DAYS).round() as i64),
                speed: if speeds.is_empty() { String::new() } else { decimal(speeds.iter().sum::<f64>() / speeds.len() as f64, 1) },
                congested_hours: c.hours.iter().filter(|h| h.congested).count(),
                selected: c.key == chosen_key,
            }
        })
        .collect();
    let busiest: Vec<(String, f64)> = counters.iter().take(10).map(|c| (c.name.clone(), per_day(c, TRAFFIC_DAYS).round())).collect();
    let busiest_chart = (!busiest.is_empty()).then(|| {
        svg(chart::render(Kind::Bar, &ctx.text("sensor.dash.traffic.busiest"), &ctx.text("sensor.dash.traffic.per_day"), &busiest))
    });
    let mut profile_chart = None;
    let mut last_day = Vec::new();
    if let Some(c) = chosen {
        let mut sums = [(0.0f64, 0usize); 24];
        for h in &c.hours {
            let s = &mut sums[figures::local_hour(h.at_ms, offset) as usize];
            s.0 += h.vehicles;
            s.1 += 1;
        }
        let points: Vec<(String, f64)> = sums
            .iter()
            .enumerate()
            .map(|(hour, (sum, n))| (format!("{hour:02}"), if *n > 0 { (sum / *n as f64).round() } else { 0.0 }))
            .collect();
        let title = ctx.msg(&Msg::new("sensor.dash.traffic.profile").arg("place", c.name.clone()));
        profile_chart = Some(svg(chart::render(Kind::Bar, &title, &ctx.text("sensor.dash.traffic.vehicles"), &points)));
        last_day = c
            .hours
            .iter()
            .rev()
            .take(24)
            .map(|h| {
                minijinja::context! {
                    hour => figures::hour_text(h.at_ms, offset),
                    vehicles => crate::web::format::thousands(h.vehicles as i64),
                    occupancy => h.occupancy.map(|o| (o * 100.0).round() as i64),
                    speed => h.speed.map(|s| decimal(s, 1)),
                    congested => h.congested,
                }
            })
            .collect();
    }
    let page = minijinja::context! {
        rows, busiest_chart, profile_chart, last_day,
        chosen => chosen.map(|c| minijinja::context! { key => c.key, id => c.id, name => c.name }),
        demo => counters.iter().any(|c| c.demo),
        days => TRAFFIC_DAYS,
    };
    Ok(ctx.render("sensors/lalu_lintas.html", page)?.into_response())
}

pub async fn traffic_hourly_csv(ctx: Ctx) -> AppResult<Response> {
    let counters = tables::counters(&ctx.app.store, &ctx.tenant.id, 0).await?;
    Ok(csv_response("lalu-lintas-per-jam.csv", tables::traffic_hourly_csv(&counters, offset(&ctx))))
}

pub async fn traffic_daily_csv(ctx: Ctx) -> AppResult<Response> {
    let counters = tables::counters(&ctx.app.store, &ctx.tenant.id, 0).await?;
    Ok(csv_response("lalu-lintas-harian.csv", tables::traffic_daily_csv(&counters, offset(&ctx))))
}

// --------------------------------------------------------------- /pertanian

#[derive(Serialize)]
struct StationRow {
    key: String,
    id: String,
    name: String,
    kecamatan: String,
    day: Option<String>,
    mm: Option<String>,
    category: Option<&'static str>,
    total: String,
    rain_days: usize,
    counts: Vec<usize>,
    selected: bool,
}

#[derive(Default, Serialize)]
struct CropRow {
    crop: String,
    parcels: usize,
    hectares: String,
    statuses: BTreeMap<String, usize>,
    harvested: usize,
    tonnes: String,
    per_hectare: String,
}

#[derive(Serialize)]
struct PriceRow {
    commodity: String,
    unit: String,
    key: String,
    price: Option<i64>,
    previous: Option<i64>,
    change: Option<i64>,
}

pub async fn agriculture(ctx: Ctx, Query(params): Params) -> AppResult<Response> {
    let store = &ctx.app.store;
    let tenant = &ctx.tenant.id;
    let now = store.now_ms();
    let offset = offset(&ctx);
    let lang = ctx.lang;

    // Rainfall per station: the last rain day and the last 30 days.
    let stations = tables::stations(store, tenant, offset, now - (RAIN_DAYS + 1) * DAY_MS).await?;
    let today = figures::rain_day(now, offset);
    let chosen = params.get("pos").and_then(|k| stations.iter().find(|s| &s.key == k)).or(stations.first());
    let chosen_key = chosen.map(|s| s.key.clone()).unwrap_or_default();
    let station_rows: Vec<StationRow> = stations
        .iter()
        .map(|s| {
            let recent: Vec<&(i64, f64)> = s.days.iter().filter(|(d, _)| today - d < RAIN_DAYS).collect();
            let mut counts = vec![0; RainCategory::ALL.len()];
            for (_, mm) in &recent {
                counts[RainCategory::of(*mm) as usize] += 1;
            }
            let latest = s.latest();
            StationRow {
                key: s.key.clone(),
                id: s.id.clone(),
                name: s.name.clone(),
                kecamatan: s.place.kecamatan.clone(),
                day: latest.map(|(d, _, _)| crate::web::format::iso_date_words(&figures::day_text(d), lang)),
                mm: latest.map(|(_, mm, _)| decimal(mm, 1)),
                category: latest.map(|(_, _, c)| c.code()),
                total: decimal(recent.iter().map(|(_, mm)| mm).sum(), 1),
                rain_days: recent.iter().filter(|(_, mm)| *mm >= 0.5).count(),
                counts: counts[1..].to_vec(),
                selected: s.key == chosen_key,
            }
        })
        .collect();
    let last_rain: Vec<(String, f64)> = stations.iter().filter_map(|s| s.latest().map(|(_, mm, _)| (s.name.clone(), mm))).collect();
    let rain_chart =
        (!last_rain.is_empty()).then(|| svg(chart::render(Kind::Bar, &ctx.text("sensor.dash.rain.last_chart"), "mm", &last_rain)));
    let station_chart = chosen.map(|s| {
        let points: Vec<(String, f64)> = s
            .days
            .iter()
            .filter(|(d, _)| today - d < RAIN_DAYS)
            .map(|(d, mm)| (figures::day_text(*d)[5..].replace('-', "/"), *mm))
            .collect();
        let title = ctx.msg(&Msg::new("sensor.dash.rain.station_chart").arg("station", s.name.clone()));
        svg(chart::render(Kind::Bar, &title, "mm", &points))
    });

    // Parcels and harvest, per crop.
    let parcels = tables::parcels(store, tenant).await?;
    let mut crops: BTreeMap<String, (CropRow, f64, f64, f64)> = BTreeMap::new();
    for p in &parcels {
        let (row, area, kg, harvested_area) =
            crops.entry(p.crop.clone()).or_insert_with(|| (CropRow { crop: p.crop.clone(), ..CropRow::default() }, 0.0, 0.0, 0.0));
        row.parcels += 1;
        *area += p.area_m2;
        *row.statuses.entry(p.status.clone()).or_default() += 1;
        if let (Some(k), Some(at)) = (p.harvest_kg, p.harvested_ms)
            && now - at <= super::demo::DAYS * DAY_MS
        {
            row.harvested += 1;
            *kg += k;
            *harvested_area += p.area_m2;
        }
    }
    let mut crop_rows: Vec<CropRow> = crops
        .into_values()
        .map(|(mut row, area, kg, harvested_area)| {
            row.hectares = decimal(area / 10_000.0, 1);
            row.tonnes = decimal(kg / 1000.0, 1);
            row.per_hectare = if harvested_area > 0.0 { decimal(kg / 1000.0 / (harvested_area / 10_000.0), 2) } else { String::new() };
            row
        })
        .collect();
    crop_rows.sort_by(|a, b| b.parcels.cmp(&a.parcels).then(a.crop.cmp(&b.crop)));

    // Prices: this week and the one before, per market; one series drawn.
    let prices = tables::prices(store, tenant, offset, now - (super::demo::WEEKS + 1) * 7 * DAY_MS).await?;
    let mut markets: BTreeMap<String, Vec<PriceRow>> = BTreeMap::new();
    for p in &prices {
        let last = p.weeks.last().map(|w| w.1);
        let previous = p.weeks.len().checked_sub(2).map(|i| p.weeks[i].1);
        markets.entry(p.market.clone()).or_default().push(PriceRow {
            commodity: p.commodity.clone(),
            unit: p.unit.clone(),
            key: tables_key(&p.id),
            price: last,
            previous,
            change: last.zip(previous).map(|(a, b)| a - b),
        });
    }
    let week = prices.iter().filter_map(|p| p.weeks.last().map(|w| w.0)).max();
    let chosen_price = params.get("harga").and_then(|k| prices.iter().find(|p| &tables_key(&p.id) == k)).or(prices.first());
    let price_chart = chosen_price.map(|p| {
        let points: Vec<(String, f64)> =
            p.weeks.iter().map(|(w, price)| (figures::day_text(*w)[5..].replace('-', "/"), *price as f64)).collect();
        let title = ctx.msg(&Msg::new("sensor.dash.price.chart").arg("commodity", p.commodity.clone()).arg("market", p.market.clone()));
        svg(chart::render(Kind::Line, &title, &format!("Rp/{}", p.unit), &points))
    });
    let markets: Vec<_> = markets.into_iter().map(|(market, rows)| minijinja::context! { market, rows }).collect();

    let page = minijinja::context! {
        stations => station_rows, rain_chart, station_chart,
        chosen_station => chosen.map(|s| minijinja::context! { key => s.key, id => s.id, name => s.name }),
        categories => RainCategory::ALL[1..].iter().map(|c| c.code()).collect::<Vec<_>>(),
        crops => crop_rows, parcels => parcels.len(),
        statuses => ["seeded", "justBorn", "growing", "maturing", "readyForHarvest"],
        markets, price_chart,
        week => week.map(|w| crate::web::format::iso_date_words(&figures::day_text(w), lang)),
        chosen_price => chosen_price.map(|p| minijinja::context! { id => p.id, commodity => p.commodity, market => p.market }),
        demo => stations.iter().any(|s| s.demo) || parcels.iter().any(|p| p.demo) || prices.iter().any(|p| p.demo),
        rain_days => RAIN_DAYS,
    };
    Ok(ctx.render("sensors/pertanian.html", page)?.into_response())
}

fn tables_key(id: &str) -> String {
    id.rsplit(':').next().unwrap_or(id).to_string()
}

pub async fn rain_csv(ctx: Ctx) -> AppResult<Response> {
    let stations = tables::stations(&ctx.app.store, &ctx.tenant.id, offset(&ctx), 0).await?;
    Ok(csv_response("curah-hujan-harian.csv", tables::rain_csv(&stations)))
}

pub async fn parcels_csv(ctx: Ctx) -> AppResult<Response> {
    let parcels = tables::parcels(&ctx.app.store, &ctx.tenant.id).await?;
    Ok(csv_response("lahan-pertanian.csv", tables::parcels_csv(&parcels, offset(&ctx))))
}

pub async fn prices_csv(ctx: Ctx) -> AppResult<Response> {
    let prices = tables::prices(&ctx.app.store, &ctx.tenant.id, offset(&ctx), 0).await?;
    Ok(csv_response("harga-komoditas-mingguan.csv", tables::prices_csv(&prices)))
}

// ------------------------------------------------------------------ /sensor

pub async fn sensors(ctx: Ctx) -> AppResult<Response> {
    let store = &ctx.app.store;
    let now = store.now_ms();
    let devices = tables::devices(store, &ctx.tenant.id, now).await?;
    let stale_word = ctx.text("sensor.dash.sensors.stale");
    let places: Vec<crate::web::map::Place> = devices
        .iter()
        .filter_map(|d| {
            Some(crate::web::map::Place {
                lat: d.place.lat?,
                lon: d.place.lon?,
                label: d.key.clone(),
                href: format!("#{}", d.key),
                marked: d.stale,
            })
        })
        .collect();
    let map = (!places.is_empty()).then(|| svg(crate::web::map::render_marked(&ctx.text("sensor.dash.sensors.map"), &places, &stale_word)));
    let mut kinds: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    for d in &devices {
        let k = kinds.entry(d.kind.clone()).or_default();
        k.0 += 1;
        k.1 += usize::from(d.stale);
        k.2 += usize::from(d.battery.is_some_and(|b| b < LOW_BATTERY));
    }
    let kinds: Vec<_> =
        kinds.into_iter().map(|(kind, (n, stale, low))| minijinja::context! { label => kind_label(&ctx, &kind), n, stale, low }).collect();
    let mut by_kecamatan: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for d in &devices {
        let kecamatan = if d.place.kecamatan.is_empty() { ctx.text("sensor.dash.sensors.no_kecamatan") } else { d.place.kecamatan.clone() };
        by_kecamatan.entry(kecamatan).or_default().push(minijinja::context! {
            key => d.key, id => d.id, kind => kind_label(&ctx, &d.kind), asset => d.asset, properties => d.properties,
            battery => d.battery, low => d.battery.is_some_and(|b| b < LOW_BATTERY),
            last_ms => d.last_ms, stale => d.stale, desa => d.place.desa, desa_code => d.place.desa_code,
        });
    }
    let groups: Vec<_> = by_kecamatan.into_iter().map(|(kecamatan, devices)| minijinja::context! { kecamatan, devices }).collect();
    let page = minijinja::context! {
        kinds, groups, map, total => devices.len(), demo => devices.iter().any(|d| d.demo), low_battery => LOW_BATTERY,
    };
    Ok(ctx.render("sensors/sensor.html", page)?.into_response())
}

/// A kind of sensor in the reader's words; a type the catalogue does not
/// know (an air quality station) by its own name.
fn kind_label(ctx: &Ctx, kind: &str) -> String {
    let key = match kind {
        "TrafficFlowObserved" => "sensor.dash.kind.TrafficFlowObserved",
        "WeatherObserved" => "sensor.dash.kind.WeatherObserved",
        "WaterObserved" => "sensor.dash.kind.WaterObserved",
        "CommodityPrice" => "sensor.dash.kind.CommodityPrice",
        "AgriParcel" => "sensor.dash.kind.AgriParcel",
        "Device" => "sensor.dash.kind.Device",
        other => return other.to_string(),
    };
    ctx.text(key)
}

/// Below this battery percentage a device is flagged.
const LOW_BATTERY: i64 = 20;

pub async fn sensors_csv(ctx: Ctx) -> AppResult<Response> {
    let devices = tables::devices(&ctx.app.store, &ctx.tenant.id, ctx.app.store.now_ms()).await?;
    Ok(csv_response("daftar-sensor.csv", tables::devices_csv(&devices)))
}

/// `/sensor/unduh.csv?entitas=<id>&atribut=<name>`: one attribute's every
/// point. An unknown entity is 404; a bad attribute name 400.
pub async fn series_csv(ctx: Ctx, Query(params): Params) -> AppResult<Response> {
    let id = params.get("entitas").map(String::as_str).unwrap_or_default();
    let name = params.get("atribut").map(String::as_str).unwrap_or_default();
    if !ngsild::entity::is_valid_name(name) {
        return Err(AppError::BadRequest(Msg::new("sensor.dash.bad_attribute")));
    }
    let store = &ctx.app.store;
    if id.is_empty() || repo::load(store, &ctx.tenant.id, id).await?.is_none() {
        return Err(AppError::not_found());
    }
    let points = repo::series(store, &ctx.tenant.id, id, name, 0, i64::MAX / 1000).await?;
    let file: String = format!("{}-{name}.csv", tables_key(id))
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '-' })
        .collect();
    Ok(csv_response(&file, tables::series_csv(&points)))
}
