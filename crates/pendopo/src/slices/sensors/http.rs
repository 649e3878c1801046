//! What every NGSI-LD request shares: its tenant (`NGSILD-Tenant`, a region
//! code, else the host's), its @context (Link header or inline, the core
//! built in, other URLs from the stored contexts only), who may write, and
//! answers: JSON or JSON-LD with the context, ProblemDetails on error.

use std::borrow::Cow;
use std::collections::HashMap;

use axum::http::header::{ACCEPT, CONTENT_TYPE, LINK};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use ngsild::context::{self, Context, ContextError};
use ngsild::problem::{ErrorType, Problem};
use serde_json::Value as Json;

use crate::kernel::identity::{self, User};
use crate::store::{Store, StoreError, sql};
use crate::web::ctx::{AuthVia, Ctx};
use crate::web::error::AppError;

pub const TENANT_HEADER: &str = "ngsild-tenant";
pub const COUNT_HEADER: &str = "ngsild-results-count";

/// An NGSI-LD failure: a ProblemDetails answer, or Pendopo's own (sign-in, roles).
pub enum Fail {
    Problem(Problem),
    /// A request over a limit the problem names (413).
    TooLarge(Problem),
    /// A problem answered with an HTTP status of its own, not its type's
    /// (406 for an Accept nothing matches, 415 for a body's media type).
    Status(StatusCode, Problem),
    App(AppError),
}

pub type Answer = Result<Response, Fail>;

impl From<Problem> for Fail {
    fn from(p: Problem) -> Fail {
        Fail::Problem(p)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Fail {
        Fail::App(AppError::from(e))
    }
}

impl From<AppError> for Fail {
    fn from(e: AppError) -> Fail {
        Fail::App(e)
    }
}

macro_rules! problem_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Fail {
            fn from(e: $t) -> Fail {
                Fail::Problem(e.into())
            }
        }
    )*};
}
problem_from!(
    ngsild::q::QueryError,
    ngsild::geo::GeoError,
    ngsild::entity::EntityError,
    ContextError,
    ngsild::temporal::DurationError,
    ngsild::context::LinkError
);

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        match self {
            Fail::Problem(p) => problem_response(&p),
            Fail::TooLarge(p) => {
                let mut body = p.to_json();
                body["status"] = 413.into();
                (StatusCode::PAYLOAD_TOO_LARGE, [(CONTENT_TYPE, "application/json")], body.to_string()).into_response()
            }
            Fail::Status(status, p) => {
                let mut body = p.to_json();
                body["status"] = status.as_u16().into();
                (status, [(CONTENT_TYPE, "application/json")], body.to_string()).into_response()
            }
            Fail::App(e) => e.into_response(),
        }
    }
}

pub fn problem_response(p: &Problem) -> Response {
    let status = StatusCode::from_u16(p.status()).unwrap_or(StatusCode::BAD_REQUEST);
    (status, [(CONTENT_TYPE, "application/json")], p.to_json().to_string()).into_response()
}

pub fn bad(kind: ErrorType, detail: impl Into<String>) -> Fail {
    Fail::Problem(Problem::new(kind, detail))
}

pub fn not_found(id: &str) -> Fail {
    bad(ErrorType::ResourceNotFound, format!("{id} does not exist"))
}

/// The NGSI-LD resources are written with a trailing slash in the
/// specification (`/ngsi-ld/v1/entities/`, `.../attrs/`) and clients send
/// them so (the ETSI test suite does): such a path is answered as the one
/// without it. Runs before routing (`web::router`).
pub async fn trailing_slash(mut req: axum::extract::Request) -> axum::extract::Request {
    let path = req.uri().path();
    if path.starts_with("/ngsi-ld/v1/") && path.len() > "/ngsi-ld/v1/".len() && path.ends_with('/') {
        let trimmed = path.trim_end_matches('/');
        let rewritten = match req.uri().query() {
            Some(q) => format!("{trimmed}?{q}"),
            None => trimmed.to_string(),
        };
        if let Ok(pq) = rewritten.parse::<axum::http::uri::PathAndQuery>() {
            let mut parts = req.uri().clone().into_parts();
            parts.path_and_query = Some(pq);
            if let Ok(uri) = axum::http::Uri::from_parts(parts) {
                *req.uri_mut() = uri;
            }
        }
    }
    req
}

