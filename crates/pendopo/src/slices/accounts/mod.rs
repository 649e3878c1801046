//! Signing in and out, the language switch, the account page and personal
//! API tokens (pages and API).

use axum::extract::{Path, Query};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Form, Json};
use serde::Deserialize;

use crate::kernel::identity::{self, SESSION_COOKIE, SESSION_TTL_MS};
use crate::kernel::msg::Msg;
use crate::slices::CsrfOnly;
use crate::web::ctx::{ApiWriter, Ctx, LANG_COOKIE, SignedIn, cookie};
use crate::web::error::{AppError, AppResult};
use crate::web::ui::Lang;

/// The API under `/api/` is shared by every slice: this one holds the prefix.
pub const SLICE: crate::slices::Slice = crate::slices::Slice {
    machine_paths: &["/api/"],
    // Signing in and out are for those not (or no longer) signed in.
    open_writes: &["/login", "/logout"],
    own_writes: &["/account/tokens", "/account/tokens/{id}/revoke", "/api/v1/tokens", "/api/v1/tokens/{id}"],
    templates: &[
        ("accounts/account.html", include_str!("templates/account.html")),
        ("accounts/login.html", include_str!("templates/login.html")),
    ],
    locales: [include_str!("locales/id.txt"), include_str!("locales/en.txt")],
    ..crate::slices::Slice::new("account", routes)
};

pub fn routes() -> crate::slices::Routes {
    crate::slices::Routes::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/lang/{lang}", get(switch_language))
        .route("/account", get(account_page))
        .route("/account/tokens", post(create_token_form))
        .route("/account/tokens/{id}/revoke", post(revoke_token_form))
        .api("/api/v1/me", get(api_me), &[crate::slices::Op { method: "get", summary: "The caller's account" }])
        .api(
            "/api/v1/tokens",
            get(api_list_tokens).post(api_create_token),
            &[
                crate::slices::Op { method: "get", summary: "The caller's API tokens" },
                crate::slices::Op { method: "post", summary: "Make an API token (shown once)" },
            ],
        )
        .api(
            "/api/v1/tokens/{id}",
            delete(api_revoke_token),
            &[crate::slices::Op { method: "delete", summary: "Revoke one of the caller's tokens" }],
        )
}

/// Only same-site paths, so `next` cannot send a user elsewhere: browsers
/// drop tabs and newlines from URLs, so `/\t/evil.example` would be
/// `//evil.example` to them.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') && !n.chars().any(char::is_control) => n.to_string(),
        _ => "/".to_string(),
    }
}

fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_string())]).into_response()
}

#[derive(Deserialize)]
struct NextParam {
    next: Option<String>,
}

async fn login_page(ctx: Ctx, Query(p): Query<NextParam>) -> AppResult<Response> {
    if ctx.user.is_some() {
        return Ok(see_other(&safe_next(p.next.as_deref())));
    }
    let page = minijinja::context! { next => safe_next(p.next.as_deref()), email => "", error => None::<String> };
    Ok(ctx.render("accounts/login.html", page)?.into_response())
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    next: Option<String>,
}

async fn login(ctx: Ctx, Form(form): Form<LoginForm>) -> AppResult<Response> {
    ctx.check_csrf(&form.csrf)?;
    let address = ctx.client.address();
    let next = safe_next(form.next.as_deref());
    match identity::authenticate(&ctx.app.store, &ctx.tenant.id, &form.email, &form.password, &address).await {
        Ok(user) => {
            let session = identity::create_session(&ctx.app.store, &ctx.tenant.id, &user.id).await?;
            tracing::info!(user = %user.email, "signed in");
            let cookie = format!("{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}", session.secret, SESSION_TTL_MS / 1000);
            Ok((StatusCode::SEE_OTHER, [(LOCATION, next), (SET_COOKIE, cookie)]).into_response())
        }
        Err(e) => {
            let err = AppError::from(e);
            let (status, msg) = match &err {
                AppError::Unauthorized(m) | AppError::TooManyRequests(m) => (err.status(), m.clone()),
                _ => return Err(err),
            };
            // Debug-formatted: a newline in the e-mail field cannot forge a log line.
            tracing::warn!(email = ?form.email, %address, "sign-in refused");
            let page = minijinja::context! { next, email => form.email, error => ctx.msg(&msg) };
            Ok((status, ctx.render("accounts/login.html", page)?).into_response())
        }
    }
}

