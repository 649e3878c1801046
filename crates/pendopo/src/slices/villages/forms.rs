//! The operator's page `/desa/{code}/kelola` (APBDes lines with their
//! realisation per semester, spreadsheet import, profile, LPJ and
//! billboard photos, IDM scores; the DPMD's note when an entry was
//! returned), the DPMD's review, and the regency's page `/desa/kabupaten`
//! (transparency weights, the official IDM table for all villages).
//! Who writes is asked before the body is read.

use std::collections::HashMap;

use anggaran::Rupiah;
use anggaran::apbdes::{self, CodeList, LineInput};
use anggaran::idm;
use anggaran::transparency;
use axum::Form;
use axum::extract::{Multipart, Path, Query};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::api::{self, budget_view, writable, year_of};
use super::{messages, repo, spreadsheet};
use crate::kernel::msg::Msg;
use crate::web::ctx::{Ctx, SignedIn};
use crate::web::error::{AppError, AppResult};

/// A spreadsheet, a PDF or a photo: 10 MB at most.
const MAX_FILE: u64 = 10 * 1024 * 1024;
/// Empty rows offered below the lines for new ones.
const BLANK_ROWS: usize = 8;
const LINE_FIELDS: [&str; 8] = ["kode", "akun", "nama", "sumber", "anggaran", "realisasi_s1", "realisasi_s2", "alasan"];

#[derive(Deserialize)]
pub struct YearParam {
    #[serde(default)]
    tahun: Option<String>,
}

fn year_or_now(ctx: &Ctx, p: Option<&str>) -> AppResult<i32> {
    match p.filter(|y| !y.trim().is_empty()) {
        Some(y) => year_of(y),
        None => Ok(ctx.today().year()),
    }
}

fn back(code: &str, year: i32) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, format!("/desa/{code}/kelola?tahun={year}"))]).into_response()
}

/// What a refused form shows again.
#[derive(Default)]
struct Refused {
    error: Option<AppError>,
    lines: Option<Vec<LineInput>>,
    problems: Vec<String>,
}

pub async fn manage_page(SignedIn(ctx): SignedIn, Path(code): Path<String>, Query(p): Query<YearParam>) -> AppResult<Response> {
    writable(&ctx, &code).await?;
    let year = year_or_now(&ctx, p.tahun.as_deref())?;
    render(&ctx, &code, year, StatusCode::OK, Refused::default()).await
}

async fn render(ctx: &Ctx, code: &str, year: i32, status: StatusCode, refused: Refused) -> AppResult<Response> {
    let village = writable(ctx, code).await?;
    let store = &ctx.app.store;
    let budget = budget_view(ctx, code, year, None, true).await?;
    let mut lines: Vec<[String; 8]> = match &refused.lines {
        Some(given) => given.iter().map(line_cells).collect(),
        None => budget
            .as_ref()
            .map(|b| {
                b.lines
                    .iter()
                    .map(|l| {
                        let amount = |a: Option<i64>| a.map(|v| v.to_string()).unwrap_or_default();
                        [
                            l.kode.clone(),
                            l.akun.clone(),
                            l.nama.clone(),
                            l.sumber.clone(),
                            l.anggaran.to_string(),
                            amount(l.realisasi_s1),
                            amount(l.realisasi_s2),
                            l.alasan.clone().unwrap_or_default(),
                        ]
                    })
                    .collect()
            })
            .unwrap_or_default(),
    };
    lines.extend(std::iter::repeat_with(Default::default).take(BLANK_ROWS));
    let profile = repo::profile(store, &ctx.tenant.id, code).await?.unwrap_or_default();
    let dusun: Vec<String> = profile.dusun.iter().map(|d| format!("{}: {}", d.nama, d.penduduk)).collect();
    let current = repo::idm_history(store, &ctx.tenant.id, code).await?.into_iter().find(|r| r.year == year);
    let indicators: Vec<(usize, &str, &str, u8)> = idm::INDICATORS
        .iter()
        .enumerate()
        .map(|(i, (index, name))| (i, index.code(), *name, current.as_ref().map_or(0, |c| c.scores[i])))
        .collect();
    let review = repo::review(store, &ctx.tenant.id, code, year).await?;
    let documents = repo::documents(store, &ctx.tenant.id, code).await?;
    let (error, field_errors) = ctx.form_errors(refused.error.as_ref());
    let page = minijinja::context! {
        village, year, budget, lines, fields => LINE_FIELDS, profile, dusun => dusun.join("\n"), indicators,
        has_idm => current.is_some(), review, documents, error, field_errors, problems => refused.problems,
        is_admin => ctx.user.as_ref().is_some_and(|u| u.is_region_admin()),
        sources => CodeList::embedded().sumber_all().map(|s| (s.code.clone(), s.name.clone())).collect::<Vec<_>>(),
    };
    Ok((status, ctx.render("villages/manage.html", page)?).into_response())
}

