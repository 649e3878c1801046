//! `DELETE /ngsi-ld/v1/entities?type=...` (Purge Entities, clause 5.6.21 of
//! v1.9.1): the entities a query selects are deleted, or (`drop`) lose the
//! attributes named, or (`keep`) every attribute but those. A purge must
//! name what it deletes: a type, a non-system attribute (`attrs` or `q`), a
//! geo-query, or `local=true`; an id or an idPattern alone is too wide (a
//! match-all pattern must not become a region-wide delete). Each entity is
//! changed through `write::apply`, so subscribers hear of it.

use std::collections::HashMap;

use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use ngsild::problem::{ErrorType, Problem};

use super::http::{self, Answer, bad};
use super::query::{self, Selector};
use super::write::{self, Change, Step};
use crate::web::ctx::Ctx;

/// The attributes every entity has from the broker: not a purge's filter.
const SYSTEM_ATTRS: &[&str] = &["id", "type", "createdAt", "modifiedAt", "deletedAt", "observedAt", "scope"];

/// Entities changed per transaction.
const PAGE: usize = 500;

/// What a purge does to each entity it selects.
enum Purge {
    Delete,
    Drop(Vec<String>),
    Keep(Vec<String>),
}

fn names_of(list: &str) -> Vec<String> {
    list.split(',').map(str::trim).filter(|n| !n.is_empty()).map(str::to_string).collect()
}

fn is_user_attr(name: &str) -> bool {
    !SYSTEM_ATTRS.contains(&name)
}

/// `DELETE /entities` with a query.
pub async fn purge(ctx: Ctx, headers: HeaderMap, Query(params): Query<HashMap<String, String>>) -> Answer {
    http::writer_first(&ctx, &headers).await?;
    let req = http::request(&ctx, &headers, None).await?;
    let linked = |k: &str| params.get(k).is_some_and(|v| v.contains(['{', '}']));
    if linked("q") || linked("attrs") {
        return Err(bad(ErrorType::BadRequestData, "a purge cannot follow linked entities (q or attrs with {...})"));
    }
    let attrs = params.get("attrs").map(|a| names_of(a)).unwrap_or_default();
    let q_names = match params.get("q") {
        None => Vec::new(),
        Some(q) => {
            let names = std::cell::RefCell::new(Vec::new());
            ngsild::q::parse(q)?.map_names(&|n| {
                names.borrow_mut().push(n.split(['.', '[']).next().unwrap_or(n).to_string());
                n.to_string()
            });
            names.into_inner()
        }
    };
    let qualified = params.contains_key("type")
        || params.contains_key("georel")
        || params.get("local").is_some_and(|l| l == "true")
        || attrs.iter().any(|a| is_user_attr(a))
        || q_names.iter().any(|n| is_user_attr(n));
    if !qualified {
        return Err(bad(ErrorType::BadRequestData, "a purge needs type, a non-system attribute in attrs or q, a geo-query, or local=true"));
    }
    let expand = |list: &str| names_of(list).iter().map(|n| req.ctx.expand(n)).collect::<Vec<_>>();
    let what = match (params.get("keep"), params.get("drop")) {
        (Some(_), Some(_)) => return Err(bad(ErrorType::BadRequestData, "keep and drop cannot be given together")),
        (Some(k), None) => Purge::Keep(expand(k)),
        (None, Some(d)) => Purge::Drop(expand(d)),
        (None, None) => Purge::Delete,
    };
    let selector = Selector::from_params(&req, &params)?;
    let wanted: Vec<String> = attrs.iter().map(|a| req.ctx.expand(a)).collect();
    let now = http::now(&ctx.app.store).0;
    let mut offset = 0;
    loop {
        let (page, _) = query::select(&ctx.app.store, &req.tenant, &selector, PAGE, offset, false).await?;
        if page.is_empty() {
            break;
        }
        let seen = page.len();
        let steps: Vec<(String, Step)> = page
            .into_iter()
            .filter(|e| wanted.is_empty() || wanted.iter().any(|a| e.attrs.contains_key(a)))
            .map(|e| (e.id.clone(), step(&what, now.clone())))
            .collect();
        let removed = matches!(what, Purge::Delete) && !steps.is_empty();
        write::apply(&ctx.app.store, &req.tenant, steps).await?;
        // Deleted entities leave the selection; changed or skipped ones stay in it.
        if !removed {
            offset += seen;
        }
        if seen < PAGE && !removed {
            break;
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn step(what: &Purge, now: String) -> Step {
    let what = match what {
        Purge::Delete => None,
        Purge::Drop(d) => Some((d.clone(), false)),
        Purge::Keep(k) => Some((k.clone(), true)),
    };
    Box::new(move |held| {
        let Some(mut e) = held else { return Err(Problem::new(ErrorType::ResourceNotFound, "deleted meanwhile")) };
        let Some((names, keep)) = what else { return Ok(Change::Delete) };
        let before = e.attrs.len();
        e.attrs.retain(|name, _| names.contains(name) == keep);
        if e.attrs.len() != before {
            e.modified_at = Some(now);
        }
        Ok(Change::Put { entity: Box::new(e), touched: vec![], outcome: Default::default() })
    })
}
