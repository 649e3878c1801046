//! The IKM survey: a citizen's answers (the public page, or one response
//! through the API), a staff member's batch of paper forms (all or
//! nothing; the staff's page for them is `ikm_paper`), checked by
//! `ikm_input`, and the report of a service over a period as JSON, a page and
//! CSV. The index is `layanan::ikm`'s, from totals SQL sums.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use kalender::Date;
use layanan::ikm::{Education, Element, Occupation, Report, Sex};
use serde::Deserialize;

use super::catalogue::find;
use super::form::FormPairs;
use super::ikm_input::{self, Given, MAX_BATCH, Part, ProfileInput};
use super::ikm_store;
use super::model::Service;
use crate::kernel::access;
use crate::kernel::msg::Msg;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};

/// One response as the API takes it. Unknown fields are refused, so a
/// client cannot leave a name or a phone number with the answers.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResponseInput {
    service: String,
    answers: Vec<i64>,
    #[serde(default)]
    profile: ProfileInput,
    /// The day a paper form was filled (batches only).
    #[serde(default)]
    date: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchInput {
    responses: Vec<serde_json::Value>,
}

/// The API's name for a part of response `prefix` (`responses.3.`).
fn api_field(prefix: &str, part: Part) -> String {
    let name = match part {
        Part::Date => "date",
        Part::Answers | Part::Answer(_) => "answers",
        Part::Age => "profile.age",
        Part::Sex => "profile.sex",
        Part::Education => "profile.education",
        Part::Occupation => "profile.occupation",
    };
    format!("{prefix}{name}")
}

/// `POST /api/v1/ikm/responses`: one response (anyone), or `{"responses":
/// [...]}` (a staff member of each service's agency, with a token). Every
/// problem of every response is answered at once, and then none is stored.
pub async fn api_post(ctx: Ctx, Json(body): Json<serde_json::Value>) -> AppResult<Response> {
    let bad = |e: serde_json::Error| AppError::BadRequest(Msg::new("ikm.body_invalid").arg("detail", e));
    let batch = body.get("responses").is_some();
    let (items, source) = if batch {
        let user = ctx.api_user()?;
        if !access::for_any_org(user) {
            return Err(ctx.denied());
        }
        let batch: BatchInput = serde_json::from_value(body).map_err(bad)?;
        if batch.responses.is_empty() || batch.responses.len() > MAX_BATCH {
            return Err(AppError::BadRequest(Msg::new("ikm.batch_size").arg("max", MAX_BATCH)));
        }
        (batch.responses, "paper")
    } else {
        (vec![body], "api")
    };
    let mut errors = Vec::new();
    let mut stored = Vec::with_capacity(items.len());
    let mut services: Vec<Service> = Vec::new();
    let today = ctx.today();
    for (i, item) in items.into_iter().enumerate() {
        let prefix = if batch { format!("responses.{i}.") } else { String::new() };
        let input: ResponseInput = serde_json::from_value(item)
            .map_err(|e| AppError::BadRequest(Msg::new("ikm.body_invalid").arg("detail", format!("{prefix}{e}"))))?;
        let service = match services.iter().find(|s| s.code == input.service) {
            Some(s) => Some(s.clone()),
            None => match super::repo::get(&ctx.app.store, &ctx.tenant.id, &input.service).await? {
                Some(s) if batch && !access::for_org(ctx.api_user()?, &s.agency.id) => return Err(ctx.denied()),
                Some(s) => {
                    services.push(s.clone());
                    Some(s)
                }
                None => {
                    errors.push((format!("{prefix}service"), Msg::new("layanan.not_found").arg("code", &input.service)));
                    None
                }
            },
        };
        if !batch && input.date.is_some() {
            errors.push(("date".into(), Msg::new("ikm.date_batch_only")));
        }
        let answers: Vec<String> = input.answers.iter().map(i64::to_string).collect();
        let given = Given { date: input.date.as_deref().filter(|_| batch), answers: &answers, profile: &input.profile };
        let mut problems = Vec::new();
        let checked = ikm_input::check(&given, service.as_ref().map_or("", |s| s.id.as_str()), source, today, &mut problems);
        errors.extend(problems.into_iter().map(|(part, msg)| (api_field(&prefix, part), msg)));
        if let (Some(_), Some(response)) = (&service, checked) {
            stored.push(response);
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let n = ikm_store::insert(&ctx.app.store, &ctx.tenant.id, &stored).await?;
    tracing::info!(responses = n, source, "IKM responses stored");
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "stored": n }))).into_response())
}

