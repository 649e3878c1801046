//! The region's holidays, which every deadline in working days counts by:
//! the walidata adds or removes a day, imports the year's list (the SKB's
//! moving holidays and cuti bersama, the regency's own days) as CSV, all or
//! nothing, and exports it again. The fixed-date national holidays are
//! built in and shown beside them. Anyone reads the calendar as JSON.

use axum::extract::{Multipart, Query};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json};
use kalender::{Calendar, CsvError, CsvReason, Date, Holiday, HolidayKind};
use serde::{Deserialize, Serialize};

use crate::kernel::holidays;
use crate::kernel::msg::Msg;
use crate::web::ctx::{Ctx, SignedIn};
use crate::web::error::{AppError, AppResult};

pub const SLICE: crate::slices::Slice = crate::slices::Slice {
    menu: &[crate::slices::MenuEntry { label: "nav.holidays", href: "/admin/libur", admins_only: true }],
    templates: &[("holidays/list.html", include_str!("templates/list.html"))],
    locales: [include_str!("locales/id.txt"), include_str!("locales/en.txt")],
    migrations: &[crate::store::Migration::shared(8, "0008_holidays", include_str!("migrations/0008_holidays.sql"))],
    ..crate::slices::Slice::new("holiday", routes)
};

/// A year's list is a few dozen lines; anything far larger is not one.
const MAX_CSV_BYTES: u64 = 256 * 1024;

pub fn routes() -> crate::slices::Routes {
    crate::slices::Routes::new()
        .route("/admin/libur", get(page).post(add_form))
        .route("/admin/libur/hapus", post(remove_form))
        .route("/admin/libur/impor", post(import_form))
        .route("/admin/libur.csv", get(export))
        .api(
            "/api/v1/holidays",
            get(api_year),
            &[crate::slices::Op { method: "get", summary: "A year's days off (built in and the region's) and its number of working days" }],
        )
}

#[derive(Deserialize)]
struct YearParam {
    #[serde(alias = "tahun")]
    year: Option<i32>,
}

impl YearParam {
    fn or_this_year(&self, ctx: &Ctx) -> i32 {
        let today = Date::from_unix_millis(ctx.app.store.now_ms(), ctx.tenant.time_zone().utc_offset_hours());
        self.year.filter(|y| (1900..=9999).contains(y)).unwrap_or_else(|| today.map_or(2026, |d| d.year()))
    }
}

fn first_and_last(year: i32) -> AppResult<(Date, Date)> {
    let day = |m, d| Date::new(year, m, d).map_err(|_| AppError::not_found());
    Ok((day(1, 1)?, day(12, 31)?))
}

/// A holiday as pages and the API show it.
fn shown(h: &Holiday, recorded: &[Holiday]) -> serde_json::Value {
    let builtin = !recorded.iter().any(|r| r.date == h.date && r.kind == h.kind);
    serde_json::json!({ "date": h.date.to_string(), "name": h.name, "kind": h.kind.code(), "builtin": builtin })
}

async fn year_view(ctx: &Ctx, year: i32) -> AppResult<(Vec<serde_json::Value>, i64)> {
    let recorded = holidays::stored(&ctx.app.store, &ctx.tenant.id, Some(year)).await?;
    let calendar: Calendar = recorded.iter().cloned().collect();
    let (first, last) = first_and_last(year)?;
    let list = calendar.holidays_between(first, last).iter().map(|h| shown(h, &recorded)).collect();
    // Working days of the year: those in (31 December before, 31 December].
    let working = calendar.working_days_between(first.add_days(-1), last);
    Ok((list, working))
}

async fn page(ctx: Ctx, Query(p): Query<YearParam>) -> AppResult<Response> {
    ctx.region_admin()?;
    render(&ctx, p.or_this_year(&ctx), StatusCode::OK, None, None).await
}

