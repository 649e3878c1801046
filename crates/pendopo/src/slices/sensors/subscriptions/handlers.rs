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

/// A held subscription's names (entity types, watched, notified, picked
/// and omitted attributes, the geoproperty) as the request's @context
/// writes them: read with another context, or none, than it was made with,
/// a subscription names them by their IRIs (the suite's 029_05_02).
fn compacted(body: &Json, held: &context::Context, asked: &context::Context) -> Json {
    let name = |n: &str| if ["id", "type", "scope"].contains(&n) { n.to_string() } else { asked.compact(&held.expand(n)) };
    let mut out = body.clone();
    for e in out.get_mut("entities").and_then(Json::as_array_mut).into_iter().flatten() {
        if let Some(t) = e.get("type").and_then(Json::as_str) {
            e["type"] = Json::String(type_names(t, &|n| asked.compact(&held.expand(n))));
        }
    }
    let lists =
        [(None, "watchedAttributes"), (Some("notification"), "attributes"), (Some("notification"), "pick"), (Some("notification"), "omit")];
    for (parent, member) in lists {
        let holder = match parent {
            Some(p) => out.get_mut(p),
            None => Some(&mut out),
        };
        if let Some(Json::Array(items)) = holder.and_then(|h| h.get_mut(member)) {
            for i in items.iter_mut() {
                if let Some(n) = i.as_str() {
                    *i = Json::String(name(n));
                }
            }
        }
    }
    if let Some(g) = out.get_mut("geoQ").and_then(|g| g.get_mut("geoproperty"))
        && let Some(n) = g.as_str()
    {
        *g = Json::String(name(n));
    }
    out
}

/// A type expression with each name passed through `f`, its operators kept.
fn type_names(expr: &str, f: &dyn Fn(&str) -> String) -> String {
    let mut out = String::new();
    let mut word = String::new();
    for c in expr.chars() {
        if matches!(c, ',' | '|' | ';' | '(' | ')') {
            if !word.is_empty() {
                out.push_str(&f(word.trim()));
                word.clear();
            }
            out.push(c);
        } else {
            word.push(c);
        }
    }
    if !word.is_empty() {
        out.push_str(&f(word.trim()));
    }
    out
}

/// A subscription is no GeoJSON: `Accept: application/geo+json` alone is
/// 406 (clause 6.3.4: only entities are), before any look-up.
fn answered_as_json(req: Request) -> Result<Request, Fail> {
    if req.geo_out {
        let detail = "Accept: a subscription is answered as application/json or application/ld+json, not GeoJSON";
        return Err(Fail::Status(StatusCode::NOT_ACCEPTABLE, ngsild::problem::Problem::new(ErrorType::InvalidRequest, detail)));
    }
    Ok(req)
}

fn number(params: &HashMap<String, String>, k: &str, default: usize) -> Result<usize, Fail> {
    params.get(k).map_or(Ok(default), |v| v.parse().map_err(|_| bad(ErrorType::BadRequestData, format!("{k}: not a whole number: {v}"))))
}

/// `GET /subscriptions` (`limit`, `offset`, `count`).
pub async fn list(ctx: Ctx, headers: HeaderMap, Query(params): Params) -> Answer {
    http::writer_first(&ctx, &headers).await?;
    let req = answered_as_json(http::request(&ctx, &headers, None).await?)?;
    let limit = number(&params, "limit", DEFAULT_LIMIT)?;
    if limit > MAX_LIMIT {
        return Err(bad(ErrorType::TooManyResults, format!("limit: at most {MAX_LIMIT}")));
    }
    let offset = number(&params, "offset", 0)?;
    let store = &ctx.app.store;
    let (held, total) = repo::list(store, &req.tenant, limit, offset).await?;
    let now = store.now_ms();
    // Most subscriptions share a few contexts: each is resolved once.
    let mut contexts: HashMap<String, context::Context> = HashMap::new();
    let mut items: Vec<Json> = Vec::with_capacity(held.len());
    for h in &held {
        let key = h.context.to_string();
        if !contexts.contains_key(&key) {
            contexts.insert(key.clone(), http::resolve(store, &h.context).await?);
        }
        let body = compacted(&h.body, &contexts[&key], &req.ctx);
        items.push(model::render(&h.id, &body, &h.status, now));
    }
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
    let req = answered_as_json(http::request(&ctx, &headers, None).await?)?;
    let store = &ctx.app.store;
    let h = repo::get(store, &req.tenant, &id).await?.ok_or_else(|| not_found(&id))?;
    let body = compacted(&h.body, &http::resolve(store, &h.context).await?, &req.ctx);
    Ok(req.answer(StatusCode::OK, model::render(&h.id, &body, &h.status, store.now_ms())))
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
