//! The officer's side: a new process from its plan, then one form per step
//! (tender, bid, award, contract, payment, physical progress with a photo),
//! and the bulk import of a CSV sheet or an OCDS file. Each step becomes one
//! release of the process, stored through the same all-or-nothing import.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Multipart, Path};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::csv_rows::{self, parse_rupiah};
use super::releases::{self, Award, Bid, Contract, Document, Party, Payment, Plan, Process, Progress, Step, Tender, form_date};
use super::{Mode, import_with, index, settings};
use crate::kernel::identity::User;
use crate::kernel::msg::Msg;
use crate::kernel::organizations::{self as orgs, Organization};
use crate::web::ctx::{Ctx, SignedIn};
use crate::web::error::{AppError, AppResult};
use crate::web::upload;

/// The steps after the plan, in the order they usually come.
pub const STEPS: &[&str] = &["tender", "bid", "award", "contract", "payment", "progress"];

fn see_other(to: String) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to)]).into_response()
}

/// The agencies this user may record procurement for.
async fn writable_orgs(ctx: &Ctx, user: &User) -> AppResult<Vec<Organization>> {
    Ok(crate::kernel::access::writable_orgs(&ctx.app.store, &ctx.tenant.id, user).await?)
}

pub(super) async fn read_form(ctx: &Ctx, form: Multipart) -> AppResult<upload::Parsed> {
    let csrf = ctx.csrf.clone();
    let check = move |sent: &str| !csrf.is_empty() && sent == csrf;
    let parsed = upload::read(&ctx.app, &ctx.tenant.id, form, &|n| n == "file", Some(&check)).await?;
    ctx.check_csrf(parsed.fields.get("csrf").map(String::as_str).unwrap_or(""))?;
    Ok(parsed)
}

/// A form's problems, each with the field it is about (`""`: the form as a
/// whole), shown above the form and beside the fields, values kept.
struct Invalid(Vec<(&'static str, Msg)>);

impl Invalid {
    fn of(field: &'static str, m: Msg) -> Invalid {
        Invalid(vec![(field, m)])
    }
}

/// Collects every problem of a form instead of stopping at the first.
#[derive(Default)]
struct Gather(Vec<(&'static str, Msg)>);

impl Gather {
    fn take<T>(&mut self, r: Result<T, Invalid>) -> Option<T> {
        r.map_err(|Invalid(mut e)| self.0.append(&mut e)).ok()
    }

    fn add(&mut self, field: &'static str, m: Msg) {
        self.0.push((field, m));
    }

    fn failed(self) -> Invalid {
        Invalid(self.0)
    }
}

/// The problems as the page shows them: the summary's message, and each
/// field's messages by the field's name.
fn said(ctx: &Ctx, Invalid(errors): Invalid) -> (String, BTreeMap<String, String>) {
    let mut by_field: BTreeMap<String, String> = BTreeMap::new();
    let mut general = Vec::new();
    for (field, m) in errors {
        let text = ctx.msg(&m);
        if field.is_empty() {
            general.push(text);
        } else {
            by_field.entry(field.to_string()).and_modify(|t| *t = format!("{t}; {text}")).or_insert(text);
        }
    }
    let message = if general.is_empty() { ctx.text("error.invalid") } else { general.join(" ") };
    (message, by_field)
}

fn field<'a>(fields: &'a BTreeMap<String, String>, name: &str) -> &'a str {
    fields.get(name).map(|s| s.trim()).unwrap_or("")
}

fn money(fields: &BTreeMap<String, String>, name: &'static str) -> Result<f64, Invalid> {
    parse_rupiah(field(fields, name))
        .ok_or_else(|| Invalid::of(name, Msg::new("pengadaan.invalid_money").arg_msg("field", Msg::new(label(name)))))
}

fn date(fields: &BTreeMap<String, String>, name: &'static str, offset: i64) -> Result<String, Invalid> {
    form_date(field(fields, name), offset)
        .ok_or_else(|| Invalid::of(name, Msg::new("pengadaan.invalid_date").arg_msg("field", Msg::new(label(name)))))
}

fn required(fields: &BTreeMap<String, String>, name: &'static str) -> Result<String, Invalid> {
    Some(field(fields, name).to_string())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Invalid::of(name, Msg::new("pengadaan.required").arg_msg("field", Msg::new(label(name)))))
}

/// The catalogue key of a form field's label.
fn label(name: &str) -> &'static str {
    match name {
        "title" => "pengadaan.f.title",
        "rup_code" => "pengadaan.f.rup_code",
        "budget" => "pengadaan.f.budget",
        "year" => "pengadaan.f.year",
        "hps" => "pengadaan.f.hps",
        "start" => "pengadaan.f.start",
        "end" => "pengadaan.f.end",
        "amount" => "pengadaan.f.amount",
        "date" => "pengadaan.f.date",
        "party_id" => "pengadaan.f.party_id",
        "party_name" => "pengadaan.f.party_name",
        "percent" => "pengadaan.f.percent",
        "lat" => "pengadaan.f.lat",
        "sub_kegiatan" => "pengadaan.f.sub_kegiatan",
        _ => "pengadaan.f.other",
    }
}

