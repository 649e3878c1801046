//! The request context every tenant handler starts from: which region, which
//! language, who is asking and how, and the CSRF token of the page.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::header::{ACCEPT_LANGUAGE, AUTHORIZATION, COOKIE, HOST};
use axum::http::request::Parts;
use axum::response::Html;
use minijinja::Value;
use serde::Serialize;

use crate::kernel::identity::{self, TokenError, User};
use crate::kernel::msg::Msg;
use crate::kernel::tenancy::Tenant;
use crate::web::App;
use crate::web::client::Client;
use crate::web::error::{AppError, AppResult};
use crate::web::ui::Lang;

pub const CSRF_COOKIE: &str = "pendopo_csrf";
pub const LANG_COOKIE: &str = "pendopo_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthVia {
    Anonymous,
    Session,
    Token,
}

pub struct Ctx {
    pub app: App,
    pub tenant: Tenant,
    pub lang: Lang,
    pub user: Option<User>,
    pub via: AuthVia,
    /// The token forms must send back: the session's when signed in, else
    /// the double-submit cookie's.
    pub csrf: String,
    pub path: String,
    /// The client's address and how it reached the site (`web::client`).
    pub client: Client,
}

/// A cookie's value from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The language: the switch's cookie, else the browser's first choice of
/// ours, else Bahasa Indonesia.
pub fn language(headers: &HeaderMap) -> Lang {
    if let Some(l) = cookie(headers, LANG_COOKIE).and_then(Lang::parse) {
        return l;
    }
    headers
        .get(ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').find_map(|part| Lang::parse(part.split(';').next().unwrap_or(""))))
        .unwrap_or(Lang::Id)
}

/// The API token of a request: `Authorization: <token>` (as CKAN clients
/// send it), `Authorization: Bearer <token>`, or `X-CKAN-API-Key`.
///
/// HTTP Basic credentials are the proxy's (nginx `auth_basic` in front of a
/// staging site), not ours: they are no token, so pages stay reachable.
pub fn api_token(headers: &HeaderMap) -> Option<String> {
    let raw = headers.get(AUTHORIZATION).or_else(|| headers.get("x-ckan-api-key"))?.to_str().ok()?.trim();
    if raw.get(..6).is_some_and(|s| s.eq_ignore_ascii_case("basic ")) {
        return None;
    }
    let token = raw.strip_prefix("Bearer ").or_else(|| raw.strip_prefix("bearer ")).unwrap_or(raw).trim();
    (!token.is_empty()).then(|| token.to_string())
}

impl FromRequestParts<App> for Ctx {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let host = parts.headers.get(HOST).and_then(|h| h.to_str().ok());
        let tenant = app.tenants.for_host(host).await?.ok_or(AppError::NoTenant)?;
        let lang = language(&parts.headers);
        let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/").to_string();
        let client = Client::from_request_parts(parts, app).await?;
        let mut ctx = Ctx { app: app.clone(), tenant, lang, user: None, via: AuthVia::Anonymous, csrf: String::new(), path, client };

        if let Some(token) = api_token(&parts.headers) {
            match identity::token_user(&app.store, &app.tokens, &ctx.tenant.id, &token).await? {
                Ok(user) => {
                    ctx.user = Some(user);
                    ctx.via = AuthVia::Token;
                }
                Err(e) => {
                    let key = match e {
                        TokenError::Unknown => "error.token_unknown",
                        TokenError::Expired => "error.token_expired",
                        TokenError::Revoked => "error.token_revoked",
                    };
                    tracing::warn!(reason = key, "rejected API token");
                    return Err(AppError::Unauthorized(Msg::new(key)));
                }
            }
        } else if let Some(secret) = cookie(&parts.headers, identity::SESSION_COOKIE)
            && let Some((user, csrf)) = identity::session_user(&app.store, &ctx.tenant.id, secret).await?
        {
            ctx.user = Some(user);
            ctx.via = AuthVia::Session;
            ctx.csrf = csrf;
        }
        if ctx.via != AuthVia::Session {
            ctx.csrf = parts
                .extensions
                .get::<CsrfCookie>()
                .map(|c| c.0.clone())
                .or_else(|| cookie(&parts.headers, CSRF_COOKIE).map(str::to_string))
                .unwrap_or_default();
        }
        Ok(ctx)
    }
}

/// A context with a signed-in user. As an extractor placed before `Form` or
/// `Json`, it turns strangers away before their body is even read.
pub struct SignedIn(pub Ctx);

