//! The region's front page.

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use wilayah::Directory;

use crate::kernel::organizations as orgs;
use crate::web::App;
use crate::web::ctx::Ctx;
use crate::web::error::AppResult;

pub fn routes() -> Router<App> {
    Router::new().route("/", get(home))
}

async fn home(ctx: Ctx) -> AppResult<Response> {
    let dir = Directory::embedded();
    let code = ctx.tenant.code();
    let counts = dir.counts(&code);
    let organizations = orgs::list(&ctx.app.store, &ctx.tenant.id).await?.len();
    let kecamatan: Vec<_> = dir.children_of(&code).map(|r| (r.code, r.name.as_str(), dir.counts(&r.code)[2])).collect();
    let page = minijinja::context! { counts, organizations, kecamatan };
    Ok(ctx.render("home.html", page)?.into_response())
}