fn location(fields: &BTreeMap<String, String>) -> Result<Option<(f64, f64)>, Invalid> {
    crate::web::map::parse_place(field(fields, "lat"), field(fields, "lon"))
        .map_err(|_| Invalid::of("lat", Msg::new("pengadaan.invalid_location")))
}

fn method(fields: &BTreeMap<String, String>) -> Result<&'static str, Invalid> {
    releases::method_name(field(fields, "method")).ok_or_else(|| Invalid::of("method", Msg::new("pengadaan.invalid_method")))
}

pub async fn new_page(SignedIn(ctx): SignedIn) -> AppResult<Response> {
    let user = ctx.user()?;
    let orgs = writable_orgs(&ctx, user).await?;
    if orgs.is_empty() {
        return Err(ctx.denied());
    }
    let mut form = BTreeMap::new();
    form.insert("year".to_string(), crate::clock::iso_utc(ctx.app.store.now_ms())[..4].to_string());
    render_new(&ctx, StatusCode::OK, &orgs, &form, None)
}

fn render_new(
    ctx: &Ctx,
    status: StatusCode,
    orgs: &[Organization],
    form: &BTreeMap<String, String>,
    error: Option<(String, BTreeMap<String, String>)>,
) -> AppResult<Response> {
    let (error, field_errors) = error.unzip();
    let page = minijinja::context! {
        orgs, form, error, field_errors, methods => releases::METHODS.iter().map(|m| m.0).collect::<Vec<_>>(),
        categories => releases::CATEGORIES.iter().map(|c| c.0).collect::<Vec<_>>(),
    };
    Ok((status, ctx.render("contracting/new.html", page)?).into_response())
}

/// The plan in the form, with every problem of it at once.
fn plan_from(fields: &BTreeMap<String, String>, orgs: &[Organization]) -> Result<(Organization, Plan), Invalid> {
    let mut g = Gather::default();
    let org = orgs.iter().find(|o| o.slug == field(fields, "buyer")).cloned();
    if org.is_none() {
        g.add("buyer", Msg::new("pengadaan.buyer_not_yours"));
    }
    let rup_code = g.take(required(fields, "rup_code"));
    if rup_code.as_ref().is_some_and(|c| !c.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')) {
        g.add("rup_code", Msg::new("pengadaan.invalid_rup"));
    }
    let year: Option<i32> = field(fields, "year").parse().ok().filter(|y| (2000..=2100).contains(y));
    if year.is_none() {
        g.add("year", Msg::new("pengadaan.invalid_year"));
    }
    let category = field(fields, "category").to_string();
    if releases::ocds_category(&category).is_none() {
        g.add("category", Msg::new("pengadaan.invalid_category"));
    }
    let method = g.take(method(fields));
    let title = g.take(required(fields, "title"));
    let budget = g.take(money(fields, "budget"));
    let location = g.take(location(fields));
    // The APBD sub-kegiatan that funds it (optional): a Permendagri 90/2019
    // code here, checked against the year's APBD by `create`.
    let budget_project = match field(fields, "sub_kegiatan") {
        "" => Some(None),
        code => match anggaran::apbd::Program::parse(code) {
            Ok(p) if p.level() == anggaran::apbd::ProgramLevel::SubKegiatan => Some(Some(p.to_string())),
            _ => {
                g.add("sub_kegiatan", Msg::new("pengadaan.invalid_sub_kegiatan").arg("code", code));
                None
            }
        },
    };
    match (org, rup_code, year, method, title, budget, location, budget_project) {
        (Some(org), Some(rup_code), Some(year), Some(method), Some(title), Some(budget), Some(location), Some(budget_project))
            if g.0.is_empty() =>
        {
            let description = field(fields, "description").to_string();
            Ok((org, Plan { rup_code, title, description, category, method: method.to_string(), year, budget, location, budget_project }))
        }
        _ => Err(g.failed()),
    }
}

