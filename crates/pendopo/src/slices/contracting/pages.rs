//! The citizen's side: `/pengadaan` (the list with filters and a map),
//! `/pengadaan/{ocid}` (one process, step by step, with its red flags
//! explained and the monitoring reports), `/pengadaan/dasbor` (the region's
//! spending, direct procurement and flags over time).

use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::index::{self, STAGES};
use super::repo::{self, By, Filters};
use super::{budget_links, entry, payments, releases, reports};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::map::{self, Place};

const PAGE: i64 = 50;

pub async fn list(ctx: Ctx, Query(p): Query<Filters>) -> AppResult<Response> {
    let store = &ctx.app.store;
    let tenant = &ctx.tenant.id;
    let page = p.page.unwrap_or(1).max(1);
    let count = repo::count(store, tenant, &p).await?;
    let rows = repo::list(store, tenant, &p, page, PAGE).await?;
    // The list's map shows this page's processes; /pengadaan/peta shows all matches.
    let places: Vec<Place> = rows
        .iter()
        .filter_map(|r| {
            let (lat, lon) = r.place?;
            Some(Place { lat, lon, label: r.title.clone(), href: format!("/pengadaan/{}", r.ocid), marked: r.flag_count > 0 })
        })
        .collect();
    let map_svg = map::render_marked(&ctx.text("pengadaan.map_title"), &places, &ctx.text("pengadaan.flagged_point"));
    let repo::Choices { buyers, years, flags } = repo::choices(store, tenant).await?;
    let pages = (count + PAGE - 1) / PAGE;
    let filters = serde_urlencoded::to_string(p.without_page()).unwrap_or_default();
    let user = ctx.user.as_ref();
    let page_ctx = minijinja::context! {
        f => &p, rows, count, page, pages, query => filters, map_svg, buyers, years, flags,
        methods => releases::METHODS.iter().map(|m| m.0).collect::<Vec<_>>(),
        categories => ["goods", "works", "services"], stages => STAGES,
        can_enter => user.is_some_and(|u| u.is_region_admin() || u.org_id.is_some()),
    };
    Ok(ctx.render("contracting/list.html", page_ctx)?.into_response())
}

/// Points drawn on the full map at most: enough for a regency's year, small
/// enough for a phone (about 110 bytes a point).
const MAP_POINTS: i64 = 800;

/// Every match with a place on one map (up to [`MAP_POINTS`]).
pub async fn map_page(ctx: Ctx, Query(p): Query<Filters>) -> AppResult<Response> {
    let (located, points) = repo::located(&ctx.app.store, &ctx.tenant.id, &p, MAP_POINTS).await?;
    let places: Vec<Place> = points
        .into_iter()
        .map(|p| Place { lat: p.lat, lon: p.lon, label: String::new(), href: format!("/pengadaan/{}", p.ocid), marked: p.flagged })
        .collect();
    let map_svg = map::render(&ctx.text("pengadaan.map_title"), &places);
    let filters = serde_urlencoded::to_string(p.without_page()).unwrap_or_default();
    let page = minijinja::context! { map_svg, shown => places.len(), located, query => filters };
    Ok(ctx.render("contracting/map.html", page)?.into_response())
}

#[derive(Serialize)]
struct Doc {
    title: String,
    url: String,
    kind: String,
    date: String,
}

#[derive(Serialize)]
struct ProgressEntry {
    date: String,
    title: String,
    note: String,
}

#[derive(Serialize)]
struct FlagView {
    code: String,
    /// Whose flag: the process, its buyer, or a provider.
    kind: String,
    subject: String,
    value: String,
}

/// An indicator's value for people: a list as lines joined by "; ", a map
/// as "key: value" pairs, a number as Indonesians write it (`1.250.000`, `0,35`).
fn readable(stored: &str) -> String {
    match serde_json::from_str::<Value>(stored) {
        Ok(n @ Value::Number(_)) => crate::web::format::cell(&n, ""),
        Ok(Value::Array(items)) => {
            items.iter().map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).collect::<Vec<_>>().join("; ")
        }
        Ok(Value::Object(map)) => map.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("; "),
        Ok(Value::String(t)) => t,
        _ => stored.to_string(),
    }
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or("").to_string()
}