/// What every query and entity endpoint may be asked with (clause 6.3.20:
/// a parameter the operation does not define is refused).
const ENTITY_QUERY: &[&str] = &[
    "id",
    "idPattern",
    "type",
    "attrs",
    "q",
    "georel",
    "geometry",
    "coordinates",
    "geoproperty",
    "geometryProperty",
    "csf",
    "limit",
    "offset",
    "count",
    "options",
    "format",
    "lang",
    "pick",
    "omit",
    "scopeQ",
    "local",
    "datasetId",
    "join",
    "joinLevel",
    "containedBy",
    "orderBy",
    "entityMap",
];
/// One entity's representation (`GET /entities/{id}`, temporal too).
const ENTITY_VIEW: &[&str] = &[
    "type",
    "attrs",
    "geometryProperty",
    "options",
    "format",
    "lang",
    "pick",
    "omit",
    "datasetId",
    "local",
    "join",
    "joinLevel",
    "containedBy",
    "entityMap",
];
/// A temporal query's window and shape, on top of the above.
const TEMPORAL_WINDOW: &[&str] = &["timerel", "timeAt", "endTimeAt", "timeproperty", "lastN", "aggrMethods", "aggrPeriodDuration"];
/// Writes of an entity or its attributes.
const ENTITY_WRITE: &[&str] = &["type", "options", "local"];
/// `DELETE .../attrs/{attr}`.
const ATTR_DELETE: &[&str] = &["type", "datasetId", "deleteAll", "local"];
/// `DELETE /entities?type=...` (purge, clause 5.6.21).
const PURGE: &[&str] =
    &["id", "idPattern", "type", "q", "scopeQ", "local", "attrs", "keep", "drop", "georel", "geometry", "coordinates", "geoproperty"];
/// Paging of a list (`/subscriptions`, a query by POST).
const LIST: &[&str] = &["limit", "offset", "count", "local", "options", "format", "lang", "pick", "omit", "join", "joinLevel"];
/// `GET /types`, `GET /attributes` and their one-item forms.
const DISCOVERY: &[&str] = &["details", "local", "type"];

/// The words `options` and `format` may hold, in any NGSI-LD operation.
pub const OPTION_WORDS: &[&str] = &[
    "keyValues",
    "simplified",
    "concise",
    "normalized",
    "sysAttrs",
    "noOverwrite",
    "temporalValues",
    "aggregatedValues",
    "update",
    "replace",
];

