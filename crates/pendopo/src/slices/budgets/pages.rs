//! The budget's pages: `/anggaran` (the years and the planning documents by
//! stage), `/anggaran/{year}` (the tree, opened by links level by level,
//! with plan, realisation and its share at every node, the quarters as a
//! chart, and the agencies), a sub-kegiatan's page (its lines and the
//! procurement processes it funds), and `/anggaran/kelola` (the import,
//! documents, programme names and publishers forms).

use std::collections::BTreeMap;

use anggaran::apbd::{Program, ProgramLevel, Quarterly};
use axum::Form;
use axum::extract::{Multipart, Path, Query};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use minijinja::context;
use serde::Deserialize;
use serde_json::{Value, json};

use super::import::{self, Said};
use super::repo::{self, Kind};
use super::view::{self, Open};
use super::{access, documents, model, year_of};
use crate::kernel::msg::Msg;
use crate::web::ctx::{Ctx, SignedIn};
use crate::web::error::{AppError, AppResult};

/// A spreadsheet of a regency's APBD is a few megabytes; 50,000 lines fit.
const MAX_SHEET_BYTES: u64 = 40 * 1024 * 1024;

/// `/anggaran`: every year with its versions, and the documents by stage.
pub async fn index(ctx: Ctx) -> AppResult<Response> {
    let versions = repo::versions(&ctx.app.store, &ctx.tenant.id).await?;
    let mut years: BTreeMap<i32, Vec<&'static str>> = BTreeMap::new();
    for v in &versions {
        years.entry(v.year).or_default().push(v.kind.code());
    }
    let years: Vec<Value> = years.into_iter().rev().map(|(y, kinds)| json!({"year": y, "kinds": kinds})).collect();
    let docs = repo::documents(&ctx.app.store, &ctx.tenant.id).await?;
    let stages: Vec<Value> = documents::STAGES
        .iter()
        .map(|(code, key)| {
            let list: Vec<Value> = docs
                .iter()
                .filter(|d| d.stage == *code)
                .map(|d| json!({"year": d.year, "title": d.title, "href": documents::address(d), "size": d.size}))
                .collect();
            json!({"code": code, "name": ctx.text(key), "documents": list})
        })
        .collect();
    let writes = access::viewer_writes(&ctx).await;
    Ok(ctx.render("budgets/index.html", context! { years, stages, writes })?.into_response())
}

fn quarter_chart(ctx: &Ctx, title: &str, q: &Quarterly) -> String {
    // Plan against realisation up to the end of each quarter, in millions
    // of rupiah (the axis of the regency's figures).
    let mut running = 0i64;
    let mut points = vec![(ctx.text("anggaran.plan"), q.plan.get() as f64 / 1e6)];
    for (i, r) in q.realised.iter().enumerate() {
        running += r.get();
        points.push((ctx.msg(&Msg::new("anggaran.until_quarter").arg("q", i + 1)), running as f64 / 1e6));
    }
    crate::web::chart::render(crate::web::chart::Kind::Bar, title, &ctx.text("anggaran.millions"), &points)
}

/// `/anggaran/{year}`: the tree opened at `?code=` (or every node of
/// `?level=`), of `?agency=`.
pub async fn year(ctx: Ctx, Path(year): Path<String>, Query(open): Query<Open>) -> AppResult<Response> {
    let year = year_of(&year)?;
    let budget = model::load(&ctx.app, &ctx.tenant.id, year, None).await?.ok_or_else(AppError::not_found)?;
    let data = view::answer(&budget, &open, &format!("/anggaran/{year}"))?;
    let own = view::tree_for(&budget, &open.agency)?;
    let tree = own.as_ref().unwrap_or(&budget.tree);
    let branch = view::branch(tree, &open)?;
    let shown = branch.path.last().map(|n| n.amounts).unwrap_or(tree.belanja);
    let heading = branch.path.last().and_then(|n| n.name.clone()).unwrap_or_else(|| ctx.text("anggaran.belanja"));
    let chart = quarter_chart(&ctx, &ctx.msg(&Msg::new("anggaran.chart_title").arg("what", &heading)), &shown);
    let child_level = branch.nodes.first().map(|n| view::level_code(n.level));
    let levels: Vec<(&str, String)> =
        [ProgramLevel::Urusan, ProgramLevel::Bidang, ProgramLevel::Program, ProgramLevel::Kegiatan, ProgramLevel::SubKegiatan]
            .iter()
            .map(|l| (view::level_code(*l), ctx.msg(&Msg::new(level_key(*l)))))
            .collect();
    let perubahan = budget.version.kind == Kind::Perubahan;
    let page = context! {
        year, data, chart, child_level, levels, perubahan,
        agency => open.agency, level => open.level,
        heading,
        shown => view::amounts(&shown),
        updated => crate::web::format::moment_words(budget.version.updated_at, ctx.tenant.time_zone(), ctx.lang),
    };
    Ok(ctx.render("budgets/year.html", page)?.into_response())
}