fn day(v: &Value) -> String {
    v.as_str().and_then(|d| d.get(..10)).unwrap_or("").to_string()
}

pub async fn show(ctx: Ctx, Path(ocid): Path<String>) -> AppResult<Response> {
    let store = &ctx.app.store;
    let tenant = &ctx.tenant.id;
    let c = repo::compiled(store, tenant, &ocid).await?.ok_or_else(AppError::not_found)?;
    let summary = index::summarize(&c);
    let timeline = repo::timeline(store, tenant, &ocid).await?;
    let items = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let contracts = items(&c["contracts"]);
    let mut docs: Vec<Doc> = Vec::new();
    for holder in [&c["planning"], &c["tender"]].into_iter().chain(items(&c["awards"]).iter().map(|a| a as &Value).collect::<Vec<_>>()) {
        docs.extend(items(&holder["documents"]).iter().map(|d| Doc {
            title: s(&d["title"]),
            url: s(&d["url"]),
            kind: s(&d["documentType"]),
            date: day(&d["datePublished"]),
        }));
    }
    for k in &contracts {
        for holder in [&k["documents"], &k["implementation"]["documents"]] {
            docs.extend(items(holder).iter().map(|d| Doc {
                title: s(&d["title"]),
                url: s(&d["url"]),
                kind: s(&d["documentType"]),
                date: day(&d["datePublished"]),
            }));
        }
    }
    let offset = ctx.tenant.time_zone().utc_offset_hours();
    let today = kalender::Date::from_unix_millis(store.now_ms(), offset).ok_or_else(|| AppError::Internal("the clock is off".into()))?;
    let payments = payments::payments(&contracts, today, offset);
    let totals = payments::totals(&payments, summary.contract_value);
    let progress: Vec<ProgressEntry> = contracts
        .iter()
        .flat_map(|k| items(&k["implementation"]["milestones"]))
        .filter(|m| m["code"] == releases::PROGRESS_MILESTONE)
        .map(|m| ProgressEntry { date: day(&m["dateMet"]), title: s(&m["title"]), note: s(&m["description"]) })
        .collect();
    let bids: Vec<(String, i64, String)> = items(&c["bids"]["details"])
        .iter()
        .map(|b| {
            let who = items(&b["tenderers"]).iter().map(|t| s(&t["name"])).collect::<Vec<_>>().join(", ");
            (who, b["value"]["amount"].as_f64().unwrap_or(0.0).round() as i64, s(&b["status"]))
        })
        .collect();
    let providers: Vec<String> = items(&c["parties"])
        .iter()
        .filter(|p| items(&p["roles"]).iter().any(|r| r == "supplier" || r == "tenderer"))
        .map(|p| s(&p["id"]))
        .collect();
    let names: std::collections::HashMap<String, String> = items(&c["parties"]).iter().map(|p| (s(&p["id"]), s(&p["name"]))).collect();
    let by_kind = index::flags_for(store, tenant, &summary, &providers).await?;
    let own: std::collections::HashSet<String> = by_kind.get("OCID").into_iter().flatten().map(|f| f.code.clone()).collect();
    // The buyer's Indonesian flags are shown where this process is part of
    // them (its contract is one of the December ones, its winner the repeat winner, ...).
    let flags: Vec<FlagView> = by_kind
        .into_values()
        .flatten()
        .filter(|f| f.kind != "Buyer" || !f.code.starts_with("ID_") || own.contains(&f.code))
        .map(|f| FlagView {
            subject: names.get(&f.subject).cloned().unwrap_or(f.subject),
            code: f.code,
            kind: f.kind,
            value: readable(&f.value),
        })
        .collect();
    let user = ctx.user.as_ref();
    let officer = match user {
        Some(u) => entry::may_enter(&ctx, u, &summary.buyer_id).await?,
        None => false,
    };
    let reports = reports::for_process(store, tenant, &ocid, officer).await?;
    let rupiah = |v: Option<f64>| v.map(|x| x.round() as i64);
    // The budget line the process names (budget > procurement), as the budgets slice addresses it.
    let budget_line = budget_links::budget_code(&c)
        .zip(summary.year)
        .map(|(code, year)| (code.to_string(), format!("/anggaran/{year}/sub-kegiatan/{code}")));
    let page = minijinja::context! {
        budget_line,
        p => &summary, timeline, docs, payments, progress, bids, flags, reports, officer,
        steps => entry::STEPS,
        budget => rupiah(summary.budget), hps => rupiah(summary.tender_value), award => rupiah(summary.award_value),
        contract => rupiah(summary.contract_value), totals,
        map_svg => summary.location.map(|(lat, lon)| {
            let place = Place { lat, lon, label: summary.title.clone(), href: map::osm_link(lat, lon), marked: !flags.is_empty() };
            map::render_marked(&summary.title, &[place], &ctx.text("pengadaan.flagged_point"))
        }),
        osm => summary.location.map(|(lat, lon)| map::osm_link(lat, lon)),
        signed_in => user.is_some(),
    };
    Ok(ctx.render("contracting/show.html", page)?.into_response())
}