/// The page again with one refusal (a form's fields, or a file's reason).
async fn refuse(ctx: &Ctx, code: &str, year: i32, status: StatusCode, error: AppError) -> AppResult<Response> {
    render(ctx, code, year, status, Refused { error: Some(error), ..Default::default() }).await
}

fn line_cells(l: &LineInput) -> [String; 8] {
    [
        l.kode.clone(),
        l.akun.clone(),
        l.nama.clone(),
        l.sumber.clone(),
        l.anggaran.clone(),
        l.realisasi_s1.clone(),
        l.realisasi_s2.clone(),
        l.alasan.clone(),
    ]
}

/// Every problem of a budget as the page lists them.
fn problem_texts(ctx: &Ctx, problems: &[apbdes::Problem]) -> Vec<String> {
    problems.iter().map(|p| ctx.msg(&messages::apbdes_problem(p))).collect()
}

fn budget_refused(ctx: &Ctx, problems: &[apbdes::Problem], lines: Option<Vec<LineInput>>) -> Refused {
    Refused { error: Some(AppError::BadRequest(Msg::new("desa.budget_refused"))), lines, problems: problem_texts(ctx, problems) }
}

/// The grid's rows (`kode.0`, `nama.0`, ...), empty rows left out; each
/// keeps its row number (from 1) for the problems.
fn grid_lines(fields: &HashMap<String, String>) -> Vec<LineInput> {
    let rows = fields.keys().filter_map(|k| k.strip_prefix("kode.").and_then(|n| n.parse::<usize>().ok())).max().map_or(0, |m| m + 1);
    (0..rows)
        .filter_map(|n| {
            let get = |f: &str| fields.get(&format!("{f}.{n}")).map(|v| v.trim().to_string()).unwrap_or_default();
            let cells: Vec<String> = LINE_FIELDS.iter().map(|f| get(f)).collect();
            if cells.iter().all(String::is_empty) {
                return None;
            }
            let [kode, akun, nama, sumber, anggaran, realisasi_s1, realisasi_s2, alasan] = <[String; 8]>::try_from(cells).ok()?;
            Some(LineInput { line: n + 1, kode, akun, nama, sumber, anggaran, realisasi_s1, realisasi_s2, alasan })
        })
        .collect()
}