pub fn level_key(level: ProgramLevel) -> &'static str {
    match level {
        ProgramLevel::Urusan => "anggaran.level.urusan",
        ProgramLevel::Bidang => "anggaran.level.bidang",
        ProgramLevel::Program => "anggaran.level.program",
        ProgramLevel::Kegiatan => "anggaran.level.kegiatan",
        ProgramLevel::SubKegiatan => "anggaran.level.sub_kegiatan",
    }
}

/// `/anggaran/{year}/sub-kegiatan/{code}`: its lines, and the procurement
/// it funds with contract values and payments.
pub async fn sub_kegiatan(ctx: Ctx, Path((year, code)): Path<(String, String)>) -> AppResult<Response> {
    let year = year_of(&year)?;
    let code = Program::parse(&code).ok().filter(|p| p.level() == ProgramLevel::SubKegiatan).ok_or_else(AppError::not_found)?;
    let budget = model::load(&ctx.app, &ctx.tenant.id, year, None).await?.ok_or_else(AppError::not_found)?;
    let node = budget.tree.find(&code).ok_or_else(AppError::not_found)?;
    let path: Vec<Value> = code
        .path()
        .iter()
        .filter_map(|p| budget.tree.find(p))
        .map(|n| json!({"kode": n.code.as_str(), "nama": n.name, "tingkat": ctx.text(level_key(n.level))}))
        .collect();
    let lines: Vec<Value> = budget
        .lines_of(&code)
        .map(|l| {
            json!({
                "opd": l.line.nama_opd, "rekening": l.line.rekening.as_str(), "uraian": l.line.uraian,
                "jumlah": view::amounts(&l.line.amounts),
            })
        })
        .collect();
    let processes =
        crate::slices::contracting::budget_links::processes_for_budget(&ctx.app.store, &ctx.tenant.id, code.as_str(), Some(year as i64))
            .await?;
    let contracted: i64 = processes.iter().filter_map(|p| p.contract_value).sum();
    let paid: i64 = processes.iter().map(|p| p.paid).sum();
    let chart = quarter_chart(
        &ctx,
        &ctx.msg(&Msg::new("anggaran.chart_title").arg("what", node.name.as_deref().unwrap_or(code.as_str()))),
        &node.amounts,
    );
    let page = context! {
        year, code => code.as_str(), name => node.name, path, lines, processes, contracted, paid, chart,
        jumlah => view::amounts(&node.amounts),
        agencies => node.agencies.iter().map(|a| budget.agency_name(a)).collect::<Vec<_>>(),
    };
    Ok(ctx.render("budgets/sub.html", page)?.into_response())
}

/// The forms' page after a try: the problems of a refused sheet, or a
/// form's field errors.
pub async fn render_manage(ctx: &Ctx, status: StatusCode, refused: Option<&AppError>, problems: Option<&[Said]>) -> AppResult<Response> {
    let (error, field_errors) = ctx.form_errors(refused);
    let stages: Vec<(&str, String)> = documents::STAGES.iter().map(|(c, k)| (*c, ctx.text(k))).collect();
    let problems: Vec<Value> =
        problems.unwrap_or_default().iter().map(|p| json!({"line": p.line, "column": p.column, "reason": ctx.msg(&p.msg)})).collect();
    let publishers = repo::publishers(&ctx.app.store, &ctx.tenant.id).await?.join(", ");
    let is_admin = ctx.user.as_ref().is_some_and(|u| u.is_region_admin());
    let this_year = ctx.today().year();
    let page = context! { stages, problems, error, field_errors, publishers, region_admin => is_admin, this_year };
    Ok((status, ctx.render("budgets/manage.html", page)?).into_response())
}

/// `/anggaran/kelola`: the writers' forms.
pub async fn manage(SignedIn(ctx): SignedIn) -> AppResult<Response> {
    access::writer(&ctx).await?;
    render_manage(&ctx, StatusCode::OK, None, None).await
}

