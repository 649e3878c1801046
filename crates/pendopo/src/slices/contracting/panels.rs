//! What procurement shows on other slices' pages: on an agency's page its
//! processes (how many, the newest, a link to all of them); on a region's
//! page the same for the offices that serve the region, and for the regency
//! a link to every process.

use crate::slices::Place;
use crate::slices::contracting::repo::{self, Filters};
use crate::web::ctx::Ctx;
use crate::web::error::AppResult;

/// The newest processes listed per agency; the rest are a link away.
const SHOWN: i64 = 5;

/// One agency's procurement: its slug, name, count and newest processes.
#[derive(serde::Serialize)]
struct Buyer {
    slug: String,
    name: String,
    count: i64,
    latest: Vec<repo::Listed>,
}

async fn buyer(ctx: &Ctx, slug: &str, name: &str) -> AppResult<Buyer> {
    let f = Filters { buyer: slug.to_string(), ..Default::default() };
    let count = repo::count(&ctx.app.store, &ctx.tenant.id, &f).await?;
    let latest = if count > 0 { repo::list(&ctx.app.store, &ctx.tenant.id, &f, 1, SHOWN).await? } else { Vec::new() };
    Ok(Buyer { slug: slug.to_string(), name: name.to_string(), count, latest })
}

pub async fn panel(ctx: &Ctx, place: Place<'_>) -> AppResult<Option<String>> {
    let (buyers, all) = match place {
        Place::Home => return Ok(None),
        Place::Organization(org) => (vec![buyer(ctx, &org.slug, &org.name).await?], None),
        Place::Region { code, offices, .. } => {
            let mut buyers = Vec::new();
            for o in offices {
                buyers.push(buyer(ctx, &o.slug, &o.name).await?);
            }
            // The regency's own page: every process of the region.
            let all =
                if code == ctx.tenant.id { Some(repo::count(&ctx.app.store, &ctx.tenant.id, &Filters::default()).await?) } else { None };
            (buyers, all)
        }
    };
    if all.is_none() && buyers.is_empty() {
        return Ok(None);
    }
    Ok(Some(ctx.render("contracting/panel.html", minijinja::context! { buyers, all })?.0))
}
