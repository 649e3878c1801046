//! Scopes (clause 4.18) and the scope query language `scopeQ` (clause
//! 4.19): an entity's `scope` is a list of hierarchical paths
//! (`/Madrid/Gardens/ParqueNorte`); a query names paths, where `+` stands
//! for any one level and a final `#` for any number of levels below (the
//! path itself included), `,` is OR and `;` AND (AND binds tighter).
//! A path matches an entity when any of its scopes matches it.

use std::fmt;

use serde_json::Value as Json;

use crate::problem::{ErrorType, Problem};

/// One level of a scope path in a query.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Level {
    Name(String),
    /// `+`: any one level.
    Any,
}

/// A path of a query: its levels, and whether a `#` ends it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Pattern {
    levels: Vec<Level>,
    below: bool,
}

/// A parsed `scopeQ`: an OR of AND-groups of paths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeQuery {
    any_of: Vec<Vec<Pattern>>,
}

/// A `scopeQ` or a `scope` that is not one: the text and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeError {
    pub text: String,
    pub reason: &'static str,
}

impl fmt::Display for ScopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "scope {:?}: {}", self.text, self.reason)
    }
}

impl std::error::Error for ScopeError {}

impl From<ScopeError> for Problem {
    fn from(e: ScopeError) -> Problem {
        Problem::new(ErrorType::BadRequestData, e.to_string())
    }
}

/// Whether a name may be one level of a scope: not empty, none of the
/// query's own characters, no spaces.
fn valid_level(level: &str) -> bool {
    !level.is_empty() && !level.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '+' | '#' | ',' | ';' | '/' | '(' | ')'))
}

/// Checks one scope of an entity (`/a/b`): a leading `/`, then levels.
pub fn check_scope(text: &str) -> Result<(), ScopeError> {
    let fail = |reason| Err(ScopeError { text: text.to_string(), reason });
    let Some(rest) = text.strip_prefix('/') else { return fail("a scope starts with /") };
    if rest.split('/').all(valid_level) { Ok(()) } else { fail("every level of a scope is a non-empty name without + # , ; or spaces") }
}

/// The scopes of an entity's `scope` member (a string or a list of them).
pub fn scopes_of(scope: Option<&Json>) -> Vec<&str> {
    match scope {
        Some(Json::String(s)) => vec![s.as_str()],
        Some(Json::Array(items)) => items.iter().filter_map(Json::as_str).collect(),
        _ => Vec::new(),
    }
}

impl ScopeQuery {
    pub fn parse(text: &str) -> Result<ScopeQuery, ScopeError> {
        let fail = |reason| ScopeError { text: text.to_string(), reason };
        let mut any_of = Vec::new();
        for group in text.split(',') {
            let mut all_of = Vec::new();
            for path in group.split(';') {
                let path = path.trim();
                let Some(rest) = path.strip_prefix('/') else { return Err(fail("every path of a scopeQ starts with /")) };
                let mut parts: Vec<&str> = rest.split('/').collect();
                let below = parts.last() == Some(&"#");
                if below {
                    parts.pop();
                }
                // `/#` alone: any scope at all.
                if below && parts == [""] {
                    parts.clear();
                }
                let mut levels = Vec::new();
                for p in parts {
                    levels.push(match p {
                        "+" => Level::Any,
                        p if valid_level(p) => Level::Name(p.to_string()),
                        _ => return Err(fail("a level is a name, + (any one level), or a final # (any levels below)")),
                    });
                }
                if levels.is_empty() && !below {
                    return Err(fail("a path names at least one level"));
                }
                all_of.push(Pattern { levels, below });
            }
            any_of.push(all_of);
        }
        Ok(ScopeQuery { any_of })
    }

    /// Whether an entity with these scopes is selected.
    pub fn matches(&self, scopes: &[&str]) -> bool {
        self.any_of.iter().any(|all| all.iter().all(|p| scopes.iter().any(|s| p.matches(s))))
    }
}

impl Pattern {
    fn matches(&self, scope: &str) -> bool {
        let Some(rest) = scope.strip_prefix('/') else { return false };
        let levels: Vec<&str> = rest.split('/').collect();
        let fits = |n: usize| {
            self.levels.iter().zip(&levels[..n]).all(|(l, s)| match l {
                Level::Any => true,
                Level::Name(name) => name == s,
            })
        };
        if self.below {
            levels.len() >= self.levels.len() && fits(self.levels.len())
        } else {
            levels.len() == self.levels.len() && fits(levels.len())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str) -> ScopeQuery {
        ScopeQuery::parse(text).unwrap()
    }

    /// The ETSI suite's two entities (019_01_06): one in one scope, one in two.
    const ONE: &[&str] = &["/Madrid/Gardens/ParqueNorte"];
    const TWO: &[&str] = &["/Madrid/Gardens/ParqueNorte", "/CompanyA/OrganizationB/UnitC"];

    #[test]
    fn paths_levels_and_wildcards() {
        assert!(q("/Madrid/Gardens/ParqueNorte").matches(ONE));
        assert!(!q("/Madrid/Gardens").matches(ONE), "a path without # names that level only");
        assert!(q("/Madrid/+/ParqueNorte").matches(ONE));
        assert!(!q("/Madrid/+").matches(ONE));
        assert!(q("/Madrid/#").matches(ONE));
        assert!(q("/Madrid/Gardens/ParqueNorte/#").matches(ONE), "# includes the path itself");
        assert!(!q("/CompanyA/#").matches(ONE));
        assert!(q("/CompanyA/#").matches(TWO));
        assert!(q("/#").matches(ONE));
        assert!(!q("/#").matches(&[]), "/# asks for a scope, any");
        assert!(q("/+/+/UnitC").matches(TWO));
    }

    #[test]
    fn and_or() {
        let both = q("/Madrid/Gardens/ParqueNorte;/CompanyA/OrganizationB/UnitC");
        assert!(!both.matches(ONE));
        assert!(both.matches(TWO));
        let either = q("/Madrid/Gardens/ParqueNorte,/CompanyA/OrganizationB/UnitC");
        assert!(either.matches(ONE) && either.matches(TWO));
        assert!(q("/Nowhere,/CompanyA/#;/Madrid/#").matches(TWO));
        assert!(!q("/Nowhere,/CompanyA/#;/Madrid/#").matches(ONE));
    }

    #[test]
    fn refusals() {
        for bad in ["", "Madrid", "/", "/a//b", "/a/#/b", "/a b", "/a/b#", "/a/+b"] {
            assert!(ScopeQuery::parse(bad).is_err(), "{bad:?} should be refused");
        }
        let p: Problem = ScopeQuery::parse("Madrid").unwrap_err().into();
        assert_eq!(p.to_json()["type"], "https://uri.etsi.org/ngsi-ld/errors/BadRequestData");
        assert!(check_scope("/a/b").is_ok());
        assert!(check_scope("a/b").is_err());
        assert!(check_scope("/a/+").is_err());
        assert_eq!(scopes_of(Some(&serde_json::json!(["/a", "/b"]))), ["/a", "/b"]);
        assert_eq!(scopes_of(Some(&serde_json::json!("/a"))), ["/a"]);
    }
}