/// The Checked lines as text to store (canonical codes): what an import gives.
/// A checked budget's lines as the inputs stored; the lines of a pre-2018
/// file keep the codes it wrote (1/2/3), so the stored version, marked
/// `pre_2018`, reads back through the same mapping.
fn inputs_of(budget: &apbdes::Apbdes, pre_2018: bool) -> Vec<LineInput> {
    let akun = |a: &anggaran::apbdes::Akun| if pre_2018 { a.pre_2018_code() } else { a.to_string() };
    budget
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let (kode, akun) = match &l.pos {
                apbdes::Pos::Pendapatan { akun: a } | apbdes::Pos::Pembiayaan { akun: a } => (akun(a), String::new()),
                apbdes::Pos::Belanja { kegiatan: Some(k), akun: a } => (k.to_string(), a.as_ref().map(akun).unwrap_or_default()),
                apbdes::Pos::Belanja { kegiatan: None, akun: a } => (a.as_ref().map(akun).unwrap_or_default(), String::new()),
            };
            let amount = |r: Option<Rupiah>| r.map(|r| r.get().to_string()).unwrap_or_default();
            LineInput {
                line: i + 1,
                kode,
                akun,
                nama: l.name.clone(),
                sumber: l.sumber.clone().unwrap_or_default(),
                anggaran: l.plan.get().to_string(),
                realisasi_s1: amount(l.realised[0]),
                realisasi_s2: amount(l.realised[1]),
                alasan: l.reason.clone().unwrap_or_default(),
            }
        })
        .collect()
}

/// The dusun list of the profile form: one `Nama: penduduk` a line.
fn dusun_of(text: &str) -> Result<Vec<repo::Dusun>, Msg> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let Some((name, people)) = line.rsplit_once(':') else {
            return Err(Msg::new("desa.dusun_line").arg("line", n + 1));
        };
        let penduduk = people.trim().replace('.', "").parse::<i64>().ok().filter(|p| *p >= 0);
        match penduduk {
            Some(penduduk) if crate::kernel::text::is_plain(name.trim()) && !name.trim().is_empty() => {
                out.push(repo::Dusun { nama: name.trim().to_string(), penduduk })
            }
            _ => return Err(Msg::new("desa.dusun_line").arg("line", n + 1)),
        }
    }
    Ok(out)
}

