//! The citizen's side: `/pengadaan` (the list with filters and a map),
//! `/pengadaan/{ocid}` (one process, step by step, with its red flags
//! explained and the monitoring reports), `/pengadaan/dasbor` (the region's
//! spending, direct procurement and flags over time).

use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::index::{self, STAGES};
use super::{entry, releases, reports};
use crate::store::{Sql, Value as Arg, sql_built};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::map::{self, Place};

const PAGE: i64 = 50;

/// A statement built from the filters, with its arguments.
fn query(text: String, args: Vec<Arg>) -> Sql {
    sql_built(text).bind_all(args)
}

/// The value a process is filtered and ranked by: the contract's, else the
/// award's, else the HPS, else the budget.
const VALUE: &str = "COALESCE(contract_value, award_value, tender_value, budget)";

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ListParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    buyer: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    flag: String,
    /// Rupiah, as typed (`1.000.000.000` or `1000000000`).
    #[serde(default)]
    min: String,
    #[serde(default)]
    max: String,
    page: Option<i64>,
}

/// `WHERE` conditions and their arguments for the filters given.
fn conditions(tenant: &str, p: &ListParams) -> (String, Vec<Arg>) {
    let mut args: Vec<Arg> = vec![tenant.into()];
    let mut sql = String::from("tenant_id = $1");
    let mut add = |cond: &str, v: Arg| {
        args.push(v);
        sql.push_str(&format!(" AND {}", cond.replace('?', &format!("${}", args.len()))));
    };
    if !p.q.trim().is_empty() {
        let like = format!("%{}%", p.q.trim().to_lowercase().replace(['%', '_'], ""));
        add("LOWER(title || ' ' || supplier_names) LIKE ?", like.into());
    }
    for (value, cond) in
        [(&p.buyer, "buyer_id = ?"), (&p.method, "method_details = ?"), (&p.category, "category = ?"), (&p.stage, "stage = ?")]
    {
        if !value.is_empty() {
            add(cond, value.clone().into());
        }
    }
    if let Ok(y) = p.year.parse::<i64>() {
        add("year = ?", y.into());
    }
    if let Some(v) = super::csv_rows::parse_rupiah(&p.min) {
        add(&format!("{VALUE} >= ?"), v.into());
    }
    if let Some(v) = super::csv_rows::parse_rupiah(&p.max) {
        add(&format!("{VALUE} <= ?"), v.into());
    }
    if !p.flag.is_empty() {
        add("ocid IN (SELECT subject FROM ocds_flags f WHERE f.tenant_id = $1 AND f.kind = 'OCID' AND f.code = ?)", p.flag.clone().into());
    }
    (sql, args)
}

#[derive(Serialize)]
struct Row {
    ocid: String,
    title: String,
    buyer_name: String,
    method_details: String,
    year: Option<i64>,
    stage: String,
    value: Option<i64>,
    flag_count: i64,
    #[serde(skip)]
    place: Option<(f64, f64)>,
}

fn option_list(rows: &[crate::store::Row]) -> AppResult<Vec<(String, String)>> {
    rows.iter().map(|r| Ok((r.at::<String>(0)?, r.at::<String>(1)?))).collect()
}

