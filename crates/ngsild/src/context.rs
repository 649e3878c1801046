//! `@context` processing, as much of JSON-LD 1.1 as NGSI-LD needs: turning
//! the short names of entity types and attributes into IRIs (expansion) and
//! back (compaction), with the core context always present.
//!
//! A broker stores IRIs and answers in the short names of the caller's
//! context; two clients with different contexts then agree on what
//! `temperature` is. What is left out of JSON-LD: scoped contexts, `@import`,
//! `@base`, reverse properties and language/direction defaults; none of them
//! changes the name of an attribute or a type.
//!
//! The crate never fetches a context. [`Context::resolve`] takes a loader,
//! the application's local store of documents by URL; a URL it does not
//! have is [`ContextError::NotAvailable`] naming it (the API answers 503
//! LdContextNotAvailable at once, never after a hang). The core context is
//! built in (`context/ngsi-ld-core-context-v1.8.jsonld`), and every version
//! of its URL is recognised without a lookup.
//!
//! The core context is `@protected`: a user context that redefines one of
//! its terms is ignored for that term (brokers differ here; JSON-LD would
//! refuse the context, which would refuse most real-world contexts that
//! repeat `id` or `location`).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::OnceLock;

use serde_json::{Map, Value as Json};

/// The core context document, as embedded.
pub const CORE_CONTEXT_JSON: &str = include_str!("../context/ngsi-ld-core-context-v1.8.jsonld");

/// The URL this crate's core context is published at (for `Link` headers).
pub const CORE_CONTEXT_URL: &str = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld";

/// Where names with no definition land.
pub const DEFAULT_VOCAB: &str = "https://uri.etsi.org/ngsi-ld/default-context/";

/// The `rel` of a `Link` header that names a JSON-LD context.
pub const CONTEXT_REL: &str = "http://www.w3.org/ns/json-ld#context";

/// Contexts nested deeper than this are refused (a loop between stored documents).
const MAX_DEPTH: usize = 16;

/// Whether `url` is (some version of) the core context, which is never looked up.
pub fn is_core_url(url: &str) -> bool {
    url.strip_prefix("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context").is_some_and(|rest| {
        rest == ".jsonld"
            || rest.strip_prefix("-v1.").and_then(|r| r.strip_suffix(".jsonld")).is_some_and(|v| v.chars().all(|c| c.is_ascii_digit()))
    })
}

/// How a term's values are read (`@type` of its definition).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coercion {
    None,
    /// `@id`: the value is an IRI (e.g. `object`, `datasetId`).
    Id,
    /// `@vocab`: the value is a term, expanded like a name (e.g. `attributes`).
    Vocab,
    /// `@json`: the value is opaque JSON.
    Json,
    /// Another datatype (e.g. `DateTime` for `observedAt`).
    Datatype,
}

/// A term's definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TermDef {
    pub iri: String,
    pub coercion: Coercion,
    /// Defined by the core context (and so not redefinable).
    pub protected: bool,
}

/// An active context: terms and the vocabulary for names without one.
#[derive(Clone, Debug)]
pub struct Context {
    terms: HashMap<String, TermDef>,
    /// IRI to the term compaction writes for it.
    reverse: HashMap<String, String>,
    /// Terms that can serve as the prefix of a compact IRI (`ngsi-ld:`), longest IRI first.
    prefixes: Vec<(String, String)>,
    vocab: Option<String>,
    /// Terms that alias a keyword (`"type": "@type"`): no name may be one.
    aliases: HashSet<String>,
}

/// Why a context was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContextError {
    /// A context URL the local store does not hold.
    NotAvailable { url: String },
    /// The context is not a JSON-LD context (with what and where, in English).
    Invalid { detail: String },
    /// Contexts nested beyond the limit (a loop between stored documents).
    TooDeep,
}

impl ContextError {
    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            ContextError::NotAvailable { .. } => "context_not_available",
            ContextError::Invalid { .. } => "invalid_context",
            ContextError::TooDeep => "context_too_deep",
        }
    }

    /// The spec's error type: 503 LdContextNotAvailable for a missing URL,
    /// 400 BadRequestData otherwise.
    pub fn error_type(&self) -> crate::problem::ErrorType {
        match self {
            ContextError::NotAvailable { .. } => crate::problem::ErrorType::LdContextNotAvailable,
            _ => crate::problem::ErrorType::BadRequestData,
        }
    }
}

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContextError::NotAvailable { url } => write!(f, "@context {url} is not available on this server"),
            ContextError::Invalid { detail } => write!(f, "invalid @context: {detail}"),
            ContextError::TooDeep => write!(f, "@context nests more than {MAX_DEPTH} levels"),
        }
    }
}

