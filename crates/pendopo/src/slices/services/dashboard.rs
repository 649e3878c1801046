//! The public dashboard of complaints (`/layanan/dasbor`): the figures of
//! `figures` per agency, kecamatan and month for a year (or a month), an
//! agency and a kecamatan, as a page with server-drawn SVG charts and a map,
//! as JSON (`GET /api/v1/cases/stats`) and as CSV. Nothing of a single case
//! is shown but the map's pins of public cases (number and place);
//! confidential cases count in the figures and appear nowhere else.
//! Figures are cached per filter while no case changes (a minute at most):
//! counting a year of 100,000 cases takes about a second on SQLite.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::Query;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use layanan::case::Colour;
use serde::{Deserialize, Serialize};

use super::cases;
use super::figures::{self, Dim, Figures, Filter, Line};
use crate::kernel::msg::Msg;
use crate::kernel::organizations as orgs;
use crate::store::sql;
use crate::web::chart;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};

/// What the dashboard is asked for; every field may be left out.
#[derive(Deserialize, Default)]
pub struct Params {
    pub year: Option<String>,
    pub month: Option<String>,
    pub agency: Option<String>,
    pub kecamatan: Option<String>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The names figures are shown with: agencies by id (slug, name), kecamatan by code.
pub struct Names {
    pub agencies: BTreeMap<String, (String, String)>,
    pub kecamatan: BTreeMap<String, String>,
}

impl Names {
    pub async fn of(store: &crate::store::Store, tenant: &str) -> AppResult<Names> {
        let agencies = orgs::list(store, tenant).await?.into_iter().map(|o| (o.id, (o.slug, o.name))).collect();
        let region = wilayah::Code::parse(tenant).ok();
        let dir = wilayah::Directory::embedded();
        let kecamatan = region.map(|r| dir.children_of(&r).map(|k| (k.code.to_string(), k.name.clone())).collect()).unwrap_or_default();
        Ok(Names { agencies, kecamatan })
    }

    /// The key shown for a line (an agency's slug, else the key) and its name.
    pub fn label(&self, dim: Dim, key: &str, unplaced: &str) -> (String, String) {
        match dim {
            Dim::Agency => self.agencies.get(key).cloned().unwrap_or_else(|| (key.to_string(), key.to_string())),
            Dim::Kecamatan if key.is_empty() => (String::new(), unplaced.to_string()),
            Dim::Kecamatan => (key.to_string(), self.kecamatan.get(key).cloned().unwrap_or_else(|| key.to_string())),
            Dim::Month => (key.to_string(), key.to_string()),
        }
    }
}

/// The filter a request asks for, each wrong field the caller's error.
pub async fn filter_of(ctx: &Ctx, p: &Params) -> AppResult<(Filter, Option<String>)> {
    let today = ctx.today();
    let year = match given(&p.year) {
        Some(y) => y
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=today.year() + 1).contains(y))
            .ok_or_else(|| AppError::invalid("year", Msg::new("dasbor.year_invalid").arg("year", y)))?,
        None => today.year(),
    };
    let month = match given(&p.month) {
        Some(m) => Some(
            m.parse::<u8>()
                .ok()
                .filter(|m| (1..=12).contains(m))
                .ok_or_else(|| AppError::invalid("month", Msg::new("dasbor.month_invalid").arg("month", m)))?,
        ),
        None => None,
    };
    let (agency_id, agency_slug) = match given(&p.agency) {
        Some(slug) => {
            let org = orgs::get(&ctx.app.store, &ctx.tenant.id, slug)
                .await?
                .ok_or_else(|| AppError::invalid("agency", Msg::new("layanan.agency_unknown").arg("agency", slug)))?;
            (Some(org.id), Some(org.slug))
        }
        None => (None, None),
    };
    let region = ctx.tenant.code();
    let kecamatan = match given(&p.kecamatan) {
        Some(code) => Some(
            cases::Place::within(&region, code)
                .filter(|place| place.desa_code.is_none())
                .ok_or_else(|| AppError::invalid("kecamatan", Msg::new("dasbor.kecamatan_unknown").arg("kecamatan", code)))?
                .kecamatan_code,
        ),
        None => None,
    };
    Ok((Filter { year, month, agency_id, kecamatan }, agency_slug))
}

fn offset(ctx: &Ctx) -> i64 {
    ctx.tenant.time_zone().utc_offset_hours()
}

/// Figures computed lately, by region, filter and day: kept while no case
/// was filed or moved (the count of cases and the latest change are the
/// same) and for a minute at most, so a busy dashboard counts once while
/// nothing changes and never shows figures older than a minute.
#[derive(Default)]
pub struct Cache(Mutex<HashMap<(String, Filter, String), Cached>>);

struct Cached {
    version: (i64, Option<i64>),
    at: i64,
    figures: Arc<Figures>,
}

/// How long cached figures may be kept, on the store's clock.
const CACHE_MS: i64 = 60_000;
/// Filters kept at most; the cache starts afresh beyond.
const CACHE_ENTRIES: usize = 256;

