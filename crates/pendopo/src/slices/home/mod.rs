//! The region's front page: the region's figures, and the panels the
//! slices give it.

use axum::response::{IntoResponse, Response};
use axum::routing::get;
use wilayah::Directory;

use crate::kernel::organizations as orgs;
use crate::web::ctx::Ctx;
use crate::web::error::AppResult;

pub const SLICE: crate::slices::Slice = crate::slices::Slice {
    templates: &[("home/home.html", include_str!("templates/home.html"))],
    locales: [include_str!("locales/id.txt"), include_str!("locales/en.txt")],
    ..crate::slices::Slice::new("home", routes)
};

pub fn routes() -> crate::slices::Routes {
    crate::slices::Routes::new().route("/", get(home))
}

async fn home(ctx: Ctx) -> AppResult<Response> {
    let dir = Directory::embedded();
    let code = ctx.tenant.code();
    let counts = dir.counts(&code);
    let organizations = orgs::list(&ctx.app.store, &ctx.tenant.id).await?.len();
    let kecamatan: Vec<_> = dir.children_of(&code).map(|r| (r.code, r.name.as_str(), dir.counts(&r.code)[2])).collect();
    // What the slices show here: the catalogue's search and newest datasets first.
    let panels = crate::slices::panels(&ctx, crate::slices::Place::Home).await?;
    let page = minijinja::context! { counts, organizations, kecamatan, panels };
    Ok(ctx.render("home/home.html", page)?.into_response())
}
