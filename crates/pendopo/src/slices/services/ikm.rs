//! The IKM survey: a citizen's answers (the public page, or one response
//! through the API), a staff member's batch of paper forms (all or
//! nothing), and the report of a service over a period as JSON, a page and
//! CSV. The index is `layanan::ikm`'s, from totals SQL sums.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use kalender::Date;
use layanan::ikm::{AgeBand, Answers, Education, Element, Occupation, Profile, Report, Sex};
use serde::Deserialize;

use super::catalogue::find;
use super::form::FormPairs;
use super::ikm_store::{self, Response as Stored};
use super::model::Service;
use crate::kernel::access;
use crate::kernel::msg::Msg;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};

/// A batch is a pile of paper forms: a few thousand at most.
const MAX_BATCH: usize = 10_000;

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

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ProfileInput {
    /// Years, or a band's code (`30_39`).
    #[serde(default)]
    age: Option<serde_json::Value>,
    #[serde(default)]
    sex: Option<String>,
    #[serde(default)]
    education: Option<String>,
    #[serde(default)]
    occupation: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchInput {
    responses: Vec<serde_json::Value>,
}

/// A profile part: blank is unanswered, anything else must be a known code.
fn code_of<T>(field: String, given: Option<&str>, parse: fn(&str) -> Option<T>, errors: &mut Vec<(String, Msg)>) -> Option<T> {
    let given = given.map(str::trim).filter(|g| !g.is_empty())?;
    let parsed = parse(given);
    if parsed.is_none() {
        errors.push((field, Msg::new("ikm.profile_invalid").arg("value", given)));
    }
    parsed
}

fn age_of(given: Option<&serde_json::Value>) -> Result<Option<AgeBand>, ()> {
    match given {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) => n.as_u64().filter(|y| *y <= 130).map(|y| Some(AgeBand::from_years(y as u32))).ok_or(()),
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(serde_json::Value::String(s)) => AgeBand::from_code(s.trim())
            .or_else(|| s.trim().parse::<u32>().ok().filter(|y| *y <= 130).map(AgeBand::from_years))
            .map(Some)
            .ok_or(()),
        Some(_) => Err(()),
    }
}

fn profile_of(prefix: &str, p: &ProfileInput, errors: &mut Vec<(String, Msg)>) -> Profile {
    let age = age_of(p.age.as_ref()).unwrap_or_else(|_| {
        errors.push((format!("{prefix}profile.age"), Msg::new("ikm.age_invalid")));
        None
    });
    Profile {
        age,
        sex: code_of(format!("{prefix}profile.sex"), p.sex.as_deref(), Sex::from_code, errors),
        education: code_of(format!("{prefix}profile.education"), p.education.as_deref(), Education::from_code, errors),
        occupation: code_of(format!("{prefix}profile.occupation"), p.occupation.as_deref(), Occupation::from_code, errors),
    }
}

/// The answers' problem in words, naming the element.
fn answers_of(field: String, given: &[i64], errors: &mut Vec<(String, Msg)>) -> Option<Answers> {
    Answers::new(given)
        .map_err(|e| {
            let msg = match e {
                layanan::ikm::AnswerError::Count { given } => Msg::new("ikm.answer_count").arg("n", given),
                layanan::ikm::AnswerError::OutOfRange { element, value } => {
                    Msg::new("ikm.answer_out_of_range").arg("element", element.code()).arg("name", element.name()).arg("value", value)
                }
            };
            errors.push((field, msg));
        })
        .ok()
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
        let answered_on = match (&input.date, batch) {
            (None, _) => Some(today),
            (Some(d), true) => match d.trim().parse::<Date>() {
                Ok(date) if date <= today => Some(date),
                _ => {
                    errors.push((format!("{prefix}date"), Msg::new("ikm.date_invalid").arg("date", d)));
                    None
                }
            },
            (Some(_), false) => {
                errors.push(("date".into(), Msg::new("ikm.date_batch_only")));
                None
            }
        };
        let answers = answers_of(format!("{prefix}answers"), &input.answers, &mut errors);
        let profile = profile_of(&prefix, &input.profile, &mut errors);
        if let (Some(s), Some(answers), Some(answered_on)) = (service, answers, answered_on) {
            stored.push(Stored { service_id: s.id, answers, profile, answered_on, source });
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
    let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
    ctx.check_csrf(get("csrf").unwrap_or(""))?;
    let mut errors = Vec::new();
    // An element left unanswered is named like one out of range.
    let scores: Vec<i64> = (1..=9).map(|n| get(&format!("u{n}")).and_then(|v| v.parse().ok()).unwrap_or(0)).collect();
    let answers = Answers::new(&scores).map_err(|e| {
        if let layanan::ikm::AnswerError::OutOfRange { element, .. } = e {
            let field = format!("u{}", element.index() + 1);
            errors.push((field, Msg::new("ikm.answer_missing").arg("element", element.code()).arg("name", element.name())));
        }
    });
    let input = ProfileInput {
        age: get("age").map(|a| serde_json::Value::String(a.to_string())),
        sex: get("sex").map(str::to_string),
        education: get("education").map(str::to_string),
        occupation: get("occupation").map(str::to_string),
    };
    let profile = profile_of("", &input, &mut errors);
    let answers = match answers {
        Ok(a) if errors.is_empty() => a,
        _ => return render_survey(&ctx, &service, StatusCode::UNPROCESSABLE_ENTITY, &pairs, &errors, false).await,
    };
    let response = Stored { service_id: service.id.clone(), answers, profile, answered_on: ctx.today(), source: "web" };
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
    let page = minijinja::context! {
        service, report, elements, profile, query,
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
