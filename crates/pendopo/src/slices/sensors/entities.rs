//! `/ngsi-ld/v1/entities` and its attributes, and the batch
//! `/entityOperations`: bodies read with `ngsild::entity`, changed with
//! `ngsild::update`, stored through [`super::write::apply`].

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use ngsild::context::Context;
use ngsild::entity::{Attributes, Entity, Form, Head, parse_attributes};
use ngsild::problem::{ErrorType, Problem};
use ngsild::update::{self, BatchResult, Outcome, ScopeRule};
use serde_json::{Value as Json, json};

use super::http::{self, Answer, Fail, Options, Request, bad, not_found};
use super::write::{self, Change, Done, Step};
use crate::web::ctx::Ctx;

/// The most entities one batch operation takes (413 above).
pub const MAX_BATCH: usize = 1000;

type Params = Query<HashMap<String, String>>;

/// An entity as the request asked to see it: names compacted through its
/// context, only the attributes in `attrs`, in the chosen representation.
pub fn render(req: &Request, e: &Entity, opts: Options, attrs: Option<&[String]>) -> Json {
    let mut e = e.map_names(&|n| req.ctx.compact(n));
    if let Some(keep) = attrs {
        e.attrs.retain(|name, _| keep.iter().any(|k| k == name));
    }
    let render = ngsild::entity::Render { sys_attrs: opts.sys_attrs };
    if req.geo_out {
        let geometry = req.geometry_property.as_deref().map(|n| req.ctx.compact(&req.ctx.expand(n)));
        return feature(&e, opts, render, geometry.as_deref());
    }
    if opts.key_values {
        e.to_key_values(None)
    } else if opts.concise {
        e.to_concise(render)
    } else {
        e.to_normalized(render)
    }
}

/// A GeoJSON Feature: the GeoProperty `geometry_property` names (null when
/// the entity has none such), else `location` (or the first GeoProperty), as
/// geometry, the rest as properties.
fn feature(e: &Entity, opts: Options, render: ngsild::entity::Render, geometry_property: Option<&str>) -> Json {
    let chosen = match geometry_property {
        Some(name) => e.attrs.get(name),
        None => e.attrs.get("location").or_else(|| e.attrs.values().find(|list| list.iter().any(|a| a.geometry().is_some()))),
    };
    let geometry = chosen.and_then(|list| list.first()).filter(|a| a.geometry().is_some()).map(|a| a.value.clone()).unwrap_or(Json::Null);
    let mut properties = if opts.key_values { e.to_key_values(None) } else { e.to_normalized(render) };
    if let Json::Object(m) = &mut properties {
        m.remove("id");
    }
    json!({"id": e.id, "type": "Feature", "geometry": geometry, "properties": properties})
}

/// The names a request's `attrs` lists, as they are written in answers.
pub fn attrs_param(req: &Request, params: &HashMap<String, String>) -> Option<Vec<String>> {
    params.get("attrs").map(|a| a.split(',').map(|n| req.ctx.compact(&req.ctx.expand(n.trim()))).collect())
}

/// An entity's names expanded; a type that is a JSON-LD keyword's alias
/// (`"type": "type"`: `type` is `@type` in the core context) is no type:
/// 400 (the suite's 001_02_04).
fn expand(ctx: &Context, e: &Entity) -> Result<Entity, Problem> {
    match e.types.iter().find(|t| ctx.is_keyword_alias(t)) {
        Some(t) => Err(Problem::new(ErrorType::BadRequestData, format!("type {t} is a JSON-LD keyword, not an entity type"))),
        None => Ok(e.map_names(&|n| ctx.expand(n))),
    }
}

fn expand_attrs(ctx: &Context, attrs: Attributes) -> Attributes {
    let holder = Entity { id: String::new(), types: vec![], scope: None, created_at: None, modified_at: None, attrs };
    holder.map_names(&|n| ctx.expand(n)).attrs
}

