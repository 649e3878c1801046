//! The staff's page for paper IKM questionnaires,
//! `/layanan/{code}/survei/kertas`, for the service agency's officers and
//! the region admins: a grid (one row per form, `?baris=N` rows, no
//! JavaScript) and a CSV upload (`.../kertas/csv`). Every row is checked by
//! `ikm_input::check`, as the API's batch is, and all are stored (as
//! `source = paper`) or none; each problem is named by its row and cell.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Multipart, Path, Query};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use kalender::Date;
use layanan::ikm::{AgeBand, Education, Element, Occupation, Sex};
use serde::Deserialize;

use super::catalogue::find;
use super::form::FormPairs;
use super::ikm_input::{self, Given, MAX_BATCH, Part, ProfileInput};
use super::ikm_store::{self, Response as Stored};
use super::model::Service;
use crate::kernel::access;
use crate::kernel::msg::Msg;
use crate::web::ctx::{Ctx, SignedIn};
use crate::web::error::{AppError, AppResult};

const DEFAULT_ROWS: usize = 10;
const MAX_ROWS: usize = 100;
/// 10,000 lines of a few dozen bytes each.
const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

/// The profile's columns: the grid's field suffix, the CSV's headers
/// (Bahasa Indonesia first, then English).
const PROFILE: [(&str, [&str; 2]); 4] = [
    ("age", ["usia", "age"]),
    ("sex", ["jenis_kelamin", "sex"]),
    ("education", ["pendidikan", "education"]),
    ("occupation", ["pekerjaan", "occupation"]),
];

/// One questionnaire as written: a grid row or a CSV line.
struct Line {
    /// The grid's row or the file's line, as the staff see it.
    number: usize,
    date: String,
    answers: Vec<String>,
    profile: [String; 4],
}

/// A problem of a line: its number, the part, why.
type Problem = (usize, Part, Msg);

/// Checks every line: the responses to store, or every problem of all lines.
fn check_all(lines: &[Line], service: &Service, today: Date) -> Result<Vec<Stored>, Vec<Problem>> {
    let (mut stored, mut problems) = (Vec::with_capacity(lines.len()), Vec::new());
    for line in lines {
        let [age, sex, education, occupation] = &line.profile;
        let profile = ProfileInput::of_text(age, sex, education, occupation);
        let given = Given { date: Some(&line.date), answers: &line.answers, profile: &profile };
        let mut found = Vec::new();
        match ikm_input::check(&given, &service.id, "paper", today, &mut found) {
            Some(response) => stored.push(response),
            None => problems.extend(found.into_iter().map(|(part, msg)| (line.number, part, msg))),
        }
    }
    if problems.is_empty() { Ok(stored) } else { Err(problems) }
}

/// The column a part is in: the grid's field suffix.
fn column(part: Part) -> String {
    let profile = |i: usize| PROFILE[i].0.to_string();
    match part {
        Part::Date => "date".into(),
        Part::Answers => "u1".into(),
        Part::Answer(e) => format!("u{}", e.index() + 1),
        Part::Age => profile(0),
        Part::Sex => profile(1),
        Part::Education => profile(2),
        Part::Occupation => profile(3),
    }
}

/// How the staff call a part: "U5", "Tanggal", "Usia".
fn part_label(ctx: &Ctx, part: Part) -> String {
    match part {
        Part::Date => ctx.text("ikm.paper.date"),
        Part::Answers => "U1-U9".into(),
        Part::Answer(e) => e.code().into(),
        Part::Age => ctx.text("ikm.part.age_band"),
        Part::Sex => ctx.text("ikm.part.sex"),
        Part::Education => ctx.text("ikm.part.education"),
        Part::Occupation => ctx.text("ikm.part.occupation"),
    }
}

/// The service whose paper forms this user may enter: its agency's
/// officers and the region admins (asked before any body is read).
async fn service_for(ctx: &Ctx, code: &str) -> AppResult<Service> {
    let user = ctx.user()?;
    if !access::for_any_org(user) {
        return Err(ctx.denied());
    }
    let service = find(ctx, code).await?;
    if !access::for_org(user, &service.agency.id) {
        return Err(ctx.denied());
    }
    Ok(service)
}

/// What the page shows besides the form.
#[derive(Default)]
struct Shown {
    rows: usize,
    values: BTreeMap<String, String>,
    problems: Vec<Problem>,
    /// The problems are the uploaded file's (no grid cell to stand beside).
    in_file: bool,
    /// A problem of the whole form or file.
    error: Option<Msg>,
    stored: Option<usize>,
}