impl std::error::Error for ContextError {}

impl From<ContextError> for crate::problem::Problem {
    fn from(e: ContextError) -> crate::problem::Problem {
        crate::problem::Problem::new(e.error_type(), e.to_string())
    }
}

fn invalid(detail: impl Into<String>) -> ContextError {
    ContextError::Invalid { detail: detail.into() }
}

/// The built-in core context, parsed once.
pub fn core() -> &'static Context {
    static CORE: OnceLock<Context> = OnceLock::new();
    CORE.get_or_init(|| {
        let doc: Json = serde_json::from_str(CORE_CONTEXT_JSON).expect("the embedded core context is JSON");
        let mut ctx =
            Context { terms: HashMap::new(), reverse: HashMap::new(), prefixes: Vec::new(), vocab: None, aliases: HashSet::new() };
        ctx.apply(&doc["@context"], &|_| None, 0, true).expect("the embedded core context is valid");
        ctx.terms.values_mut().for_each(|d| d.protected = true);
        ctx.index();
        ctx
    })
}

fn is_keyword(s: &str) -> bool {
    s.starts_with('@')
}

/// Whether `s` is an absolute IRI (has a scheme).
fn is_absolute(s: &str) -> bool {
    crate::entity::is_uri(s)
}

impl Context {
    /// The core context plus `local` (the `@context` member's value, or the
    /// URL of a `Link` header as a JSON string), loading URLs through
    /// `loader` (a stored document by URL, `{"@context": ...}` or the context itself).
    pub fn resolve(local: &Json, loader: &dyn Fn(&str) -> Option<Json>) -> Result<Context, ContextError> {
        let mut ctx = core().clone();
        ctx.apply(local, loader, 0, false)?;
        ctx.index();
        Ok(ctx)
    }

    /// Every URL `local` names directly (for the application to check its
    /// store, or list what it must hold), the core context's excluded.
    pub fn urls(local: &Json) -> Vec<&str> {
        match local {
            Json::String(url) if !is_core_url(url) => vec![url.as_str()],
            Json::Array(items) => items.iter().flat_map(Context::urls).collect(),
            _ => vec![],
        }
    }

    fn apply(&mut self, local: &Json, loader: &dyn Fn(&str) -> Option<Json>, depth: usize, core: bool) -> Result<(), ContextError> {
        if depth > MAX_DEPTH {
            return Err(ContextError::TooDeep);
        }
        match local {
            Json::Null => {
                *self = crate::context::core().clone();
                Ok(())
            }
            Json::String(url) if is_core_url(url) => Ok(()),
            Json::String(url) => {
                let doc = loader(url).ok_or_else(|| ContextError::NotAvailable { url: url.clone() })?;
                let inner = doc.get("@context").cloned().unwrap_or(doc);
                self.apply(&inner, loader, depth + 1, core)
            }
            Json::Array(items) => items.iter().try_for_each(|i| self.apply(i, loader, depth + 1, core)),
            Json::Object(map) => self.define_all(map, core),
            other => Err(invalid(format!("a context is an object, a URL or an array of them, not {other}"))),
        }
    }

    fn define_all(&mut self, map: &Map<String, Json>, core: bool) -> Result<(), ContextError> {
        match map.get("@vocab") {
            Some(Json::String(v)) => self.vocab = Some(self.expand_in(v, map, &mut Vec::new())?),
            Some(Json::Null) => self.vocab = None,
            Some(_) => return Err(invalid("@vocab must be a string or null")),
            None => {}
        }
        for (term, def) in map {
            if is_keyword(term) {
                continue;
            }
            if !core && self.is_protected(term) {
                continue;
            }
            match self.definition(term, def, map, &mut Vec::new())? {
                Some(d) => {
                    self.terms.insert(term.clone(), d);
                }
                None => {
                    self.terms.remove(term);
                }
            }
            let alias = match def {
                Json::String(id) => is_keyword(id),
                Json::Object(o) => o.get("@id").and_then(Json::as_str).is_some_and(is_keyword),
                _ => false,
            };
            if alias {
                self.aliases.insert(term.clone());
            } else {
                self.aliases.remove(term);
            }
        }
        Ok(())
    }

