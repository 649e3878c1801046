//! Dialog Publik's pages and JSON API: the public list of sessions
//! (`/layanan/dialog`) and a session's page (date, place, who answered, the
//! items as their public cases: confidential ones left out, never a
//! citizen's name), and the region admins' forms and API calls that enter a
//! session and add items to it. Both go through [`save`].

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};

use super::cases::{self, ListWhere};
use super::dialog::{self, ItemInput, Session, SessionInput};
use super::form::FormPairs;
use super::model::FieldErrors;
use super::repo;
use crate::kernel::msg::Msg;
use crate::web::ctx::{ApiWriter, Ctx, SignedIn};
use crate::web::error::{AppError, AppResult};

/// Empty item rows a new session's form offers (and the add form).
const NEW_ROWS: usize = 5;
const ADD_ROWS: usize = 3;
/// A session's fields and an item's, with their labels' keys.
const SESSION_FIELDS: [(&str, &str); 5] = [
    ("held_on", "layanan.dialog.held_on"),
    ("place", "layanan.dialog.place"),
    ("officials", "layanan.dialog.officials"),
    ("notes", "layanan.dialog.notes"),
    ("items", "layanan.dialog.items"),
];
const ITEM_FIELDS: [(&str, &str); 6] = [
    ("service", "layanan.dialog.service"),
    ("channel", "layanan.dialog.channel"),
    ("kind", "layanan.dialog.kind"),
    ("text", "layanan.dialog.text"),
    ("place", "layanan.dialog.item_place"),
    ("reporter_name", "layanan.dialog.reporter_name"),
];

async fn find(ctx: &Ctx, id: &str) -> AppResult<Session> {
    dialog::get(&ctx.app.store, &ctx.tenant.id, id).await?.ok_or_else(AppError::not_found)
}

/// Checks and stores a new session (`existing` none) or items for one,
/// for a region admin (the caller asked): every problem at once (422).
async fn save(ctx: &Ctx, existing: Option<&Session>, input: &SessionInput) -> AppResult<(String, Vec<String>)> {
    let user = ctx.region_admin()?;
    let store = &ctx.app.store;
    let mut errors = FieldErrors::new();
    let session = if existing.is_none() { dialog::check_session(input, &mut errors) } else { None };
    let services = repo::list(store, &ctx.tenant.id).await?;
    let items = dialog::check_items(&input.items, &services, &ctx.tenant.code(), &mut errors);
    if existing.is_some() && items.is_empty() && errors.is_empty() {
        errors.push(("items".into(), Msg::new("layanan.channel.items_required")));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let today = ctx.today();
    let saved = match (existing, session) {
        (Some(s), _) => (s.id.clone(), dialog::add(store, &ctx.tenant.id, &s.id, &items, Some(&user.id), today).await?),
        (None, Some(s)) => dialog::create(store, &ctx.tenant.id, &s, &items, Some(&user.id), today).await?,
        (None, None) => unreachable!("a session that failed its check left an error"),
    };
    tracing::info!(session = %saved.0, items = saved.1.len(), "dialog publik items filed");
    Ok(saved)
}

/// A session's items as the public sees them, in the order raised.
async fn public_items(ctx: &Ctx, id: &str) -> AppResult<Vec<serde_json::Value>> {
    let numbers = dialog::numbers(&ctx.app.store, &ctx.tenant.id, id).await?;
    if numbers.is_empty() {
        return Ok(Vec::new());
    }
    let w =
        ListWhere { numbers: numbers.clone(), service_codes: Vec::new(), done: None, from_ms: 0, to_ms: i64::MAX, limit: numbers.len() };
    let mut found = cases::list(&ctx.app.store, &ctx.tenant.id, &w).await?;
    found.sort_by_key(|c| numbers.iter().position(|n| *n == c.number));
    Ok(found
        .into_iter()
        .map(|c| {
            serde_json::json!({
                "number": c.number, "href": super::tracking::public_href(&c.number), "service_code": c.service_code, "service_name": c.service_name,
                "agency_name": c.agency_name, "channel": c.channel, "state": c.state.code(), "description": c.description,
                "place": c.address_id,
            })
        })
        .collect())
}

fn session_json(s: &Session, items: Vec<serde_json::Value>, staff: bool) -> serde_json::Value {
    let mut v = serde_json::json!({
        "id": s.id, "held_on": s.held_on, "place": s.place, "officials": s.officials, "created_at": s.created_at,
        "items_public": items.len(), "items": items,
    });
    // Notes are the staff's own (who attended, what was promised).
    if staff {
        v["notes"] = s.notes.clone().into();
        v["items_total"] = s.items.into();
    }
    v
}

fn is_staff(ctx: &Ctx) -> bool {
    ctx.user.as_ref().is_some_and(|u| u.is_region_admin())
}

pub async fn api_list(ctx: Ctx) -> AppResult<Response> {
    let list = dialog::list(&ctx.app.store, &ctx.tenant.id).await?;
    let sessions: Vec<_> =
        list.iter().map(|s| serde_json::json!({ "id": s.id, "held_on": s.held_on, "place": s.place, "officials": s.officials })).collect();
    Ok(Json(serde_json::json!({ "count": sessions.len(), "sessions": sessions })).into_response())
}

pub async fn api_show(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let session = find(&ctx, &id).await?;
    let items = public_items(&ctx, &id).await?;
    Ok(Json(session_json(&session, items, is_staff(&ctx))).into_response())
}

/// The body is read only after the caller is known to be a region admin.
fn body_of<T: serde::de::DeserializeOwned>(body: &Bytes) -> AppResult<T> {
    serde_json::from_slice(body).map_err(|e| AppError::BadRequest(Msg::new("layanan.channel.json_invalid").arg("detail", e)))
}

pub async fn api_create(ApiWriter(ctx): ApiWriter, body: Bytes) -> AppResult<Response> {
    ctx.region_admin()?;
    let input: SessionInput = body_of(&body)?;
    let (id, numbers) = save(&ctx, None, &input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id, "numbers": numbers }))).into_response())
}