/// The query parameters the endpoint at `segments` (the path after
/// `/ngsi-ld/v1/`) accepts with `method`; `None` for a path or method this
/// does not describe (the router answers those). Every endpoint's list is
/// here, so that a new parameter is added once.
fn accepted(method: &axum::http::Method, segments: &[&str]) -> Option<Vec<&'static str>> {
    use axum::http::Method;
    let m = method.clone();
    let lists: &[&[&str]] = match (segments, m) {
        (["entities"], Method::GET) => &[ENTITY_QUERY],
        (["entities"], Method::POST) => &[ENTITY_WRITE],
        (["entities"], Method::DELETE) => &[PURGE],
        (["entities", _], Method::GET) => &[ENTITY_VIEW],
        (["entities", _], Method::DELETE) => &[&["type", "local"]],
        (["entities", _] | ["entities", _, "attrs"], Method::PATCH | Method::PUT | Method::POST) => &[ENTITY_WRITE],
        (["entities", _, "attrs", _], Method::PATCH | Method::PUT) => &[ENTITY_WRITE],
        (["entities", _, "attrs", _], Method::DELETE) => &[ATTR_DELETE],
        (["entityOperations", "query"], Method::POST) => &[LIST, ENTITY_VIEW],
        (["entityOperations", _], Method::POST) => &[ENTITY_WRITE],
        (["types" | "attributes"] | ["types" | "attributes", _], Method::GET) => &[DISCOVERY],
        (["temporal", "entities"], Method::GET) => &[ENTITY_QUERY, TEMPORAL_WINDOW],
        (["temporal", "entities"], Method::POST) => &[ENTITY_WRITE],
        (["temporal", "entities", _], Method::GET) => &[ENTITY_VIEW, TEMPORAL_WINDOW],
        (["temporal", "entities", _], Method::DELETE) => &[&["type", "local"]],
        (["temporal", "entities", _, "attrs"], Method::POST) => &[ENTITY_WRITE],
        (["temporal", "entities", _, "attrs", _], Method::DELETE) => &[ATTR_DELETE],
        (["temporal", "entities", _, "attrs", _, _], Method::PATCH | Method::DELETE) => &[&["local"]],
        (["temporal", "entityOperations", "query"], Method::POST) => &[LIST, ENTITY_VIEW, TEMPORAL_WINDOW],
        (["subscriptions"], Method::GET) => &[LIST],
        (["subscriptions"], Method::POST) | (["subscriptions", _], _) => &[&[]],
        _ => return None,
    };
    Some(lists.iter().flat_map(|l| l.iter().copied()).collect())
}

/// The entity id a path names (`/entities/{id}...`, `/temporal/entities/{id}...`, `/subscriptions/{id}`).
fn path_id<'a>(segments: &[&'a str]) -> Option<&'a str> {
    match segments {
        ["entities" | "subscriptions", id, ..] | ["temporal", "entities", id, ..] => Some(id),
        _ => None,
    }
}

/// An attribute name in the path that is not a name (or a JSON-LD keyword),
/// a temporal instance id that is not a URI: 400 BadRequestData, not 404
/// (the suite's 015_02_03, 016_02_*, 017_02_*, 055_03_03). A PATCH of an
/// instance without the attribute's name is of `.../attrs/{instanceId}`,
/// which takes no PATCH: 405 (016_02_06).
fn path_names(method: &axum::http::Method, segments: &[&str]) -> Result<(), Fail> {
    let (attr, instance) = match segments {
        ["entities", _, "attrs", attr] | ["temporal", "entities", _, "attrs", attr] => (*attr, None),
        ["temporal", "entities", _, "attrs", attr, instance] => (*attr, Some(*instance)),
        _ => return Ok(()),
    };
    if attr.is_empty() && instance.is_some() && method == axum::http::Method::PATCH {
        return Err(Fail::Status(StatusCode::METHOD_NOT_ALLOWED, Problem::new(ErrorType::InvalidRequest, "the path names no attribute")));
    }
    let attr = percent_decoded(attr);
    // A dot segment, however escaped, names no attribute (it would be the path's parent).
    let dots = percent_decoded(&attr);
    if !ngsild::entity::is_valid_name(&attr) || attr.starts_with('@') || dots == "." || dots == ".." {
        return Err(bad(ErrorType::BadRequestData, format!("not an attribute name: {attr:?}")));
    }
    match instance.map(percent_decoded) {
        Some(i) if !ngsild::entity::is_uri(&i) => Err(bad(ErrorType::BadRequestData, format!("the instance id is not a URI: {i:?}"))),
        _ => Ok(()),
    }
}