#[derive(Deserialize)]
pub struct ReportParams {
    service: Option<String>,
    /// An agency's slug: the IKM of its services together (the unit's).
    #[serde(alias = "unit")]
    agency: Option<String>,
    #[serde(alias = "dari")]
    from: Option<String>,
    #[serde(alias = "sampai")]
    to: Option<String>,
    #[serde(alias = "populasi")]
    population: Option<String>,
}

/// A report's period and population, read from the query: the year so far
/// by default, the service's yearly users as the population.
struct Period {
    from: Date,
    to: Date,
    population: Option<u64>,
}

fn period(ctx: &Ctx, p: &ReportParams, yearly_users: Option<i64>) -> AppResult<Period> {
    let today = ctx.today();
    let day = |field: &'static str, given: &Option<String>, default: Date| match given.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
        None => Ok(default),
        Some(text) => {
            text.parse::<Date>().map_err(|_| AppError::BadRequest(Msg::new("ikm.param_date").arg("field", field).arg("value", text)))
        }
    };
    let from = day("from", &p.from, Date::new(today.year(), 1, 1).expect("1 January"))?;
    let to = day("to", &p.to, today)?;
    if to < from {
        return Err(AppError::BadRequest(Msg::new("ikm.period_reversed")));
    }
    let population = match p.population.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
        None => yearly_users.map(|n| n as u64),
        Some(text) => Some(text.parse::<u64>().map_err(|_| AppError::BadRequest(Msg::new("ikm.param_population").arg("value", text)))?),
    };
    Ok(Period { from, to, population })
}

async fn report(ctx: &Ctx, service: &Service, period: &Period) -> AppResult<Report> {
    let survey = ikm_store::survey(&ctx.app.store, &ctx.tenant.id, &service.id, period.from, period.to).await?;
    Ok(survey.report(period.population))
}

/// `GET /api/v1/ikm?service=CODE&from=&to=&population=`, or `agency=SLUG`
/// for the unit: its services' answers together, the population the sum
/// of their yearly users (of those that have one).
pub async fn api_report(ctx: Ctx, Query(p): Query<ReportParams>) -> AppResult<Response> {
    let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_string);
    if let Some(code) = given(&p.service) {
        let service = find(&ctx, &code).await?;
        let period = period(&ctx, &p, service.yearly_users)?;
        return Ok(Json(report(&ctx, &service, &period).await?).into_response());
    }
    let slug = given(&p.agency).ok_or_else(|| AppError::BadRequest(Msg::new("ikm.param_service")))?;
    let org = crate::kernel::organizations::get(&ctx.app.store, &ctx.tenant.id, &slug)
        .await?
        .ok_or_else(|| AppError::NotFound(Msg::new("layanan.agency_unknown").arg("agency", &slug)))?;
    let services: Vec<Service> =
        super::repo::list(&ctx.app.store, &ctx.tenant.id).await?.into_iter().filter(|s| s.agency.id == org.id).collect();
    let known: Vec<i64> = services.iter().filter_map(|s| s.yearly_users).collect();
    let period = period(&ctx, &p, (!known.is_empty()).then(|| known.iter().sum()))?;
    let mut total = layanan::ikm::Survey::new();
    for s in &services {
        total.merge(&ikm_store::survey(&ctx.app.store, &ctx.tenant.id, &s.id, period.from, period.to).await?);
    }
    Ok(Json(total.report(period.population)).into_response())
}

/// The nine elements; the template words their questions and answers
/// (`ikm.q.N`, `ikm.a.N.V`) in the reader's language.
fn questions() -> Vec<minijinja::Value> {
    Element::ALL.iter().map(|e| minijinja::context! { code => e.code(), n => e.index() + 1, name => e.name() }).collect()
}

