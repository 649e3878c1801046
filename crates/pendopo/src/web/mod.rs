//! The HTTP server: application state, the router that every slice plugs
//! into, and the middleware every request passes through.

pub mod accept;
pub mod assets;
pub mod chart;
pub mod client;
pub mod ctx;
pub mod drawing;
pub mod error;
pub mod format;
pub mod map;
pub mod openapi;
pub mod ops;
pub mod pdf;
pub mod throttle;
pub mod ui;
pub mod upload;

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::header::{CONTENT_TYPE, LOCATION, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use crate::kernel::msg::Msg;
use crate::kernel::tenancy::TenantResolver;
use crate::store::Store;
use ctx::{CSRF_COOKIE, CsrfCookie, cookie, language};
use error::{AppError, ErrorReport};

pub struct AppState {
    pub store: Store,
    pub tenants: TenantResolver,
    /// API tokens verified lately (`identity::token_user`).
    pub tokens: crate::kernel::identity::VerifiedTokens,
    pub ui: ui::Ui,
    pub metrics: ops::Metrics,
    pub files: crate::kernel::files::FileStore,
    pub max_body_bytes: usize,
    pub max_upload_bytes: u64,
    /// Each slice's own state, by type (`Slice::state`), e.g. the catalog's
    /// cache of search answers.
    pub parts: axum::http::Extensions,
    /// Peers whose `X-Forwarded-*` headers are believed (`web::client`).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub secure_cookies: client::SecureCookies,
    /// Background jobs: the handlers by kind, this process's counts, and the
    /// bell that wakes the worker when a job is queued here.
    pub jobs: crate::worker::Handlers,
    pub job_stats: crate::worker::Stats,
    pub job_wake: Arc<tokio::sync::Notify>,
    /// Whether `serve` runs the job worker beside the HTTP server.
    pub run_jobs: bool,
    /// The slices' long-lived services (and a test's), whether `serve` runs
    /// them, how long a singleton's lease lasts, and what ran here.
    pub services: Vec<crate::services::Service>,
    pub run_services: bool,
    pub service_lease: std::time::Duration,
    pub service_stats: crate::services::Stats,
    /// How long a client may take to send a request's headers.
    pub header_timeout: std::time::Duration,
    /// Where notifications are sent by email; without it they are kept
    /// for the staff pages.
    pub smtp: Option<crate::kernel::mail::Smtp>,
    /// `--mqtt-url`: the broker devices publish to (else no MQTT ingestion).
    pub mqtt: Option<crate::kernel::mqtt::MqttUrl>,
}

pub type App = Arc<AppState>;

pub struct WebConfig {
    /// Uploaded files live under `DATA_DIR/files`.
    pub data_dir: PathBuf,
    pub max_body_bytes: usize,
    /// Uploads (resource files) may be larger than other requests.
    pub max_upload_bytes: u64,
    /// Templates here replace the built-in ones of the same name.
    pub template_dir: Option<PathBuf>,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub secure_cookies: client::SecureCookies,
    /// Handlers besides the slices' (tests add their own kinds).
    pub extra_jobs: Vec<(&'static str, crate::worker::Handler)>,
    pub run_jobs: bool,
    /// Services besides the slices' (tests add their own).
    pub extra_services: Vec<crate::services::Service>,
    pub run_services: bool,
    /// How long a singleton service's lease lasts: another server takes the
    /// service over this long after its server died.
    pub service_lease: std::time::Duration,
    /// A client slower than this to send its request's headers is cut off
    /// (a few slow clients cannot hold every connection open).
    pub header_timeout: std::time::Duration,
    /// `--smtp-url`: notifications go out by email (else they are kept).
    pub smtp: Option<crate::kernel::mail::Smtp>,
    /// `--mqtt-url`: the broker devices publish to.
    pub mqtt: Option<crate::kernel::mqtt::MqttUrl>,
}

impl WebConfig {
    /// The defaults of `pendopo serve` for a data directory: a local proxy
    /// (nginx on the same host, as docs/deploy.md sets up) is trusted.
    pub fn new(data_dir: PathBuf) -> WebConfig {
        WebConfig {
            data_dir,
            max_body_bytes: 10 * 1024 * 1024,
            max_upload_bytes: 200 * 1024 * 1024,
            template_dir: None,
            trusted_proxies: vec![std::net::Ipv4Addr::LOCALHOST.into(), std::net::Ipv6Addr::LOCALHOST.into()],
            secure_cookies: client::SecureCookies::Auto,
            extra_jobs: Vec::new(),
            run_jobs: true,
            extra_services: Vec::new(),
            run_services: true,
            service_lease: std::time::Duration::from_secs(15),
            header_timeout: std::time::Duration::from_secs(10),
            smtp: None,
            mqtt: None,
        }
    }
}

pub fn state(store: Store, config: WebConfig) -> App {
    Arc::new(AppState {
        tenants: TenantResolver::new(store.clone()),
        tokens: Default::default(),
        store,
        ui: ui::Ui::new(config.template_dir),
        metrics: ops::Metrics::default(),
        files: crate::kernel::files::FileStore::new(config.data_dir.join("files")),
        max_body_bytes: config.max_body_bytes,
        max_upload_bytes: config.max_upload_bytes,
        parts: crate::slices::states(),
        trusted_proxies: config.trusted_proxies,
        secure_cookies: config.secure_cookies,
        jobs: crate::worker::Handlers::new(crate::slices::job_handlers().into_iter().chain(config.extra_jobs)),
        job_stats: Default::default(),
        job_wake: crate::worker::waker(),
        run_jobs: config.run_jobs,
        services: crate::slices::services().into_iter().chain(config.extra_services).collect(),
        run_services: config.run_services,
        service_lease: config.service_lease,
        service_stats: Default::default(),
        header_timeout: config.header_timeout,
        smtp: config.smtp,
        mqtt: config.mqtt,
    })
}

/// The whole application: every slice's routes (`slices::ALL`), the
/// operations endpoints and the middleware.
pub fn router(app: App) -> Router {
    let routed = Router::new()
        .merge(crate::slices::routes().into_router())
        .route("/api/v1/openapi.json", get(openapi::serve))
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .route("/static/style.css", get(assets::style))
        .route("/static/favicon.svg", get(assets::favicon_svg))
        .route("/favicon.ico", get(assets::favicon_ico))
        .fallback(|| async { AppError::not_found() })
        .route_layer(middleware::from_fn(tag_route))
        .layer(DefaultBodyLimit::max(app.max_body_bytes))
        .layer(middleware::from_fn_with_state(app.clone(), render_errors))
        .layer(middleware::from_fn(csrf_cookie))
        .layer(middleware::from_fn_with_state(app.clone(), client::identify))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(assets::caching))
        .layer(assets::compression())
        .layer(middleware::from_fn_with_state(app.clone(), ops::observe))
        .with_state(app);
    // Paths rewritten before routing (a router's own layers run after it).
    // NGSI-LD requests are screened (ids, parameters) on the rewritten path.
    Router::new()
        .fallback_service(routed)
        .layer(middleware::from_fn(crate::slices::sensors::http::screened))
        .layer(middleware::map_request(crate::slices::sensors::http::trailing_slash))
}

/// What browsers are told on every answer: no framing by other sites, no
/// scripts or styles from anywhere but here (pages have no inline script),
/// no guessing a file's type (an uploaded file is never sniffed as HTML),
/// and only our origin in the Referer when a link leaves the site.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name: &'static str, value: &'static str| {
        if !h.contains_key(name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    };
    set(
        h,
        "content-security-policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    );
    set(h, "x-content-type-options", "nosniff");
    set(h, "x-frame-options", "DENY");
    set(h, "referrer-policy", "strict-origin-when-cross-origin");
    res
}

/// Copies the matched route template to the response, for the metrics of
/// the outer `observe` middleware (which runs before routing).
async fn tag_route(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().cloned();
    let mut res = next.run(req).await;
    if let Some(r) = route {
        res.extensions_mut().insert(r);
    }
    res
}

/// Makes sure every browser has a double-submit CSRF token before it is
/// shown a form (the sign-in form comes before any session).
async fn csrf_cookie(mut req: Request, next: Next) -> Response {
    if cookie(req.headers(), CSRF_COOKIE).is_some() || crate::slices::is_machine_path(req.uri().path()) {
        return next.run(req).await;
    }
    let token = crate::kernel::identity::random_secret();
    req.extensions_mut().insert(CsrfCookie(token.clone()));
    let mut res = next.run(req).await;
    let c = format!("{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict");
    if let Ok(v) = HeaderValue::from_str(&c) {
        res.headers_mut().append(SET_COOKIE, v);
    }
    res
}

/// Turns failed answers into what the client reads: JSON under `/api/`, a
/// page in the user's language elsewhere. Also covers the errors that
/// axum's extractors answer by themselves (413, bad forms and JSON).
async fn render_errors(State(app): State<App>, req: Request, next: Next) -> Response {
    let lang = language(req.headers());
    // Machine-readable paths answer errors in JSON.
    let api = crate::slices::is_machine_path(req.uri().path());
    let path = req.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
    let host = req.headers().get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).map(str::to_string);
    let request_id = req.headers().get(ops::REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let res = next.run(req).await;
    let status = res.status();
    if status.is_success() || status.is_redirection() || status.is_informational() {
        return res;
    }
    // A handler's own page or JSON (e.g. the sign-in form shown again with
    // 401) passes through; plain-text rejections and our errors do not.
    let plain = res.headers().get(CONTENT_TYPE).is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    if res.extensions().get::<ErrorReport>().is_none() && !plain {
        return res;
    }
    let route = res.extensions().get::<MatchedPath>().cloned();
    // A 405 keeps the methods the path does take.
    let allow = res.headers().get(axum::http::header::ALLOW).cloned();
    let mut out = render(&app, res, status, lang, api, &path, host.as_deref(), &request_id).await;
    if let Some(r) = route {
        out.extensions_mut().insert(r);
    }
    if let Some(a) = allow {
        out.headers_mut().insert(axum::http::header::ALLOW, a);
    }
    out
}

#[allow(clippy::too_many_arguments)]
async fn render(
    app: &App,
    res: Response,
    status: StatusCode,
    lang: ui::Lang,
    api: bool,
    path: &str,
    host: Option<&str>,
    request_id: &str,
) -> Response {
    let report = match res.extensions().get::<ErrorReport>() {
        Some(r) => r.clone(),
        None => {
            // An extractor's own rejection: keep its status, say it clearly.
            let msg = if status == StatusCode::PAYLOAD_TOO_LARGE {
                Msg::new("error.too_large").arg("limit", format::thousands(app.max_body_bytes as i64))
            } else if status == StatusCode::METHOD_NOT_ALLOWED {
                Msg::new("error.method")
            } else {
                let body = axum::body::to_bytes(res.into_body(), 16 * 1024).await.unwrap_or_default();
                let detail = String::from_utf8_lossy(&body).to_string();
                tracing::warn!(%detail, "request rejected");
                let report = ErrorReport { msg: Msg::new("error.bad_request").arg("detail", detail), fields: vec![] };
                return finish(app, status, report, lang, api, path, host, request_id).await;
            };
            ErrorReport { msg, fields: vec![] }
        }
    };
    finish(app, status, report, lang, api, path, host, request_id).await
}

#[allow(clippy::too_many_arguments)]
async fn finish(
    app: &App,
    status: StatusCode,
    report: ErrorReport,
    lang: ui::Lang,
    api: bool,
    path: &str,
    host: Option<&str>,
    request_id: &str,
) -> Response {
    let catalog = &app.ui.catalog;
    let message = catalog.msg(lang, &report.msg);
    let code = report.msg.key.strip_prefix("error.").unwrap_or(report.msg.key);
    if api {
        let fields: serde_json::Map<String, serde_json::Value> =
            report.fields.iter().map(|(f, m)| (f.clone(), serde_json::json!([catalog.msg(lang, m)]))).collect();
        let mut error = serde_json::json!({ "code": code, "message": message, "request_id": request_id });
        if !fields.is_empty() {
            error["fields"] = serde_json::Value::Object(fields);
        }
        return (status, Json(serde_json::json!({ "error": error }))).into_response();
    }
    if status == StatusCode::UNAUTHORIZED {
        // Pages send the visitor to sign in, and back here afterwards.
        let next = if path.is_empty() { "/".to_string() } else { path.to_string() };
        let location = format!("/login?next={}", urlencode(&next));
        return (StatusCode::SEE_OTHER, [(LOCATION, location)]).into_response();
    }
    let tenant = app.tenants.for_host(host).await.ok().flatten();
    let fields: Vec<String> = report.fields.iter().map(|(f, m)| format!("{f}: {}", catalog.msg(lang, m))).collect();
    let page = minijinja::context! {
        lang => lang.code(), other_lang => lang.other().code(), tenant => tenant, path => path,
        status => status.as_u16(), message => message, fields => fields, request_id => request_id,
        attribution => wilayah::ATTRIBUTION, asset_version => assets::VERSION.as_str(),
    };
    match app.ui.env.get_template("error.html").and_then(|t| t.render(page)) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            (status, message).into_response()
        }
    }
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Serves, with the job worker beside it, until `shutdown` resolves; then
/// lets requests in flight and the job at hand finish. Each connection is
/// HTTP/1.1 with a header-read timeout (`WebConfig::header_timeout`).
pub async fn serve_until(
    app: App,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = app.run_jobs.then(|| tokio::spawn(crate::worker::run(app.clone(), stopped.clone())));
    let services = app.run_services.then(|| tokio::spawn(crate::services::run(app.clone(), stopped.clone())));
    let header_timeout = app.header_timeout;
    let router = router(app);
    let mut connections = tokio::task::JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of file descriptors and the like: wait, then go on.
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let router = router.clone();
        let mut stopped = stopped.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                tower::ServiceExt::oneshot(router.clone(), req.map(axum::body::Body::new))
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(header_timeout);
            let conn = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service).with_upgrades();
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stopped.changed() => {
                    // Finish the request at hand, take no more.
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
        // Reap finished connections as we go.
        while connections.try_join_next().is_some() {}
    }
    let _ = stop.send(true);
    while connections.join_next().await.is_some() {}
    for background in [worker, services].into_iter().flatten() {
        let _ = background.await;
    }
    Ok(())
}