/// A path segment with its `%XX` escapes decoded (an id's colons may come so).
pub fn percent_decoded(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = (bytes[i] == b'%').then(|| segment.get(i + 1..i + 3)).flatten().and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What is wrong with an NGSI-LD request before it is routed: an id in the
/// path that is not a URI (400 BadRequestData, not 404), a query parameter
/// the endpoint does not define or an `options`/`format` word it does not
/// know (400 InvalidRequest naming it), a `PATCH`/`PUT` of `/entities`
/// without an id.
fn screen(method: &axum::http::Method, path: &str, query: Option<&str>) -> Result<(), Problem> {
    let Some(rest) = path.strip_prefix("/ngsi-ld/v1/") else { return Ok(()) };
    use axum::http::Method;
    if ![Method::GET, Method::POST, Method::PATCH, Method::PUT, Method::DELETE].contains(method) {
        return Ok(());
    }
    let segments: Vec<&str> = rest.split('/').collect();
    if let Some(id) = path_id(&segments) {
        let id = percent_decoded(id);
        if !ngsild::entity::is_uri(&id) {
            return Err(Problem::new(ErrorType::BadRequestData, format!("the id in the path is not a URI: {id:?}")));
        }
    }
    if segments == ["entities"] && matches!(*method, Method::PATCH | Method::PUT) {
        return Err(Problem::new(ErrorType::BadRequestData, "the path names no entity id"));
    }
    let Some(allowed) = accepted(method, &segments) else { return Ok(()) };
    let uri: axum::http::Uri = format!("/?{}", query.unwrap_or_default()).parse().unwrap_or_default();
    let pairs = axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&uri)
        .map_err(|e| Problem::new(ErrorType::InvalidRequest, format!("the query string does not parse: {e}")))?
        .0;
    for (key, value) in &pairs {
        if !allowed.contains(&key.as_str()) {
            return Err(Problem::new(ErrorType::InvalidRequest, format!("{key}: not a parameter of this operation")));
        }
        if matches!(key.as_str(), "options" | "format")
            && let Some(word) = value.split(',').map(str::trim).find(|w| !OPTION_WORDS.contains(w))
        {
            return Err(Problem::new(ErrorType::InvalidRequest, format!("{key}: unknown word {word:?}")));
        }
    }
    Ok(())
}

/// [`screen`] as a middleware, before routing (`web::router`).
pub async fn screened(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if let Err(p) = screen_accept(req.method(), req.uri().path(), header(req.headers(), ACCEPT)) {
        return Fail::Status(StatusCode::NOT_ACCEPTABLE, p).into_response();
    }
    if let Some(rest) = req.uri().path().strip_prefix("/ngsi-ld/v1/")
        && let Err(fail) = path_names(req.method(), &rest.split('/').collect::<Vec<_>>())
    {
        return fail.into_response();
    }
    match screen(req.method(), req.uri().path(), req.uri().query()) {
        Ok(()) => next.run(req).await,
        Err(p) => problem_response(&p),
    }
}

/// A GET whose `Accept` the answer cannot meet (clause 6.3.4), before the
/// path is routed: none of JSON, JSON-LD or GeoJSON (the suite asks it of
/// the context source paths too, which Pendopo does not serve), or GeoJSON
/// where only retrieving and querying entities give it.
fn screen_accept(method: &axum::http::Method, path: &str, accept: Option<&str>) -> Result<(), Problem> {
    let Some(rest) = path.strip_prefix("/ngsi-ld/v1/") else { return Ok(()) };
    if method != axum::http::Method::GET {
        return Ok(());
    }
    let geo_allowed = matches!(rest.split('/').collect::<Vec<_>>().as_slice(), ["entities"] | ["entities", _]);
    match negotiate(accept) {
        None => {
            Err(Problem::new(ErrorType::InvalidRequest, "Accept: none of application/json, application/ld+json or application/geo+json"))
        }
        Some(GEO_JSON) if !geo_allowed => Err(Problem::new(ErrorType::InvalidRequest, "Accept: GeoJSON answers only entities")),
        Some(_) => Ok(()),
    }
}