/// The year's page; after a refused day or file, with every problem said
/// (beside its field for the day's form, which keeps what was typed).
async fn render(ctx: &Ctx, year: i32, status: StatusCode, refused: Option<&AppError>, form: Option<&DayForm>) -> AppResult<Response> {
    let (error, field_errors) = ctx.form_errors(refused);
    let (holidays, working_days) = year_view(ctx, year).await?;
    let kinds: Vec<(&str, String)> = [HolidayKind::National, HolidayKind::CollectiveLeave, HolidayKind::Regional]
        .iter()
        .map(|k| (k.code(), ctx.text(kind_key(*k))))
        .collect();
    let holidays: Vec<serde_json::Value> = holidays
        .into_iter()
        .map(|mut h| {
            let kind = HolidayKind::from_code(h["kind"].as_str().unwrap_or("")).unwrap_or(HolidayKind::National);
            h["kind_label"] = ctx.text(kind_key(kind)).into();
            h
        })
        .collect();
    let page = minijinja::context! { year, prev => year - 1, next => year + 1, holidays, working_days, kinds, error, field_errors, form };
    Ok((status, ctx.render("holidays/list.html", page)?).into_response())
}

fn kind_key(kind: HolidayKind) -> &'static str {
    match kind {
        HolidayKind::National => "holiday.kind_libur_nasional",
        HolidayKind::CollectiveLeave => "holiday.kind_cuti_bersama",
        HolidayKind::Regional => "holiday.kind_libur_daerah",
    }
}

fn back_to(year: i32) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, format!("/admin/libur?tahun={year}"))]).into_response()
}

#[derive(Deserialize, Serialize)]
struct DayForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    tanggal: String,
    #[serde(default)]
    nama: String,
    #[serde(default)]
    jenis: String,
}

impl DayForm {
    /// The day and its kind, or every field of them that is wrong.
    fn day(&self) -> Result<(Date, HolidayKind), Vec<(String, Msg)>> {
        let date = self.tanggal.trim().parse::<Date>();
        let kind = HolidayKind::from_code(self.jenis.trim());
        let mut problems = Vec::new();
        if date.is_err() {
            problems.push(("tanggal".to_string(), Msg::new("holiday.date_invalid").arg("date", &self.tanggal)));
        }
        if kind.is_none() {
            problems.push(("jenis".to_string(), Msg::new("holiday.kind_unknown").arg("kind", &self.jenis)));
        }
        match (date, kind) {
            (Ok(date), Some(kind)) => Ok((date, kind)),
            _ => Err(problems),
        }
    }

    /// A day to add, or every field that is wrong, so the form says them all.
    fn new_day(&self) -> Result<Holiday, Vec<(String, Msg)>> {
        let name = self.nama.trim();
        let named = !name.is_empty() && crate::kernel::text::is_plain(name);
        match self.day() {
            Ok((date, kind)) if named => Ok(Holiday::new(date, name, kind)),
            day => {
                let mut problems = day.err().unwrap_or_default();
                if !named {
                    problems.push(("nama".to_string(), Msg::new("holiday.name_required")));
                }
                Err(problems)
            }
        }
    }
}

async fn add_form(SignedIn(ctx): SignedIn, Form(form): Form<DayForm>) -> AppResult<Response> {
    ctx.region_admin()?;
    ctx.check_csrf(&form.csrf)?;
    let day = match form.new_day() {
        Ok(day) => day,
        Err(problems) => {
            let year = form.tanggal.trim().parse::<Date>().map(|d| d.year()).unwrap_or_else(|_| this_year(&ctx));
            return render(&ctx, year, StatusCode::UNPROCESSABLE_ENTITY, Some(&AppError::Invalid(problems)), Some(&form)).await;
        }
    };
    holidays::add(&ctx.app.store, &ctx.tenant.id, std::slice::from_ref(&day)).await?;
    tracing::info!(date = %day.date, kind = day.kind.code(), "holiday added");
    Ok(back_to(day.date.year()))
}

