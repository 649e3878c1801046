//! What of an entity an answer shows (clause 4.21, and 4.15 for `lang`):
//! `pick` (only these members), `omit` (all but these), `attrs` (the
//! older way to pick attributes; `id` and `type` always shown), and `lang`
//! (each LanguageProperty as the Property of its best language). Used by
//! retrieve, query (GET and POST) and through them by nothing else: the
//! entity is projected with expanded names, then written by
//! [`super::entities::render`].

use std::collections::HashMap;

use ngsild::entity::Entity;
use ngsild::lang::LanguageFilter;
use ngsild::problem::ErrorType;
use serde_json::Value as Json;

use super::entities::render;
use super::http::{Fail, Options, Request, bad};

/// The entity members `pick` and `omit` name besides attributes.
const CORE_MEMBERS: &[&str] = &["id", "type", "scope"];

/// A request's projection, attribute names expanded.
#[derive(Default)]
pub struct Projection {
    /// Members to show: attributes (expanded) and core members; none: all.
    pick: Option<Vec<String>>,
    /// Members to leave out.
    omit: Vec<String>,
    lang: Option<LanguageFilter>,
}

fn names(req: &Request, text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| if CORE_MEMBERS.contains(&n) { n.to_string() } else { req.ctx.expand(n) })
        .collect()
}

impl Projection {
    /// From `pick`, `omit`, `attrs` and `lang` (the URL's, or a POST query's body turned into them).
    pub fn from_params(req: &Request, params: &HashMap<String, String>) -> Result<Projection, Fail> {
        let pick = params.get("pick").map(|p| names(req, p));
        let omit = params.get("omit").map(|o| names(req, o)).unwrap_or_default();
        if pick.is_some() && params.contains_key("omit") {
            return Err(bad(ErrorType::BadRequestData, "pick and omit cannot be given together"));
        }
        // `attrs` picks attributes; the entity's id and type stay.
        let attrs = params.get("attrs").map(|a| {
            let mut n = names(req, a);
            n.retain(|x| !CORE_MEMBERS.contains(&x.as_str()));
            n.extend(["id", "type", "scope"].map(String::from));
            n
        });
        let pick = match (pick, attrs) {
            // Both: what both pick.
            (Some(p), Some(a)) => Some(p.into_iter().filter(|n| a.contains(n)).collect()),
            (p, a) => p.or(a),
        };
        let lang = params.get("lang").map(|l| LanguageFilter::parse(l)).transpose().map_err(|e| Fail::Problem(e.into()))?;
        Ok(Projection { pick, omit, lang })
    }

    /// What a linked entity (`join`) shows: all of it, in the language asked.
    pub fn for_linked(&self) -> Projection {
        Projection { pick: None, omit: Vec::new(), lang: self.lang.clone() }
    }

    fn shows(&self, name: &str) -> bool {
        self.pick.as_ref().is_none_or(|p| p.iter().any(|n| n == name)) && !self.omit.iter().any(|n| n == name)
    }

    /// The entity (names expanded, as stored) as the request asked to see it.
    pub fn render(&self, req: &Request, e: &Entity, opts: Options) -> Json {
        let mut e = e.clone();
        e.attrs.retain(|name, _| self.shows(name));
        if let Some(lang) = &self.lang {
            lang.apply(&mut e.attrs);
        }
        let mut out = render(req, &e, opts, None);
        // The core members; a GeoJSON Feature keeps its own shape.
        if let Json::Object(m) = &mut out
            && !req.geo_out
        {
            for member in CORE_MEMBERS {
                if !self.shows(member) {
                    m.remove(*member);
                }
            }
        }
        out
    }
}