pub async fn manage_form(
    SignedIn(ctx): SignedIn,
    Path(code): Path<String>,
    Query(p): Query<YearParam>,
    form: Multipart,
) -> AppResult<Response> {
    writable(&ctx, &code).await?;
    let read = crate::web::upload::csrf_first(&ctx, form, "file", MAX_FILE).await?;
    let f = &read.fields;
    let year = year_or_now(&ctx, f.get("tahun").map(String::as_str).or(p.tahun.as_deref()))?;
    let user = ctx.user()?.id.clone();
    let store = &ctx.app.store;
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    match f.get("aksi").map(String::as_str).unwrap_or_default() {
        "apbdes" => {
            let lines = grid_lines(f);
            let publish = f.get("terbitkan").is_some_and(|v| v == "1");
            match api::check(&ctx, &lines, false).await? {
                Ok(budget) => {
                    api::store_budget(&ctx, &code, year, &lines, &budget, publish, false).await?;
                    Ok(back(&code, year))
                }
                Err(problems) => render(&ctx, &code, year, unprocessable, budget_refused(&ctx, &problems, Some(lines))).await,
            }
        }
        "impor" => {
            let Some(bytes) = read.file else { return Err(AppError::BadRequest(Msg::new("error.file_missing"))) };
            let rows = match spreadsheet::rows(&bytes) {
                Ok(rows) => rows,
                Err(e) => {
                    let msg = Msg::new("desa.file_unreadable").arg("line", e.line).arg("reason", &e.reason);
                    return refuse(&ctx, &code, year, unprocessable, AppError::BadRequest(msg)).await;
                }
            };
            let (_, tolerance) = repo::settings(store, &ctx.tenant.id).await?;
            // The operator says which code list the file uses, or leaves it
            // to the file's first code (1 before 2018, 4 since).
            let pre_2018 = match f.get("kode_rekening").map(|v| v.trim()).unwrap_or_default() {
                "" | "otomatis" => apbdes::looks_pre_2018(&rows),
                "2018" => false,
                "sebelum_2018" => true,
                _ => {
                    return refuse(
                        &ctx,
                        &code,
                        year,
                        unprocessable,
                        AppError::invalid("kode_rekening", Msg::new("desa.code_list_unknown")),
                    )
                    .await;
                }
            };
            let settings = apbdes::Settings { tolerance, pre_2018 };
            match apbdes::import_rows(&rows, &CodeList::embedded(), &settings) {
                Ok(budget) => {
                    let lines = inputs_of(&budget, pre_2018);
                    let publish = f.get("terbitkan").is_some_and(|v| v == "1");
                    api::store_budget(&ctx, &code, year, &lines, &budget, publish, pre_2018).await?;
                    Ok(back(&code, year))
                }
                Err(problems) => render(&ctx, &code, year, unprocessable, budget_refused(&ctx, &problems, None)).await,
            }
        }
        "profil" => {
            let text = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
            let mut problems = Vec::new();
            for (field, value) in [("kepala_desa", text("kepala_desa")), ("alamat", text("alamat"))] {
                if value.is_empty() || !crate::kernel::text::is_plain(&value) {
                    problems.push((field.to_string(), Msg::new("desa.field_required")));
                }
            }
            let dusun = dusun_of(&text("dusun")).map_err(|m| problems.push(("dusun".into(), m))).unwrap_or_default();
            if !problems.is_empty() {
                return refuse(&ctx, &code, year, unprocessable, AppError::Invalid(problems)).await;
            }
            let profile = repo::Profile {
                kepala_desa: text("kepala_desa"),
                alamat: text("alamat"),
                fasilitas: text("fasilitas"),
                bumdes: text("bumdes"),
                dusun,
                updated_at: None,
            };
            repo::save_profile(store, &ctx.tenant.id, &code, &user, &profile).await?;
            Ok(back(&code, year))
        }
        "dokumen" => {
            let kind = f.get("jenis").map(String::as_str).unwrap_or_default();
            let place = f.get("tempat").map(|v| v.trim().to_string()).unwrap_or_default();
            let date = f.get("tanggal").map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
            let mut problems = Vec::new();
            if date.as_deref().is_some_and(|d| d.parse::<kalender::Date>().is_err()) {
                problems.push(("tanggal".to_string(), Msg::new("desa.date_invalid")));
            }
            let stored = match (kind, read.file.as_deref()) {
                (_, None) => {
                    problems.push(("file".to_string(), Msg::new("error.file_missing")));
                    None
                }
                ("lpj", Some(b)) if b.starts_with(b"%PDF-") => Some(("application/pdf", b.to_vec())),
                ("lpj", Some(_)) => {
                    problems.push(("file".to_string(), Msg::new("desa.lpj_not_pdf")));
                    None
                }
                ("baliho", Some(b)) => match crate::kernel::photos::strip(b) {
                    Some((format, clean)) => Some((format.media_type(), clean)),
                    None => {
                        problems.push(("file".to_string(), Msg::new("desa.photo_unreadable")));
                        None
                    }
                },
                _ => {
                    problems.push(("jenis".to_string(), Msg::new("desa.document_kind")));
                    None
                }
            };
            if kind == "baliho" && place.is_empty() {
                problems.push(("tempat".to_string(), Msg::new("desa.field_required")));
            }
            match stored {
                Some((media_type, content)) if problems.is_empty() => {
                    let doc =
                        repo::NewDocument { desa: &code, year, kind, media_type, content, place: &place, taken_on: date, user: &user };
                    repo::add_document(store, &ctx.tenant.id, doc).await?;
                    Ok(back(&code, year))
                }
                _ => refuse(&ctx, &code, year, unprocessable, AppError::Invalid(problems)).await,
            }
        }
        "idm" => {
            let mut scores = [0u8; 50];
            let mut problems = Vec::new();
            for (i, (_, name)) in idm::INDICATORS.iter().enumerate() {
                match f.get(&format!("skor.{i}")).and_then(|v| v.trim().parse::<u8>().ok()).filter(|s| *s <= idm::MAX_SCORE) {
                    Some(s) => scores[i] = s,
                    None => {
                        problems.push((format!("skor.{i}"), Msg::new("desa.idm_score_out_of_range").arg("name", name).arg("value", "?")))
                    }
                }
            }
            let scores = match idm::Scores::from_array(scores) {
                Ok(s) if problems.is_empty() => s,
                _ => {
                    return refuse(&ctx, &code, year, unprocessable, AppError::Invalid(problems)).await;
                }
            };
            let parsed = wilayah::Code::parse(&code).map_err(|_| AppError::not_found())?;
            if idm::score(&parsed, &scores).is_err() {
                let error = AppError::BadRequest(Msg::new("desa.idm_kelurahan_not_scored"));
                return refuse(&ctx, &code, year, StatusCode::CONFLICT, error).await;
            }
            repo::save_idm(store, &ctx.tenant.id, year, "entry", &[(code.clone(), scores)]).await?;
            Ok(back(&code, year))
        }
        _ => Err(AppError::BadRequest(Msg::new("desa.unknown_action"))),
    }
}