    fn is_protected(&self, term: &str) -> bool {
        self.terms.get(term).is_some_and(|d| d.protected)
    }

    /// A term's definition within the object being applied (which may define
    /// the prefixes it uses, in any order); `None` for a term set to null
    /// or to a keyword alias (`"id": "@id"`), which have no IRI.
    fn definition(&self, term: &str, def: &Json, map: &Map<String, Json>, seen: &mut Vec<String>) -> Result<Option<TermDef>, ContextError> {
        let (id, coercion) = match def {
            Json::Null => return Ok(None),
            Json::String(s) => (Some(s.as_str()), Coercion::None),
            Json::Object(o) => {
                let coercion = match o.get("@type").and_then(Json::as_str) {
                    None => Coercion::None,
                    Some("@id") => Coercion::Id,
                    Some("@vocab") => Coercion::Vocab,
                    Some("@json") => Coercion::Json,
                    Some(_) => Coercion::Datatype,
                };
                match o.get("@id") {
                    Some(Json::String(s)) => (Some(s.as_str()), coercion),
                    Some(Json::Null) => return Ok(None),
                    Some(_) => return Err(invalid(format!("@id of term {term} must be a string"))),
                    None => (None, coercion),
                }
            }
            _ => return Err(invalid(format!("the definition of term {term} must be a string, an object or null"))),
        };
        let iri = match id {
            Some(id) if is_keyword(id) => return Ok(None),
            // `"attributeCount": "attributeCount"` (in the core context): the vocabulary's.
            Some(id) if id == term && !term.contains(':') => self.vocab_iri(term)?,
            Some(id) => self.expand_in(id, map, seen)?,
            None if term.contains(':') => self.expand_in(term, map, seen)?,
            None => self.vocab_iri(term)?,
        };
        Ok(Some(TermDef { iri, coercion, protected: false }))
    }

    /// Expands a definition's value against the object being applied, then
    /// the context so far.
    fn expand_in(&self, value: &str, map: &Map<String, Json>, seen: &mut Vec<String>) -> Result<String, ContextError> {
        let lookup = |name: &str, seen: &mut Vec<String>| -> Result<Option<String>, ContextError> {
            if let Some(def) = map.get(name).filter(|_| !is_keyword(name)) {
                if seen.iter().any(|s| s == name) {
                    return Err(invalid(format!("term {name} is defined through itself")));
                }
                seen.push(name.to_string());
                let d = self.definition(name, def, map, seen)?;
                seen.pop();
                return Ok(d.map(|d| d.iri));
            }
            Ok(self.terms.get(name).map(|d| d.iri.clone()))
        };
        if let Some((prefix, suffix)) = value.split_once(':')
            && !suffix.starts_with("//")
            && let Some(base) = lookup(prefix, seen)?
        {
            return Ok(format!("{base}{suffix}"));
        }
        if is_absolute(value) {
            return Ok(value.to_string());
        }
        if let Some(iri) = lookup(value, seen)? {
            return Ok(iri);
        }
        self.vocab_iri(value)
    }

    fn vocab_iri(&self, name: &str) -> Result<String, ContextError> {
        match &self.vocab {
            Some(v) => Ok(format!("{v}{name}")),
            None => Err(invalid(format!("{name} is not an IRI and there is no @vocab"))),
        }
    }

