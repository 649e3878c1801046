//! What the catalogue shows on other slices' pages: on the front page its
//! search, its size, the newest datasets and the groups; on an agency's page
//! the agency's datasets.

use crate::slices::Place;
use crate::slices::catalog::repo::{self, Viewer};
use crate::slices::catalog::search::{self, Facet, Sort};
use crate::web::ctx::Ctx;
use crate::web::error::AppResult;

pub async fn panel(ctx: &Ctx, place: Place<'_>) -> AppResult<Option<String>> {
    let html = match place {
        Place::Home => {
            // What citizens see first: the public catalogue's size and its newest entries.
            let query =
                search::Query { facets: vec![Facet::Groups], facet_limit: 6, ..search::Query::listing(vec![], Sort::ModifiedDesc, 6, 0) };
            let found = super::searches(&ctx.app).search(&ctx.app.store, &ctx.tenant.id, &Viewer::default(), &query).await?;
            let recent = repo::get_many(&ctx.app.store, &ctx.tenant.id, &found.ids).await?;
            let groups = repo::groups(&ctx.app.store, &ctx.tenant.id).await?;
            let page = minijinja::context! { datasets => found.count, recent, groups };
            ctx.render("catalog/panel_home.html", page)?
        }
        Place::Organization(org) => {
            let datasets = super::pages::datasets_where(ctx, Facet::Organization, &org.slug).await?;
            ctx.render("catalog/panel_organization.html", minijinja::context! { datasets })?
        }
    };
    Ok(Some(html.0))
}