/// A new process from its plan: the OCID is the region's prefix, the year
/// and the RUP code, so one RUP is one process.
pub async fn create(SignedIn(ctx): SignedIn, form: Multipart) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    // Only officers of an agency record procurement: asked before the form is read.
    let orgs = writable_orgs(&ctx, &user).await?;
    if orgs.is_empty() {
        return Err(ctx.denied());
    }
    let parsed = read_form(&ctx, form).await?;
    let fields = parsed.fields;
    let plan = plan_from(&fields, &orgs);
    let (org, plan) = match plan {
        Ok(p) => p,
        Err(e) => {
            let (message, errors) = said(&ctx, e);
            return render_new(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &orgs, &fields, Some((message, errors)));
        }
    };
    // A sub-kegiatan must be one of the year's APBD when the year has one
    // (before it is published, the code is taken as written).
    if let Some(code) = &plan.budget_project
        && crate::slices::budgets::has_sub_kegiatan(&ctx.app, &ctx.tenant.id, plan.year, code).await? == Some(false)
    {
        let m = Msg::new("pengadaan.sub_kegiatan_not_in_apbd").arg("code", code).arg("year", plan.year);
        return render_new(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &orgs, &fields, Some(said(&ctx, Invalid::of("sub_kegiatan", m))));
    }
    let prefix = settings::load(&ctx.app.store, &ctx.tenant.id).await?.ocid_prefix;
    let process = Process {
        ocid: format!("{prefix}-{}-{}", plan.year, plan.rup_code),
        buyer: Party { id: org.slug.clone(), name: org.name.clone() },
        supplier: None,
    };
    let release = process.release(1, &Step::Plan(plan));
    match import_with(&ctx.app.store, &ctx.tenant.id, vec![release], Mode::AllOrNothing).await {
        Ok(_) => {
            tracing::info!(ocid = %process.ocid, user = %user.email, "procurement process created");
            Ok(see_other(format!("/pengadaan/{}", process.ocid)))
        }
        Err(super::ImportError::Invalid(..)) => {
            let m = Msg::new("pengadaan.rup_exists").arg("ocid", &process.ocid);
            render_new(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &orgs, &fields, Some(said(&ctx, Invalid::of("rup_code", m))))
        }
        Err(super::ImportError::Store(e)) => Err(e.into()),
    }
}

/// The process as the forms need it: its summary, how many releases it has,
/// and whether this user may add to it.
struct Current {
    summary: index::Summary,
    compiled: Value,
    releases: usize,
}

async fn current(ctx: &Ctx, ocid: &str) -> AppResult<Current> {
    let store = &ctx.app.store;
    let compiled = super::repo::compiled(store, &ctx.tenant.id, ocid).await?.ok_or_else(AppError::not_found)?;
    let n = super::repo::release_count(store, &ctx.tenant.id, ocid).await?;
    Ok(Current { summary: index::summarize(&compiled), compiled, releases: n as usize })
}

/// May this user record steps of a process bought by `buyer_slug`?
pub async fn may_enter(ctx: &Ctx, user: &User, buyer_slug: &str) -> AppResult<bool> {
    let org = orgs::get(&ctx.app.store, &ctx.tenant.id, buyer_slug).await?;
    Ok(user.is_region_admin() || org.is_some_and(|o| crate::kernel::access::for_org(user, &o.id)))
}

fn step_name(step: &str) -> AppResult<&'static str> {
    STEPS.iter().find(|s| **s == step).copied().ok_or_else(AppError::not_found)
}

