//! The national region directory: JSON API and pages from province down to
//! desa. Served from the table embedded in the binary, so it needs neither a
//! tenant nor a database round trip.

use axum::Json;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use wilayah::{Code, Directory, Level, Region};

use crate::kernel::msg::Msg;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};

pub const SLICE: crate::slices::Slice = crate::slices::Slice {
    menu: &[crate::slices::MenuEntry { label: "nav.wilayah", href: "/wilayah", admins_only: false }],
    templates: &[
        ("wilayah/hits.html", include_str!("templates/hits.html")),
        ("wilayah/index.html", include_str!("templates/index.html")),
        ("wilayah/region.html", include_str!("templates/region.html")),
    ],
    locales: [include_str!("locales/id.txt"), include_str!("locales/en.txt")],
    ..crate::slices::Slice::new("wilayah", routes)
};

pub fn routes() -> crate::slices::Routes {
    crate::slices::Routes::new()
        .api(
            "/api/v1/wilayah",
            get(api_search),
            &[crate::slices::Op {
                method: "get",
                summary: "Regions whose name starts with q (case- and accent-insensitive), optionally within a region",
            }],
        )
        .api(
            "/api/v1/wilayah/{code}",
            get(api_region),
            &[crate::slices::Op { method: "get", summary: "A region by its Kemendagri code, with its children" }],
        )
        .route("/wilayah", get(page_index))
        .route("/wilayah/{code}", get(page_region))
}

#[derive(Serialize)]
struct Child<'a> {
    code: Code,
    name: &'a str,
    level: Level,
}

#[derive(Serialize)]
struct RegionJson<'a> {
    code: Code,
    name: &'a str,
    level: Level,
    parent: Option<Code>,
    children: Vec<Child<'a>>,
}

fn parse(code: &str) -> AppResult<(Code, &'static Region)> {
    let code = Code::parse(code).map_err(|e| {
        let reason = Msg::new(region_code_reason(e.reason_code()));
        AppError::BadRequest(Msg::new("error.region_code").arg("code", e.input()).arg_msg("reason", reason))
    })?;
    let region = Directory::embedded().get(&code).ok_or_else(|| AppError::NotFound(Msg::new("error.region_unknown").arg("code", code)))?;
    Ok((code, region))
}

/// The catalogue key that explains why a code did not parse.
fn region_code_reason(reason: &str) -> &'static str {
    match reason {
        "empty" => "region_code.empty",
        "characters" => "region_code.characters",
        "split" | "too_long" => "region_code.digits",
        "segments" => "region_code.segments",
        "village_width" => "region_code.village_width",
        "width" => "region_code.width",
        _ => "region_code.zero",
    }
}

async fn api_region(Path(code): Path<String>) -> AppResult<Response> {
    let dir = Directory::embedded();
    let (code, region) = parse(&code)?;
    let children = dir.children_of(&code).map(|c| Child { code: c.code, name: &c.name, level: c.level }).collect();
    let body = RegionJson { code, name: &region.name, level: region.level, parent: code.parent(), children };
    Ok(Json(body).into_response())
}

#[derive(Deserialize)]
struct SearchParams {
    q: Option<String>,
    within: Option<String>,
    limit: Option<usize>,
}

#[derive(Serialize)]
struct Hit<'a> {
    code: Code,
    name: &'a str,
    level: Level,
    parent: Option<Code>,
    /// Names of the ancestors, e.g. ["Jawa Timur", "Kabupaten Bojonegoro"].
    path: Vec<&'a str>,
}

fn hits<'a>(dir: &'a Directory, params: &SearchParams) -> AppResult<Vec<Hit<'a>>> {
    let q = params.q.as_deref().map(str::trim).unwrap_or("");
    if q.is_empty() {
        return Err(AppError::BadRequest(Msg::new("error.search_empty")));
    }
    let within = match params.within.as_deref().filter(|w| !w.is_empty()) {
        Some(w) => Some(parse(w)?.0),
        None => None,
    };
    let limit = params.limit.unwrap_or(50).clamp(1, 500);
    Ok(dir
        .search(q, within.as_ref(), limit)
        .into_iter()
        .map(|r| Hit {
            code: r.code,
            name: &r.name,
            level: r.level,
            parent: r.code.parent(),
            path: r.code.ancestors().iter().filter_map(|a| dir.get(a)).map(|a| a.name.as_str()).collect(),
        })
        .collect())
}

async fn api_search(Query(params): Query<SearchParams>) -> AppResult<Response> {
    let dir = Directory::embedded();
    let results = hits(dir, &params)?;
    Ok(Json(serde_json::json!({ "count": results.len(), "results": results })).into_response())
}

#[derive(Serialize)]
struct Row<'a> {
    code: Code,
    name: &'a str,
    level: Level,
    /// Regencies, kecamatan and villages below.
    counts: [u32; 3],
}

fn rows<'a>(dir: &'a Directory, regions: impl Iterator<Item = &'a Region>) -> Vec<Row<'a>> {
    regions.map(|r| Row { code: r.code, name: &r.name, level: r.level, counts: dir.counts(&r.code) }).collect()
}

async fn page_index(ctx: Ctx, Query(params): Query<SearchParams>) -> AppResult<Response> {
    let dir = Directory::embedded();
    let searching = params.q.as_deref().is_some_and(|q| !q.trim().is_empty());
    let results = if searching { hits(dir, &params)? } else { Vec::new() };
    let provinces = rows(dir, dir.provinces());
    let totals = [dir.count_at_depth(1), dir.count_at_depth(2), dir.count_at_depth(3), dir.count_at_depth(4)];
    let page = minijinja::context! {
        q => params.q.unwrap_or_default(), searching, results, provinces, totals,
        regulation => wilayah::REGULATION,
    };
    Ok(ctx.render("wilayah/index.html", page)?.into_response())
}

async fn page_region(ctx: Ctx, Path(code): Path<String>, Query(params): Query<SearchParams>) -> AppResult<Response> {
    let dir = Directory::embedded();
    let (code, region) = parse(&code)?;
    let breadcrumbs: Vec<(Code, &str)> = code.ancestors().iter().filter_map(|a| dir.get(a)).map(|a| (a.code, a.name.as_str())).collect();
    let children = rows(dir, dir.children_of(&code));
    let searching = params.q.as_deref().is_some_and(|q| !q.trim().is_empty());
    let results = if searching { hits(dir, &SearchParams { within: Some(code.to_string()), ..params })? } else { Vec::new() };
    // Inside the tenant's own area, the other slices say what they hold
    // about the region: its datasets, its offices' procurement.
    let text = code.to_string();
    let panels = if text == ctx.tenant.id || text.starts_with(&format!("{}.", ctx.tenant.id)) {
        let mut within: Vec<String> = code.ancestors().iter().map(|a| a.to_string()).collect();
        within.push(text.clone());
        let offices: Vec<_> = crate::kernel::organizations::list(&ctx.app.store, &ctx.tenant.id)
            .await?
            .into_iter()
            .filter(|o| o.region_code.as_ref().is_some_and(|r| within.contains(r) && *r != ctx.tenant.id))
            .collect();
        crate::slices::panels(&ctx, crate::slices::Place::Region { code: &text, name: &region.name, offices: &offices }).await?
    } else {
        Vec::new()
    };
    let page = minijinja::context! {
        region => Row { code, name: &region.name, level: region.level, counts: dir.counts(&code) },
        bps => code.bps(), breadcrumbs, children, searching, results, panels,
        regulation => wilayah::REGULATION,
    };
    Ok(ctx.render("wilayah/region.html", page)?.into_response())
}
