//! `POST /ngsi-ld/v1/entityOperations/query` (clause 5.7.2 by POST): a
//! query too long for a URL, in a body of type `Query`: `entities` (entity
//! selectors: `id`, `idPattern`, `type`, any of which selects), `attrs`,
//! `pick`, `omit`, `q`, `geoQ`, `scopeQ`, `lang`; `limit`, `offset`,
//! `count`, `options` and `format` stay URL parameters. The body is turned
//! into the GET's parameters, so the answer is exactly `GET /entities`'.

use std::collections::{BTreeMap, HashMap};

use axum::body::Bytes;
use axum::extract::Query;
use axum::http::HeaderMap;
use ngsild::entity::Entity;
use ngsild::problem::ErrorType;
use serde_json::Value as Json;

use super::http::{self, Answer, Fail, bad};
use super::projection::Projection;
use super::query::{Selector, entities_answer, limit_of, select};
use crate::store::Store;
use crate::web::ctx::Ctx;

/// The body members read as URL parameters of the same name (a list is
/// joined with commas).
const SAME_AS_GET: &[&str] = &["attrs", "pick", "omit", "q", "scopeQ", "lang", "join", "joinLevel"];

/// `POST /entityOperations/query`.
pub async fn query(ctx: Ctx, headers: HeaderMap, Query(url): Query<HashMap<String, String>>, body: Bytes) -> Answer {
    let body = http::json_body(&body)?;
    let req = http::request(&ctx, &headers, Some(&body)).await?;
    // The window is the temporal query's (019_32_08).
    if body.get("temporalQ").is_some() {
        return Err(bad(ErrorType::BadRequestData, "temporalQ: only POST /temporal/entityOperations/query takes one"));
    }
    let (params, selectors) = params_of(&body, url)?;
    let selectors = selectors_of(&req, &params, selectors)?;
    if selectors.len() == 1 && selectors[0].selects_all() && !params.contains_key("attrs") {
        return Err(bad(ErrorType::BadRequestData, "a query needs entities, attrs, q, geoQ or scopeQ"));
    }
    let (limit, offset) = limit_of(&params)?;
    let count = params.get("count").is_some_and(|c| c == "true");
    let shown = Projection::from_params(&req, &params)?;
    let join = super::join::Join::from_params(&params)?;
    let (entities, total) = select_any(&ctx.app.store, &req.tenant, &selectors, limit, offset, count).await?;
    entities_answer(&ctx.app.store, &req, &params, (&shown, join.as_ref()), &entities, total).await
}

/// The selectors of a query: one per entity selector (each with the
/// query's `q`, `geoQ`, `scopeQ`), or the query's alone.
pub(super) fn selectors_of(req: &http::Request, params: &Params, selectors: Vec<Params>) -> Result<Vec<Selector>, Fail> {
    if selectors.is_empty() {
        return Ok(vec![Selector::from_params(req, params)?]);
    }
    selectors
        .into_iter()
        .map(|one| {
            let mut p = params.clone();
            p.extend(one);
            Selector::from_params(req, &p)
        })
        .collect()
}

/// A text member, or a list of texts joined with commas.
pub(super) fn text_of(name: &str, v: &Json) -> Result<String, Fail> {
    match v {
        Json::String(s) => Ok(s.clone()),
        // `joinLevel`, a number.
        Json::Number(n) => Ok(n.to_string()),
        Json::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .map(|l| l.join(","))
            .ok_or_else(|| bad(ErrorType::BadRequestData, format!("{name}: a list of strings"))),
        _ => Err(bad(ErrorType::BadRequestData, format!("{name}: a string or a list of strings"))),
    }
}

type Params = HashMap<String, String>;

/// The GET parameters a Query body stands for (the URL's, then the
/// body's), and one set of `id`/`idPattern`/`type` per entity selector.
pub(super) fn params_of(body: &Json, mut params: Params) -> Result<(Params, Vec<Params>), Fail> {
    let Json::Object(m) = body else { return Err(bad(ErrorType::InvalidRequest, "the body must be a Query object")) };
    if let Some(t) = m.get("type")
        && t != "Query"
    {
        return Err(bad(ErrorType::BadRequestData, "type: a query's body is of type Query"));
    }
    for name in SAME_AS_GET {
        if let Some(v) = m.get(*name) {
            if v.as_array().is_some_and(Vec::is_empty) {
                return Err(bad(ErrorType::BadRequestData, format!("{name}: an empty list")));
            }
            params.insert(name.to_string(), text_of(name, v)?);
        }
    }
    if let Some(g) = m.get("geoQ") {
        let Json::Object(g) = g else { return Err(bad(ErrorType::BadRequestData, "geoQ: an object")) };
        for (member, param) in [("geometry", "geometry"), ("georel", "georel"), ("geoproperty", "geoproperty")] {
            if let Some(v) = g.get(member) {
                params.insert(
                    param.to_string(),
                    v.as_str().ok_or_else(|| bad(ErrorType::BadRequestData, format!("geoQ.{member}: a string")))?.into(),
                );
            }
        }
        // Coordinates: the JSON array itself, or its text.
        if let Some(c) = g.get("coordinates") {
            params.insert("coordinates".into(), c.as_str().map_or_else(|| c.to_string(), str::to_string));
        }
    }
    let mut selectors = Vec::new();
    match m.get("entities") {
        None => {}
        Some(Json::Array(items)) => {
            for item in items {
                let Json::Object(sel) = item else { return Err(bad(ErrorType::BadRequestData, "entities: a list of entity selectors")) };
                let mut one = Params::new();
                for member in ["id", "idPattern", "type"] {
                    if let Some(v) = sel.get(member) {
                        one.insert(member.to_string(), text_of(&format!("entities.{member}"), v)?);
                    }
                }
                if one.is_empty() {
                    return Err(bad(ErrorType::BadRequestData, "an entity selector needs id, idPattern or type"));
                }
                selectors.push(one);
            }
        }
        Some(_) => return Err(bad(ErrorType::BadRequestData, "entities: a list of entity selectors")),
    }
    Ok((params, selectors))
}

/// The entities any of the selectors picks, in id order, a page of them.
/// One selector is `query::select`; several are each asked for the first
/// `offset + limit` (all of them when the count is asked) and merged.
pub(super) async fn select_any(
    store: &Store,
    tenant: &str,
    selectors: &[Selector],
    limit: usize,
    offset: usize,
    count: bool,
) -> Result<(Vec<Entity>, Option<usize>), Fail> {
    if let [one] = selectors {
        return select(store, tenant, one, limit, offset, count).await;
    }
    let each = if count { i64::MAX as usize } else { offset + limit };
    let mut union: BTreeMap<String, Entity> = BTreeMap::new();
    for s in selectors {
        let (found, _) = select(store, tenant, s, each, 0, false).await?;
        for e in found {
            union.entry(e.id.clone()).or_insert(e);
        }
    }
    let total = union.len();
    Ok((union.into_values().skip(offset).take(limit).collect(), count.then_some(total)))
}