async fn figures_for(ctx: &Ctx, f: &Filter) -> AppResult<Arc<Figures>> {
    let store = &ctx.app.store;
    let cache = ctx.app.parts.get::<Arc<Cache>>().expect("the services slice puts its cache into the state");
    let row = store
        .fetch_one(sql("SELECT COUNT(*) AS n, MAX(updated_at) AS last FROM service_cases WHERE tenant_id = $1").bind(&ctx.tenant.id))
        .await?;
    let version: (i64, Option<i64>) = (row.get("n")?, row.get("last")?);
    let now = store.now_ms();
    let key = (ctx.tenant.id.clone(), f.clone(), ctx.today().to_string());
    if let Some(hit) = cache.0.lock().expect("cache lock").get(&key)
        && hit.version == version
        && now - hit.at < CACHE_MS
    {
        return Ok(hit.figures.clone());
    }
    let dims = [Dim::Agency, Dim::Kecamatan, Dim::Month];
    let figures = Arc::new(figures::compute(store, &ctx.tenant.id, f, &dims, ctx.today(), offset(ctx)).await?);
    let mut map = cache.0.lock().expect("cache lock");
    if map.len() >= CACHE_ENTRIES {
        map.clear();
    }
    map.insert(key, Cached { version, at: now, figures: figures.clone() });
    Ok(figures)
}

/// A line with the key and name a reader knows it by.
#[derive(Serialize)]
pub struct Named<'a> {
    pub key: String,
    pub name: String,
    #[serde(flatten)]
    pub figures: &'a Line,
}

/// The lines of a dimension, named.
pub fn named<'a>(names: &Names, dim: Dim, lines: &'a [Line], unplaced: &str) -> Vec<Named<'a>> {
    lines
        .iter()
        .map(|l| {
            let (key, name) = names.label(dim, &l.key, unplaced);
            Named { key, name, figures: l }
        })
        .collect()
}

/// The columns of the CSV download and of the published datasets, after
/// the columns that say which line it is.
pub const FIGURE_COLUMNS: [&str; 13] = [
    "diterima",
    "diverifikasi",
    "dalam_proses",
    "dijawab",
    "selesai",
    "terlambat",
    "merah",
    "kuning",
    "biru",
    "median_hari_tanggapan_pertama",
    "median_hari_selesai",
    "selesai_tepat_waktu",
    "persen_tepat_waktu",
];

/// A line's figures as CSV fields, in [`FIGURE_COLUMNS`]' order.
pub fn figure_fields(l: &Line) -> Vec<String> {
    let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    vec![
        l.received.to_string(),
        l.verified.to_string(),
        l.in_process.to_string(),
        l.answered.to_string(),
        l.closed.to_string(),
        l.overdue.to_string(),
        l.red.to_string(),
        l.yellow.to_string(),
        l.blue.to_string(),
        opt(l.median_days_to_first_response),
        opt(l.median_days_to_close),
        l.closed_on_time.to_string(),
        opt(l.on_time_percent),
    ]
}

/// `GET /api/v1/cases/stats?year=&month=&agency=&kecamatan=`: the figures as JSON.
pub async fn api_stats(ctx: Ctx, Query(p): Query<Params>) -> AppResult<Response> {
    let (f, slug) = filter_of(&ctx, &p).await?;
    let fig = figures_for(&ctx, &f).await?;
    let names = Names::of(&ctx.app.store, &ctx.tenant.id).await?;
    let unplaced = ctx.text("dasbor.unplaced");
    Ok(Json(serde_json::json!({
        "filter": { "year": f.year, "month": f.month, "agency": slug, "kecamatan": f.kecamatan },
        "total": &fig.total,
        "agencies": named(&names, Dim::Agency, &fig.agencies, &unplaced),
        "kecamatan": named(&names, Dim::Kecamatan, &fig.kecamatan, &unplaced),
        "months": named(&names, Dim::Month, &fig.months, &unplaced),
    }))
    .into_response())
}