pub async fn api_add(ApiWriter(ctx): ApiWriter, Path(id): Path<String>, body: Bytes) -> AppResult<Response> {
    ctx.region_admin()?;
    let session = find(&ctx, &id).await?;
    let input: SessionInput = body_of(&body)?;
    let (_, numbers) = save(&ctx, Some(&session), &input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id, "numbers": numbers }))).into_response())
}

/// `/layanan/dialog`: the sessions, newest first.
pub async fn list_page(ctx: Ctx) -> AppResult<Response> {
    let sessions = dialog::list(&ctx.app.store, &ctx.tenant.id).await?;
    let page = minijinja::context! { sessions, staff => is_staff(&ctx) };
    Ok(ctx.render("services/dialogs.html", page)?.into_response())
}

fn first<'a>(pairs: &'a FormPairs, key: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.as_str())
}

/// The input a submitted form means: item rows are `items.{i}.{field}`.
fn input_of(pairs: &FormPairs) -> SessionInput {
    let rows =
        pairs.iter().filter_map(|(k, _)| k.strip_prefix("items.")?.split('.').next()?.parse::<usize>().ok()).max().map_or(0, |m| m + 1);
    let items = (0..rows.min(100))
        .map(|i| {
            let get = |f: &str| first(pairs, &format!("items.{i}.{f}")).to_string();
            ItemInput {
                service: get("service"),
                channel: get("channel"),
                kind: get("kind"),
                text: get("text"),
                place: get("place"),
                reporter_name: get("reporter_name"),
                confidential: !get("confidential").is_empty(),
            }
        })
        .collect();
    SessionInput {
        held_on: first(pairs, "held_on").into(),
        place: first(pairs, "place").into(),
        officials: first(pairs, "officials").into(),
        notes: first(pairs, "notes").into(),
        items,
    }
}