fn form(opts: Options) -> Form {
    if opts.key_values { Form::KeyValues } else { Form::Normalized }
}

/// A new entity stamped with `now` (itself and every attribute instance).
fn stamped(mut e: Entity, now: &str) -> (Entity, Vec<String>) {
    let attrs = std::mem::take(&mut e.attrs);
    let names: Vec<String> = attrs.keys().cloned().collect();
    update::append(&mut e, attrs, true, now);
    e.created_at = Some(now.to_string());
    e.modified_at = Some(now.to_string());
    (e, names)
}

/// The first attribute (or sub-attribute) whose value is the NGSI-LD Null.
fn null_in(attrs: &Attributes) -> Option<String> {
    attrs.iter().find_map(|(name, list)| {
        list.iter().find_map(|a| if update::is_null(a) { Some(name.clone()) } else { null_in(&a.sub).map(|sub| format!("{name}.{sub}")) })
    })
}

fn put(entity: Entity, touched: Vec<String>, outcome: Outcome) -> Result<Change, Problem> {
    Ok(Change::Put { entity: Box::new(entity), touched, outcome })
}

fn exists(id: &str) -> Problem {
    Problem::new(ErrorType::AlreadyExists, format!("{id} already exists"))
}

fn missing(id: &str) -> Problem {
    Problem::new(ErrorType::ResourceNotFound, format!("{id} does not exist"))
}

fn create_step(e: Entity, now: String) -> Step {
    Box::new(move |held| {
        if held.is_some() {
            return Err(exists(&e.id));
        }
        if let Some(name) = null_in(&e.attrs) {
            // Clause 5.2.1: the NGSI-LD Null deletes; there is nothing to delete in a new entity.
            return Err(Problem::new(ErrorType::BadRequestData, format!("{name}: urn:ngsi-ld:null in a new entity")));
        }
        let (e, names) = stamped(e, &now);
        put(e, names, Outcome::default())
    })
}

/// Replaces an entity whole, keeping its creation time.
fn replace_step(e: Entity, now: String, must_exist: bool) -> Step {
    Box::new(move |held| {
        if must_exist && held.is_none() {
            return Err(missing(&e.id));
        }
        let (mut new, names) = stamped(e, &now);
        if let Some(h) = held {
            new.created_at = h.created_at;
        }
        put(new, names, Outcome::default())
    })
}

/// Append (and batch update): the fragment's types are added, its scope
/// replaces the entity's, or with `noOverwrite` is added to it.
fn append_step(id: String, (attrs, head): (Attributes, Head), overwrite: bool, now: String) -> Step {
    Box::new(move |held| {
        let mut e = held.ok_or_else(|| missing(&id))?;
        let mut outcome = update::append(&mut e, attrs, overwrite, &now);
        let rule = if overwrite { ScopeRule::Replace } else { ScopeRule::Add };
        update::apply_head(&mut e, head, rule, &mut outcome, &now);
        put(e, outcome.updated.clone(), outcome)
    })
}

fn update_step(id: String, (attrs, head): (Attributes, Head), now: String) -> Step {
    Box::new(move |held| {
        let mut e = held.ok_or_else(|| missing(&id))?;
        let mut outcome = update::update(&mut e, attrs, &now);
        update::apply_head(&mut e, head, ScopeRule::ReplaceExisting, &mut outcome, &now);
        put(e, outcome.updated.clone(), outcome)
    })
}

fn merge_step(id: String, attrs: Attributes, now: String) -> Step {
    Box::new(move |held| {
        let mut e = held.ok_or_else(|| missing(&id))?;
        let outcome = update::merge(&mut e, attrs, &now);
        put(e, outcome.updated.clone(), outcome)
    })
}

fn delete_step(id: String) -> Step {
    Box::new(move |held| if held.is_some() { Ok(Change::Delete) } else { Err(missing(&id)) })
}