#[derive(Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    tahun: String,
    #[serde(default)]
    keadaan: String,
    #[serde(default)]
    catatan: String,
}

/// The DPMD returns a village's year with a note, or accepts it.
pub async fn review_form(SignedIn(ctx): SignedIn, Path(code): Path<String>, Form(form): Form<ReviewForm>) -> AppResult<Response> {
    let admin = ctx.region_admin()?.id.clone();
    ctx.check_csrf(&form.csrf)?;
    api::find_village(&ctx, &code).await?;
    let year = year_of(&form.tahun)?;
    let note = form.catatan.trim();
    match form.keadaan.as_str() {
        "dikembalikan" if note.is_empty() => {
            let error = AppError::invalid("catatan", Msg::new("desa.review_note_required"));
            return refuse(&ctx, &code, year, StatusCode::UNPROCESSABLE_ENTITY, error).await;
        }
        "dikembalikan" | "diterima" => {}
        _ => return Err(AppError::invalid("keadaan", Msg::new("desa.unknown_action"))),
    }
    repo::save_review(&ctx.app.store, &ctx.tenant.id, &code, year, &form.keadaan, note, &admin).await?;
    Ok(back(&code, year))
}

pub async fn regency_page(SignedIn(ctx): SignedIn) -> AppResult<Response> {
    ctx.region_admin()?;
    regency_render(&ctx, StatusCode::OK, None, Vec::new(), None).await
}

async fn regency_render(
    ctx: &Ctx,
    status: StatusCode,
    error: Option<AppError>,
    problems: Vec<String>,
    done: Option<String>,
) -> AppResult<Response> {
    let (settings, tolerance) = repo::settings(&ctx.app.store, &ctx.tenant.id).await?;
    let (error, field_errors) = ctx.form_errors(error.as_ref());
    let weights: Vec<(&str, u32)> = transparency::Item::ALL.iter().map(|i| i.code()).zip(settings.weights).collect();
    let page = minijinja::context! {
        weights, fresh_days => settings.fresh_days, stale_percent => settings.stale_percent, tolerance => tolerance.get(),
        year => ctx.today().year(), error, field_errors, problems, done,
        indicators => idm::INDICATORS.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
    };
    Ok((status, ctx.render("villages/regency.html", page)?).into_response())
}