/// One NGSI-LD request's tenant and context.
pub struct Request {
    pub tenant: String,
    /// Borrowed when it is the core alone (most requests): not copied per request.
    pub ctx: Cow<'static, Context>,
    /// The context URL answers link to (the request's, else the core's).
    pub link: String,
    /// The inline context given (answered inline with `application/ld+json`).
    pub inline: Option<Json>,
    pub ld_out: bool,
    pub geo_out: bool,
    /// GeoJSON carries its `@context` in the body unless `Prefer: body=json` (clause 6.3.6).
    pub geo_context: bool,
    /// The GeoProperty a GeoJSON answer's geometry is (`geometryProperty`; else `location`).
    pub geometry_property: Option<String>,
}

fn header(headers: &HeaderMap, name: impl axum::http::header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Reads a request's tenant and @context (from the Link header, or from the
/// body's `@context` when it is `application/ld+json`).
pub async fn request(ctx: &Ctx, headers: &HeaderMap, body: Option<&Json>) -> Result<Request, Fail> {
    // Only an object can carry a @context (a batch delete's body is ids).
    let body = body.filter(|b| b.is_object());
    // The media types are decided before anything is looked up (clause 6.3.4).
    let Some(answer_type) = negotiate(header(headers, ACCEPT)) else {
        let detail = "Accept: none of application/json, application/ld+json or application/geo+json is acceptable";
        return Err(Fail::Status(StatusCode::NOT_ACCEPTABLE, Problem::new(ErrorType::InvalidRequest, detail)));
    };
    // Only a body is read as JSON-LD: a GET's Content-Type says nothing.
    let ld_in = body.is_some() && body_is_ld(headers)?;
    let tenant = tenant(ctx, headers).await?;
    if !ld_in && body.is_some_and(|b| b.get("@context").is_some()) {
        return Err(bad(ErrorType::BadRequestData, "a @context in the body needs Content-Type application/ld+json (else the Link header)"));
    }
    let link = header(headers, LINK).map(context::context_url).transpose()?.flatten();
    if ld_in && link.is_some() {
        return Err(bad(ErrorType::BadRequestData, "a Link header with a @context is not allowed with application/ld+json"));
    }
    let inline = if ld_in {
        let local = body.and_then(|b| b.get("@context")).cloned();
        Some(local.ok_or_else(|| bad(ErrorType::BadRequestData, "application/ld+json needs a @context member"))?)
    } else {
        None
    };
    let local = match (&inline, &link) {
        (Some(c), _) => c.clone(),
        (None, Some(url)) => Json::String(url.clone()),
        (None, None) => Json::Null,
    };
    let resolved = if local.is_null() { Cow::Borrowed(context::core()) } else { Cow::Owned(resolve(&ctx.app.store, &local).await?) };
    Ok(Request {
        tenant,
        ctx: resolved,
        link: link.filter(|_| inline.is_none()).unwrap_or_else(|| context::CORE_CONTEXT_URL.to_string()),
        inline,
        ld_out: answer_type == LD_JSON,
        geo_out: answer_type == GEO_JSON,
        geo_context: !header(headers, "prefer").is_some_and(|p| p.split(',').any(|w| w.trim() == "body=json")),
        geometry_property: None,
    })
}

/// Whether a body's `Content-Type` is JSON-LD (else JSON); 415 when it is neither.
pub fn body_is_ld(headers: &HeaderMap) -> Result<bool, Fail> {
    let content_type = header(headers, CONTENT_TYPE).map(|t| t.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
    match content_type.as_deref() {
        None | Some("application/json" | "application/merge-patch+json") => Ok(false),
        Some(LD_JSON) => Ok(true),
        Some(t) => {
            let detail = format!("Content-Type {t}: the body must be application/json or application/ld+json");
            Err(Fail::Status(StatusCode::UNSUPPORTED_MEDIA_TYPE, Problem::new(ErrorType::InvalidRequest, detail)))
        }
    }
}

const LD_JSON: &str = "application/ld+json";
const GEO_JSON: &str = "application/geo+json";
/// The representations of an answer, in clause 6.3.4's order: equal weights go to the first.
const OFFERED: [&str; 3] = ["application/json", LD_JSON, GEO_JSON];

/// The representation an `Accept` header picks (RFC 9110 12.5.1): each
/// offered type takes the weight of the most specific range matching it
/// (`type/subtype`, then `type/*`, then `*/*`), a weight that does not
/// parse counts as 1, weight 0 refuses it; the heaviest wins, ties by
/// [`OFFERED`]'s order. No header: JSON. None acceptable: `None` (406).
pub fn negotiate(accept: Option<&str>) -> Option<&'static str> {
    let Some(accept) = accept.map(str::trim).filter(|a| !a.is_empty()) else { return Some(OFFERED[0]) };
    let accept = crate::web::accept::Accept::parse(accept);
    let mut best: Option<(&'static str, f32)> = None;
    for offered in OFFERED {
        let w = accept.quality(offered);
        if w > 0.0 && best.is_none_or(|(_, b)| w > b) {
            best = Some((offered, w));
        }
    }
    best.map(|(t, _)| t)
}

/// The context made of the core and `local`, reading the URLs it names
/// (and those they name) from the stored contexts: never from the network.
pub async fn resolve(store: &Store, local: &Json) -> Result<Context, Fail> {
    if local.is_null() {
        return Ok(context::core().clone());
    }
    let mut docs: HashMap<String, Json> = HashMap::new();
    // Each round loads the URL the previous one missed; a context that names
    // more URLs than this is refused rather than followed for ever.
    for _ in 0..16 {
        match Context::resolve(local, &|url| docs.get(url).cloned()) {
            Err(ContextError::NotAvailable { url }) if !docs.contains_key(&url) => {
                let row = store.fetch_optional(sql("SELECT body FROM sensor_contexts WHERE url = $1").bind(&url)).await?;
                let Some(row) = row else { return Err(ContextError::NotAvailable { url }.into()) };
                let doc: Json = serde_json::from_str(&row.at::<String>(0)?).map_err(|e| StoreError::Other(e.to_string()))?;
                docs.insert(url, doc);
            }
            other => return Ok(other?),
        }
    }
    Err(bad(ErrorType::LdContextNotAvailable, "the @context names too many other contexts"))
}

/// The tenant a request names in `NGSILD-Tenant` (a region code), else the host's.
async fn tenant(ctx: &Ctx, headers: &HeaderMap) -> Result<String, Fail> {
    match header(headers, TENANT_HEADER).map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(ctx.tenant.id.clone()),
        Some(code) => match ctx.app.tenants.by_id(code).await? {
            Some(t) => Ok(t.id),
            None => Err(bad(ErrorType::NonexistentTenant, format!("tenant {code} does not exist"))),
        },
    }
}

/// May this request write in `tenant`? An API token of a sensor operator,
/// of a region admin or of an agency's officer (`access::for_sensors`).
/// With another tenant named, the token must be that tenant's.
pub async fn writer(ctx: &Ctx, headers: &HeaderMap, tenant: &str) -> Result<User, Fail> {
    if ctx.via != AuthVia::Token {
        return Err(AppError::Unauthorized(crate::kernel::msg::Msg::new("error.token_required")).into());
    }
    let user = if tenant == ctx.tenant.id {
        ctx.user()?.clone()
    } else {
        let token = crate::web::ctx::api_token(headers).unwrap_or_default();
        match identity::token_user(&ctx.app.store, &ctx.app.tokens, tenant, &token).await? {
            Ok(u) => u,
            Err(_) => return Err(ctx.denied().into()),
        }
    };
    if crate::kernel::access::for_sensors(&user) { Ok(user) } else { Err(ctx.denied().into()) }
}

/// Whether a request may write at all, before its body is read.
pub async fn writer_first(ctx: &Ctx, headers: &HeaderMap) -> Result<(), Fail> {
    let tenant = tenant(ctx, headers).await?;
    writer(ctx, headers, &tenant).await.map(|_| ())
}

/// A request body as JSON (400 InvalidRequest when it is not).
pub fn json_body(body: &[u8]) -> Result<Json, Fail> {
    serde_json::from_slice(body).map_err(|e| bad(ErrorType::InvalidRequest, format!("the body is not JSON: {e}")))
}

impl Request {
    /// A JSON answer, with the context linked (or inline for JSON-LD).
    pub fn answer(&self, status: StatusCode, mut body: Json) -> Response {
        let mut headers = HeaderMap::new();
        if self.geo_out && self.geo_context {
            // A Feature or FeatureCollection names its context itself; the Link stays.
            if let Json::Object(m) = &mut body {
                m.insert("@context".into(), self.inline.clone().unwrap_or_else(|| Json::String(self.link.clone())));
            }
        }
        if self.ld_out {
            let context = self.inline.clone().unwrap_or_else(|| Json::String(self.link.clone()));
            let add = |v: &mut Json| {
                if let Json::Object(m) = v {
                    m.insert("@context".into(), context.clone());
                }
            };
            match &mut body {
                Json::Array(items) => items.iter_mut().for_each(add),
                v => add(v),
            }
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/ld+json"));
        } else {
            let kind = if self.geo_out { "application/geo+json" } else { "application/json" };
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(kind));
            if let Ok(v) = HeaderValue::from_str(&context::link_header(&self.link)) {
                headers.insert(LINK, v);
            }
        }
        (status, headers, body.to_string()).into_response()
    }
}