pub async fn list(ctx: Ctx, Query(p): Query<ListParams>) -> AppResult<Response> {
    let store = &ctx.app.store;
    let tenant = &ctx.tenant.id;
    let (cond, args) = conditions(tenant, &p);
    let page = p.page.unwrap_or(1).max(1);
    let count: i64 = store.fetch_one(query(format!("SELECT COUNT(*) FROM ocds_processes WHERE {cond}"), args.clone())).await?.at(0)?;
    let rows = store
        .fetch_all(query(
            format!(
                "SELECT ocid, title, buyer_name, method_details, year, stage, {VALUE}, flag_count, lat, lon FROM ocds_processes WHERE {cond}
                 ORDER BY updated_ms DESC, ocid LIMIT {PAGE} OFFSET {}",
                (page - 1) * PAGE
            ),
            args.clone(),
        ))
        .await?;
    let rows: Vec<Row> = rows
        .iter()
        .map(|r| {
            Ok(Row {
                ocid: r.at(0)?,
                title: r.at(1)?,
                buyer_name: r.at(2)?,
                method_details: r.at(3)?,
                year: r.at(4)?,
                stage: r.at(5)?,
                value: r.at::<Option<f64>>(6)?.map(|v| v.round() as i64),
                flag_count: r.at(7)?,
                place: r.at::<Option<f64>>(8)?.zip(r.at::<Option<f64>>(9)?),
            })
        })
        .collect::<AppResult<_>>()?;
    // The list's map shows this page's processes; /pengadaan/peta shows all matches.
    let places: Vec<Place> = rows
        .iter()
        .filter_map(|r| {
            let (lat, lon) = r.place?;
            Some(Place { lat, lon, label: r.title.clone(), href: format!("/pengadaan/{}", r.ocid), marked: r.flag_count > 0 })
        })
        .collect();
    let map_svg = map::render(&ctx.text("pengadaan.map_title"), &places);
    let buyers = option_list(
        &store
            .fetch_all(
                crate::store::sql("SELECT DISTINCT buyer_id, buyer_name FROM ocds_processes WHERE tenant_id = $1 ORDER BY buyer_name")
                    .bind(tenant),
            )
            .await?,
    )?;
    let years: Vec<i64> = store
        .fetch_all(
            crate::store::sql("SELECT DISTINCT year FROM ocds_processes WHERE tenant_id = $1 AND year IS NOT NULL ORDER BY year DESC")
                .bind(tenant),
        )
        .await?
        .iter()
        .map(|r| r.at(0))
        .collect::<Result<_, _>>()?;
    let flags: Vec<String> = store
        .fetch_all(
            crate::store::sql("SELECT DISTINCT code FROM ocds_flags WHERE tenant_id = $1 AND kind = 'OCID' ORDER BY code").bind(tenant),
        )
        .await?
        .iter()
        .map(|r| r.at(0))
        .collect::<Result<_, _>>()?;
    let pages = (count + PAGE - 1) / PAGE;
    let filters = serde_urlencoded::to_string(p.clone_filters()).unwrap_or_default();
    let user = ctx.user.as_ref();
    let page_ctx = minijinja::context! {
        f => &p, rows, count, page, pages, query => filters, map_svg, buyers, years, flags,
        methods => releases::METHODS.iter().map(|m| m.0).collect::<Vec<_>>(),
        categories => ["goods", "works", "services"], stages => STAGES,
        can_enter => user.is_some_and(|u| u.is_region_admin() || u.org_id.is_some()),
    };
    Ok(ctx.render("pengadaan_list.html", page_ctx)?.into_response())
}

/// Points drawn on the full map at most: enough for a regency's year, small
/// enough for a phone (about 110 bytes a point).
const MAP_POINTS: i64 = 800;

/// Every match with a place on one map (up to [`MAP_POINTS`]).
pub async fn map_page(ctx: Ctx, Query(p): Query<ListParams>) -> AppResult<Response> {
    let (cond, args) = conditions(&ctx.tenant.id, &p);
    let store = &ctx.app.store;
    let located: i64 = store
        .fetch_one(query(format!("SELECT COUNT(*) FROM ocds_processes WHERE {cond} AND lat IS NOT NULL"), args.clone()))
        .await?
        .at(0)?;
    let rows = store
        .fetch_all(query(
            format!("SELECT ocid, lat, lon, flag_count FROM ocds_processes WHERE {cond} AND lat IS NOT NULL ORDER BY flag_count DESC, updated_ms DESC LIMIT {MAP_POINTS}"),
            args,
        ))
        .await?;
    let places: Vec<Place> = rows
        .iter()
        .map(|r| {
            let ocid: String = r.at(0)?;
            Ok(Place {
                lat: r.at(1)?,
                lon: r.at(2)?,
                label: String::new(),
                href: format!("/pengadaan/{ocid}"),
                marked: r.at::<i64>(3)? > 0,
            })
        })
        .collect::<AppResult<_>>()?;
    let map_svg = map::render(&ctx.text("pengadaan.map_title"), &places);
    let filters = serde_urlencoded::to_string(p.clone_filters()).unwrap_or_default();
    let page = minijinja::context! { map_svg, shown => places.len(), located, query => filters };
    Ok(ctx.render("pengadaan_map.html", page)?.into_response())
}

