//! The region's front page.

use axum::response::{IntoResponse, Response};
use axum::routing::get;
use wilayah::Directory;

use crate::kernel::organizations as orgs;
use crate::slices::catalog::repo::{self, Viewer};
use crate::slices::catalog::search::{self, Facet, Sort};
use crate::web::ctx::Ctx;
use crate::web::error::AppResult;

pub const SLICE: crate::slices::Slice = crate::slices::Slice::new("home", routes);

pub fn routes() -> crate::slices::Routes {
    crate::slices::Routes::new().route("/", get(home))
}

async fn home(ctx: Ctx) -> AppResult<Response> {
    let dir = Directory::embedded();
    let code = ctx.tenant.code();
    let counts = dir.counts(&code);
    let organizations = orgs::list(&ctx.app.store, &ctx.tenant.id).await?.len();
    let kecamatan: Vec<_> = dir.children_of(&code).map(|r| (r.code, r.name.as_str(), dir.counts(&r.code)[2])).collect();
    // What citizens see first: the public catalog's size and its newest entries.
    let query = search::Query {
        q: String::new(),
        filters: vec![],
        sort: Sort::ModifiedDesc,
        rows: 6,
        start: 0,
        facets: vec![Facet::Groups],
        facet_limit: 6,
    };
    let found = crate::slices::catalog::searches(&ctx.app).search(&ctx.app.store, &ctx.tenant.id, &Viewer::default(), &query).await?;
    let recent = repo::get_many(&ctx.app.store, &ctx.tenant.id, &found.ids).await?;
    let groups = repo::groups(&ctx.app.store, &ctx.tenant.id).await?;
    let page = minijinja::context! { counts, organizations, kecamatan, datasets => found.count, recent, groups };
    Ok(ctx.render("home.html", page)?.into_response())
}
