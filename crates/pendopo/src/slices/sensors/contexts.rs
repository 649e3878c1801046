//! The stored @contexts: the broker never fetches one, so the sysadmin
//! stores each context the region's applications name, by its URL
//! (`POST /ngsi-ld/v1/jsonldContexts` with `{"url", "@context"}`); a
//! request naming a URL not stored answers 503 naming it.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use ngsild::problem::ErrorType;
use serde_json::{Value as Json, json};

use super::http::{self, Answer, bad};
use crate::kernel::identity::Role;
use crate::store::sql;
use crate::web::ctx::{AuthVia, Ctx};
use crate::web::error::AppError;

/// `POST /jsonldContexts`: stores (or replaces) the context at a URL.
pub async fn upload(ctx: Ctx, body: Bytes) -> Answer {
    if ctx.via != AuthVia::Token {
        return Err(AppError::Unauthorized(crate::kernel::msg::Msg::new("error.token_required")).into());
    }
    if ctx.user()?.role != Role::Sysadmin {
        return Err(ctx.denied().into());
    }
    let body = http::json_body(&body)?;
    let url = body.get("url").and_then(Json::as_str).filter(|u| ngsild::entity::is_uri(u));
    let Some(url) = url else { return Err(bad(ErrorType::BadRequestData, "url: the URL requests name the context by")) };
    let Some(context) = body.get("@context") else { return Err(bad(ErrorType::BadRequestData, "@context: the context itself")) };
    let doc = json!({ "@context": context });
    // Checked as a context before it is stored (URLs it names must be stored first).
    http::resolve(&ctx.app.store, &doc["@context"]).await?;
    let now = ctx.app.store.now_ms();
    let q =
        sql("INSERT INTO sensor_contexts (url, body, created_at) VALUES ($1, $2, $3) ON CONFLICT (url) DO UPDATE SET body = excluded.body")
            .bind(url)
            .bind(doc.to_string())
            .bind(now);
    ctx.app.store.execute(q).await?;
    Ok(StatusCode::CREATED.into_response())
}

/// `GET /jsonldContexts`: the URLs stored.
pub async fn list(ctx: Ctx, headers: HeaderMap) -> Answer {
    let _ = headers;
    let rows = ctx.app.store.fetch_all(sql("SELECT url FROM sensor_contexts ORDER BY url")).await?;
    let urls = rows.iter().map(|r| r.at::<String>(0)).collect::<Result<Vec<_>, _>>()?;
    Ok(axum::Json(json!(urls)).into_response())
}