async fn remove_form(SignedIn(ctx): SignedIn, Form(form): Form<DayForm>) -> AppResult<Response> {
    ctx.region_admin()?;
    ctx.check_csrf(&form.csrf)?;
    let (date, kind) = form.day().map_err(AppError::Invalid)?;
    if !holidays::remove(&ctx.app.store, &ctx.tenant.id, date, kind).await? {
        return Err(AppError::not_found());
    }
    Ok(back_to(date.year()))
}

/// The CSV's words for a reader: the line, the column and why.
fn csv_message(e: &CsvError) -> Msg {
    let key = match e.reason {
        CsvReason::MissingHeader => "holiday.csv_missing_header",
        CsvReason::BadHeader => "holiday.csv_bad_header",
        CsvReason::FieldCount { .. } => "holiday.csv_field_count",
        CsvReason::UnterminatedQuote | CsvReason::MisplacedQuote => "holiday.csv_quote",
        CsvReason::InvalidDate(_) => "holiday.csv_invalid_date",
        CsvReason::EmptyName => "holiday.csv_empty_name",
        CsvReason::UnknownKind => "holiday.csv_unknown_kind",
        CsvReason::Duplicate { .. } => "holiday.csv_duplicate",
    };
    Msg::new(key).arg("line", e.line)
}

async fn import_form(SignedIn(ctx): SignedIn, mut form: Multipart) -> AppResult<Response> {
    ctx.region_admin()?;
    let bad = |e: axum::extract::multipart::MultipartError| AppError::BadRequest(Msg::new("error.bad_request").arg("detail", e));
    let mut csrf_ok = false;
    let mut text = None;
    while let Some(mut field) = form.next_field().await.map_err(bad)? {
        match field.name() {
            Some("csrf") => {
                let sent = field.text().await.map_err(bad)?;
                ctx.check_csrf(&sent)?;
                csrf_ok = true;
            }
            // The token comes first in the form, so no stranger's file is read.
            Some("file") if csrf_ok => {
                let bytes = crate::web::upload::part_bytes(&mut field, MAX_CSV_BYTES).await?;
                text = Some(String::from_utf8(bytes.to_vec()).map_err(|_| AppError::BadRequest(Msg::new("holiday.csv_encoding")))?);
            }
            Some("file") => return Err(AppError::Forbidden(Msg::new("error.csrf"))),
            _ => {}
        }
    }
    let text = text.ok_or_else(|| AppError::BadRequest(Msg::new("error.file_missing")))?;
    match kalender::parse_csv(&text) {
        Ok(list) => {
            holidays::add(&ctx.app.store, &ctx.tenant.id, &list).await?;
            tracing::info!(holidays = list.len(), "holiday list imported");
            Ok(back_to(list.first().map_or_else(|| this_year(&ctx), |h| h.date.year())))
        }
        Err(e) => {
            let year = this_year(&ctx);
            render(&ctx, year, StatusCode::UNPROCESSABLE_ENTITY, Some(&AppError::BadRequest(csv_message(&e))), None).await
        }
    }
}

async fn export(ctx: Ctx, Query(p): Query<YearParam>) -> AppResult<Response> {
    ctx.region_admin()?;
    let year = p.or_this_year(&ctx);
    let recorded = holidays::stored(&ctx.app.store, &ctx.tenant.id, Some(year)).await?;
    let disposition = format!("attachment; filename=\"libur-{}-{year}.csv\"", ctx.tenant.id);
    Ok(([(CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (CONTENT_DISPOSITION, disposition)], kalender::write_csv(&recorded))
        .into_response())
}

/// `GET /api/v1/holidays?year=2026`: the year's days off (built-in and the
/// region's) and its number of working days. Public: office hours are.
async fn api_year(ctx: Ctx, Query(p): Query<YearParam>) -> AppResult<Response> {
    let year = p.or_this_year(&ctx);
    let (holidays, working_days) = year_view(&ctx, year).await?;
    Ok(Json(serde_json::json!({ "year": year, "working_days": working_days, "holidays": holidays })).into_response())
}

/// The current year in the region, for forms that come back without one.
fn this_year(ctx: &Ctx) -> i32 {
    YearParam { year: None }.or_this_year(ctx)
}
