//! The villages' JSON API (`/api/v1/desa...`), in the OpenAPI document
//! through `Routes::api`. Reads are public (published budgets only);
//! writes take an API token of the village's operator or a region admin,
//! asked before the body is read.

use anggaran::apbdes::{self, Apbdes, CodeList, LineInput};
use anggaran::idm;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{compare, messages, repo};
use crate::kernel::access;
use crate::kernel::msg::Msg;
use crate::web::ctx::{ApiWriter, Ctx};
use crate::web::error::{AppError, AppResult, ErrorReport};

/// A year in the path or query: 2000 to 2100, else no such page.
pub fn year_of(text: &str) -> AppResult<i32> {
    text.trim().parse::<i32>().ok().filter(|y| (2000..=2100).contains(y)).ok_or_else(AppError::not_found)
}

/// The village in the path, or 404.
pub async fn find_village(ctx: &Ctx, code: &str) -> AppResult<repo::Village> {
    repo::village(&ctx.app.store, &ctx.tenant.id, code).await?.ok_or_else(AppError::not_found)
}

/// The village, if the user may write for it (its operator, region
/// admins); asked before anything of the request is read.
pub async fn writable(ctx: &Ctx, code: &str) -> AppResult<repo::Village> {
    let user = ctx.user()?;
    if !access::for_desa(user, code) {
        return Err(ctx.denied());
    }
    find_village(ctx, code).await
}

/// A budget line as pages and the API show it.
#[derive(Debug, Serialize)]
pub struct LineView {
    pub kode: String,
    pub akun: String,
    pub nama: String,
    pub sumber: String,
    pub anggaran: i64,
    pub realisasi_s1: Option<i64>,
    pub realisasi_s2: Option<i64>,
    pub alasan: Option<String>,
    pub above_plan: bool,
    pub bidang: Option<u8>,
}

/// A version of a year's APBDes with its lines, totals and what it changed.
#[derive(Debug, Serialize)]
pub struct BudgetView {
    pub year: i32,
    pub version: i64,
    pub status: String,
    pub perubahan: bool,
    pub versions: Vec<repo::Version>,
    pub lines: Vec<LineView>,
    pub totals: apbdes::Totals,
    pub changes: Vec<apbdes::Change>,
}

/// The budget of `year`: version `wanted` or the latest; drafts only for
/// those who may write.
pub async fn budget_view(ctx: &Ctx, code: &str, year: i32, wanted: Option<i64>, drafts: bool) -> AppResult<Option<BudgetView>> {
    let store = &ctx.app.store;
    let all = repo::versions(store, &ctx.tenant.id, code, year).await?;
    let shown: Vec<repo::Version> = all.into_iter().filter(|v| drafts || v.status == "published").collect();
    let Some(version) = (match wanted {
        Some(n) => shown.iter().find(|v| v.version == n).cloned(),
        None => shown.last().cloned(),
    }) else {
        return Ok(None);
    };
    let (inputs, checked) = repo::budget(store, &ctx.tenant.id, code, year, &version).await?;
    let Some(checked) = checked else { return Err(AppError::Internal(format!("stored APBDes {code} {year} no longer checks"))) };
    let previous = shown.iter().rev().find(|v| v.version < version.version).cloned();
    let changes = match previous {
        Some(p) => repo::budget(store, &ctx.tenant.id, code, year, &p).await?.1.map(|b| apbdes::changes(&b, &checked)).unwrap_or_default(),
        None => Vec::new(),
    };
    let lines = inputs.iter().zip(&checked.lines).map(|(i, l)| line_view(i, l)).collect();
    Ok(Some(BudgetView {
        year,
        version: version.version,
        status: version.status.clone(),
        perubahan: version.version > 1,
        versions: shown,
        lines,
        totals: checked.totals,
        changes,
    }))
}

fn line_view(input: &LineInput, line: &apbdes::Line) -> LineView {
    LineView {
        kode: input.kode.clone(),
        akun: input.akun.clone(),
        nama: line.name.clone(),
        sumber: line.sumber.clone().unwrap_or_default(),
        anggaran: line.plan.get(),
        realisasi_s1: line.realised[0].map(|r| r.get()),
        realisasi_s2: line.realised[1].map(|r| r.get()),
        alasan: line.reason.clone(),
        above_plan: line.above_plan(),
        bidang: line.pos.bidang(),
    }
}

/// Checks lines with the region's tolerance; every problem at once.
pub async fn check(ctx: &Ctx, lines: &[LineInput], pre_2018: bool) -> AppResult<Result<Apbdes, Vec<apbdes::Problem>>> {
    let (_, tolerance) = repo::settings(&ctx.app.store, &ctx.tenant.id).await?;
    Ok(apbdes::check(lines, &CodeList::embedded(), &apbdes::Settings { tolerance, pre_2018 }))
}

/// The problems of a budget as a 422 whose fields name line and field.
pub fn refused(problems: &[apbdes::Problem]) -> AppError {
    AppError::Invalid(problems.iter().map(|p| (messages::apbdes_field(p), messages::apbdes_problem(p))).collect())
}