impl Shown {
    /// An empty grid of `rows` rows, each dated today.
    fn empty(rows: usize, today: Date) -> Shown {
        let values = (1..=rows).map(|n| (format!("r{n}.date"), today.to_string())).collect();
        Shown { rows, values, ..Shown::default() }
    }
}

async fn render(ctx: &Ctx, service: &Service, status: StatusCode, shown: Shown) -> AppResult<Response> {
    let field = |n: usize, part: Part| format!("r{n}.{}", column(part));
    let mut errors: BTreeMap<String, String> = BTreeMap::new();
    let mut summary = Vec::with_capacity(shown.problems.len());
    for (n, part, msg) in &shown.problems {
        let (message, id) = (ctx.msg(msg), field(*n, *part));
        let href = if shown.in_file { "#file".to_string() } else { format!("#{id}") };
        let label = ctx.msg(&Msg::new("ikm.paper.cell").arg("row", n).arg("part", part_label(ctx, *part)));
        summary.push(minijinja::context! { href, label, message });
        if !shown.in_file {
            errors.entry(id).and_modify(|m| *m = format!("{m}; {message}")).or_insert(message);
        }
    }
    if shown.in_file {
        let refused = (!shown.problems.is_empty()).then(|| Msg::new("ikm.paper.csv_refused").arg("n", shown.problems.len()));
        if let Some(m) = shown.error.as_ref().or(refused.as_ref()) {
            errors.insert("file".into(), ctx.msg(m));
        }
    }
    let questions: Vec<_> = Element::ALL
        .iter()
        .map(|e| minijinja::context! { key => format!("u{}", e.index() + 1), code => e.code(), name => e.name() })
        .collect();
    // Each profile column: its field, CSV headers, codes (worded by the
    // template as `ikm.{part}.{code}`) and title.
    let choices: [(&str, Vec<&str>); 4] = [
        ("age_band", AgeBand::ALL.iter().map(|v| v.code()).collect()),
        ("sex", Sex::ALL.iter().map(|v| v.code()).collect()),
        ("education", Education::ALL.iter().map(|v| v.code()).collect()),
        ("occupation", Occupation::ALL.iter().map(|v| v.code()).collect()),
    ];
    let profile: Vec<_> =
        PROFILE.iter().zip(choices).map(|((key, headers), (part, codes))| minijinja::context! { key, headers, part, codes }).collect();
    let page = minijinja::context! {
        service, questions, profile, errors, summary,
        values => shown.values,
        rows => (1..=shown.rows.max(1)).collect::<Vec<_>>(),
        error => shown.error.map(|m| ctx.msg(&m)),
        stored => shown.stored,
        max_rows => MAX_ROWS,
    };
    Ok((status, ctx.render("services/paper.html", page)?).into_response())
}

#[derive(Deserialize)]
pub struct PageParams {
    baris: Option<String>,
    tersimpan: Option<usize>,
}

/// `GET /layanan/{code}/survei/kertas?baris=N`: the empty grid.
pub async fn page(SignedIn(ctx): SignedIn, Path(code): Path<String>, Query(p): Query<PageParams>) -> AppResult<Response> {
    let service = service_for(&ctx, &code).await?;
    let rows = p.baris.and_then(|b| b.trim().parse::<usize>().ok()).unwrap_or(DEFAULT_ROWS).clamp(1, MAX_ROWS);
    let shown = Shown { stored: p.tersimpan, ..Shown::empty(rows, ctx.today()) };
    render(&ctx, &service, StatusCode::OK, shown).await
}

/// Stores the checked rows and sends the officer back to an empty grid
/// that says how many were stored.
async fn store(ctx: &Ctx, service: &Service, responses: &[Stored]) -> AppResult<Response> {
    let n = ikm_store::insert(&ctx.app.store, &ctx.tenant.id, responses).await?;
    tracing::info!(responses = n, service = %service.code, "paper IKM questionnaires stored");
    Ok((StatusCode::SEE_OTHER, [(LOCATION, format!("/layanan/{}/survei/kertas?tersimpan={n}", service.code))]).into_response())
}