/// What the item rows of a form need: the choices, the values sent, the
/// errors and the summary's labels.
async fn form_context(ctx: &Ctx, pairs: &FormPairs, spare: usize, error: Option<&AppError>) -> AppResult<minijinja::Value> {
    let services = repo::list(&ctx.app.store, &ctx.tenant.id).await?;
    let services: Vec<_> =
        services.iter().map(|s| minijinja::context! { code => s.code, name => s.name, agency => s.agency.name }).collect();
    let region = ctx.tenant.code();
    let kecamatan: Vec<_> = wilayah::Directory::embedded()
        .children_of(&region)
        .map(|r| minijinja::context! { code => r.code.to_string(), name => r.name })
        .collect();
    let sent = input_of(pairs).items.len();
    let rows: Vec<usize> = (0..sent.max(spare)).collect();
    let mut labels = BTreeMap::new();
    for (f, key) in SESSION_FIELDS {
        labels.insert(f.to_string(), ctx.msg(&Msg::new(key)));
    }
    for i in &rows {
        for (f, key) in ITEM_FIELDS {
            let label = ctx.msg(&Msg::new("layanan.dialog.item_field").arg("n", i + 1).arg_msg("field", Msg::new(key)));
            labels.insert(format!("items.{i}.{f}"), label);
        }
    }
    let errors: BTreeMap<String, String> = match error {
        Some(e) => e.messages().1.iter().map(|(f, m)| (f.clone(), ctx.msg(m))).collect(),
        None => BTreeMap::new(),
    };
    let values: BTreeMap<&str, &str> = pairs.iter().rev().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Ok(minijinja::context! {
        services, kecamatan, rows, labels, errors, values,
        channels => dialog::CHANNELS.iter().map(|c| c.code()).collect::<Vec<_>>(),
        kinds => layanan::case::Kind::ALL.iter().map(|k| k.code()).collect::<Vec<_>>(),
    })
}

async fn render_show(ctx: &Ctx, status: StatusCode, session: &Session, pairs: &FormPairs, error: Option<&AppError>) -> AppResult<Response> {
    let staff = is_staff(ctx);
    let items = public_items(ctx, &session.id).await?;
    let form = if staff { Some(form_context(ctx, pairs, ADD_ROWS, error).await?) } else { None };
    let page = minijinja::context! { session => session_json(session, items, staff), staff, form };
    Ok((status, ctx.render("services/dialog.html", page)?).into_response())
}

/// `/layanan/dialog/{id}`: the session and its public items.
pub async fn show_page(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let session = find(&ctx, &id).await?;
    render_show(&ctx, StatusCode::OK, &session, &FormPairs::new(), None).await
}

async fn render_new(ctx: &Ctx, status: StatusCode, pairs: &FormPairs, error: Option<&AppError>) -> AppResult<Response> {
    let form = form_context(ctx, pairs, NEW_ROWS, error).await?;
    Ok((status, ctx.render("services/dialog_form.html", minijinja::context! { form })?).into_response())
}

/// `/layanan/dialog/baru`: the form for a new session (region admins).
pub async fn new_page(SignedIn(ctx): SignedIn) -> AppResult<Response> {
    ctx.region_admin()?;
    let today = vec![("held_on".to_string(), ctx.today().to_string())];
    render_new(&ctx, StatusCode::OK, &today, None).await
}

pub async fn create_form(SignedIn(ctx): SignedIn, Form(pairs): Form<FormPairs>) -> AppResult<Response> {
    ctx.region_admin()?;
    ctx.check_csrf(first(&pairs, "csrf"))?;
    match save(&ctx, None, &input_of(&pairs)).await {
        Ok((id, _)) => Ok((StatusCode::SEE_OTHER, [(LOCATION, format!("/layanan/dialog/{id}"))]).into_response()),
        Err(e @ AppError::Invalid(_)) => render_new(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &pairs, Some(&e)).await,
        Err(e) => Err(e),
    }
}

pub async fn add_form(SignedIn(ctx): SignedIn, Path(id): Path<String>, Form(pairs): Form<FormPairs>) -> AppResult<Response> {
    ctx.region_admin()?;
    ctx.check_csrf(first(&pairs, "csrf"))?;
    let session = find(&ctx, &id).await?;
    match save(&ctx, Some(&session), &input_of(&pairs)).await {
        Ok(_) => Ok((StatusCode::SEE_OTHER, [(LOCATION, format!("/layanan/dialog/{id}"))]).into_response()),
        Err(e @ AppError::Invalid(_)) => render_show(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &session, &pairs, Some(&e)).await,
        Err(e) => Err(e),
    }
}
