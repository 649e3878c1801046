//! Linked entity retrieval (clause 4.5.23): `join=inline` puts the entity a
//! Relationship names inside it (`"entity": {...}`; in the simplified form
//! the entity is the attribute's value), `join=flat` answers the linked
//! entities after those asked for, each once; `joinLevel` (1 by default)
//! follows links of linked entities that many times. A Relationship whose
//! entity does not exist (or is another tenant's) stays as it is.
//! Linked entities are read a level at a time (one read per level).

use std::collections::HashMap;

use ngsild::entity::{AttrKind, Entity};
use ngsild::problem::ErrorType;
use serde_json::Value as Json;

use super::http::{Fail, Options, Request, bad};
use super::projection::Projection;
use super::repo;
use crate::store::Store;

/// How deep `joinLevel` may go (each level is one read).
pub const MAX_LEVEL: usize = 8;

pub struct Join {
    inline: bool,
    level: usize,
}

impl Join {
    /// `join` and `joinLevel`; none for `join=@none` or no `join`.
    pub fn from_params(params: &HashMap<String, String>) -> Result<Option<Join>, Fail> {
        let level = match params.get("joinLevel") {
            None => 1,
            Some(l) => l
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_LEVEL).contains(n))
                .ok_or_else(|| bad(ErrorType::BadRequestData, format!("joinLevel: a whole number from 1 to {MAX_LEVEL}: {l}")))?,
        };
        match params.get("join").map(String::as_str) {
            None | Some("@none") => Ok(None),
            Some("inline") => Ok(Some(Join { inline: true, level })),
            Some("flat") => Ok(Some(Join { inline: false, level })),
            Some(other) => Err(bad(ErrorType::BadRequestData, format!("join: flat, inline or @none, not {other}"))),
        }
    }

    /// Flat: linked entities come after those asked for.
    pub fn is_flat(&self) -> bool {
        !self.inline
    }
}

/// The answers of `entities` (stored, names expanded), each as `shown`;
/// joined when asked: their linked entities inline, or after them when flat.
pub async fn render_all(
    join: Option<&Join>,
    store: &Store,
    req: &Request,
    shown: &Projection,
    opts: Options,
    entities: &[Entity],
) -> Result<Vec<Json>, Fail> {
    let Some(join) = join else { return Ok(entities.iter().map(|e| shown.render(req, e, opts)).collect()) };
    let (held, order) = linked(store, &req.tenant, entities, join.level).await?;
    if join.inline {
        return Ok(entities.iter().map(|e| inline(req, shown, opts, e, &held, join.level)).collect());
    }
    let mut out: Vec<Json> = entities.iter().map(|e| shown.render(req, e, opts)).collect();
    let roots: Vec<&str> = entities.iter().map(|e| e.id.as_str()).collect();
    for (id, path) in &order {
        let Some(e) = held.get(id).filter(|_| !roots.contains(&id.as_str())) else { continue };
        // Shown as the braces along the first path that reached it say;
        // not at all when a link of that path is not shown (019_20_02).
        let mut linked_shown = None;
        for name in path {
            let from = linked_shown.as_ref().unwrap_or(shown);
            if !from.shows(name) {
                linked_shown = None;
                break;
            }
            linked_shown = Some(from.for_linked(name));
        }
        if let Some(linked_shown) = linked_shown {
            out.push(linked_shown.render(req, e, opts));
        }
    }
    Ok(out)
}

/// One entity's answer (retrieve): an array of it and its linked entities
/// when flat and some were found, else the entity alone (018_14_02).
pub async fn render_one(
    join: Option<&Join>,
    store: &Store,
    req: &Request,
    shown: &Projection,
    opts: Options,
    e: &Entity,
) -> Result<Json, Fail> {
    let mut all = render_all(join, store, req, shown, opts, std::slice::from_ref(e)).await?;
    Ok(if join.is_some_and(Join::is_flat) && all.len() > 1 { Json::Array(all) } else { all.swap_remove(0) })
}

/// The ids an entity's Relationships name, by attribute (expanded), in order.
pub fn links(e: &Entity) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    for (name, instances) in &e.attrs {
        for a in instances {
            match (a.kind, &a.value) {
                (AttrKind::Relationship, Json::String(id)) => out.push((name.as_str(), id.as_str())),
                (AttrKind::Relationship, Json::Array(ids)) => out.extend(ids.iter().filter_map(Json::as_str).map(|id| (name.as_str(), id))),
                _ => {}
            }
        }
    }
    out
}

/// An entity reached by `join`, and the attribute names (expanded) of the
/// first path of links that reached it.
pub type Reached = (String, Vec<String>);

/// The entities reachable from `roots` within `level` links, and their ids
/// in the order they were reached, each with its path.
pub async fn linked(store: &Store, tenant: &str, roots: &[Entity], level: usize) -> Result<(HashMap<String, Entity>, Vec<Reached>), Fail> {
    let mut held: HashMap<String, Entity> = HashMap::new();
    let mut order: Vec<Reached> = Vec::new();
    let mut frontier: Vec<Reached> =
        roots.iter().flat_map(|e| links(e).into_iter().map(|(name, id)| (id.to_string(), vec![name.to_string()]))).collect();
    for _ in 0..level {
        let want: Vec<&str> = frontier.iter().map(|(id, _)| id.as_str()).filter(|id| !held.contains_key(*id)).collect();
        if want.is_empty() {
            break;
        }
        let mut got = repo::load_many(store, tenant, &want).await?;
        let mut next = Vec::new();
        for (id, path) in &frontier {
            let Some(e) = got.remove(id) else { continue };
            next.extend(links(&e).into_iter().map(|(name, l)| (l.to_string(), [path.clone(), vec![name.to_string()]].concat())));
            order.push((id.clone(), path.clone()));
            held.insert(id.clone(), e);
        }
        frontier = next;
    }
    Ok((held, order))
}

/// An entity as shown, each Relationship holding its entity, `level` deep.
fn inline(req: &Request, shown: &Projection, opts: Options, e: &Entity, held: &HashMap<String, Entity>, level: usize) -> Json {
    let mut out = shown.render(req, e, opts);
    if level == 0 {
        return out;
    }
    for (name, id) in links(e) {
        let Some(target) = held.get(id) else { continue };
        let Some(attr) = out.get_mut(req.ctx.compact(name)) else { continue };
        attach(attr, id, inline(req, &shown.for_linked(name), opts, target, held, level - 1));
    }
    out
}

/// Puts a linked entity into the written Relationship that names `id`: as
/// its `entity`, or in the simplified form as the attribute's value.
pub fn attach(attr: &mut Json, id: &str, entity: Json) {
    if attr.as_str() == Some(id) {
        *attr = entity;
    } else if let Json::Object(m) = attr
        && m.get("object").and_then(Json::as_str) == Some(id)
    {
        m.insert("entity".into(), entity);
    }
}