/// The `options` and `format` parameters, as flags.
#[derive(Default, Clone, Copy)]
pub struct Options {
    pub key_values: bool,
    pub concise: bool,
    pub sys_attrs: bool,
    pub no_overwrite: bool,
    pub temporal_values: bool,
    pub aggregated: bool,
    pub update: bool,
}

impl Options {
    pub fn parse(options: Option<&str>, format: Option<&str>) -> Options {
        let mut o = Options::default();
        for word in options.into_iter().chain(format).flat_map(|s| s.split(',')).map(str::trim) {
            match word {
                "keyValues" | "simplified" => o.key_values = true,
                "concise" => o.concise = true,
                "sysAttrs" => o.sys_attrs = true,
                "noOverwrite" => o.no_overwrite = true,
                "temporalValues" => o.temporal_values = true,
                "aggregatedValues" => o.aggregated = true,
                "update" => o.update = true,
                _ => {}
            }
        }
        o
    }
}

/// The current time as an NGSI-LD DateTime and in microseconds.
pub fn now(store: &Store) -> (String, i64) {
    let ms = store.now_ms();
    (ngsild::temporal::format_instant(ms), ms * 1000)
}

#[cfg(test)]
mod tests {
    use super::negotiate;

    #[test]
    fn accept_picks_by_weight_then_by_the_specifications_order() {
        let json = Some("application/json");
        let ld = Some("application/ld+json");
        let geo = Some("application/geo+json");
        assert_eq!(negotiate(None), json);
        assert_eq!(negotiate(Some("*/*")), json);
        assert_eq!(negotiate(Some("application/ld+json")), ld);
        assert_eq!(negotiate(Some("application/geo+json")), geo);
        // Equal weights: JSON comes first in clause 6.3.4's list.
        assert_eq!(negotiate(Some("application/ld+json, application/json")), json);
        assert_eq!(negotiate(Some("application/geo+json, application/json")), json);
        // Weights decide before the list; q=0 refuses, and a wildcard does not bring it back.
        assert_eq!(negotiate(Some("application/json;q=0.1, application/ld+json;q=0.9")), ld);
        assert_eq!(negotiate(Some("application/json;q=0, */*")), ld);
        assert_eq!(negotiate(Some("*/*;q=0.9, application/ld+json;q=0.8")), json);
        assert_eq!(negotiate(Some("application/ld+json;q=notanumber")), ld);
        assert_eq!(negotiate(Some("application/*")), json);
        // Nothing the broker writes.
        assert_eq!(negotiate(Some("application/xml")), None);
        assert_eq!(negotiate(Some("text/html, application/json;q=0")), None);
    }
}