/// `step` only on an entity of the `type` the request names (clause 4.17:
/// the type selects the entity; another one's is 404 and nothing written).
fn gated(req: &Request, params: &HashMap<String, String>, step: Step) -> Step {
    let Some(wanted) = params.get("type").map(|t| req.ctx.expand(t)) else { return step };
    Box::new(move |held| match held {
        Some(e) if !e.types.contains(&wanted) => {
            Err(Problem::new(ErrorType::ResourceNotFound, format!("{} is not of type {wanted}", e.id)))
        }
        held => step(held),
    })
}

async fn run_one(ctx: &Ctx, tenant: &str, id: String, step: Step) -> Result<Done, Fail> {
    let mut out = write::apply(&ctx.app.store, tenant, vec![(id, step)]).await?;
    out.pop().expect("one step, one result").1.map_err(Fail::Problem)
}

/// `POST /entities`.
pub async fn create(ctx: Ctx, headers: HeaderMap, Query(params): Params, body: Bytes) -> Answer {
    http::writer_first(&ctx, &headers).await?;
    let body = http::json_body(&body)?;
    let req = http::request(&ctx, &headers, Some(&body)).await?;
    let opts = Options::parse(params.get("options").map(String::as_str), None);
    let e = expand(&req.ctx, &Entity::parse(&body, form(opts))?)?;
    let id = e.id.clone();
    run_one(&ctx, &req.tenant, id.clone(), create_step(e, http::now(&ctx.app.store).0)).await?;
    Ok((StatusCode::CREATED, [(LOCATION, format!("/ngsi-ld/v1/entities/{id}"))]).into_response())
}

/// `GET /entities/{id}`.
pub async fn retrieve(ctx: Ctx, headers: HeaderMap, Path(id): Path<String>, Query(params): Params) -> Answer {
    let mut req = http::request(&ctx, &headers, None).await?;
    req.geometry_property = params.get("geometryProperty").cloned();
    let shown = super::projection::Projection::from_params(&req, &params)?;
    let join = super::join::Join::from_params(&params)?;
    let e = super::repo::load(&ctx.app.store, &req.tenant, &id).await?.ok_or_else(|| not_found(&id))?;
    // Not of the type asked for (5711_01_01), or nothing of it left to show: 404.
    let other_type = params.get("type").is_some_and(|t| !e.types.contains(&req.ctx.expand(t)));
    if other_type || shown.hides_all(&e, params.contains_key("attrs")) {
        return Err(not_found(&id));
    }
    let opts = Options::parse(params.get("options").map(String::as_str), params.get("format").map(String::as_str));
    let body = super::join::render_one(join.as_ref(), &ctx.app.store, &req, &shown, opts, &e).await?;
    Ok(req.answer(StatusCode::OK, body))
}