impl FromRequestParts<App> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, app).await?;
        ctx.user()?;
        Ok(SignedIn(ctx))
    }
}

/// A context for API writes: a user authenticated by token (see [`Ctx::api_user`]).
pub struct ApiWriter(pub Ctx);

impl FromRequestParts<App> for ApiWriter {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, app).await?;
        ctx.api_user()?;
        Ok(ApiWriter(ctx))
    }
}

/// The double-submit token the `csrf_cookie` middleware gave this request.
#[derive(Clone)]
pub struct CsrfCookie(pub String);

impl Ctx {
    /// The signed-in user, or 401 (the API) / the sign-in page (pages).
    pub fn user(&self) -> AppResult<&User> {
        self.user.as_ref().ok_or(AppError::Unauthorized(Msg::new("error.login_required")))
    }

    /// A region admin (walidata or sysadmin), or 401/403.
    pub fn region_admin(&self) -> AppResult<&User> {
        let user = self.user()?;
        if user.is_region_admin() { Ok(user) } else { Err(self.denied()) }
    }

    pub fn denied(&self) -> AppError {
        if let Some(u) = &self.user {
            tracing::warn!(user = %u.email, role = u.role.as_str(), path = %self.path, "forbidden");
        }
        AppError::forbidden()
    }

    /// Checks a form's CSRF token. API calls authenticated by token carry no
    /// cookies a third site could ride on, so they need none.
    pub fn check_csrf(&self, sent: &str) -> AppResult<()> {
        if self.via == AuthVia::Token {
            return Ok(());
        }
        if self.csrf.is_empty() || !constant_time_eq(sent.as_bytes(), self.csrf.as_bytes()) {
            tracing::warn!(path = %self.path, "CSRF token mismatch");
            return Err(AppError::Forbidden(Msg::new("error.csrf")));
        }
        Ok(())
    }

    /// For API writes: a user authenticated by token (a browser session
    /// cannot write through the API, so no CSRF can reach it).
    pub fn api_user(&self) -> AppResult<&User> {
        match self.via {
            AuthVia::Token => self.user(),
            _ => Err(AppError::Unauthorized(Msg::new("error.token_required"))),
        }
    }

    /// The site's address as this client reached it (`https://` behind TLS).
    pub fn base_url(&self) -> String {
        self.client.base_url()
    }

    pub fn text(&self, key: &'static str) -> String {
        self.app.ui.catalog.text(self.lang, key, &[])
    }

    pub fn msg(&self, msg: &Msg) -> String {
        self.app.ui.catalog.msg(self.lang, msg)
    }

    /// A form's problems as its page shows them: the message for the
    /// summary, and each field's messages (joined) by the field's name.
    pub fn form_errors(&self, error: Option<&crate::web::error::AppError>) -> (Option<String>, std::collections::BTreeMap<String, String>) {
        let Some(e) = error else { return (None, Default::default()) };
        let (message, fields) = e.messages();
        let mut by_field: std::collections::BTreeMap<String, String> = Default::default();
        for (field, m) in fields {
            let text = self.msg(&m);
            by_field.entry(field).and_modify(|t| *t = format!("{t}; {text}")).or_insert(text);
        }
        (Some(self.msg(&message)), by_field)
    }

    /// The region's day today, on the store's clock (tests move it).
    pub fn today(&self) -> kalender::Date {
        kalender::Date::from_unix_millis(self.app.store.now_ms(), self.tenant.time_zone().utc_offset_hours())
            .expect("the clock is within the calendar")
    }

    /// Renders a page with the layout's common values.
    pub fn render(&self, template: &str, page: impl Serialize) -> AppResult<Html<String>> {
        let tmpl = self.app.ui.env.get_template(template)?;
        let base = minijinja::context! {
            lang => self.lang.code(),
            other_lang => self.lang.other().code(),
            tenant => &self.tenant,
            tz => self.tenant.time_zone().abbreviation(),
            user => &self.user,
            is_admin => self.user.as_ref().is_some_and(|u| u.is_region_admin()),
            csrf => &self.csrf,
            path => &self.path,
            attribution => wilayah::ATTRIBUTION,
            asset_version => crate::web::assets::VERSION.as_str(),
            menu => crate::slices::menu(),
        };
        let ctx = minijinja::context! { ..Value::from_serialize(&page), ..base };
        Ok(Html(tmpl.render(ctx)?))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