async fn logout(ctx: Ctx, headers: HeaderMap, Form(form): Form<CsrfOnly>) -> AppResult<Response> {
    ctx.check_csrf(&form.csrf)?;
    if let Some(secret) = cookie(&headers, SESSION_COOKIE) {
        identity::end_session(&ctx.app.store, &ctx.tenant.id, secret).await?;
    }
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    Ok((StatusCode::SEE_OTHER, [(LOCATION, "/".to_string()), (SET_COOKIE, clear)]).into_response())
}

async fn switch_language(Path(lang): Path<String>, Query(p): Query<NextParam>) -> AppResult<Response> {
    let lang = Lang::parse(&lang).ok_or_else(|| AppError::NotFound(Msg::new("error.not_found")))?;
    let cookie = format!("{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000", lang.code());
    Ok((StatusCode::SEE_OTHER, [(LOCATION, safe_next(p.next.as_deref())), (SET_COOKIE, cookie)]).into_response())
}

async fn account_page(ctx: Ctx) -> AppResult<Response> {
    render_account(&ctx, None).await
}

async fn render_account(ctx: &Ctx, new_token: Option<String>) -> AppResult<Response> {
    let user = ctx.user()?;
    let tokens = identity::list_tokens(&ctx.app.store, &ctx.tenant.id, &user.id).await?;
    let org = match &user.org_id {
        Some(id) => crate::kernel::organizations::get_by_id(&ctx.app.store, &ctx.tenant.id, id).await?,
        None => None,
    };
    let now = ctx.app.store.now_ms();
    let page = minijinja::context! { tokens, new_token, org, now };
    Ok(ctx.render("accounts/account.html", page)?.into_response())
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    name: String,
    /// Days until it expires; empty for never.
    #[serde(default)]
    expires_in_days: String,
    #[serde(default)]
    csrf: String,
}

fn parse_days(s: &str) -> AppResult<Option<i64>> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<i64>() {
        Ok(d) if (1..=3650).contains(&d) => Ok(Some(d)),
        _ => Err(AppError::invalid("expires_in_days", Msg::new("error.days_invalid"))),
    }
}

async fn create_token_form(SignedIn(ctx): SignedIn, Form(form): Form<TokenForm>) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    ctx.check_csrf(&form.csrf)?;
    let days = parse_days(&form.expires_in_days)?;
    let (_, raw) = identity::create_token(&ctx.app.store, &ctx.tenant.id, &user.id, &form.name, days).await?;
    tracing::info!(user = %user.email, "API token created");
    // Shown once, on this answer only.
    render_account(&ctx, Some(raw)).await
}

async fn revoke_token_form(SignedIn(ctx): SignedIn, Path(id): Path<String>, Form(form): Form<CsrfOnly>) -> AppResult<Response> {
    let user = ctx.user()?;
    ctx.check_csrf(&form.csrf)?;
    if !identity::revoke_token(&ctx.app.store, &ctx.app.tokens, &ctx.tenant.id, &user.id, &id).await? {
        return Err(AppError::not_found());
    }
    Ok(see_other("/account"))
}

async fn api_me(ctx: Ctx) -> AppResult<Response> {
    Ok(Json(ctx.user()?).into_response())
}

async fn api_list_tokens(ctx: Ctx) -> AppResult<Response> {
    let user = ctx.user()?;
    let tokens = identity::list_tokens(&ctx.app.store, &ctx.tenant.id, &user.id).await?;
    Ok(Json(serde_json::json!({ "tokens": tokens })).into_response())
}

#[derive(Deserialize)]
struct TokenBody {
    #[serde(default)]
    name: String,
    expires_in_days: Option<i64>,
}

async fn api_create_token(ApiWriter(ctx): ApiWriter, Json(body): Json<TokenBody>) -> AppResult<Response> {
    let user = ctx.api_user()?;
    let days = parse_days(&body.expires_in_days.map(|d| d.to_string()).unwrap_or_default())?;
    let (info, raw) = identity::create_token(&ctx.app.store, &ctx.tenant.id, &user.id, &body.name, days).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "token": raw, "info": info }))).into_response())
}

async fn api_revoke_token(ApiWriter(ctx): ApiWriter, Path(id): Path<String>) -> AppResult<Response> {
    let user = ctx.api_user()?;
    if !identity::revoke_token(&ctx.app.store, &ctx.app.tokens, &ctx.tenant.id, &user.id, &id).await? {
        return Err(AppError::not_found());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
