//! What of an entity an answer shows (clause 4.21, and 4.15 for `lang`):
//! `pick` (only these members), `omit` (all but these), `attrs` (the
//! older way to pick attributes; `id` and `type` always shown; not with
//! `pick` or `omit`), and `lang` (each LanguageProperty as the Property of
//! its best language), `datasetId` (only the instances of these
//! datasets, `@none` the default one). `locatedAt{id,name}` in `pick` or `omit` is about
//! the entity `locatedAt` links to (`join`); in `omit` it keeps
//! `locatedAt` itself. Used by
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

/// One name of a `pick` or `omit` list (expanded unless a core member),
/// with the list for the entity it links to (`name{...}`), if given.
#[derive(Clone, Debug, PartialEq)]
struct Member {
    name: String,
    linked: Option<Vec<Member>>,
}

impl Member {
    /// How many links deep its braces go (`a`: 0, `a{b{c}}`: 2).
    fn depth(&self) -> usize {
        self.linked.as_ref().map_or(0, |l| 1 + l.iter().map(Member::depth).max().unwrap_or(0))
    }
}

/// A request's projection, attribute names expanded.
#[derive(Default)]
pub struct Projection {
    /// Members to show: attributes and core members; none: all.
    pick: Option<Vec<Member>>,
    /// Members to leave out.
    omit: Vec<Member>,
    lang: Option<LanguageFilter>,
    /// `datasetId`: the instances to show (`None` in the list: the default
    /// instance, `@none`); an attribute left with none is not shown.
    datasets: Option<DatasetFilter>,
}

/// `datasetId=a,b,@none` (clause 4.5.5): which instances of each attribute
/// an answer shows, `None` standing for the default instance.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DatasetFilter(Vec<Option<String>>);

impl DatasetFilter {
    /// From the parameter's text; an empty list filters nothing.
    pub fn parse(text: &str) -> Option<DatasetFilter> {
        let ids: Vec<Option<String>> =
            text.split(',').map(str::trim).filter(|i| !i.is_empty()).map(|i| (i != "@none").then(|| i.to_string())).collect();
        (!ids.is_empty()).then_some(DatasetFilter(ids))
    }

    /// The datasetIds asked for (`None`: the default instance).
    pub fn ids(&self) -> impl Iterator<Item = Option<&str>> {
        self.0.iter().map(Option::as_deref)
    }

    /// Whether an instance of this datasetId (`None`: the default) is shown.
    pub fn keeps(&self, dataset_id: Option<&str>) -> bool {
        self.0.iter().any(|d| d.as_deref() == dataset_id)
    }

    /// The attributes' instances it keeps; attributes left empty go.
    pub fn apply(&self, attrs: &mut ngsild::entity::Attributes) {
        for list in attrs.values_mut() {
            list.retain(|a| self.keeps(a.dataset_id.as_deref()));
        }
        attrs.retain(|_, list| !list.is_empty());
    }
}

/// Reads `a,b{c,d{e}},f` (clause 4.21's grammar): names separated by
/// commas, each followed by an optional braced list; nothing empty.
fn parse_members(text: &str, expand: &dyn Fn(&str) -> String) -> Result<Vec<Member>, String> {
    fn list(chars: &[char], at: &mut usize, expand: &dyn Fn(&str) -> String, depth: usize) -> Result<Vec<Member>, String> {
        let mut out = Vec::new();
        loop {
            let start = *at;
            while *at < chars.len() && !matches!(chars[*at], ',' | '|' | '{' | '}') {
                *at += 1;
            }
            let name: String = chars[start..*at].iter().collect();
            if !ngsild::entity::is_valid_name(&name) {
                return Err(format!("not a member name at position {start}: {name:?}"));
            }
            let name = if CORE_MEMBERS.contains(&name.as_str()) { name } else { expand(&name) };
            let mut linked = None;
            if chars.get(*at) == Some(&'{') {
                *at += 1;
                linked = Some(list(chars, at, expand, depth + 1)?);
                if chars.get(*at) != Some(&'}') {
                    return Err(format!("a brace is not closed at position {}", *at));
                }
                *at += 1;
            }
            out.push(Member { name, linked });
            match chars.get(*at) {
                // `|` separates as `,` does (clause 4.21).
                Some(',' | '|') => *at += 1,
                Some('}') if depth > 0 => return Ok(out),
                None if depth == 0 => return Ok(out),
                _ => return Err(format!("unexpected character at position {}", *at)),
            }
        }
    }
    let chars: Vec<char> = text.chars().collect();
    list(&chars, &mut 0, expand, 0)
}

fn members(req: &Request, param: &str, text: &str) -> Result<Vec<Member>, Fail> {
    parse_members(text, &|n| req.ctx.expand(n)).map_err(|e| bad(ErrorType::BadRequestData, format!("{param}: {e}")))
}