pub async fn step_page(SignedIn(ctx): SignedIn, Path((ocid, step)): Path<(String, String)>) -> AppResult<Response> {
    let step = step_name(&step)?;
    let cur = current(&ctx, &ocid).await?;
    if !may_enter(&ctx, ctx.user()?, &cur.summary.buyer_id).await? {
        return Err(ctx.denied());
    }
    let mut form = BTreeMap::new();
    form.insert("method".to_string(), cur.summary.method_details.clone());
    render_step(&ctx, StatusCode::OK, &cur, step, &form, None)
}

fn render_step(
    ctx: &Ctx,
    status: StatusCode,
    cur: &Current,
    step: &str,
    form: &BTreeMap<String, String>,
    error: Option<(String, BTreeMap<String, String>)>,
) -> AppResult<Response> {
    let (error, field_errors) = error.unzip();
    let bidders: Vec<(String, String)> = cur.compiled["bids"]["details"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|b| b["tenderers"].as_array().into_iter().flatten())
        .map(|t| (t["id"].as_str().unwrap_or("").to_string(), t["name"].as_str().unwrap_or("").to_string()))
        .collect();
    let page = minijinja::context! {
        p => &cur.summary, step, form, error, field_errors, bidders,
        methods => releases::METHODS.iter().map(|m| m.0).collect::<Vec<_>>(),
    };
    Ok((status, ctx.render("contracting/step.html", page)?).into_response())
}

