//! The `lang` parameter (clause 4.15): a LanguageProperty answered in one
//! language. `lang` is a list of language ranges as in `Accept-Language`
//! (`fr-CH,fr;q=0.9,en;q=0.8,*;q=0.5`); each LanguageProperty becomes a
//! Property whose `value` is the string of the best language it has, with
//! that language in `lang`.
//!
//! The best language: ranges by weight (equal weights in the order given,
//! `q=0` refuses); a range picks the language equal to it (case ignored) or
//! one below it (`fr` picks `fr-CH`), `*` the first language the map has.
//! When no range picks one: the `@none` entry, else the map's first.

use std::fmt;

use serde_json::{Map, Value as Json};

use crate::entity::{AttrKind, Attributes};
use crate::problem::{ErrorType, Problem};

/// A parsed `lang`.
#[derive(Clone, Debug, PartialEq)]
pub struct LanguageFilter {
    /// Ranges, heaviest first, weight 0 left out.
    ranges: Vec<String>,
}

/// A `lang` that does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LangError(pub String);

impl fmt::Display for LangError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lang: not a list of language ranges: {:?}", self.0)
    }
}

impl std::error::Error for LangError {}

impl From<LangError> for Problem {
    fn from(e: LangError) -> Problem {
        Problem::new(ErrorType::BadRequestData, e.to_string())
    }
}

fn valid_range(r: &str) -> bool {
    r == "*" || (!r.is_empty() && r.split('-').all(|p| !p.is_empty() && p.len() <= 8 && p.chars().all(|c| c.is_ascii_alphanumeric())))
}

impl LanguageFilter {
    pub fn parse(text: &str) -> Result<LanguageFilter, LangError> {
        let fail = || LangError(text.to_string());
        let mut weighted: Vec<(String, f32)> = Vec::new();
        for item in text.split(',') {
            let mut parts = item.split(';').map(str::trim);
            let range = parts.next().unwrap_or_default();
            if !valid_range(range) {
                return Err(fail());
            }
            let mut weight = 1.0;
            for p in parts {
                let w = p.strip_prefix("q=").and_then(|w| w.parse::<f32>().ok()).filter(|w| (0.0..=1.0).contains(w)).ok_or_else(fail)?;
                weight = w;
            }
            if weight > 0.0 {
                weighted.push((range.to_string(), weight));
            }
        }
        // A stable sort: equal weights keep the order given.
        weighted.sort_by(|a, b| b.1.total_cmp(&a.1));
        Ok(LanguageFilter { ranges: weighted.into_iter().map(|(r, _)| r).collect() })
    }

    /// The best language of a language map and its string (none for an empty map).
    pub fn best<'a>(&self, map: &'a Map<String, Json>) -> Option<(&'a str, &'a Json)> {
        for range in &self.ranges {
            let hit = map.iter().find(|(tag, _)| {
                let tag = tag.to_ascii_lowercase();
                let range = range.to_ascii_lowercase();
                if range == "*" {
                    tag != "@none"
                } else {
                    tag == range || tag.strip_prefix(&range).is_some_and(|rest| rest.starts_with('-'))
                }
            });
            if let Some((tag, v)) = hit {
                return Some((tag.as_str(), v));
            }
        }
        map.get_key_value("@none").or_else(|| map.iter().next()).map(|(k, v)| (k.as_str(), v))
    }

    /// Every LanguageProperty of `attrs` (sub-attributes too) as the
    /// Property of its best language, `lang` naming it.
    pub fn apply(&self, attrs: &mut Attributes) {
        for a in attrs.values_mut().flatten() {
            self.apply(&mut a.sub);
            if a.kind != AttrKind::LanguageProperty {
                continue;
            }
            let Some((tag, value)) = a.value.as_object().and_then(|m| self.best(m)).map(|(t, v)| (t.to_string(), v.clone())) else {
                continue;
            };
            a.kind = AttrKind::Property;
            a.value = value;
            a.lang = (tag != "@none").then_some(tag);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::entity::{Entity, Form, Render};

    fn street() -> Map<String, Json> {
        json!({"fr": "Grand Place", "nl": "Grote Markt"}).as_object().unwrap().clone()
    }

    fn best(lang: &str) -> Option<String> {
        LanguageFilter::parse(lang).unwrap().best(&street()).map(|(t, _)| t.to_string())
    }

    #[test]
    fn ranges_as_the_etsi_suite_sends_them() {
        assert_eq!(best("fr").as_deref(), Some("fr"));
        assert_eq!(best("fr-CH,fr").as_deref(), Some("fr"));
        assert_eq!(best("*").as_deref(), Some("fr"));
        assert_eq!(best("fr-CH,fr;q=0.9,en;q=0.8,*;q=0.5").as_deref(), Some("fr"));
        assert_eq!(best("en;q=0.2,nl;q=0.9").as_deref(), Some("nl"), "weights before order");
        assert_eq!(best("NL").as_deref(), Some("nl"), "case is ignored");
        assert_eq!(best("nl;q=0,fr").as_deref(), Some("fr"), "q=0 refuses");
    }

    #[test]
    fn a_range_picks_the_languages_below_it() {
        let m = json!({"de-CH": "Grüezi", "en": "Hello", "@none": "Hi"}).as_object().unwrap().clone();
        assert_eq!(LanguageFilter::parse("de").unwrap().best(&m).unwrap().0, "de-CH");
        assert_eq!(LanguageFilter::parse("d").unwrap().best(&m).unwrap().0, "@none", "a prefix is not a range");
    }

    #[test]
    fn no_match_falls_back_to_none_then_the_first() {
        let with_none = json!({"fr": "Grand Place", "@none": "Grote Markt"}).as_object().unwrap().clone();
        assert_eq!(LanguageFilter::parse("ja").unwrap().best(&with_none).unwrap().0, "@none");
        assert_eq!(best("ja").as_deref(), Some("fr"));
        assert!(LanguageFilter::parse("ja").unwrap().best(&Map::new()).is_none());
    }

    #[test]
    fn refusals() {
        for bad in ["", "fr;q=2", "fr;q=x", "fr_FR", "fr,,en", "toolongsubtag"] {
            assert!(LanguageFilter::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn language_properties_become_properties() {
        let body = json!({
            "id": "urn:ngsi-ld:Building:1", "type": "Building",
            "street": {"type": "LanguageProperty", "languageMap": {"fr": "Grand Place", "nl": "Grote Markt"},
                "alias": {"type": "LanguageProperty", "languageMap": {"nl": "Markt", "@none": "Place"}}},
            "name": {"type": "Property", "value": "x"}
        });
        let mut e = Entity::parse(&body, Form::Normalized).unwrap();
        LanguageFilter::parse("fr").unwrap().apply(&mut e.attrs);
        let out = e.to_normalized(Render::default());
        assert_eq!(out["street"]["type"], "Property");
        assert_eq!(out["street"]["value"], "Grand Place");
        assert_eq!(out["street"]["lang"], "fr");
        assert_eq!(out["street"]["alias"], json!({"type": "Property", "value": "Place"}), "@none names no language");
        assert_eq!(out["name"], json!({"type": "Property", "value": "x"}));
        assert_eq!(e.to_key_values(None)["street"], "Grand Place");
        assert_eq!(e.to_concise(Render::default())["street"]["lang"], "fr");
    }
}
