//! What the catalogue shows on other slices' pages: on the front page its
//! search, its size, the newest datasets and the groups; on an agency's page
//! the agency's datasets; on a region's page the datasets that cover it.

use crate::slices::Place;
use crate::slices::catalog::repo::{self, Viewer};
use crate::slices::catalog::search::{self, Facet, Sort};
use crate::web::ctx::Ctx;
use crate::web::error::AppResult;

/// Datasets covering a wider area listed on a region's page; the rest are a link away.
const AROUND_SHOWN: usize = 8;

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
        Place::Region { code, name, .. } => {
            // The datasets whose coverage (Satu Data's cakupan wilayah) is
            // this region or inside it, then those covering it whole (the
            // regency's tables by kecamatan hold a row for it).
            let visible = super::pages::datasets_where_all(ctx).await?;
            let inside = |c: &str| c == code || c.starts_with(&format!("{code}."));
            let covering = |c: &str| !c.is_empty() && code.starts_with(&format!("{c}."));
            let (mut here, mut around) = (Vec::new(), Vec::new());
            for d in visible {
                let c = d.satudata.cakupan_wilayah.clone();
                if inside(&c) {
                    here.push(d);
                } else if covering(&c) {
                    around.push(d);
                }
            }
            let around_count = around.len();
            around.truncate(AROUND_SHOWN);
            ctx.render("catalog/panel_region.html", minijinja::context! { name, here, around, around_count })?
        }
    };
    Ok(Some(html.0))
}