impl Projection {
    /// From `pick`, `omit`, `attrs` and `lang` (the URL's, or a POST query's body turned into them).
    pub fn from_params(req: &Request, params: &HashMap<String, String>) -> Result<Projection, Fail> {
        let given = |k: &str| params.contains_key(k);
        if given("pick") && given("omit") {
            return Err(bad(ErrorType::BadRequestData, "pick and omit cannot be given together"));
        }
        if given("attrs") && (given("pick") || given("omit")) {
            return Err(bad(ErrorType::BadRequestData, "attrs cannot be given with pick or omit (pick replaces it)"));
        }
        let pick = params.get("pick").map(|p| members(req, "pick", p)).transpose()?;
        let omit = params.get("omit").map(|o| members(req, "omit", o)).transpose()?.unwrap_or_default();
        // Braces are about linked entities: only with `join`, and no deeper than `joinLevel`.
        let depth = pick.iter().flatten().chain(&omit).map(Member::depth).max().unwrap_or(0);
        if depth > 0 {
            let Some(_) = params.get("join") else {
                return Err(bad(ErrorType::BadRequestData, "pick/omit: a linked entity's members need join"));
            };
            let level = params.get("joinLevel").and_then(|l| l.parse::<usize>().ok()).unwrap_or(1);
            if depth > level {
                return Err(bad(ErrorType::BadRequestData, format!("pick/omit: nested {depth} deep, past joinLevel {level}")));
            }
        }
        // `attrs` picks attributes; the entity's id and type stay.
        let attrs = params.get("attrs").map(|a| {
            let mut n: Vec<Member> = a
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty() && !CORE_MEMBERS.contains(n))
                .map(|n| Member { name: req.ctx.expand(n), linked: None })
                .collect();
            n.extend(CORE_MEMBERS.iter().map(|c| Member { name: c.to_string(), linked: None }));
            n
        });
        let pick = pick.or(attrs);
        let lang = params.get("lang").map(|l| LanguageFilter::parse(l)).transpose().map_err(|e| Fail::Problem(e.into()))?;
        let datasets = params.get("datasetId").and_then(|d| DatasetFilter::parse(d));
        Ok(Projection { pick, omit, lang, datasets })
    }

    /// What the entity `attr` (expanded) links to shows (`join`): the
    /// braced lists after `attr`, else all of it; in the language asked.
    pub fn for_linked(&self, attr: &str) -> Projection {
        let inner = |list: &[Member]| list.iter().find(|m| m.name == attr).and_then(|m| m.linked.clone());
        Projection {
            pick: self.pick.as_deref().and_then(inner),
            omit: inner(&self.omit).unwrap_or_default(),
            lang: self.lang.clone(),
            datasets: self.datasets.clone(),
        }
    }

    /// Whether the member `name` (expanded, or `id`/`type`/`scope`) is shown.
    pub fn shows(&self, name: &str) -> bool {
        self.pick.as_ref().is_none_or(|p| p.iter().any(|m| m.name == name))
            // `omit=a{b}` leaves out `b` of what `a` links to, not `a`.
            && !self.omit.iter().any(|m| m.name == name && m.linked.is_none())
    }

    /// Whether the entity would be shown with nothing of it: no attribute
    /// and no core member, or (`attrs_asked`: `attrs` was given) none of
    /// the attributes asked for. A retrieve answers 404 then (the suite's
    /// 018_03_02, 018_19_*), a query leaves the entity out.
    pub fn hides_all(&self, e: &Entity, attrs_asked: bool) -> bool {
        if e.attrs.keys().any(|n| self.shows(n)) {
            return false;
        }
        attrs_asked || !(self.shows("id") || self.shows("type") || (e.scope.is_some() && self.shows("scope")))
    }

    /// The entity (names expanded, as stored) as the request asked to see it.
    pub fn render(&self, req: &Request, e: &Entity, opts: Options) -> Json {
        let mut e = e.clone();
        e.attrs.retain(|name, _| self.shows(name));
        if let Some(d) = &self.datasets {
            d.apply(&mut e.attrs);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<Member>, String> {
        parse_members(text, &|n| format!("x:{n}"))
    }

    fn m(name: &str, linked: Option<Vec<Member>>) -> Member {
        Member { name: name.into(), linked }
    }

    #[test]
    fn member_lists_nest_in_braces() {
        assert_eq!(read("id,name").unwrap(), [m("id", None), m("x:name", None)]);
        assert_eq!(
            read("id,locatedAt{id,name,isInCountry{description}}").unwrap(),
            [
                m("id", None),
                m("x:locatedAt", Some(vec![m("id", None), m("x:name", None), m("x:isInCountry", Some(vec![m("x:description", None)]))]))
            ]
        );
        // The ETSI suite's refusals (018_18_04..09).
        for bad in
            ["id;name", "id,locatedAt{name", "id,locatedAt{{name}", "id,,name", "id,locatedAt{,name}", "id,locatedAt{}", "", "a}", "a{b}c"]
        {
            assert!(read(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