#[derive(Deserialize)]
pub struct DashParams {
    year: Option<String>,
}

/// Agencies drawn in the spending chart (the largest; the table lists all).
const BUYERS_CHARTED: usize = 12;

/// Billions of Rupiah, for the charts' axes.
const MILIAR: f64 = 1e9;

pub async fn dashboard(ctx: Ctx, Query(d): Query<DashParams>) -> AppResult<Response> {
    let store = &ctx.app.store;
    let tenant = &ctx.tenant.id;
    let year: Option<i64> = d.year.as_deref().and_then(|y| y.parse().ok());
    let by_buyer = repo::spending(store, tenant, year, By::Buyer).await?;
    let by_method = repo::spending(store, tenant, year, By::Method).await?;
    let as_points =
        |rows: &[(String, String, i64, f64)]| -> Vec<(String, f64)> { rows.iter().map(|r| (r.1.clone(), r.3 / MILIAR)).collect() };
    let buyer_points: Vec<(String, f64)> = as_points(&by_buyer).into_iter().take(BUYERS_CHARTED).collect();
    let method_points = as_points(&by_method);
    let unit = ctx.text("pengadaan.miliar");
    let buyer_chart = crate::web::chart::render(crate::web::chart::Kind::Bar, &ctx.text("pengadaan.spend_by_buyer"), &unit, &buyer_points);
    let method_chart =
        crate::web::chart::render(crate::web::chart::Kind::Bar, &ctx.text("pengadaan.spend_by_method"), &unit, &method_points);
    let table = |rows: &[(String, String, i64, f64)]| -> Vec<(String, String, i64, i64)> {
        rows.iter().map(|r| (r.0.clone(), r.1.clone(), r.2, r.3.round() as i64)).collect()
    };
    let (buyers, methods) = (table(&by_buyer), table(&by_method));
    let total_count: i64 = methods.iter().map(|m| m.2).sum();
    let total_value: i64 = methods.iter().map(|m| m.3).sum();
    let (direct_count, direct_value) = repo::direct(store, tenant, year).await?;
    let share = |part: f64, whole: f64| if whole > 0.0 { (part / whole * 1000.0).round() / 10.0 } else { 0.0 };
    // Flags over time: every year, whatever the year filter, so the trend shows.
    let trend = repo::flagged_per_year(store, tenant).await?;
    let trend_points: Vec<(String, f64)> = trend.iter().map(|(y, n, f)| (y.to_string(), share(*f as f64, *n as f64))).collect();
    let trend_chart = crate::web::chart::render(crate::web::chart::Kind::Line, &ctx.text("pengadaan.flags_over_time"), "%", &trend_points);
    let codes = repo::flag_counts(store, tenant, year).await?;
    let years: Vec<i64> = trend.iter().map(|t| t.0).rev().collect();
    let page = minijinja::context! {
        year, years, buyers, methods, total_count, total_value, direct_count, direct_value => direct_value.round() as i64,
        direct_share_count => share(direct_count as f64, total_count as f64), direct_share_value => share(direct_value, total_value as f64),
        buyer_chart, method_chart, trend_chart, trend, codes,
        buyers_charted => (by_buyer.len() > BUYERS_CHARTED).then_some(BUYERS_CHARTED),
    };
    Ok(ctx.render("contracting/dashboard.html", page)?.into_response())
}