async fn render_survey(
    ctx: &Ctx,
    service: &Service,
    status: StatusCode,
    values: &FormPairs,
    errors: &[(String, Msg)],
    thanks: bool,
) -> AppResult<Response> {
    let errors: std::collections::BTreeMap<String, String> = errors.iter().map(|(f, m)| (f.clone(), ctx.msg(m))).collect();
    let values: std::collections::BTreeMap<&str, &str> = values.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let page = minijinja::context! {
        service, questions => questions(), errors, values, thanks,
        sexes => Sex::ALL.iter().map(|v| v.code()).collect::<Vec<_>>(),
        educations => Education::ALL.iter().map(|v| v.code()).collect::<Vec<_>>(),
        occupations => Occupation::ALL.iter().map(|v| v.code()).collect::<Vec<_>>(),
    };
    Ok((status, ctx.render("services/survey.html", page)?).into_response())
}

#[derive(Deserialize)]
pub struct Thanks {
    terima: Option<String>,
}

/// `/layanan/{code}/survei`: the questionnaire, no JavaScript.
pub async fn survey_page(ctx: Ctx, Path(code): Path<String>, Query(t): Query<Thanks>) -> AppResult<Response> {
    let service = find(&ctx, &code).await?;
    render_survey(&ctx, &service, StatusCode::OK, &Vec::new(), &[], t.terima.is_some()).await
}

pub async fn survey_submit(ctx: Ctx, Path(code): Path<String>, Form(pairs): Form<FormPairs>) -> AppResult<Response> {
    let service = find(&ctx, &code).await?;
    let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.as_str());
    ctx.check_csrf(get("csrf"))?;
    let answers: Vec<String> = (1..=9).map(|n| get(&format!("u{n}")).to_string()).collect();
    let profile = ProfileInput::of_text(get("age"), get("sex"), get("education"), get("occupation"));
    let mut problems = Vec::new();
    let given = Given { date: None, answers: &answers, profile: &profile };
    let Some(response) = ikm_input::check(&given, &service.id, "web", ctx.today(), &mut problems) else {
        let field = |part: Part| match part {
            Part::Answer(e) => format!("u{}", e.index() + 1),
            other => api_field("", other),
        };
        let errors: Vec<_> = problems.into_iter().map(|(part, msg)| (field(part), msg)).collect();
        return render_survey(&ctx, &service, StatusCode::UNPROCESSABLE_ENTITY, &pairs, &errors, false).await;
    };
    ikm_store::insert(&ctx.app.store, &ctx.tenant.id, &[response]).await?;
    Ok((StatusCode::SEE_OTHER, [(LOCATION, format!("/layanan/{}/survei?terima=1", service.code))]).into_response())
}

/// The report's figures for a page or a file.
async fn report_view(ctx: &Ctx, code: &str, p: &ReportParams) -> AppResult<(Service, Period, Report)> {
    let service = find(ctx, code).await?;
    let period = period(ctx, p, service.yearly_users)?;
    let report = report(ctx, &service, &period).await?;
    Ok((service, period, report))
}

/// A figure with `places` decimals, with a decimal comma in Bahasa Indonesia.
fn decimal(ctx: &Ctx, value: f64, places: usize) -> String {
    let text = format!("{value:.places$}");
    if ctx.lang == crate::web::ui::Lang::Id { text.replace('.', ",") } else { text }
}

/// `/layanan/{code}/ikm`: the report of a period, printable.
pub async fn report_page(ctx: Ctx, Path(code): Path<String>, Query(p): Query<ReportParams>) -> AppResult<Response> {
    let (service, period, report) = report_view(&ctx, &code, &p).await?;
    let elements: Vec<_> = Element::ALL
        .iter()
        .map(|e| minijinja::context! { code => e.code(), name => e.name(), nrr => report.nrr.get(e.index()).map(|v| decimal(&ctx, *v, 4)) })
        .collect();
    let counts = ikm_store::profile_counts(&ctx.app.store, &ctx.tenant.id, &service.id, period.from, period.to).await?;
    let profile: Vec<_> = counts.into_iter().map(|(part, value, n)| minijinja::context! { part, value, n }).collect();
    let query = format!(
        "dari={}&sampai={}{}",
        period.from,
        period.to,
        p.population.as_deref().map(|n| format!("&populasi={}", n.trim())).unwrap_or_default()
    );
    // The agency's officers and the region admins enter paper forms.
    let can_enter = ctx.user.as_ref().is_some_and(|u| access::for_org(u, &service.agency.id));
    let page = minijinja::context! {
        service, report, elements, profile, query, can_enter,
        ikm => report.ikm.map(|v| decimal(&ctx, v, 4)),
        converted => report.ikm_converted.map(|v| decimal(&ctx, v, 2)),
        from => period.from.to_string(), to => period.to.to_string(),
        lowest => report.lowest_element.map(|e| format!("{} {}", e.code(), e.name())),
    };
    Ok(ctx.render("services/report.html", page)?.into_response())
}

