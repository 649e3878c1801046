//! The binary's own static files (the stylesheet, the favicon) and how long
//! answers may be kept: static files for a year under a versioned address,
//! pages revalidated every time (never stored for a signed-in user), and
//! every answer that depends on the language says so in `Vary`.

use std::sync::LazyLock;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, VARY};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

const STYLE: &str = include_str!("../../static/style.css");
const FAVICON_SVG: &str = include_str!("../../static/favicon.svg");
const FAVICON_ICO: &[u8] = include_bytes!("../../static/favicon.ico");

/// A digest of the static files, put in their addresses (`?v=`): a new
/// build with changed files has new addresses, so browsers may keep the old
/// ones for a year without ever showing a stale stylesheet.
pub static VERSION: LazyLock<String> = LazyLock::new(|| {
    // FNV-1a: stable across builds and platforms, enough to tell versions apart.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in STYLE.bytes().chain(FAVICON_SVG.bytes()).chain(FAVICON_ICO.iter().copied()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:08x}", h >> 32)
});

/// Long-lived when asked for under the current version, an hour otherwise.
fn static_answer(query: Option<&str>, content_type: &'static str, body: impl IntoResponse) -> Response {
    let versioned = query.is_some_and(|q| q.split('&').any(|p| p.strip_prefix("v=") == Some(VERSION.as_str())));
    let cache = if versioned { "public, max-age=31536000, immutable" } else { "public, max-age=3600" };
    ([(CONTENT_TYPE, content_type), (CACHE_CONTROL, cache)], body).into_response()
}

pub async fn style(uri: axum::http::Uri) -> Response {
    static_answer(uri.query(), "text/css; charset=utf-8", STYLE)
}

pub async fn favicon_svg(uri: axum::http::Uri) -> Response {
    static_answer(uri.query(), "image/svg+xml", FAVICON_SVG)
}

pub async fn favicon_ico(uri: axum::http::Uri) -> Response {
    static_answer(uri.query(), "image/x-icon", FAVICON_ICO)
}

fn is_static(path: &str) -> bool {
    path.starts_with("/static/") || path == "/favicon.ico"
}

/// Cache headers for what the handlers left unsaid. A page is revalidated
/// on every visit (its forms carry a CSRF token and it changes with every
/// write), and not stored at all when the visitor is signed in; the
/// language comes from the cookie or `Accept-Language`, so both are in `Vary`.
pub async fn caching(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let signed_in = crate::web::ctx::cookie(req.headers(), crate::kernel::identity::SESSION_COOKIE).is_some();
    let mut res = next.run(req).await;
    if is_static(&path) {
        return res;
    }
    let h = res.headers_mut();
    h.append(VARY, HeaderValue::from_static("Accept-Language, Cookie"));
    let html = h.get(CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if !h.contains_key(CACHE_CONTROL) && (html || signed_in) {
        let value = if signed_in { "private, no-store" } else { "no-cache" };
        h.insert(CACHE_CONTROL, HeaderValue::from_static(value));
    }
    res
}

/// Marks an answer that must reach the client byte for byte as stored: an
/// uploaded file. Clients save such downloads from the raw stream (`ckanapi
/// load` re-uploads `requests`' undecoded `raw`), so a content coding would
/// reach the next portal as the file's content.
#[derive(Clone, Copy, Debug)]
pub struct AsStored;

/// Compression (Brotli or gzip, as the client accepts) of everything worth
/// it: not images, not files that are compressed already (the bulk
/// downloads, spreadsheets), not uploaded files ([`AsStored`]), not answers
/// under 256 bytes.
pub fn compression() -> tower_http::compression::CompressionLayer<impl tower_http::compression::Predicate> {
    use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
    let not_as_stored = |_: axum::http::StatusCode, _: axum::http::Version, _: &axum::http::HeaderMap, x: &axum::http::Extensions| {
        x.get::<AsStored>().is_none()
    };
    let predicate = SizeAbove::new(256)
        .and(not_as_stored)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::const_new("application/gzip"))
        .and(NotForContentType::const_new("application/zip"))
        .and(NotForContentType::const_new("application/vnd.openxmlformats"))
        .and(NotForContentType::const_new("text/event-stream"));
    tower_http::compression::CompressionLayer::new().br(true).gzip(true).compress_when(predicate)
}