/// Builds the step from the form, checking it against what the process
/// already holds (dates in order, a contract only after an award, ...).
fn step_from(
    step: &str,
    f: &BTreeMap<String, String>,
    cur: &Current,
    offset: i64,
    photo: Option<(String, String)>,
) -> Result<Step, Invalid> {
    let c = &cur.compiled;
    let needs = |ok: bool, key: &'static str| if ok { Ok(()) } else { Err(Invalid::of("", Msg::new(key))) };
    // A date not before an earlier step's (its problem said on the date field).
    let not_before = |g: &mut Gather, field: &'static str, date: &Option<String>, earlier: &Value, key: &'static str| {
        if let (Some(d), Some(e)) = (date, earlier.as_str())
            && d.as_str() < e
        {
            g.add(field, Msg::new(key).arg("date", &e[..10.min(e.len())]));
        }
    };
    let ordered = |g: &mut Gather, start: &Option<String>, end: &Option<String>| {
        if let (Some(s), Some(e)) = (start, end)
            && e < s
        {
            g.add("end", Msg::new("pengadaan.end_before_start"));
        }
    };
    let mut g = Gather::default();
    let built = match step {
        "tender" => {
            let (start, end) = (g.take(date(f, "start", offset)), g.take(date(f, "end", offset)));
            ordered(&mut g, &start, &end);
            let (method, hps) = (g.take(method(f)), g.take(money(f, "hps")));
            match (start, end, method, hps) {
                (Some(start), Some(end), Some(method), Some(hps)) => {
                    Some(Step::Tender(Tender { hps, method: method.to_string(), start, end }))
                }
                _ => None,
            }
        }
        "bid" => {
            needs(c["tender"]["tenderPeriod"].is_object(), "pengadaan.needs_tender")?;
            let status = if field(f, "status") == "disqualified" { "disqualified" } else { "valid" };
            let (id, name) = (g.take(required(f, "party_id")), g.take(required(f, "party_name")));
            let (amount, date) = (g.take(money(f, "amount")), g.take(date(f, "date", offset)));
            match (id, name, amount, date) {
                (Some(id), Some(name), Some(amount), Some(date)) => {
                    let mut ids: std::collections::BTreeSet<&str> = c["bids"]["details"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .flat_map(|b| b["tenderers"].as_array().into_iter().flatten())
                        .filter_map(|t| t["id"].as_str())
                        .collect();
                    ids.insert(&id);
                    let tenderers = ids.len() as u32;
                    Some(Step::Bid(Bid { tenderer: Party { id, name }, tenderers, amount, date, status: status.into() }))
                }
                _ => None,
            }
        }
        "award" => {
            needs(c["tender"]["tenderPeriod"].is_object(), "pengadaan.needs_tender")?;
            let d = g.take(date(f, "date", offset));
            not_before(&mut g, "date", &d, &c["tender"]["tenderPeriod"]["startDate"], "pengadaan.before_tender");
            let (id, name, amount) = (g.take(required(f, "party_id")), g.take(required(f, "party_name")), g.take(money(f, "amount")));
            match (d, id, name, amount) {
                (Some(date), Some(id), Some(name), Some(amount)) => Some(Step::Award(Award { supplier: Party { id, name }, amount, date })),
                _ => None,
            }
        }
        "contract" => {
            needs(cur.summary.award_value.is_some(), "pengadaan.needs_award")?;
            let (signed, end) = (g.take(date(f, "date", offset)), g.take(date(f, "end", offset)));
            not_before(&mut g, "date", &signed, &c["awards"][0]["date"], "pengadaan.before_award");
            ordered(&mut g, &signed, &end);
            match (g.take(money(f, "amount")), signed, end) {
                (Some(amount), Some(signed), Some(end)) => Some(Step::Contract(Contract { amount, signed, end })),
                _ => None,
            }
        }
        "payment" | "progress" => {
            needs(cur.summary.contract_value.is_some(), "pengadaan.needs_contract")?;
            let d = g.take(date(f, "date", offset));
            not_before(&mut g, "date", &d, &c["contracts"][0]["dateSigned"], "pengadaan.before_contract");
            if step == "payment" {
                match (g.take(money(f, "amount")), d) {
                    (Some(amount), Some(date)) => Some(Step::Payment(Payment { amount, date })),
                    _ => None,
                }
            } else {
                let percent: Option<u8> = field(f, "percent").parse().ok().filter(|p| *p <= 100);
                if percent.is_none() {
                    g.add("percent", Msg::new("pengadaan.invalid_percent"));
                }
                match (percent, d) {
                    (Some(percent), Some(date)) => {
                        Some(Step::Progress(Progress { percent, date, note: field(f, "note").to_string(), photo }))
                    }
                    _ => None,
                }
            }
        }
        _ => return Err(Invalid::of("", Msg::new("error.bad_request"))),
    };
    match built {
        Some(step) if g.0.is_empty() => Ok(step),
        _ => Err(g.failed()),
    }
}

pub async fn step_submit(SignedIn(ctx): SignedIn, Path((ocid, step)): Path<(String, String)>, form: Multipart) -> AppResult<Response> {
    let step = step_name(&step)?;
    let user = ctx.user()?.clone();
    let cur = current(&ctx, &ocid).await?;
    if !may_enter(&ctx, &user, &cur.summary.buyer_id).await? {
        return Err(ctx.denied());
    }
    let parsed = read_form(&ctx, form).await?;
    // A refused step keeps nothing of its file.
    let outcome: AppResult<Response> = async {
        // A progress report's photo goes in its milestone; another step's file
        // (a notice, the signed contract) is attached as that step's document.
        let kept = match &parsed.file {
            Some((name, saved)) => {
                let allowed = if step == "progress" { super::files::Allowed::Photo } else { super::files::Allowed::PhotoOrPdf };
                let id = super::files::keep(&ctx.app.store, &ctx.tenant.id, name, saved, allowed).await?;
                Some(Document { url: format!("{}{}", ctx.base_url(), super::files::address(&id, name)), title: name.clone() })
            }
            None => None,
        };
        let photo = kept.as_ref().filter(|_| step == "progress").map(|d| (d.url.clone(), d.title.clone()));
        let offset = ctx.tenant.time_zone().utc_offset_hours();
        let built = match step_from(step, &parsed.fields, &cur, offset, photo) {
            Ok(s) => s,
            Err(e) => {
                let (message, errors) = said(&ctx, e);
                return render_step(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &cur, step, &parsed.fields, Some((message, errors)));
            }
        };
        let supplier = cur.compiled["awards"][0]["suppliers"][0].as_object().map(|s| Party {
            id: s.get("id").and_then(|v| v.as_str()).unwrap_or("").into(),
            name: s.get("name").and_then(|v| v.as_str()).unwrap_or("").into(),
        });
        let process = Process {
            ocid: ocid.clone(),
            buyer: Party { id: cur.summary.buyer_id.clone(), name: cur.summary.buyer_name.clone() },
            supplier,
        };
        let mut release = process.release(cur.releases + 1, &built);
        if let Some(doc) = kept.as_ref().filter(|_| step != "progress")
            && !process.attach(&mut release, &built, doc)
        {
            return render_step(
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                &cur,
                step,
                &parsed.fields,
                Some(said(&ctx, Invalid::of("file", Msg::new("pengadaan.no_document_here")))),
            );
        }
        import_with(&ctx.app.store, &ctx.tenant.id, vec![release], Mode::AllOrNothing)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        tracing::info!(%ocid, step, user = %user.email, "procurement step recorded");
        Ok(see_other(format!("/pengadaan/{ocid}")))
    }
    .await;
    if !super::files::taken(&outcome) {
        super::files::discard(&ctx, &parsed).await;
    }
    outcome
}

pub async fn import_page(SignedIn(ctx): SignedIn) -> AppResult<Response> {
    let user = ctx.user()?;
    if writable_orgs(&ctx, user).await?.is_empty() {
        return Err(ctx.denied());
    }
    let page = minijinja::context! { columns => csv_rows::COLUMNS, report => None::<()>, errors => Vec::<()>::new() };
    Ok(ctx.render("contracting/import.html", page)?.into_response())
}

/// A sheet (`.csv`) from an agency, or an OCDS file (`.json`, `.jsonl`)
/// from any system, which only the walidata may load (it names its own buyers).
pub async fn import_upload(SignedIn(ctx): SignedIn, form: Multipart) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let orgs = writable_orgs(&ctx, &user).await?;
    if orgs.is_empty() {
        return Err(ctx.denied());
    }
    let parsed = read_form(&ctx, form).await?;
    let (name, saved) = parsed.file.ok_or_else(|| AppError::BadRequest(Msg::new("error.file_missing")))?;
    let mode = if field(&parsed.fields, "only_valid") == "1" { Mode::ValidProcessesOnly } else { Mode::AllOrNothing };
    let path = ctx.app.files.path(&saved.key).map_err(|e| AppError::Internal(e.to_string()))?;
    let bytes = tokio::fs::read(&path).await.map_err(|e| AppError::Internal(e.to_string()))?;
    let _ = tokio::fs::remove_file(&path).await;
    let mut errors: Vec<csv_rows::RowError> = Vec::new();
    let releases: Vec<Value> = if name.to_lowercase().ends_with(".csv") {
        let agencies: HashMap<String, String> = orgs.iter().map(|o| (o.slug.clone(), o.name.clone())).collect();
        let prefix = settings::load(&ctx.app.store, &ctx.tenant.id).await?.ocid_prefix;
        let offset = ctx.tenant.time_zone().utc_offset_hours();
        match csv_rows::read(&bytes, &prefix, &agencies, offset) {
            Err(e) => {
                errors.push(e);
                Vec::new()
            }
            Ok(rows) => rows.into_iter().filter_map(|r| r.map_err(|e| errors.push(e)).ok()).flat_map(|p| p.releases).collect(),
        }
    } else {
        if !user.is_region_admin() {
            return Err(ctx.denied());
        }
        match ocds::merge::read_releases(std::io::Cursor::new(bytes)).collect::<Result<Vec<_>, _>>() {
            Ok(r) => r,
            Err(e) => {
                errors.push(csv_rows::RowError { line: 0, column: String::new(), reason: e.to_string() });
                Vec::new()
            }
        }
    };
    let stop = !errors.is_empty() && (mode == Mode::AllOrNothing || releases.is_empty());
    let (status, report) = if stop {
        (StatusCode::UNPROCESSABLE_ENTITY, None)
    } else {
        match import_with(&ctx.app.store, &ctx.tenant.id, releases, mode).await {
            Ok(r) => (StatusCode::OK, Some(r)),
            Err(super::ImportError::Invalid(n, reason)) => {
                errors.push(csv_rows::RowError { line: n as u64, column: String::new(), reason });
                (StatusCode::UNPROCESSABLE_ENTITY, None)
            }
            Err(super::ImportError::Store(e)) => return Err(e.into()),
        }
    };
    if let Some(r) = &report {
        tracing::info!(releases = r.releases, processes = r.processes, skipped = r.skipped.len(), user = %user.email, "procurement import");
    }
    let page = minijinja::context! { columns => csv_rows::COLUMNS, report, errors, file => name };
    Ok((status, ctx.render("contracting/import.html", page)?).into_response())
}