/// The report as a table: element or figure, its name, its value (a number
/// where there is one), for the CSV and XLSX downloads.
fn report_rows(report: &Report) -> Vec<(String, String, Option<f64>, String)> {
    let row = |code: &str, name: &str, number: Option<f64>, text: String| (code.to_string(), name.to_string(), number, text);
    let mut rows: Vec<_> = Element::ALL
        .iter()
        .map(|e| {
            let nrr = report.nrr.get(e.index()).copied();
            row(e.code(), e.name(), nrr, nrr.map(|v| format!("{v:.4}")).unwrap_or_default())
        })
        .collect();
    let count = |n: Option<u64>| (n.map(|n| n as f64), n.map(|n| n.to_string()).unwrap_or_default());
    let (population, population_text) = count(report.population);
    let (min_sample, min_sample_text) = count(report.min_sample);
    rows.extend([
        row("ikm", "IKM", report.ikm, report.ikm.map(|v| format!("{v:.4}")).unwrap_or_default()),
        row("ikm_converted", "IKM x 25", report.ikm_converted, report.ikm_converted.map(|v| format!("{v:.2}")).unwrap_or_default()),
        row("grade", "Mutu pelayanan", None, report.grade.map(|g| g.letter().to_string()).unwrap_or_default()),
        row("respondents", "Responden", Some(report.respondents as f64), report.respondents.to_string()),
        row("population", "Populasi", population, population_text),
        row("min_sample", "Sampel minimum", min_sample, min_sample_text),
        row("lowest_element", "Unsur terendah", None, report.lowest_element.map(|e| e.code().to_string()).unwrap_or_default()),
    ]);
    rows
}

const HEADER: [&str; 3] = ["unsur", "nama", "nilai"];

fn download(content_type: &str, service: &Service, period: &Period, extension: &str, body: Vec<u8>) -> Response {
    let name = format!("attachment; filename=\"ikm-{}-{}-{}.{extension}\"", service.code, period.from, period.to);
    ([(CONTENT_TYPE, content_type.to_string()), (CONTENT_DISPOSITION, name)], body).into_response()
}

/// `/layanan/{code}/ikm.csv`: the same report as a table.
pub async fn report_csv(ctx: Ctx, Path(code): Path<String>, Query(p): Query<ReportParams>) -> AppResult<Response> {
    let (service, period, report) = report_view(&ctx, &code, &p).await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let mut write = || -> Result<(), csv::Error> {
        out.write_record(HEADER)?;
        for (code, name, _, text) in report_rows(&report) {
            out.write_record([code, name, text])?;
        }
        out.flush()?;
        Ok(())
    };
    write().map_err(|e| AppError::Internal(e.to_string()))?;
    let body = out.into_inner().map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download("text/csv; charset=utf-8", &service, &period, "csv", body))
}

/// `/layanan/{code}/ikm.xlsx`: the same table as a workbook, figures as numbers.
pub async fn report_xlsx(ctx: Ctx, Path(code): Path<String>, Query(p): Query<ReportParams>) -> AppResult<Response> {
    let (service, period, report) = report_view(&ctx, &code, &p).await?;
    let build = || -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet().set_name("IKM")?;
        for (c, title) in HEADER.iter().enumerate() {
            sheet.write_string(0, c as u16, *title)?;
        }
        for (r, (code, name, number, text)) in report_rows(&report).into_iter().enumerate() {
            let r = r as u32 + 1;
            sheet.write_string(r, 0, code)?;
            sheet.write_string(r, 1, name)?;
            match number {
                Some(n) => sheet.write_number(r, 2, n)?,
                None => sheet.write_string(r, 2, text)?,
            };
        }
        book.save_to_buffer()
    };
    let body = build().map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &service, &period, "xlsx", body))
}