    /// Builds the compaction tables once the terms are final.
    fn index(&mut self) {
        let mut reverse: HashMap<String, String> = HashMap::new();
        for (term, def) in &self.terms {
            let better = match reverse.get(&def.iri) {
                None => true,
                Some(old) => {
                    let (user, old_user) = (!def.protected, !self.terms[old].protected);
                    (user, std::cmp::Reverse(term.len()), std::cmp::Reverse(term.as_str()))
                        > (old_user, std::cmp::Reverse(old.len()), std::cmp::Reverse(old.as_str()))
                }
            };
            if better {
                reverse.insert(def.iri.clone(), term.clone());
            }
        }
        self.reverse = reverse;
        let mut prefixes: Vec<(String, String)> = self
            .terms
            .iter()
            .filter(|(t, d)| !t.contains(':') && d.iri.ends_with(['/', '#', ':', '?', '[', ']', '@']))
            .map(|(t, d)| (d.iri.clone(), t.clone()))
            .collect();
        prefixes.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.1.cmp(&b.1)));
        self.prefixes = prefixes;
    }

    /// The definition of a term, if the context has one.
    pub fn term(&self, name: &str) -> Option<&TermDef> {
        self.terms.get(name)
    }

    /// The vocabulary names without a definition fall into.
    pub fn vocab(&self) -> Option<&str> {
        self.vocab.as_deref()
    }

    /// Whether `name` is a term aliasing a JSON-LD keyword (`type` for
    /// `@type` in the core context): such a term names no type or attribute.
    pub fn is_keyword_alias(&self, name: &str) -> bool {
        self.aliases.contains(name)
    }

    /// The IRI of an entity type or attribute name: its term's, a compact
    /// IRI's (`ngsi-ld:location`), an absolute IRI as it is, else the
    /// vocabulary's (the default context for NGSI-LD).
    pub fn expand(&self, name: &str) -> String {
        if let Some(d) = self.terms.get(name) {
            return d.iri.clone();
        }
        if let Some((prefix, suffix)) = name.split_once(':')
            && !suffix.starts_with("//")
            && let Some(d) = self.terms.get(prefix)
        {
            return format!("{}{suffix}", d.iri);
        }
        if is_absolute(name) {
            return name.to_string();
        }
        format!("{}{name}", self.vocab.as_deref().unwrap_or(DEFAULT_VOCAB))
    }

    /// The short name of an IRI: its term, else the part after the
    /// vocabulary, else a compact IRI (`prefix:rest`), else the IRI itself.
    pub fn compact(&self, iri: &str) -> String {
        if let Some(term) = self.reverse.get(iri) {
            return term.clone();
        }
        if let Some(rest) = self.vocab.as_deref().and_then(|v| iri.strip_prefix(v))
            && !rest.is_empty()
            && !rest.contains(':')
            && !self.terms.contains_key(rest)
        {
            return rest.to_string();
        }
        for (base, term) in &self.prefixes {
            if let Some(rest) = iri.strip_prefix(base.as_str())
                && !rest.is_empty()
                && !rest.starts_with("//")
            {
                return format!("{term}:{rest}");
            }
        }
        iri.to_string()
    }
}

/// A link of a `Link` header (RFC 8288).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub url: String,
    pub rel: Option<String>,
    pub media_type: Option<String>,
}

/// Why a `Link` header was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkError {
    /// Byte offset in the header value.
    pub at: usize,
    pub reason: LinkReason,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkReason {
    /// Expected `<` opening a URL.
    ExpectedUrl,
    /// A `<` without its `>`.
    UnclosedUrl,
    /// A parameter without `=value`, or a quoted value without its closing quote.
    BadParameter,
    /// More than one link names a JSON-LD context.
    SeveralContexts,
}

impl LinkReason {
    pub fn code(self) -> &'static str {
        match self {
            LinkReason::ExpectedUrl => "expected_url",
            LinkReason::UnclosedUrl => "unclosed_url",
            LinkReason::BadParameter => "bad_parameter",
            LinkReason::SeveralContexts => "several_contexts",
        }
    }
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Link header: {} at position {}", self.reason.code(), self.at)
    }
}

impl std::error::Error for LinkError {}

impl From<LinkError> for crate::problem::Problem {
    fn from(e: LinkError) -> crate::problem::Problem {
        crate::problem::Problem::new(crate::problem::ErrorType::BadRequestData, e.to_string())
    }
}