/// Stores checked lines and says what happened.
pub async fn store_budget(
    ctx: &Ctx,
    code: &str,
    year: i32,
    lines: &[LineInput],
    budget: &Apbdes,
    publish: bool,
    pre_2018: bool,
) -> AppResult<repo::Saved> {
    let user = ctx.user()?;
    let saved = repo::save(&ctx.app.store, &ctx.tenant.id, code, year, &user.id, lines, budget, publish, pre_2018).await?;
    tracing::info!(desa = code, year, version = saved.version, perubahan = saved.perubahan, lines = lines.len(), "APBDes stored");
    Ok(saved)
}

#[derive(Deserialize)]
pub struct ListParams {
    #[serde(default, alias = "tahun")]
    pub year: Option<String>,
    #[serde(default)]
    pub kecamatan: Option<String>,
}

/// `GET /api/v1/desa?kecamatan=CODE&year=Y`: the comparison rows.
pub async fn list(ctx: Ctx, Query(p): Query<ListParams>) -> AppResult<Response> {
    let year = match p.year.as_deref() {
        Some(y) => year_of(y)?,
        None => ctx.today().year(),
    };
    let all = super::cached_rows(&ctx, year).await?;
    let kecamatan = p.kecamatan.as_deref().filter(|k| !k.is_empty());
    let rows: Vec<&compare::Row> = all.iter().filter(|r| kecamatan.is_none_or(|k| r.kecamatan == k)).collect();
    Ok(Json(json!({
        "year": year,
        "population_source": compare::POPULATION_SOURCE,
        "population_note": ctx.text("desa.population_note"),
        "rows": rows,
    }))
    .into_response())
}