impl ListParams {
    fn clone_filters(&self) -> ListParams {
        ListParams {
            q: self.q.clone(),
            buyer: self.buyer.clone(),
            method: self.method.clone(),
            category: self.category.clone(),
            year: self.year.clone(),
            stage: self.stage.clone(),
            flag: self.flag.clone(),
            min: self.min.clone(),
            max: self.max.clone(),
            page: None,
        }
    }
}

#[derive(Serialize)]
struct TimelineEntry {
    id: String,
    date: String,
    tags: Vec<String>,
}

#[derive(Serialize)]
struct Doc {
    title: String,
    url: String,
    kind: String,
    date: String,
}

#[derive(Serialize)]
struct Payment {
    date: String,
    amount: i64,
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
/// as "key: value" pairs, a number as it is.
fn readable(stored: &str) -> String {
    match serde_json::from_str::<Value>(stored) {
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
    let row = store
        .fetch_optional(
            crate::store::sql("SELECT compiled FROM ocds_processes WHERE tenant_id = $1 AND ocid = $2").bind(tenant).bind(&ocid),
        )
        .await?
        .ok_or_else(AppError::not_found)?;
    let c: Value = serde_json::from_str(&row.at::<String>(0)?).map_err(|e| AppError::Internal(e.to_string()))?;
    let summary = index::summarize(&c);
    let timeline: Vec<TimelineEntry> = store
        .fetch_all(
            crate::store::sql("SELECT release_id, date, tags FROM ocds_releases WHERE tenant_id = $1 AND ocid = $2 ORDER BY date_ms, seq")
                .bind(tenant)
                .bind(&ocid),
        )
        .await?
        .iter()
        .map(|r| {
            Ok(TimelineEntry {
                id: r.at(0)?,
                date: r.at::<String>(1)?.chars().take(10).collect(),
                tags: r.at::<String>(2)?.split(' ').map(str::to_string).collect(),
            })
        })
        .collect::<AppResult<_>>()?;
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
    let payments: Vec<Payment> = contracts
        .iter()
        .flat_map(|k| items(&k["implementation"]["transactions"]))
        .map(|t| Payment { date: day(&t["date"]), amount: t["value"]["amount"].as_f64().unwrap_or(0.0).round() as i64 })
        .collect();
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
    let page = minijinja::context! {
        p => &summary, timeline, docs, payments, progress, bids, flags, reports, officer,
        steps => entry::STEPS,
        budget => rupiah(summary.budget), hps => rupiah(summary.tender_value), award => rupiah(summary.award_value),
        contract => rupiah(summary.contract_value), paid => summary.paid.round() as i64,
        paid_share => summary.contract_value.filter(|v| *v > 0.0).map(|v| (summary.paid / v * 100.0).round() as i64),
        map_svg => summary.location.map(|(lat, lon)| map::render(&summary.title, &[Place { lat, lon, label: summary.title.clone(), href: map::osm_link(lat, lon), marked: false }])),
        osm => summary.location.map(|(lat, lon)| map::osm_link(lat, lon)),
        signed_in => user.is_some(),
    };
    Ok(ctx.render("pengadaan_show.html", page)?.into_response())
}

#[derive(Deserialize)]
pub struct DashParams {
    year: Option<String>,
}

/// Billions of Rupiah, for the charts' axes.
const MILIAR: f64 = 1e9;

pub async fn dashboard(ctx: Ctx, Query(d): Query<DashParams>) -> AppResult<Response> {
    let store = &ctx.app.store;
    let tenant = &ctx.tenant.id;
    let year: Option<i64> = d.year.as_deref().and_then(|y| y.parse().ok());
    let (cond, args): (&str, Vec<Arg>) = match year {
        Some(y) => ("tenant_id = $1 AND year = $2", vec![tenant.as_str().into(), y.into()]),
        None => ("tenant_id = $1", vec![tenant.as_str().into()]),
    };
    // key, label, processes, contract value; largest first.
    let grouped = |key: &str, label: &str| {
        query(
            format!(
                "SELECT {key}, {label}, COUNT(*), COALESCE(SUM(contract_value), 0) FROM ocds_processes WHERE {cond}
                 GROUP BY {key}, {label} ORDER BY 4 DESC, 2"
            ),
            args.clone(),
        )
    };
    let by_buyer = store.fetch_all(grouped("buyer_id", "buyer_name")).await?;
    let by_method = store.fetch_all(grouped("method_details", "method_details")).await?;
    let as_points = |rows: &[crate::store::Row]| -> AppResult<Vec<(String, f64)>> {
        rows.iter().map(|r| Ok((r.at::<String>(1)?, r.at::<f64>(3)? / MILIAR))).collect()
    };
    let buyer_points: Vec<(String, f64)> = as_points(&by_buyer)?.into_iter().take(12).collect();
    let method_points = as_points(&by_method)?;
    let unit = ctx.text("pengadaan.miliar");
    let buyer_chart = crate::web::chart::render(crate::web::chart::Kind::Bar, &ctx.text("pengadaan.spend_by_buyer"), &unit, &buyer_points);
    let method_chart =
        crate::web::chart::render(crate::web::chart::Kind::Bar, &ctx.text("pengadaan.spend_by_method"), &unit, &method_points);
    let table = |rows: &[crate::store::Row]| -> AppResult<Vec<(String, String, i64, i64)>> {
        rows.iter().map(|r| Ok((r.at::<String>(0)?, r.at::<String>(1)?, r.at::<i64>(2)?, r.at::<f64>(3)?.round() as i64))).collect()
    };
    let (buyers, methods) = (table(&by_buyer)?, table(&by_method)?);
    let total_count: i64 = methods.iter().map(|m| m.2).sum();
    let total_value: i64 = methods.iter().map(|m| m.3).sum();
    let direct = store
        .fetch_one(query(
            format!("SELECT COUNT(*), COALESCE(SUM(contract_value), 0) FROM ocds_processes WHERE {cond} AND method = 'direct'"),
            args.clone(),
        ))
        .await?;
    let (direct_count, direct_value): (i64, f64) = (direct.at(0)?, direct.at(1)?);
    let share = |part: f64, whole: f64| if whole > 0.0 { (part / whole * 1000.0).round() / 10.0 } else { 0.0 };
    // Flags over time: every year, whatever the year filter, so the trend shows.
    let per_year = store
        .fetch_all(
            crate::store::sql(
                "SELECT year, COUNT(*), SUM(CASE WHEN flag_count > 0 THEN 1 ELSE 0 END) FROM ocds_processes
                 WHERE tenant_id = $1 AND year IS NOT NULL GROUP BY year ORDER BY year",
            )
            .bind(tenant),
        )
        .await?;
    let trend: Vec<(i64, i64, i64)> = per_year.iter().map(|r| Ok((r.at(0)?, r.at(1)?, r.at(2)?))).collect::<AppResult<_>>()?;
    let trend_points: Vec<(String, f64)> = trend.iter().map(|(y, n, f)| (y.to_string(), share(*f as f64, *n as f64))).collect();
    let trend_chart = crate::web::chart::render(crate::web::chart::Kind::Line, &ctx.text("pengadaan.flags_over_time"), "%", &trend_points);
    let by_code = store
        .fetch_all(query(
            format!(
                "SELECT f.code, COUNT(*) FROM ocds_flags f JOIN ocds_processes p ON p.tenant_id = f.tenant_id AND p.ocid = f.subject
                 WHERE f.kind = 'OCID' AND {} GROUP BY f.code ORDER BY 2 DESC, 1",
                cond.replace("tenant_id", "p.tenant_id").replace("year", "p.year")
            ),
            args.clone(),
        ))
        .await?;
    let codes: Vec<(String, i64)> = by_code.iter().map(|r| Ok((r.at(0)?, r.at(1)?))).collect::<AppResult<_>>()?;
    let years: Vec<i64> = trend.iter().map(|t| t.0).rev().collect();
    let page = minijinja::context! {
        year, years, buyers, methods, total_count, total_value, direct_count, direct_value => direct_value.round() as i64,
        direct_share_count => share(direct_count as f64, total_count as f64), direct_share_value => share(direct_value, total_value as f64),
        buyer_chart, method_chart, trend_chart, trend, codes,
    };
    Ok(ctx.render("pengadaan_dashboard.html", page)?.into_response())
}
