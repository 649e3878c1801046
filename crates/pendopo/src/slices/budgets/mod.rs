//! The regency budget (APBD and APBD-P) of Permendagri 90/2019, open:
//! BPKAD and Bappeda (see `access.rs`) import it from SIPD's spreadsheets
//! or PUT it as JSON, with its planning documents; citizens browse the
//! tree urusan > bidang > program > kegiatan > sub-kegiatan with plan and
//! quarterly realisation at every level, follow a sub-kegiatan to its
//! procurement processes, and download the Fiscal Data Package, CSV and
//! XLSX. The rules are `crates/anggaran`'s; this slice stores and shows.

pub mod access;
pub mod datasets;
pub mod demo;
pub mod documents;
pub mod downloads;
pub mod import;
pub mod model;
pub mod pages;
pub mod repo;
pub mod view;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::kernel::msg::Msg;
use crate::slices::{MenuEntry, Op, QueryParam, Routes, Slice};
use crate::web::ctx::{ApiWriter, Ctx};
use crate::web::error::{AppError, AppResult};

pub const SLICE: Slice = Slice {
    tables: &["apbd_publishers", "apbd_versions", "apbd_lines", "apbd_program_names", "apbd_documents"],
    setup_tenant: Some(|store, tenant| Box::pin(setup(store, tenant))),
    jobs: || {
        vec![(datasets::REFRESH_JOB, |app, job| {
            Box::pin(async move {
                let year = job.payload["year"].as_i64().unwrap_or_default() as i32;
                datasets::refresh(&app.store, &app.files, &job.tenant_id, year).await
            })
        })]
    },
    menu: &[MenuEntry { label: "nav.anggaran", href: "/anggaran", admins_only: false }],
    state: Some(|parts| {
        parts.insert(std::sync::Arc::new(model::Cache::default()));
    }),
    migrations: &[crate::store::Migration::shared(23, "0023_budgets", include_str!("migrations/0023_budgets.sql"))],
    templates: &[
        ("budgets/index.html", include_str!("templates/index.html")),
        ("budgets/year.html", include_str!("templates/year.html")),
        ("budgets/sub.html", include_str!("templates/sub.html")),
        ("budgets/manage.html", include_str!("templates/manage.html")),
    ],
    locales: [include_str!("locales/id.txt"), include_str!("locales/en.txt")],
    demo: Some(|region| Box::pin(demo::load(region))),
    ..Slice::new("anggaran", routes)
};

async fn setup(store: &crate::store::Store, tenant: &str) -> Result<(), crate::store::StoreError> {
    let slugs: Vec<String> = access::DEFAULT_PUBLISHERS.iter().map(|s| s.to_string()).collect();
    repo::set_publishers(store, tenant, &slugs).await
}

pub fn routes() -> Routes {
    Routes::new()
        .route("/anggaran", get(pages::index))
        .route("/anggaran/kelola", get(pages::manage))
        .route("/anggaran/kelola/impor", post(pages::import_form))
        .route("/anggaran/kelola/dokumen", post(documents::upload_form))
        .route("/anggaran/kelola/nama", post(pages::names_form))
        .route("/anggaran/kelola/penerbit", post(pages::publishers_form))
        .route("/anggaran/dokumen/{id}/{name}", get(documents::serve))
        .route("/anggaran/{year}", get(pages::year))
        .route("/anggaran/{year}/sub-kegiatan/{code}", get(pages::sub_kegiatan))
        .route("/anggaran/{year}/datapackage.json", get(downloads::datapackage))
        .route("/anggaran/{year}/apbd.csv", get(downloads::csv))
        .route("/anggaran/{year}/apbd.xlsx", get(downloads::xlsx))
        .api_with_query(
            "/api/v1/apbd/{year}",
            get(api_get).put(api_put),
            &[
                Op {
                    method: "get",
                    summary: "A year's APBD as a tree with plan and quarterly realisation at every level (?code=, ?level=, ?agency=), \
                              its nodes paged (?limit=, ?offset=; `halaman.next` is the next page's address, null on the last)",
                },
                Op { method: "put", summary: "Replaces a year's APBD or APBD-P (?version=apbd|apbd-p) with checked lines; all or nothing" },
            ],
            &[
                QueryParam {
                    name: "code",
                    integer: false,
                    description: "Open this node (urusan to kegiatan code): its children are listed",
                },
                QueryParam {
                    name: "level",
                    integer: false,
                    description: "List every node of a level: urusan, bidang, program, kegiatan or sub_kegiatan",
                },
                QueryParam { name: "agency", integer: false, description: "Only the lines of this agency (its code, or its name)" },
                QueryParam { name: "version", integer: false, description: "apbd or apbd-p (default: APBD-P when there is one)" },
                QueryParam { name: "limit", integer: true, description: "Nodes per page, 1 to 1000 (default 100)" },
                QueryParam {
                    name: "offset",
                    integer: true,
                    description: "Nodes to skip (default 0); halaman.total is how many there are, halaman.next the next page",
                },
            ],
        )
        .api(
            "/api/v1/apbd/{year}/import",
            post(api_import),
            &[Op {
                method: "post",
                summary: "Imports a SIPD spreadsheet (CSV or XLSX, the body) as a year's APBD or APBD-P; all or nothing",
            }],
        )
}