/// `POST /layanan/{code}/survei/kertas`: the grid. Rows without an answer
/// or a profile cell are empty (the date is filled in advance) and ignored.
pub async fn submit(SignedIn(ctx): SignedIn, Path(code): Path<String>, Form(pairs): Form<FormPairs>) -> AppResult<Response> {
    let service = service_for(&ctx, &code).await?;
    let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map_or(String::new(), |(_, v)| v.clone());
    ctx.check_csrf(&get("csrf"))?;
    let rows = pairs.iter().filter_map(|(k, _)| k.strip_prefix('r')?.split_once('.')?.0.parse::<usize>().ok()).max().unwrap_or(0);
    if rows > MAX_ROWS {
        return Err(AppError::BadRequest(Msg::new("ikm.batch_size").arg("max", MAX_ROWS)));
    }
    let lines: Vec<Line> = (1..=rows)
        .map(|n| Line {
            number: n,
            date: get(&format!("r{n}.date")),
            answers: (1..=9).map(|u| get(&format!("r{n}.u{u}"))).collect(),
            profile: PROFILE.map(|(key, _)| get(&format!("r{n}.{key}"))),
        })
        .filter(|l| !l.answers.iter().chain(&l.profile).all(|c| c.trim().is_empty()))
        .collect();
    let values = pairs.iter().filter(|(k, _)| k != "csrf").map(|(k, v)| (k.clone(), v.clone())).collect();
    let mut shown = Shown { rows, values, ..Shown::default() };
    if lines.is_empty() {
        shown.error = Some(Msg::new("ikm.paper.nothing"));
        return render(&ctx, &service, StatusCode::UNPROCESSABLE_ENTITY, shown).await;
    }
    check_and_store(&ctx, &service, &lines, shown).await
}

/// Reads a CSV (comma or semicolon separated, headers in the first line)
/// into lines; wholly empty lines are skipped.
fn read_csv(bytes: &[u8]) -> Result<Vec<Line>, Msg> {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // A spreadsheet set to Indonesian separates with semicolons.
    let header = text.split(|b| *b == b'\n').next().unwrap_or_default();
    let delimiter = if header.contains(&b';') && !header.contains(&b',') { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).trim(csv::Trim::All).from_reader(text);
    let unreadable = |e: csv::Error| Msg::new("ikm.paper.csv_unreadable").arg("reason", e);
    let headers: Vec<String> = reader.headers().map_err(unreadable)?.iter().map(str::to_lowercase).collect();
    let find = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let required = |names: &[&str]| find(names).ok_or_else(|| Msg::new("ikm.paper.csv_column_missing").arg("column", names[0]));
    let date = required(&["tanggal", "date"])?;
    let answers = (1..=9).map(|n| required(&[format!("u{n}").as_str()])).collect::<Result<Vec<_>, _>>()?;
    let profile = PROFILE.map(|(_, headers)| find(&headers));
    let mut lines = Vec::new();
    for record in reader.records() {
        let record = record.map_err(unreadable)?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or_default().to_string();
        lines.push(Line {
            number: record.position().map_or(0, |p| p.line() as usize),
            date: cell(Some(date)),
            answers: answers.iter().map(|i| cell(Some(*i))).collect(),
            profile: profile.map(cell),
        });
        if lines.len() > MAX_BATCH {
            return Err(Msg::new("ikm.paper.csv_too_many").arg("max", MAX_BATCH));
        }
    }
    if lines.is_empty() {
        return Err(Msg::new("ikm.paper.csv_empty"));
    }
    Ok(lines)
}

/// `POST /layanan/{code}/survei/kertas/csv`: the same rows from a file,
/// the CSRF token read before the file.
pub async fn upload(SignedIn(ctx): SignedIn, Path(code): Path<String>, form: Multipart) -> AppResult<Response> {
    let service = service_for(&ctx, &code).await?;
    let file = crate::web::upload::csrf_first(&ctx, form, "file", MAX_FILE_BYTES).await?.file;
    let mut shown = Shown { in_file: true, ..Shown::empty(DEFAULT_ROWS, ctx.today()) };
    let lines = match file.ok_or_else(|| Msg::new("error.file_missing")).and_then(|bytes| read_csv(&bytes)) {
        Ok(lines) => lines,
        Err(msg) => {
            shown.error = Some(msg);
            return render(&ctx, &service, StatusCode::UNPROCESSABLE_ENTITY, shown).await;
        }
    };
    check_and_store(&ctx, &service, &lines, shown).await
}

/// Every questionnaire checked, then all stored, or the page again with
/// each problem beside its cell.
async fn check_and_store(ctx: &Ctx, service: &Service, lines: &[Line], mut shown: Shown) -> AppResult<Response> {
    match check_all(lines, service, ctx.today()) {
        Ok(responses) => store(ctx, service, &responses).await,
        Err(problems) => {
            shown.problems = problems;
            render(ctx, service, StatusCode::UNPROCESSABLE_ENTITY, shown).await
        }
    }
}
