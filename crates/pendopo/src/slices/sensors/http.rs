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
    let content_type = header(headers, CONTENT_TYPE).map(|t| t.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
    if let (Some(_), Some(t)) = (body, &content_type)
        && !matches!(t.as_str(), "application/json" | "application/ld+json" | "application/merge-patch+json")
    {
        let detail = format!("Content-Type {t}: the body must be application/json or application/ld+json");
        return Err(Fail::Status(StatusCode::UNSUPPORTED_MEDIA_TYPE, Problem::new(ErrorType::InvalidRequest, detail)));
    }
    let tenant = tenant(ctx, headers).await?;
    // Only a body is read as JSON-LD: a GET's Content-Type says nothing.
    let ld_in = body.is_some() && content_type.as_deref() == Some("application/ld+json");
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
    })
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

/// May this request write in `tenant`? An API token of a region admin or of
/// an agency's officer (sensors belong to agencies: BPBD, Dishub, Dinas
/// Pertanian). With another tenant named, the token must be that tenant's.
pub async fn writer(ctx: &Ctx, headers: &HeaderMap, tenant: &str) -> Result<User, Fail> {
    if ctx.via != AuthVia::Token {
        return Err(AppError::Unauthorized(crate::kernel::msg::Msg::new("error.token_required")).into());
    }
    let user = if tenant == ctx.tenant.id {
        ctx.user()?.clone()
    } else {
        let token = crate::web::ctx::api_token(headers).unwrap_or_default();
        match identity::token_user(&ctx.app.store, tenant, &token).await? {
            Ok(u) => u,
            Err(_) => return Err(ctx.denied().into()),
        }
    };
    if crate::kernel::access::for_any_org(&user) { Ok(user) } else { Err(ctx.denied().into()) }
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