/// `/layanan/dasbor.csv`: the same lines as a table, one per agency,
/// kecamatan and month, after the total.
pub async fn csv(ctx: Ctx, Query(p): Query<Params>) -> AppResult<Response> {
    let (f, _) = filter_of(&ctx, &p).await?;
    let fig = figures_for(&ctx, &f).await?;
    let names = Names::of(&ctx.app.store, &ctx.tenant.id).await?;
    let unplaced = ctx.text("dasbor.unplaced");
    let mut out = ::csv::Writer::from_writer(Vec::new());
    let mut write = || -> Result<(), ::csv::Error> {
        out.write_record(["dimensi", "kode", "nama"].into_iter().chain(FIGURE_COLUMNS))?;
        let mut row = |dim: &str, key: &str, name: &str, l: &Line| {
            out.write_record([dim.to_string(), key.to_string(), name.to_string()].into_iter().chain(figure_fields(l)))
        };
        row("total", "", "", &fig.total)?;
        for (dim, code, lines) in
            [(Dim::Agency, "instansi", &fig.agencies), (Dim::Kecamatan, "kecamatan", &fig.kecamatan), (Dim::Month, "bulan", &fig.months)]
        {
            for n in named(&names, dim, lines, &unplaced) {
                row(code, &n.key, &n.name, n.figures)?;
            }
        }
        Ok(out.flush()?)
    };
    write().map_err(|e| AppError::Internal(e.to_string()))?;
    let body = out.into_inner().map_err(|e| AppError::Internal(e.to_string()))?;
    let period = f.month.map(|m| format!("{}-{m:02}", f.year)).unwrap_or_else(|| f.year.to_string());
    let disposition = format!("attachment; filename=\"dasbor-layanan-{period}.csv\"");
    Ok(([(CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (CONTENT_DISPOSITION, disposition)], body).into_response())
}

/// The board's colours, a shape apart too in the legend's words.
const PARTS: [(Colour, &str, &str); 3] = [
    (Colour::Red, "kasus.colour.red", "#b3261e"),
    (Colour::Yellow, "kasus.colour.yellow", "#e0a800"),
    (Colour::Blue, "kasus.colour.blue", "#1f5f8b"),
];

/// Pins on the map at most: a few kilobytes on a phone.
const MAP_PINS: usize = 300;

/// `/layanan/dasbor`: the figures with their charts and the map.
pub async fn page(ctx: Ctx, Query(p): Query<Params>) -> AppResult<Response> {
    let (f, slug) = filter_of(&ctx, &p).await?;
    let fig = figures_for(&ctx, &f).await?;
    let names = Names::of(&ctx.app.store, &ctx.tenant.id).await?;
    let unplaced = ctx.text("dasbor.unplaced");
    let agencies = named(&names, Dim::Agency, &fig.agencies, &unplaced);
    let kecamatan = named(&names, Dim::Kecamatan, &fig.kecamatan, &unplaced);
    // Every month of the period, the empty ones at zero, for the line.
    let months: Vec<u8> = f.month.map(|m| vec![m]).unwrap_or_else(|| (1..=12).collect());
    let per_month: Vec<(String, f64)> = months
        .iter()
        .map(|m| {
            let key = format!("{}-{m:02}", f.year);
            let n = fig.months.iter().find(|l| l.key == key).map_or(0, |l| l.received);
            (key, n as f64)
        })
        .collect();
    let month_chart = chart::render(chart::Kind::Line, &ctx.text("dasbor.chart_months"), &ctx.text("dasbor.received"), &per_month);
    let legend: Vec<String> = PARTS.iter().map(|(_, key, _)| ctx.text(key)).collect();
    let parts: Vec<chart::Part<'_>> = PARTS.iter().zip(&legend).map(|((_, _, fill), name)| chart::Part { name, fill }).collect();
    let rows: Vec<(String, Vec<f64>)> =
        agencies.iter().map(|a| (a.name.clone(), vec![a.figures.red as f64, a.figures.yellow as f64, a.figures.blue as f64])).collect();
    let colour_chart = chart::stacked(&ctx.text("dasbor.chart_colours"), &parts, &rows);
    let pins = cases::pins(
        &ctx.app.store,
        &ctx.tenant.id,
        figures::period(&f, offset(&ctx)),
        f.agency_id.as_deref(),
        f.kecamatan.as_deref(),
        MAP_PINS,
    )
    .await?;
    let places: Vec<crate::web::map::Place> = pins
        .iter()
        .map(|p| crate::web::map::Place {
            lat: p.lat,
            lon: p.lon,
            label: String::new(),
            href: super::tracking::public_href(&p.number),
            marked: p.state.colour() == Some(Colour::Red),
        })
        .collect();
    let map_svg = (!places.is_empty()).then(|| crate::web::map::render(&ctx.text("dasbor.map_title"), &places));
    let agency_options: Vec<(String, String)> = names.agencies.values().cloned().collect();
    let kecamatan_options: Vec<(String, String)> = names.kecamatan.iter().map(|(c, n)| (c.clone(), n.clone())).collect();
    let query = serde_urlencoded::to_string([
        ("year", Some(f.year.to_string())),
        ("month", f.month.map(|m| m.to_string())),
        ("agency", slug.clone()),
        ("kecamatan", f.kecamatan.clone()),
    ])
    .unwrap_or_default();
    let page = minijinja::context! {
        year => f.year, month => f.month, agency => slug, kecamatan_code => f.kecamatan,
        years => ((ctx.today().year() - 4)..=ctx.today().year()).rev().collect::<Vec<_>>(),
        agency_options, kecamatan_options,
        total => fig.total, agencies, kecamatan, months => named(&names, Dim::Month, &fig.months, &unplaced),
        month_chart, colour_chart, map_svg, pins => pins.len(), map_cap => MAP_PINS, query,
    };
    Ok(ctx.render("services/dashboard.html", page)?.into_response())
}