/// Serves until the process is told to stop (SIGTERM or Ctrl-C).
pub async fn serve(app: App, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    serve_until(app, listener, shutdown_signal()?).await
}

/// A future that resolves on SIGTERM or Ctrl-C. The handlers are installed
/// when this is called, not when the future is first polled, so a signal
/// that arrives between start-up and serving is neither lost nor fatal.
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {},
            _ = interrupt.recv() => {},
        }
        tracing::info!("shutting down: finishing requests in flight");
    })
}

/// A kept file as a response body, streamed from disk, with its length and
/// the given headers (type, disposition, caching).
pub async fn send_file(
    path: &std::path::Path,
    headers: Vec<(axum::http::HeaderName, String)>,
) -> Result<axum::response::Response, error::AppError> {
    use axum::response::IntoResponse;
    let file = tokio::fs::File::open(path).await.map_err(|e| error::AppError::Internal(format!("{}: {e}", path.display())))?;
    let len = file.metadata().await.map(|m| m.len()).unwrap_or(0);
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(file));
    let mut response = body.into_response();
    response.extensions_mut().insert(assets::AsStored);
    let h = response.headers_mut();
    h.insert(axum::http::header::CONTENT_LENGTH, len.into());
    for (name, value) in headers {
        if let Ok(v) = axum::http::HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    Ok(response)
}