/// The regency's forms: the transparency settings, and the official IDM
/// table (a CSV with `kode_desa` and the 50 indicators, or Kemendesa's
/// JSON files named by the village's code), all villages or none.
pub async fn regency_form(SignedIn(ctx): SignedIn, mut form: Multipart) -> AppResult<Response> {
    ctx.region_admin()?;
    let bad = |e: axum::extract::multipart::MultipartError| AppError::BadRequest(Msg::new("error.bad_request").arg("detail", e));
    let mut csrf_ok = false;
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    while let Some(mut field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "csrf" {
            ctx.check_csrf(&field.text().await.map_err(bad)?)?;
            csrf_ok = true;
        } else if !csrf_ok {
            return Err(AppError::Forbidden(Msg::new("error.csrf")));
        } else if name == "file" {
            let filename = field.file_name().unwrap_or_default().to_string();
            let bytes = crate::web::upload::part_bytes(&mut field, MAX_FILE).await?;
            if !bytes.is_empty() {
                files.push((filename, bytes.to_vec()));
            }
        } else {
            fields.insert(name, field.text().await.map_err(bad)?);
        }
    }
    if !csrf_ok {
        return Err(AppError::Forbidden(Msg::new("error.csrf")));
    }
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    match fields.get("aksi").map(String::as_str).unwrap_or_default() {
        "bobot" => {
            let number = |k: &str| fields.get(k).and_then(|v| v.trim().parse::<u32>().ok());
            let mut problems = Vec::new();
            let mut weights = [0u32; 5];
            for (i, item) in transparency::Item::ALL.iter().enumerate() {
                match number(&format!("bobot_{}", item.code())) {
                    Some(w) => weights[i] = w,
                    None => problems.push((format!("bobot_{}", item.code()), Msg::new("desa.weight_invalid"))),
                }
            }
            let fresh_days = number("hari_segar").unwrap_or_else(|| {
                problems.push(("hari_segar".into(), Msg::new("desa.weight_invalid")));
                0
            });
            let stale_percent = number("persen_lama").unwrap_or(101);
            let tolerance = fields.get("toleransi").map(|t| Rupiah::parse(t)).unwrap_or(Ok(Rupiah::ZERO));
            let tolerance = match tolerance {
                Ok(t) if !t.is_negative() => t,
                _ => {
                    problems.push(("toleransi".into(), Msg::new("desa.weight_invalid")));
                    Rupiah::ZERO
                }
            };
            let settings = transparency::Settings { weights, fresh_days, stale_percent };
            if let Err(e) = settings.check() {
                let key = match e {
                    transparency::SettingsError::NoWeight => "desa.transparency_no_weight",
                    transparency::SettingsError::StalePercent => "desa.transparency_stale_percent",
                };
                problems.push((if key.ends_with("weight") { "bobot_apbdes" } else { "persen_lama" }.to_string(), Msg::new(key)));
            }
            if !problems.is_empty() {
                return regency_render(&ctx, unprocessable, Some(AppError::Invalid(problems)), Vec::new(), None).await;
            }
            repo::save_settings(&ctx.app.store, &ctx.tenant.id, &settings, tolerance).await?;
            Ok((StatusCode::SEE_OTHER, [(LOCATION, "/desa/kabupaten")]).into_response())
        }
        "idm" => {
            let year = year_of(fields.get("tahun").map(String::as_str).unwrap_or_default())?;
            let villages: HashMap<String, repo::Village> =
                repo::villages(&ctx.app.store, &ctx.tenant.id).await?.into_iter().map(|v| (v.code.clone(), v)).collect();
            let (scored, problems) = read_idm_files(&ctx, &files, &villages);
            if files.is_empty() || !problems.is_empty() {
                let error = AppError::BadRequest(Msg::new(if files.is_empty() { "error.file_missing" } else { "desa.idm_import_refused" }));
                return regency_render(&ctx, unprocessable, Some(error), problems, None).await;
            }
            repo::save_idm(&ctx.app.store, &ctx.tenant.id, year, "kemendesa", &scored).await?;
            let done = ctx.msg(&Msg::new("desa.idm_imported").arg("n", scored.len()).arg("year", year));
            regency_render(&ctx, StatusCode::OK, None, Vec::new(), Some(done)).await
        }
        _ => Err(AppError::BadRequest(Msg::new("desa.unknown_action"))),
    }
}