/// Reads a `Link` header value: `<url>; rel="..."; type="...", <url2>; ...`.
pub fn parse_links(header: &str) -> Result<Vec<Link>, LinkError> {
    let b = header.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    let ws = |i: &mut usize| {
        while *i < b.len() && (b[*i] == b' ' || b[*i] == b'\t') {
            *i += 1;
        }
    };
    loop {
        ws(&mut i);
        if i == b.len() && !out.is_empty() {
            return Err(LinkError { at: i, reason: LinkReason::ExpectedUrl });
        }
        if b.get(i) != Some(&b'<') {
            return Err(LinkError { at: i, reason: LinkReason::ExpectedUrl });
        }
        let close = header[i..].find('>').ok_or(LinkError { at: i, reason: LinkReason::UnclosedUrl })? + i;
        let mut link = Link { url: header[i + 1..close].trim().to_string(), rel: None, media_type: None };
        i = close + 1;
        loop {
            ws(&mut i);
            if b.get(i) != Some(&b';') {
                break;
            }
            i += 1;
            ws(&mut i);
            let start = i;
            while i < b.len() && !matches!(b[i], b'=' | b';' | b',' | b' ') {
                i += 1;
            }
            let name = header[start..i].to_ascii_lowercase();
            ws(&mut i);
            if b.get(i) != Some(&b'=') {
                return Err(LinkError { at: i, reason: LinkReason::BadParameter });
            }
            i += 1;
            ws(&mut i);
            let value = if b.get(i) == Some(&b'"') {
                let end = header[i + 1..].find('"').ok_or(LinkError { at: i, reason: LinkReason::BadParameter })? + i + 1;
                let v = header[i + 1..end].to_string();
                i = end + 1;
                v
            } else {
                let start = i;
                while i < b.len() && !matches!(b[i], b';' | b',' | b' ') {
                    i += 1;
                }
                header[start..i].to_string()
            };
            match name.as_str() {
                "rel" => link.rel = Some(value),
                "type" => link.media_type = Some(value),
                _ => {}
            }
        }
        out.push(link);
        ws(&mut i);
        match b.get(i) {
            None => return Ok(out),
            Some(b',') => i += 1,
            Some(_) => return Err(LinkError { at: i, reason: LinkReason::ExpectedUrl }),
        }
    }
}

/// The context URL a request's `Link` header names, if it names one
/// (`rel` is the JSON-LD context relation); two are an error.
pub fn context_url(header: &str) -> Result<Option<String>, LinkError> {
    let links = parse_links(header)?;
    let mut found = links.into_iter().filter(|l| l.rel.as_deref().is_some_and(|r| r.split_whitespace().any(|r| r == CONTEXT_REL)));
    let first = found.next();
    if found.next().is_some() {
        return Err(LinkError { at: 0, reason: LinkReason::SeveralContexts });
    }
    Ok(first.map(|l| l.url))
}