/// `DELETE /entities/{id}` (`type` selects it too).
pub async fn delete(ctx: Ctx, headers: HeaderMap, Path(id): Path<String>, Query(params): Params) -> Answer {
    http::writer_first(&ctx, &headers).await?;
    let req = http::request(&ctx, &headers, None).await?;
    run_one(&ctx, &req.tenant, id.clone(), gated(&req, &params, delete_step(id))).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Reads an attribute fragment body with its context, names expanded:
/// its attributes and its head (types to add, scope).
async fn fragment(ctx: &Ctx, headers: &HeaderMap, body: &Bytes, opts: Options) -> Result<(Request, (Attributes, Head)), Fail> {
    http::writer_first(ctx, headers).await?;
    let body = http::json_body(body)?;
    let req = http::request(ctx, headers, Some(&body)).await?;
    let attrs = expand_attrs(&req.ctx, parse_attributes(&body, form(opts))?);
    let mut head = ngsild::entity::parse_head(&body)?;
    head.types = head.types.iter().map(|t| req.ctx.expand(t)).collect();
    Ok((req, (attrs, head)))
}

/// 204, or 207 with the UpdateResult: its names are IRIs, expanded as
/// stored (the suite's 010_04_01 expects `https://ngsi-ld-test-suite/context#speed`).
fn outcome_answer(req: &Request, done: Done) -> Answer {
    let outcome = match done {
        Done::Updated(o) => o,
        _ => Outcome::default(),
    };
    if outcome.status() == 204 {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Ok(req.answer(StatusCode::MULTI_STATUS, outcome.to_json()))
    }
}

/// `POST /entities/{id}/attrs` (append; `options=noOverwrite`).
pub async fn append(ctx: Ctx, headers: HeaderMap, Path(id): Path<String>, Query(params): Params, body: Bytes) -> Answer {
    let opts = Options::parse(params.get("options").map(String::as_str), None);
    let (req, attrs) = fragment(&ctx, &headers, &body, opts).await?;
    let step = append_step(id.clone(), attrs, !opts.no_overwrite, http::now(&ctx.app.store).0);
    let done = run_one(&ctx, &req.tenant, id, gated(&req, &params, step)).await?;
    outcome_answer(&req, done)
}

/// `PATCH /entities/{id}/attrs` (update existing attributes).
pub async fn update_attrs(ctx: Ctx, headers: HeaderMap, Path(id): Path<String>, Query(params): Params, body: Bytes) -> Answer {
    let opts = Options::parse(params.get("options").map(String::as_str), None);
    let (req, attrs) = fragment(&ctx, &headers, &body, opts).await?;
    let step = update_step(id.clone(), attrs, http::now(&ctx.app.store).0);
    let done = run_one(&ctx, &req.tenant, id, gated(&req, &params, step)).await?;
    outcome_answer(&req, done)
}

/// `PATCH /entities/{id}` (merge; `urn:ngsi-ld:null` deletes).
pub async fn merge(ctx: Ctx, headers: HeaderMap, Path(id): Path<String>, Query(params): Params, body: Bytes) -> Answer {
    let opts = Options::parse(params.get("options").map(String::as_str), None);
    let (req, (attrs, _)) = fragment(&ctx, &headers, &body, opts).await?;
    run_one(&ctx, &req.tenant, id.clone(), merge_step(id, attrs, http::now(&ctx.app.store).0)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PUT /entities/{id}` (replace the entity, keeping its id and creation time).
pub async fn replace(ctx: Ctx, headers: HeaderMap, Path(id): Path<String>, Query(params): Params, body: Bytes) -> Answer {
    http::writer_first(&ctx, &headers).await?;
    let mut body = http::json_body(&body)?;
    let req = http::request(&ctx, &headers, Some(&body)).await?;
    if let Json::Object(m) = &mut body {
        m.entry("id").or_insert_with(|| json!(id));
    }
    let opts = Options::parse(params.get("options").map(String::as_str), None);
    let e = expand(&req.ctx, &Entity::parse(&body, form(opts))?)?;
    if e.id != id {
        return Err(bad(ErrorType::BadRequestData, "the body's id is not the entity's"));
    }
    run_one(&ctx, &req.tenant, id, replace_step(e, http::now(&ctx.app.store).0, true)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PATCH /entities/{id}/attrs/{attr}` (partial update of one attribute).
pub async fn partial(ctx: Ctx, headers: HeaderMap, Path((id, attr)): Path<(String, String)>, Query(params): Params, body: Bytes) -> Answer {
    http::writer_first(&ctx, &headers).await?;
    let json = http::json_body(&body)?;
    let req = http::request(&ctx, &headers, Some(&json)).await?;
    if attr == "scope" {
        return Err(bad(ErrorType::BadRequestData, "scope is not an attribute: change it with an append or an update"));
    }
    let name = req.ctx.expand(&attr);
    let mut fragment = json.as_object().cloned().ok_or_else(|| bad(ErrorType::BadRequestData, "the body is not a JSON object"))?;
    fragment.remove("@context");
    if fragment.is_empty() {
        return Err(bad(ErrorType::BadRequestData, "the fragment names no member of the attribute"));
    }
    let now = http::now(&ctx.app.store).0;
    let key = id.clone();
    let context = req.ctx.clone();
    let step: Step = Box::new(move |held| {
        let mut e = held.ok_or_else(|| missing(&id))?;
        let patch = partial_patch(&context, &e, &name, &attr, fragment)?;
        update::partial_update(&mut e, &name, patch, &now).map_err(|s| Problem::new(ErrorType::ResourceNotFound, s.code()))?;
        put(e, vec![name], Outcome::default())
    });
    run_one(&ctx, &req.tenant, key, gated(&req, &params, step)).await.map(|_| StatusCode::NO_CONTENT.into_response())
}

/// `PUT /entities/{id}/attrs/{attr}` (replace attribute, 5.6.19): the
/// instance given (its `datasetId` names which) replaces the entity's whole,
/// keeping its `createdAt`; 404 when the entity has no such instance.
pub async fn replace_attr(
    ctx: Ctx,
    headers: HeaderMap,
    Path((id, attr)): Path<(String, String)>,
    Query(params): Params,
    body: Bytes,
) -> Answer {
    http::writer_first(&ctx, &headers).await?;
    let json = http::json_body(&body)?;
    let req = http::request(&ctx, &headers, Some(&json)).await?;
    if attr == "scope" {
        return Err(bad(ErrorType::BadRequestData, "scope is not an attribute: replace it with an append or an update"));
    }
    let mut fragment = json.clone();
    if let Json::Object(m) = &mut fragment {
        m.remove("@context");
    }
    let wrapped = Json::Object([(attr.clone(), fragment)].into_iter().collect());
    let instances = parse_attributes(&wrapped, Form::Normalized)?.into_values().next().unwrap_or_default();
    let name = req.ctx.expand(&attr);
    let instances = expand_attrs(&req.ctx, [(name.clone(), instances)].into()).remove(&name).unwrap_or_default();
    let now = http::now(&ctx.app.store).0;
    let key = id.clone();
    let step: Step = Box::new(move |held| {
        let mut e = held.ok_or_else(|| missing(&id))?;
        update::replace_attribute(&mut e, &name, instances, &now)
            .map_err(|_| Problem::new(ErrorType::ResourceNotFound, format!("{id} has no {attr} to replace")))?;
        put(e, vec![name], Outcome::default())
    });
    run_one(&ctx, &req.tenant, key, gated(&req, &params, step)).await.map(|_| StatusCode::NO_CONTENT.into_response())
}

/// A partial update's fragment read against the instance it changes
/// (5.6.4): it keeps the attribute's type (another one is 400) and, when the
/// fragment gives only sub-attributes or metadata, its value.
fn partial_patch(
    ctx: &Context,
    e: &Entity,
    name: &str,
    attr: &str,
    mut fragment: serde_json::Map<String, Json>,
) -> Result<ngsild::entity::Attribute, Problem> {
    let dataset = fragment.get("datasetId").and_then(Json::as_str);
    let held = e
        .attrs
        .get(name)
        .and_then(|list| list.iter().find(|a| a.dataset_id.as_deref() == dataset))
        .ok_or_else(|| Problem::new(ErrorType::ResourceNotFound, format!("{attr} does not exist")))?;
    let kind = held.kind.name();
    match fragment.get("type").and_then(Json::as_str) {
        Some(t) if t != kind => {
            return Err(Problem::new(ErrorType::BadRequestData, format!("{attr} is a {kind}, not a {t}")));
        }
        _ => {
            fragment.insert("type".into(), json!(kind));
        }
    }
    fragment.entry(held.kind.value_member()).or_insert_with(|| held.value.clone());
    let attrs = parse_attributes(&json!({ attr: fragment }), Form::Normalized).map_err(Problem::from)?;
    expand_attrs(ctx, attrs)
        .into_values()
        .next()
        .and_then(|mut v| v.pop())
        .ok_or_else(|| Problem::new(ErrorType::BadRequestData, "the body is not an attribute"))
}

/// `DELETE /entities/{id}/attrs/{attr}` (`datasetId`, `deleteAll`).
pub async fn delete_attr(ctx: Ctx, headers: HeaderMap, Path((id, attr)): Path<(String, String)>, Query(params): Params) -> Answer {
    http::writer_first(&ctx, &headers).await?;
    let req = http::request(&ctx, &headers, None).await?;
    let name = req.ctx.expand(&attr);
    let dataset = params.get("datasetId").cloned();
    let all = params.get("deleteAll").is_some_and(|v| v == "true");
    let now = http::now(&ctx.app.store).0;
    let key = id.clone();
    let step: Step = Box::new(move |held| {
        let mut e = held.ok_or_else(|| missing(&id))?;
        // `scope` is a member of the entity, deleted by name too (clause 4.18; the suite's 013_04).
        if attr == "scope" && e.scope.is_some() {
            e.scope = None;
            e.modified_at = Some(now);
            return put(e, vec![], Outcome::default());
        }
        if !update::delete_attribute(&mut e, &name, dataset.as_deref(), all, &now) {
            return Err(Problem::new(ErrorType::ResourceNotFound, format!("{attr} does not exist")));
        }
        put(e, vec![], Outcome::default())
    });
    run_one(&ctx, &req.tenant, key, gated(&req, &params, step)).await.map(|_| StatusCode::NO_CONTENT.into_response())
}

/// `POST /entityOperations/{op}`: create, upsert, update, delete, merge.
pub async fn batch(ctx: Ctx, headers: HeaderMap, Path(op): Path<String>, Query(params): Params, body: Bytes) -> Answer {
    http::writer_first(&ctx, &headers).await?;
    if !matches!(op.as_str(), "create" | "upsert" | "update" | "delete" | "merge") {
        return Err(not_found(&op));
    }
    let body = http::json_body(&body)?;
    let Json::Array(items) = &body else { return Err(bad(ErrorType::BadRequestData, "the body must be an array")) };
    if items.len() > MAX_BATCH {
        let detail = format!("a batch takes at most {MAX_BATCH} entities; this one has {}", items.len());
        return Err(Fail::TooLarge(Problem::new(ErrorType::BadRequestData, detail)));
    }
    if items.is_empty() {
        return Err(bad(ErrorType::BadRequestData, "the batch holds no entities"));
    }
    if items.iter().any(Json::is_null) {
        return Err(bad(ErrorType::BadRequestData, "a batch item is null"));
    }
    let opts = Options::parse(params.get("options").map(String::as_str), None);
    // With JSON-LD each item carries its own @context; else the Link header's is every item's.
    let ld_in = http::body_is_ld(&headers)?;
    if ld_in && headers.contains_key(axum::http::header::LINK) {
        // Clause 6.3.5, as for a single entity (the suite's 003_09_01).
        return Err(bad(ErrorType::BadRequestData, "a Link header with a @context is not allowed with application/ld+json"));
    }
    let req = http::request(&ctx, &headers, None).await?;
    let now = http::now(&ctx.app.store).0;
    let mut steps: Vec<(String, Step)> = Vec::new();
    let mut result = BatchResult::default();
    let mut contexts = ItemContexts::default();
    for item in items {
        if op == "delete" {
            match item.as_str() {
                Some(id) => steps.push((id.to_string(), delete_step(id.to_string()))),
                None => result.errors.push((item.to_string(), Problem::new(ErrorType::BadRequestData, "not an entity id"))),
            }
            continue;
        }
        let item_id = || item.get("id").and_then(Json::as_str).unwrap_or("").to_string();
        let item_ctx = match contexts.of(&ctx, &req, item, ld_in).await {
            Ok(c) => c,
            Err(Fail::Problem(p)) => {
                result.errors.push((item_id(), p));
                continue;
            }
            Err(other) => return Err(other),
        };
        let e = match Entity::parse(item, form(opts)).map_err(Problem::from).and_then(|e| expand(item_ctx, &e)) {
            Ok(e) => e,
            Err(p) => {
                result.errors.push((item_id(), p));
                continue;
            }
        };
        let id = e.id.clone();
        let step = match op.as_str() {
            "create" => create_step(e, now.clone()),
            "upsert" if opts.update => upsert_update_step(e, now.clone()),
            "upsert" => replace_step(e, now.clone(), false),
            "update" => {
                let head = Head { types: e.types, scope: e.scope };
                append_step(id.clone(), (e.attrs, head), !opts.no_overwrite, now.clone())
            }
            _ => merge_step(id.clone(), e.attrs, now.clone()),
        };
        steps.push((id, step));
    }
    let mut created = Vec::new();
    for (id, done) in write::apply(&ctx.app.store, &req.tenant, steps).await? {
        match done {
            Ok(Done::Created) => {
                created.push(id.clone());
                result.success.push(id);
            }
            // A batch update's entity that kept some of its attributes
            // (`noOverwrite`) failed in part: 207 (the suite's 005_02_*).
            Ok(Done::Updated(outcome)) if !outcome.not_updated.is_empty() => result.errors.push((id, kept(&outcome))),
            Ok(_) => result.success.push(id),
            Err(p) => result.errors.push((id, p)),
        }
    }
    let status = match op.as_str() {
        "create" => result.status(201),
        _ => result.status(204),
    };
    Ok(match status {
        201 => req.answer(StatusCode::CREATED, json!(result.success)),
        204 if op == "upsert" && !created.is_empty() => req.answer(StatusCode::CREATED, json!(created)),
        204 => StatusCode::NO_CONTENT.into_response(),
        _ => req.answer(StatusCode::MULTI_STATUS, result.to_json()),
    })
}

/// A batch item's error for the attributes a write did not apply.
fn kept(outcome: &Outcome) -> Problem {
    let names: Vec<&str> = outcome.not_updated.iter().map(|(n, _)| n.as_str()).collect();
    let reason = outcome.not_updated.first().map_or("", |(_, s)| s.code());
    Problem::new(ErrorType::BadRequestData, format!("not updated ({reason}): {}", names.join(", ")))
}

/// The contexts of a batch's items, each distinct `@context` resolved once.
#[derive(Default)]
struct ItemContexts {
    resolved: HashMap<String, Context>,
}

impl ItemContexts {
    /// An item's context: with JSON-LD its own `@context` (which it must
    /// have), else the request's (and a `@context` in it is refused). An
    /// item's fault is its own (207), not the batch's.
    async fn of<'a>(&'a mut self, ctx: &Ctx, req: &'a Request, item: &Json, ld: bool) -> Result<&'a Context, Fail> {
        let local = item.get("@context");
        match (ld, local) {
            (false, None) => Ok(&req.ctx),
            (false, Some(_)) => Err(bad(ErrorType::BadRequestData, "a @context in an item needs Content-Type application/ld+json")),
            (true, None) => Err(bad(ErrorType::BadRequestData, "application/ld+json: each item needs a @context member")),
            (true, Some(local)) => {
                let key = local.to_string();
                if !self.resolved.contains_key(&key) {
                    let c = http::resolve(&ctx.app.store, local).await?;
                    self.resolved.insert(key.clone(), c);
                }
                Ok(&self.resolved[&key])
            }
        }
    }
}

/// Upsert with `options=update`: a new entity is created, an existing one
/// gets the attributes appended (overwriting).
fn upsert_update_step(e: Entity, now: String) -> Step {
    Box::new(move |held| match held {
        None => {
            let (e, names) = stamped(e, &now);
            put(e, names, Outcome::default())
        }
        Some(mut held) => {
            let outcome = update::append(&mut held, e.attrs, true, &now);
            put(held, outcome.updated.clone(), outcome)
        }
    })
}