/// `GET /api/v1/desa/{code}`: profile and transparency items.
pub async fn show(ctx: Ctx, Path(code): Path<String>) -> AppResult<Response> {
    let v = find_village(&ctx, &code).await?;
    let store = &ctx.app.store;
    let profile = repo::profile(store, &ctx.tenant.id, &code).await?;
    let documents: Vec<Value> = repo::documents(store, &ctx.tenant.id, &code)
        .await?
        .into_iter()
        .map(|d| {
            let url = format!("{}/desa/{code}/dokumen/{}", ctx.base_url(), d.id);
            json!({ "id": d.id, "year": d.year, "kind": d.kind, "media_type": d.media_type, "place": d.place, "taken_on": d.taken_on, "url": url })
        })
        .collect();
    let history: Vec<Value> = repo::idm_history(store, &ctx.tenant.id, &code)
        .await?
        .iter()
        .filter_map(|r| idm::Scores::from_array(r.scores).ok().map(|s| (r.year, idm::compute(&s))))
        .map(|(year, i)| json!({ "year": year, "idm": i.idm, "status": i.status }))
        .collect();
    let population = profile.as_ref().map_or(0, |p| p.population());
    Ok(Json(json!({
        "code": v.code, "name": v.name, "kecamatan": v.kecamatan, "kecamatan_name": v.kecamatan_name,
        "kind": if v.kelurahan { "kelurahan" } else { "desa" },
        "profile": profile, "population": population, "population_source": compare::POPULATION_SOURCE,
        "documents": documents, "idm": history,
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct VersionParam {
    #[serde(default, alias = "versi")]
    pub version: Option<i64>,
}

/// `GET /api/v1/desa/{code}/apbdes/{year}`.
pub async fn apbdes_get(ctx: Ctx, Path((code, year)): Path<(String, String)>, Query(p): Query<VersionParam>) -> AppResult<Response> {
    let year = year_of(&year)?;
    find_village(&ctx, &code).await?;
    let drafts = ctx.user.as_ref().is_some_and(|u| access::for_desa(u, &code));
    let view = budget_view(&ctx, &code, year, p.version, drafts).await?.ok_or_else(AppError::not_found)?;
    Ok(Json(view).into_response())
}

/// An amount as JSON gives it: a number, or text such as `Rp 1.250.000`.
#[derive(Deserialize, Default)]
#[serde(untagged)]
enum Amount {
    Int(i64),
    Text(String),
    #[default]
    None,
    Other(Value),
}

impl Amount {
    fn text(&self) -> String {
        match self {
            Amount::Int(i) => i.to_string(),
            Amount::Text(t) => t.clone(),
            Amount::None => String::new(),
            // A fraction or anything else is passed on as written, so the
            // check names it.
            Amount::Other(v) => v.to_string(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LineBody {
    #[serde(default)]
    kode: String,
    #[serde(default)]
    akun: String,
    #[serde(default)]
    nama: String,
    #[serde(default)]
    sumber: String,
    #[serde(default)]
    anggaran: Amount,
    #[serde(default)]
    realisasi_s1: Amount,
    #[serde(default)]
    realisasi_s2: Amount,
    #[serde(default)]
    alasan: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BudgetBody {
    lines: Vec<LineBody>,
    /// Kept as the operator's draft, not published.
    #[serde(default)]
    draft: bool,
    /// The lines use the accounts of before 2018 (1/2/3).
    #[serde(default)]
    pre_2018: bool,
}

fn bad_json(e: serde_json::Error) -> AppError {
    AppError::BadRequest(Msg::new("desa.bad_json").arg("detail", e))
}

/// `PUT /api/v1/desa/{code}/apbdes/{year}`: all lines or none.
pub async fn apbdes_put(ApiWriter(ctx): ApiWriter, Path((code, year)): Path<(String, String)>, body: Bytes) -> AppResult<Response> {
    writable(&ctx, &code).await?;
    let year = year_of(&year)?;
    let body: BudgetBody = serde_json::from_slice(&body).map_err(bad_json)?;
    let lines: Vec<LineInput> = body
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| LineInput {
            line: i + 1,
            kode: l.kode.clone(),
            akun: l.akun.clone(),
            nama: l.nama.clone(),
            sumber: l.sumber.clone(),
            anggaran: l.anggaran.text(),
            realisasi_s1: l.realisasi_s1.text(),
            realisasi_s2: l.realisasi_s2.text(),
            alasan: l.alasan.clone(),
        })
        .collect();
    let budget = check(&ctx, &lines, body.pre_2018).await?.map_err(|p| refused(&p))?;
    let saved = store_budget(&ctx, &code, year, &lines, &budget, !body.draft, body.pre_2018).await?;
    Ok(Json(json!({ "version": saved.version, "perubahan": saved.perubahan, "published": saved.published, "totals": budget.totals }))
        .into_response())
}

/// 409: the village is not scored by the IDM (a kelurahan).
fn not_scored(e: &idm::NotScored) -> Response {
    let key = match e {
        idm::NotScored::Kelurahan => "desa.idm_kelurahan_not_scored",
        idm::NotScored::NotAVillage => "desa.idm_not_a_village",
    };
    let mut res = StatusCode::CONFLICT.into_response();
    res.extensions_mut().insert(ErrorReport { msg: Msg::new(key), fields: Vec::new() });
    res
}

fn idm_json(i: &idm::Idm) -> Value {
    json!({ "iks": i.iks, "ike": i.ike, "ikl": i.ikl, "idm": i.idm, "status": i.status, "status_label": i.status.label() })
}

/// `GET /api/v1/desa/{code}/idm/{year}`: `{iks, ike, ikl, idm, status}`.
pub async fn idm_get(ctx: Ctx, Path((code, year)): Path<(String, String)>) -> AppResult<Response> {
    let year = year_of(&year)?;
    find_village(&ctx, &code).await?;
    let parsed = wilayah::Code::parse(&code).map_err(|_| AppError::not_found())?;
    let history = repo::idm_history(&ctx.app.store, &ctx.tenant.id, &code).await?;
    let Some(row) = history.iter().find(|r| r.year == year) else {
        return match idm::score(&parsed, &idm::Scores::from_array([0; 50]).map_err(|_| AppError::not_found())?) {
            Err(e) => Ok(not_scored(&e)),
            Ok(_) => Err(AppError::not_found()),
        };
    };
    let scores = idm::Scores::from_array(row.scores).map_err(|_| AppError::Internal("stored IDM scores out of range".into()))?;
    match idm::score(&parsed, &scores) {
        Ok(i) => {
            let mut v = idm_json(&i);
            v["year"] = year.into();
            v["source"] = row.source.clone().into();
            v["scores"] = scores.named().map(|(n, s)| (n.to_string(), Value::from(s))).collect::<serde_json::Map<_, _>>().into();
            Ok(Json(v).into_response())
        }
        Err(e) => Ok(not_scored(&e)),
    }
}

/// `PUT /api/v1/desa/{code}/idm/{year}`: the 50 scores by name.
pub async fn idm_put(ApiWriter(ctx): ApiWriter, Path((code, year)): Path<(String, String)>, body: Bytes) -> AppResult<Response> {
    writable(&ctx, &code).await?;
    let year = year_of(&year)?;
    let parsed = wilayah::Code::parse(&code).map_err(|_| AppError::not_found())?;
    let body: serde_json::Map<String, Value> = serde_json::from_slice(&body).map_err(bad_json)?;
    let mut problems = Vec::new();
    let mut pairs = Vec::new();
    for (name, value) in &body {
        match value.as_i64() {
            Some(v) => pairs.push((name.as_str(), v)),
            None => problems.push((name.clone(), Msg::new("desa.idm_score_not_whole").arg("name", name))),
        }
    }
    let scores = match idm::Scores::from_named(pairs) {
        Ok(s) if problems.is_empty() => s,
        Ok(_) => return Err(AppError::Invalid(problems)),
        Err(list) => {
            problems.extend(list.iter().map(messages::idm_score));
            return Err(AppError::Invalid(problems));
        }
    };
    let computed = match idm::score(&parsed, &scores) {
        Ok(i) => i,
        Err(e) => return Ok(not_scored(&e)),
    };
    repo::save_idm(&ctx.app.store, &ctx.tenant.id, year, "entry", &[(code.clone(), scores)]).await?;
    Ok(Json(idm_json(&computed)).into_response())
}
