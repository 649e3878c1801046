//! `/ngsi-ld/v1/subscriptions`: create, list, retrieve, update (PATCH) and
//! delete. Every one needs a writer's API token, reads too: a subscription's
//! `receiverInfo` may hold the receiver's credentials.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::header::{CONTENT_TYPE, LINK, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use ngsild::context;
use ngsild::problem::ErrorType;
use serde_json::Value as Json;

use super::{delivery, matching, model, repo};
use crate::slices::sensors::http::{self, Answer, Fail, Request, bad, not_found};
use crate::slices::sensors::query::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::web::ctx::Ctx;

type Params = Query<HashMap<String, String>>;

/// The @context a subscription keeps: inline, a URL other than the core's, or none.
fn context_of(req: &Request) -> Json {
    match &req.inline {
        Some(c) => c.clone(),
        None if req.link != context::CORE_CONTEXT_URL => Json::String(req.link.clone()),
        None => Json::Null,
    }
}

/// `POST /subscriptions`.
pub async fn create(ctx: Ctx, headers: HeaderMap, body: Bytes) -> Answer {
    http::writer_first(&ctx, &headers).await?;
    let body = http::json_body(&body)?;
    let req = http::request(&ctx, &headers, Some(&body)).await?;
    let store = &ctx.app.store;
    let now = store.now_ms();
    let checked = model::check(&body, &req.ctx, now, true)?;
    reachable_context(store, &checked).await?;
    let id = checked.sub.id.clone().unwrap_or_else(|| format!("urn:ngsi-ld:Subscription:{}", crate::kernel::identity::new_id()));
    let mut tx = store.begin().await?;
    if !repo::insert(&mut tx, &req.tenant, &id, &checked, &context_of(&req)).await? {
        return Err(bad(ErrorType::AlreadyExists, format!("{id} already exists")));
    }
    if delivery::is_periodic(&checked) {
        matching::schedule(&mut tx, &req.tenant, &id, now + checked.time_interval_ms()).await?;
    }
    tx.commit().await?;
    Ok((StatusCode::CREATED, [(LOCATION, format!("/ngsi-ld/v1/subscriptions/{id}"))]).into_response())
}

/// A `jsonldContext` must be one the broker holds (it never fetches one):
/// refused at once, not at each notification.
async fn reachable_context(store: &crate::store::Store, checked: &model::Checked) -> Result<(), Fail> {
    if let Some(url) = &checked.sub.jsonld_context {
        http::resolve(store, &Json::String(url.clone())).await?;
    }
    Ok(())
}

fn number(params: &HashMap<String, String>, k: &str, default: usize) -> Result<usize, Fail> {
    params.get(k).map_or(Ok(default), |v| v.parse().map_err(|_| bad(ErrorType::BadRequestData, format!("{k}: not a whole number: {v}"))))
}

/// `GET /subscriptions` (`limit`, `offset`, `count`).
pub async fn list(ctx: Ctx, headers: HeaderMap, Query(params): Params) -> Answer {
    http::writer_first(&ctx, &headers).await?;
    let req = http::request(&ctx, &headers, None).await?;
    let limit = number(&params, "limit", DEFAULT_LIMIT)?;
    if limit > MAX_LIMIT {
        return Err(bad(ErrorType::TooManyResults, format!("limit: at most {MAX_LIMIT}")));
    }
    let offset = number(&params, "offset", 0)?;
    let store = &ctx.app.store;
    let (held, total) = repo::list(store, &req.tenant, limit, offset).await?;
    let now = store.now_ms();
    let items: Vec<Json> = held.iter().map(|h| model::render(&h.id, &h.body, &h.status, now)).collect();
    let mut res = req.answer(StatusCode::OK, Json::Array(items));
    if params.get("count").is_some_and(|c| c == "true") {
        res.headers_mut().insert(http::COUNT_HEADER, HeaderValue::from(total));
    }
    let kind = res.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("application/json").to_string();
    for link in page_links(limit, offset, usize::try_from(total).unwrap_or(0), &kind) {
        if let Ok(v) = HeaderValue::from_str(&link) {
            res.headers_mut().append(LINK, v);
        }
    }
    Ok(res)
}

/// The `Link`s to the previous and next pages of a listing (clause 5.5.9),
/// each where there is one.
fn page_links(limit: usize, offset: usize, total: usize, kind: &str) -> Vec<String> {
    let link = |o: usize, rel: &str| format!("</ngsi-ld/v1/subscriptions?limit={limit}&offset={o}>;rel=\"{rel}\";type=\"{kind}\"");
    let mut out = Vec::new();
    if offset > 0 && limit > 0 {
        out.push(link(offset.saturating_sub(limit), "prev"));
    }
    if limit > 0 && offset + limit < total {
        out.push(link(offset + limit, "next"));
    }
    out
}

/// `GET /subscriptions/{id}`.
pub async fn retrieve(ctx: Ctx, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    http::writer_first(&ctx, &headers).await?;
    let req = http::request(&ctx, &headers, None).await?;
    let store = &ctx.app.store;
    let h = repo::get(store, &req.tenant, &id).await?.ok_or_else(|| not_found(&id))?;
    Ok(req.answer(StatusCode::OK, model::render(&h.id, &h.body, &h.status, store.now_ms())))
}

/// `PATCH /subscriptions/{id}`: the fragment's members replace the held
/// ones (`notification` one level down); the result is checked whole.
pub async fn update(ctx: Ctx, headers: HeaderMap, Path(id): Path<String>, body: Bytes) -> Answer {
    http::writer_first(&ctx, &headers).await?;
    let fragment = http::json_body(&body)?;
    let req = http::request(&ctx, &headers, Some(&fragment)).await?;
    if fragment.as_object().is_none_or(|o| o.keys().all(|k| k == "@context")) {
        return Err(bad(ErrorType::BadRequestData, "the body must be an object with the members to change"));
    }
    let store = &ctx.app.store;
    let held = repo::get(store, &req.tenant, &id).await?.ok_or_else(|| not_found(&id))?;
    let merged = ngsild::subscription::patched(&held.body, &fragment).map_err(|e| Fail::Problem(e.into()))?;
    // A fragment with a @context of its own redefines the names; else the held one stays.
    let mut context = context_of(&req);
    let resolved = if context.is_null() && !held.context.is_null() {
        context = held.context.clone();
        http::resolve(store, &context).await?
    } else {
        req.ctx.clone().into_owned()
    };
    let now = store.now_ms();
    let checked = model::check(&merged, &resolved, now, fragment.get("expiresAt").is_some())?;
    reachable_context(store, &checked).await?;
    let mut tx = store.begin().await?;
    repo::update(&mut tx, &req.tenant, &id, &checked, &context).await?;
    if delivery::is_periodic(&checked) {
        matching::schedule(&mut tx, &req.tenant, &id, now + checked.time_interval_ms()).await?;
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /subscriptions/{id}`: its waiting notifications end with it.
pub async fn delete(ctx: Ctx, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    http::writer_first(&ctx, &headers).await?;
    let req = http::request(&ctx, &headers, None).await?;
    if !repo::delete(&ctx.app.store, &req.tenant, &id).await? {
        return Err(not_found(&id));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