/// `POST /anggaran/kelola/impor`: year, version and the SIPD sheet.
pub async fn import_form(SignedIn(ctx): SignedIn, form: Multipart) -> AppResult<Response> {
    let user = access::writer(&ctx).await?.clone();
    // The token comes first in the form, so no stranger's file is read.
    let sent = crate::web::upload::csrf_first(&ctx, form, "file", MAX_SHEET_BYTES).await?;
    let field = |n: &str| sent.fields.get(n).map(|s| s.trim().to_string()).unwrap_or_default();
    let mut problems = Vec::new();
    let year = field("year").parse::<i32>().ok().filter(|y| (1990..=2200).contains(y));
    if year.is_none() {
        problems.push(("year".to_string(), Msg::new("anggaran.e.year")));
    }
    let kind = Kind::parse(&field("version"));
    if kind.is_none() {
        problems.push(("version".to_string(), Msg::new("anggaran.e.version").arg("value", field("version"))));
    }
    let file = sent.file.filter(|f| !f.is_empty());
    if file.is_none() {
        problems.push(("file".to_string(), Msg::new("error.file_missing")));
    }
    let (Some(year), Some(kind), Some(bytes)) = (year, kind, file) else {
        return render_manage(&ctx, StatusCode::UNPROCESSABLE_ENTITY, Some(&AppError::Invalid(problems)), None).await;
    };
    let lines = match import::read_sheet(&bytes) {
        Ok(lines) => lines,
        Err(said) => {
            let summary = AppError::BadRequest(Msg::new("anggaran.refused").arg("n", said.len()));
            return render_manage(&ctx, StatusCode::UNPROCESSABLE_ENTITY, Some(&summary), Some(&said)).await;
        }
    };
    let target = import::Target { year, kind, source: "sipd", user_id: &user.id, names: &[] };
    import::store(&ctx.app.store, &ctx.tenant.id, &target, &lines).await?;
    Ok((StatusCode::SEE_OTHER, [(LOCATION, format!("/anggaran/{year}"))]).into_response())
}

/// Programme names as given (code, name): each code parsed, each name plain.
pub fn checked_names<'a>(given: impl Iterator<Item = (&'a str, &'a str)>) -> AppResult<Vec<(Program, String)>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (at, (code, name)) in given.enumerate() {
        let name = name.trim();
        match Program::parse(code) {
            Ok(p) if !name.is_empty() && crate::kernel::text::is_plain(name) => out.push((p, name.to_string())),
            _ => problems.push(("names".to_string(), Msg::new("anggaran.e.name_line").arg("line", at + 1).arg("code", code))),
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(AppError::Invalid(problems)) }
}

#[derive(Deserialize)]
pub struct NamesForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    year: String,
    /// One `code;name` a line.
    #[serde(default)]
    names: String,
}

/// `POST /anggaran/kelola/nama`: the walidata's (or a publisher's)
/// names of a year's urusan, bidang, programmes and kegiatan.
pub async fn names_form(SignedIn(ctx): SignedIn, Form(form): Form<NamesForm>) -> AppResult<Response> {
    access::writer(&ctx).await?;
    ctx.check_csrf(&form.csrf)?;
    let Some(year) = form.year.trim().parse::<i32>().ok().filter(|y| (1990..=2200).contains(y)) else {
        return render_manage(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(&AppError::invalid("names_year", Msg::new("anggaran.e.year"))),
            None,
        )
        .await;
    };
    let pairs = form.names.lines().filter(|l| !l.trim().is_empty()).map(|l| l.split_once(';').unwrap_or((l, "")));
    let names = match checked_names(pairs) {
        Ok(n) => n,
        Err(e) => return render_manage(&ctx, StatusCode::UNPROCESSABLE_ENTITY, Some(&e), None).await,
    };
    let mut tx = ctx.app.store.begin().await?;
    repo::put_names(&mut tx, &ctx.tenant.id, year, &names).await?;
    super::datasets::changed(&mut tx, &ctx.tenant.id, year, ctx.app.store.now_ms()).await?;
    tx.commit().await?;
    Ok((StatusCode::SEE_OTHER, [(LOCATION, format!("/anggaran/{year}"))]).into_response())
}

#[derive(Deserialize)]
pub struct PublishersForm {
    #[serde(default)]
    csrf: String,
    /// Agency slugs separated by commas or spaces.
    #[serde(default)]
    publishers: String,
}

/// `POST /anggaran/kelola/penerbit`: region admins name the publishing agencies.
pub async fn publishers_form(SignedIn(ctx): SignedIn, Form(form): Form<PublishersForm>) -> AppResult<Response> {
    ctx.region_admin()?;
    ctx.check_csrf(&form.csrf)?;
    let slugs: Vec<String> = form.publishers.split([',', ' ', '\n']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
    if let Some(bad) = slugs.iter().find(|s| !crate::kernel::organizations::valid_slug(s)) {
        let e = AppError::invalid("publishers", Msg::new("anggaran.e.slug").arg("slug", bad));
        return render_manage(&ctx, StatusCode::UNPROCESSABLE_ENTITY, Some(&e), None).await;
    }
    repo::set_publishers(&ctx.app.store, &ctx.tenant.id, &slugs).await?;
    Ok((StatusCode::SEE_OTHER, [(LOCATION, "/anggaran/kelola".to_string())]).into_response())
}