/// Whether the APBD shown for `year` (its APBD-P when there is one) has
/// this sub-kegiatan: `None` when the year has no APBD yet. For the
/// procurement form, which checks the code a process names.
pub async fn has_sub_kegiatan(
    app: &crate::web::App,
    tenant: &str,
    year: i32,
    code: &str,
) -> Result<Option<bool>, crate::store::StoreError> {
    let Some(budget) = model::load(app, tenant, year, None).await? else { return Ok(None) };
    let Ok(code) = anggaran::apbd::Program::parse(code) else { return Ok(Some(false)) };
    Ok(Some(code.level() == anggaran::apbd::ProgramLevel::SubKegiatan && budget.tree.find(&code).is_some()))
}

/// A year in a path: four digits, else 404.
pub fn year_of(text: &str) -> AppResult<i32> {
    text.parse::<i32>().ok().filter(|y| (1990..=2200).contains(y)).ok_or_else(AppError::not_found)
}

#[derive(Debug, Default, Deserialize)]
pub struct VersionParam {
    #[serde(default, alias = "versi")]
    pub version: String,
}

impl VersionParam {
    pub fn kind(&self) -> AppResult<repo::Kind> {
        repo::Kind::parse(&self.version)
            .ok_or_else(|| AppError::invalid("version", Msg::new("anggaran.e.version").arg("value", &self.version)))
    }
}

/// `GET /api/v1/apbd/{year}`: the shown version (APBD-P over APBD) or
/// `?version=`, opened at `?code=` or `?level=`, of `?agency=`. Public.
async fn api_get(ctx: Ctx, Path(year): Path<String>, Query(open): Query<view::Open>, Query(v): Query<VersionParam>) -> AppResult<Response> {
    let year = year_of(&year)?;
    let kind = if v.version.is_empty() { None } else { Some(v.kind()?) };
    let budget = model::load(&ctx.app, &ctx.tenant.id, year, kind).await?.ok_or_else(AppError::not_found)?;
    let mut base = format!("/api/v1/apbd/{year}");
    if let Some(k) = kind {
        base = format!("{base}?version={}", k.code());
    }
    Ok(Json(view::answer(&budget, &open, &base)?).into_response())
}

/// The answer to a refused write: 422 with every problem.
pub fn refused(ctx: &Ctx, problems: &[import::Said]) -> Response {
    let list: Vec<serde_json::Value> = problems
        .iter()
        .map(|p| serde_json::json!({"line": p.line, "column": p.column, "error": p.code, "reason": ctx.msg(&p.msg)}))
        .collect();
    let message = ctx.msg(&Msg::new("anggaran.refused").arg("n", problems.len()));
    (StatusCode::UNPROCESSABLE_ENTITY, Json(serde_json::json!({"error": {"message": message, "problems": list}}))).into_response()
}

#[derive(Deserialize)]
struct PutBody {
    lines: Vec<import::JsonLine>,
    /// Names of urusan, bidang, programmes and kegiatan: code to name.
    #[serde(default)]
    names: std::collections::BTreeMap<String, String>,
}

async fn api_put(ApiWriter(ctx): ApiWriter, Path(year): Path<String>, Query(v): Query<VersionParam>, body: Bytes) -> AppResult<Response> {
    let user = access::api_writer(&ctx).await?.clone();
    let year = year_of(&year)?;
    let kind = v.kind()?;
    let body: PutBody = serde_json::from_slice(&body).map_err(|e| AppError::BadRequest(Msg::new("anggaran.e.json").arg("detail", e)))?;
    let names = pages::checked_names(body.names.iter().map(|(c, n)| (c.as_str(), n.as_str())))?;
    let lines = match import::read_json(&body.lines) {
        Ok(lines) => lines,
        Err(problems) => return Ok(refused(&ctx, &problems)),
    };
    let target = import::Target { year, kind, source: "api", user_id: &user.id, names: &names };
    let revision = import::store(&ctx.app.store, &ctx.tenant.id, &target, &lines).await?;
    Ok(Json(serde_json::json!({"tahun": year, "versi": kind.code(), "baris": lines.len(), "revisi": revision})).into_response())
}

async fn api_import(
    ApiWriter(ctx): ApiWriter,
    Path(year): Path<String>,
    Query(v): Query<VersionParam>,
    body: Bytes,
) -> AppResult<Response> {
    let user = access::api_writer(&ctx).await?.clone();
    let year = year_of(&year)?;
    let kind = v.kind()?;
    let lines = match import::read_sheet(&body) {
        Ok(lines) => lines,
        Err(problems) => return Ok(refused(&ctx, &problems)),
    };
    let target = import::Target { year, kind, source: "sipd", user_id: &user.id, names: &[] };
    let revision = import::store(&ctx.app.store, &ctx.tenant.id, &target, &lines).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({"tahun": year, "versi": kind.code(), "baris": lines.len(), "revisi": revision})))
        .into_response())
}
