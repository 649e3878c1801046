//! `orderBy` (clause 4.23, v1.9.1): the order of a query's entities, by
//! members each ascending (`;asc`, the default) or descending (`;desc`):
//! `id`, `type`, `createdAt`, `modifiedAt`, an attribute (its default
//! instance's value), or a path into one (`name.subProperty`,
//! `name.createdAt`, `name.observedAt`). No index holds these orders: the
//! query's entities are read (at most [`MAX_SORTED`]) and sorted here, so
//! a query without `orderBy` (or with `orderBy=id`, the order SQL gives)
//! costs nothing more.

use std::cmp::Ordering;
use std::collections::HashMap;

use ngsild::entity::{Attribute, Entity};
use ngsild::problem::ErrorType;
use serde_json::Value as Json;

use super::http::{Fail, Request, bad};
use super::query::{Selector, select};
use crate::store::Store;

/// The most entities an `orderBy` other than `id` sorts; past it the
/// answer is sorted among the first of them in id order.
pub const MAX_SORTED: usize = 10_000;

/// One member to order by: its path (the first name expanded unless a
/// core member) and direction.
struct Key {
    path: Vec<String>,
    desc: bool,
}

/// A query's `orderBy`.
pub struct OrderBy(Vec<Key>);

/// The entity members and the attribute members `orderBy` names as they are.
const CORE: &[&str] = &["id", "type", "createdAt", "modifiedAt"];
const ATTR_MEMBERS: &[&str] = &["createdAt", "modifiedAt", "observedAt"];

impl OrderBy {
    /// From `orderBy`; `None` when absent, or when it asks for the order
    /// ids already come in (`id` ascending).
    pub fn from_params(req: &Request, params: &HashMap<String, String>) -> Result<Option<OrderBy>, Fail> {
        let Some(text) = params.get("orderBy") else { return Ok(None) };
        let mut keys = Vec::new();
        for item in text.split(',') {
            let (path, dir) = item.split_once(';').unwrap_or((item, "asc"));
            let desc = match dir {
                "asc" => false,
                "desc" => true,
                other => return Err(bad(ErrorType::BadRequestData, format!("orderBy: not asc or desc: {other}"))),
            };
            let names: Vec<&str> = path.split('.').collect();
            if names.iter().any(|n| !ngsild::entity::is_valid_name(n)) {
                return Err(bad(ErrorType::BadRequestData, format!("orderBy: not a member path: {path:?}")));
            }
            let path: Vec<String> = names
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    let kept = if i == 0 { CORE.contains(n) && names.len() == 1 } else { ATTR_MEMBERS.contains(n) };
                    if kept { n.to_string() } else { req.ctx.expand(n) }
                })
                .collect();
            keys.push(Key { path, desc });
        }
        let by_id = matches!(keys.as_slice(), [k] if k.path == ["id"] && !k.desc);
        Ok((!by_id).then_some(OrderBy(keys)))
    }

    /// The temporal query's `orderBy` (clause 5.7.4.4): `id` only, in
    /// either direction; whether it is descending.
    pub fn temporal_desc(params: &HashMap<String, String>) -> Result<bool, Fail> {
        match params.get("orderBy").map(String::as_str) {
            None | Some("id" | "id;asc") => Ok(false),
            Some("id;desc") => Ok(true),
            Some(other) => Err(bad(ErrorType::BadRequestData, format!("orderBy: a temporal query is ordered by id only: {other}"))),
        }
    }

    /// Sorts the entities (stable: ties keep their id order).
    pub fn sort(&self, entities: &mut [Entity]) {
        entities.sort_by(|a, b| {
            for k in &self.0 {
                let o = compare(member(a, &k.path), member(b, &k.path));
                let o = if k.desc { o.reverse() } else { o };
                if o != Ordering::Equal {
                    return o;
                }
            }
            Ordering::Equal
        });
    }
}

/// The value a path names in an entity, if it holds one.
fn member(e: &Entity, path: &[String]) -> Option<Json> {
    let first = path.first()?.as_str();
    if path.len() == 1 {
        match first {
            "id" => return Some(Json::String(e.id.clone())),
            "type" => return e.types.first().map(|t| Json::String(t.clone())),
            "createdAt" => return instant(&e.created_at),
            "modifiedAt" => return instant(&e.modified_at),
            _ => {}
        }
    }
    let mut attr: &Attribute = default_instance(e.attrs.get(first)?)?;
    for name in &path[1..] {
        let stamp = match name.as_str() {
            "createdAt" => Some(&attr.created_at),
            "modifiedAt" => Some(&attr.modified_at),
            "observedAt" => Some(&attr.observed_at),
            _ => None,
        };
        if let Some(s) = stamp {
            return instant(s);
        }
        attr = default_instance(attr.sub.get(name)?)?;
    }
    Some(attr.value.clone())
}

/// A DateTime as its microseconds (texts of different precision do not
/// sort as their instants).
fn instant(text: &Option<String>) -> Option<Json> {
    text.as_deref().and_then(ngsild::time::parse_datetime).map(Json::from)
}

fn default_instance(list: &[Attribute]) -> Option<&Attribute> {
    list.iter().find(|a| a.dataset_id.is_none()).or(list.first())
}

/// Numbers by value, then texts, then anything else by its JSON text; an
/// entity without the member comes last.
fn compare(a: Option<Json>, b: Option<Json>) -> Ordering {
    fn rank(v: &Json) -> u8 {
        match v {
            Json::Number(_) => 0,
            Json::String(_) => 1,
            _ => 2,
        }
    }
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => match (&x, &y) {
            (Json::Number(m), Json::Number(n)) => m.as_f64().partial_cmp(&n.as_f64()).unwrap_or(Ordering::Equal),
            (Json::String(m), Json::String(n)) => m.cmp(n),
            _ => rank(&x).cmp(&rank(&y)).then_with(|| x.to_string().cmp(&y.to_string())),
        },
    }
}

/// The page of a query ordered by `order`: its entities (at most
/// [`MAX_SORTED`], in id order) read, sorted, then cut.
pub async fn select_sorted(
    store: &Store,
    tenant: &str,
    s: &Selector,
    order: &OrderBy,
    (limit, offset, count): (usize, usize, bool),
) -> Result<(Vec<Entity>, Option<usize>), Fail> {
    let (mut all, _) = select(store, tenant, s, MAX_SORTED, 0, false).await?;
    order.sort(&mut all);
    let total = all.len();
    Ok((all.into_iter().skip(offset).take(limit).collect(), count.then_some(total)))
}