/// A village's code from a file name (`3522012001.json`, `35.22.01.2001.json`).
fn code_of_file(name: &str) -> Option<String> {
    let stem = name.rsplit(['/', '\\']).next()?.split('.').filter(|p| !p.eq_ignore_ascii_case("json")).collect::<Vec<_>>().join(".");
    let digits: String = stem.chars().filter(char::is_ascii_digit).collect();
    wilayah::Code::parse(&digits).ok().or_else(|| wilayah::Code::parse(&stem).ok()).map(|c| c.to_string())
}

/// Reads the IDM files: each JSON file a village's Kemendesa answer, each
/// CSV a table of villages (`kode_desa` and the 50 indicators). Every
/// problem is named (file, line, reason); kelurahan rows are refused.
fn read_idm_files(
    ctx: &Ctx,
    files: &[(String, Vec<u8>)],
    villages: &HashMap<String, repo::Village>,
) -> (Vec<(String, idm::Scores)>, Vec<String>) {
    let mut scored = Vec::new();
    let mut problems = Vec::new();
    let mut check_village = |file: &str, line: usize, code: &str, scores: idm::Scores, problems: &mut Vec<String>| match villages.get(code)
    {
        None => problems.push(ctx.msg(&Msg::new("desa.idm_unknown_village").arg("file", file).arg("line", line).arg("code", code))),
        Some(v) if v.kelurahan => {
            problems.push(ctx.msg(&Msg::new("desa.idm_import_kelurahan").arg("file", file).arg("line", line).arg("code", code)))
        }
        Some(_) => scored.push((code.to_string(), scores)),
    };
    for (name, bytes) in files {
        let text = String::from_utf8_lossy(bytes);
        if text.trim_start().starts_with('{') {
            let Some(code) = code_of_file(name) else {
                problems.push(ctx.msg(&Msg::new("desa.idm_file_name").arg("file", name)));
                continue;
            };
            match idm::read_official(&text) {
                Ok(official) => check_village(name, 0, &code, official.scores, &mut problems),
                Err(e) => problems.push(format!("{name}: {}", ctx.msg(&messages::idm_file(&e)))),
            }
            continue;
        }
        let rows = match spreadsheet::rows(bytes) {
            Ok(rows) => rows,
            Err(e) => {
                problems.push(ctx.msg(&Msg::new("desa.file_unreadable").arg("line", e.line).arg("reason", &e.reason)));
                continue;
            }
        };
        let Some(header) = rows.first() else { continue };
        let code_col = header.iter().position(|h| h.trim().eq_ignore_ascii_case("kode_desa"));
        let Some(code_col) = code_col else {
            problems.push(ctx.msg(&Msg::new("desa.idm_csv_header").arg("file", name)));
            continue;
        };
        for (n, row) in rows.iter().enumerate().skip(1).filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty())) {
            let mut pairs = Vec::new();
            let mut bad = false;
            for (col, head) in header.iter().enumerate().filter(|(c, _)| *c != code_col) {
                let cell = row.get(col).map(|c| c.trim()).unwrap_or_default();
                match cell.parse::<i64>() {
                    Ok(v) => pairs.push((head.as_str(), v)),
                    Err(_) => {
                        problems.push(ctx.msg(&Msg::new("desa.idm_csv_cell").arg("file", name).arg("line", n + 1).arg("column", head)));
                        bad = true;
                    }
                }
            }
            if bad {
                continue;
            }
            let code = row.get(code_col).map(|c| c.trim()).unwrap_or_default();
            let code = wilayah::Code::parse(code).map(|c| c.to_string()).unwrap_or_else(|_| code.to_string());
            match idm::Scores::from_named(pairs) {
                Ok(scores) => check_village(name, n + 1, &code, scores, &mut problems),
                Err(list) => {
                    for e in &list {
                        let (_, m) = messages::idm_score(e);
                        problems.push(ctx.msg(&Msg::new("desa.problem_in_file").arg("file", name).arg("line", n + 1).arg_msg("what", m)));
                    }
                }
            }
        }
    }
    (scored, problems)
}