/// The `Link` header value an answer carries for its context.
pub fn link_header(url: &str) -> String {
    format!("<{url}>; rel=\"{CONTEXT_REL}\"; type=\"application/ld+json\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NGSI: &str = "https://uri.etsi.org/ngsi-ld/";

    #[test]
    fn core_terms() {
        let c = core();
        assert_eq!(c.expand("location"), format!("{NGSI}location"));
        assert_eq!(c.expand("Property"), format!("{NGSI}Property"));
        assert_eq!(c.expand("Point"), "https://purl.org/geojson/vocab#Point");
        assert_eq!(c.expand("value"), format!("{NGSI}hasValue"));
        assert_eq!(c.term("observedAt").unwrap().coercion, Coercion::Datatype);
        assert_eq!(c.term("object").unwrap().coercion, Coercion::Id);
        assert_eq!(c.expand("temperature"), format!("{DEFAULT_VOCAB}temperature"));
        assert_eq!(c.expand("ngsi-ld:foo"), format!("{NGSI}foo"));
        assert_eq!(c.expand("https://example.org/x"), "https://example.org/x");
        assert_eq!(c.compact(&format!("{DEFAULT_VOCAB}temperature")), "temperature");
        assert_eq!(c.compact(&format!("{NGSI}location")), "location");
        assert_eq!(c.compact(&format!("{NGSI}somethingNew")), "ngsi-ld:somethingNew");
        assert_eq!(c.compact("https://example.org/x"), "https://example.org/x");
        assert!(c.term("id").is_none());
    }

    #[test]
    fn keyword_aliases_are_known() {
        assert!(core().is_keyword_alias("type"));
        assert!(core().is_keyword_alias("id"));
        assert!(!core().is_keyword_alias("Vehicle"));
        assert!(!core().is_keyword_alias("location"));
    }

    #[test]
    fn core_urls_need_no_lookup() {
        assert!(is_core_url(CORE_CONTEXT_URL));
        assert!(is_core_url("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"));
        assert!(is_core_url("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.6.jsonld"));
        assert!(!is_core_url("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.6.jsonld.evil"));
        let c = Context::resolve(&json!(CORE_CONTEXT_URL), &|_| None).unwrap();
        assert_eq!(c.expand("Property"), format!("{NGSI}Property"));
    }

    #[test]
    fn user_contexts() {
        let sdm = json!({"@context": {
            "sdm": "https://smartdatamodels.org/",
            "WaterObserved": "https://smartdatamodels.org/dataModel.Environment/WaterObserved",
            "waterLevel": {"@id": "sdm:waterLevel", "@type": "@id"},
            "id": "@id",
            "location": "https://example.org/notTheCore"
        }});
        let loader = |url: &str| (url == "https://pendopo.example/sdm.jsonld").then(|| sdm.clone());
        let c = Context::resolve(&json!(["https://pendopo.example/sdm.jsonld", CORE_CONTEXT_URL]), &loader).unwrap();
        assert_eq!(c.expand("WaterObserved"), "https://smartdatamodels.org/dataModel.Environment/WaterObserved");
        assert_eq!(c.expand("waterLevel"), "https://smartdatamodels.org/waterLevel");
        assert_eq!(c.compact("https://smartdatamodels.org/waterLevel"), "waterLevel");
        assert_eq!(c.compact("https://smartdatamodels.org/flow"), "sdm:flow");
        // The core's terms are protected.
        assert_eq!(c.expand("location"), format!("{NGSI}location"));
        // Inline, with its own vocabulary; prefixes defined after their use.
        let c = Context::resolve(
            &json!({"@vocab": "https://pendopo.example/vocab#", "rain": "bmkg:curahHujan", "bmkg": "https://bmkg.example/"}),
            &|_| None,
        )
        .unwrap();
        assert_eq!(c.expand("rain"), "https://bmkg.example/curahHujan");
        assert_eq!(c.expand("other"), "https://pendopo.example/vocab#other");
        assert_eq!(c.compact("https://pendopo.example/vocab#other"), "other");
        assert_eq!(Context::urls(&json!(["https://a.example/c.jsonld", CORE_CONTEXT_URL, {"x": "y:z"}])), ["https://a.example/c.jsonld"]);
    }

    #[test]
    fn refusals() {
        let err = Context::resolve(&json!("https://unknown.example/ctx.jsonld"), &|_| None).unwrap_err();
        assert_eq!(err, ContextError::NotAvailable { url: "https://unknown.example/ctx.jsonld".into() });
        assert_eq!(err.error_type().status(), 503);
        assert_eq!(err.to_string(), "@context https://unknown.example/ctx.jsonld is not available on this server");
        assert_eq!(Context::resolve(&json!(42), &|_| None).unwrap_err().code(), "invalid_context");
        assert_eq!(Context::resolve(&json!({"a": "b:x", "b": "a:y"}), &|_| None).unwrap_err().code(), "invalid_context");
        let looping = |_: &str| Some(json!({"@context": "https://loop.example/"}));
        assert_eq!(Context::resolve(&json!("https://loop.example/"), &looping).unwrap_err(), ContextError::TooDeep);
    }

    #[test]
    fn link_headers() {
        let h = link_header("https://pendopo.example/ctx.jsonld");
        assert_eq!(context_url(&h).unwrap().as_deref(), Some("https://pendopo.example/ctx.jsonld"));
        let links = parse_links("<https://a.example/x>; rel=\"next\", <https://b.example/c.jsonld>;rel=\"http://www.w3.org/ns/json-ld#context\";type=\"application/ld+json\"").unwrap();
        assert_eq!(links.len(), 2);
        assert_eq!(links[1].media_type.as_deref(), Some("application/ld+json"));
        assert_eq!(context_url("<https://a.example/x>; rel=next").unwrap(), None);
        assert_eq!(parse_links("https://a.example").unwrap_err(), LinkError { at: 0, reason: LinkReason::ExpectedUrl });
        assert_eq!(parse_links("<https://a.example").unwrap_err().reason, LinkReason::UnclosedUrl);
        assert_eq!(parse_links("<https://a.example>; rel").unwrap_err(), LinkError { at: 24, reason: LinkReason::BadParameter });
        let two = format!("{h}, {h}");
        assert_eq!(context_url(&two).unwrap_err().reason, LinkReason::SeveralContexts);
    }
}
