//! The DCAT-AP addresses: `/catalog` and `/dataset/{name}` answer Turtle,
//! JSON-LD or RDF/XML by the `Accept` header (a browser keeps the HTML),
//! and `/catalog.ttl`, `.jsonld`, `.rdf` (and the same on a dataset) name the
//! format outright. The catalogue comes in pages of [`super::PAGE_SIZE`].

use axum::extract::Query;
use axum::http::header::{ACCEPT, CONTENT_TYPE, LOCATION, VARY};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::super::repo::{self, Viewer};
use super::graph::Graph;
use super::{Page, Profile, Site};
use crate::kernel::msg::Msg;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::ui::Lang;

pub fn routes() -> crate::slices::Routes {
    crate::slices::Routes::new()
        .route("/catalog", get(negotiated_catalog))
        .route("/catalog.ttl", get(|ctx: Ctx, q: Query<PageQuery>| catalog(ctx, q, Format::Turtle, "/catalog.ttl")))
        .route("/catalog.jsonld", get(|ctx: Ctx, q: Query<PageQuery>| catalog(ctx, q, Format::JsonLd, "/catalog.jsonld")))
        .route("/catalog.rdf", get(|ctx: Ctx, q: Query<PageQuery>| catalog(ctx, q, Format::RdfXml, "/catalog.rdf")))
}

/// The RDF serializations on offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Turtle,
    JsonLd,
    RdfXml,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Turtle, Format::JsonLd, Format::RdfXml];

    pub fn media_type(self) -> &'static str {
        match self {
            Format::Turtle => "text/turtle",
            Format::JsonLd => "application/ld+json",
            Format::RdfXml => "application/rdf+xml",
        }
    }

    /// The file suffix that asks for it (`/dataset/padi.ttl`).
    pub fn suffix(self) -> &'static str {
        match self {
            Format::Turtle => ".ttl",
            Format::JsonLd => ".jsonld",
            Format::RdfXml => ".rdf",
        }
    }

    pub fn respond(self, g: &Graph) -> Response {
        let body = match self {
            Format::Turtle => g.to_turtle(),
            Format::JsonLd => g.to_json_ld().to_string(),
            Format::RdfXml => g.to_rdf_xml(),
        };
        ([(CONTENT_TYPE, format!("{}; charset=utf-8", self.media_type()))], body).into_response()
    }
}

/// What the `Accept` header prefers: an RDF format, or `None` for the HTML
/// page. Each offer takes the quality of the most specific range that
/// covers it; on a tie the page wins, so a browser's `*/*` keeps it.
pub fn negotiate(headers: &HeaderMap) -> Option<Format> {
    let accept = headers.get_all(ACCEPT).iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(",");
    if accept.trim().is_empty() {
        return None;
    }
    let accept = crate::web::accept::Accept::parse(&accept);
    let quality = |offer: &str| accept.quality(offer);
    let html = quality("text/html");
    let (format, q) = Format::ALL
        .iter()
        .map(|f| (*f, quality(f.media_type())))
        .fold((None, 0.0), |best, (f, q)| if q > best.1 { (Some(f), q) } else { best });
    if q > 0.0 && q > html { format } else { None }
}

/// Adds `Vary: Accept` to an answer whose address negotiates.
pub fn varies(mut r: Response) -> Response {
    r.headers_mut().append(VARY, axum::http::HeaderValue::from_static("Accept"));
    r
}

/// The portal's description, with its texts from the message catalogue.
pub struct SiteTexts {
    base: String,
    description: [String; 2],
    themes_title: [String; 2],
}

impl SiteTexts {
    pub fn of(ctx: &Ctx) -> SiteTexts {
        let text = |lang, key| ctx.app.ui.catalog.text(lang, key, &[("region", ctx.tenant.name.clone())]);
        SiteTexts {
            base: ctx.base_url(),
            description: [text(Lang::Id, "dcat.catalog_description"), text(Lang::En, "dcat.catalog_description")],
            themes_title: [text(Lang::Id, "dcat.themes_title"), text(Lang::En, "dcat.themes_title")],
        }
    }

    pub fn site<'a>(&'a self, ctx: &'a Ctx, profile: Profile) -> Site<'a> {
        Site {
            profile,
            base: &self.base,
            name: &ctx.tenant.name,
            region: &ctx.tenant.id,
            description: self.description.clone(),
            themes_title: self.themes_title.clone(),
        }
    }
}

/// One dataset's description: DCAT describes what anyone may see,
/// published and not private.
pub async fn dataset(ctx: &Ctx, name: &str, format: Format, q: &PageQuery) -> AppResult<Response> {
    let profile = q.profile()?;
    let d = repo::get(&ctx.app.store, &ctx.tenant.id, name, &Viewer::default()).await?.ok_or_else(AppError::not_found)?;
    let texts = SiteTexts::of(ctx);
    Ok(format.respond(&super::dataset(&texts.site(ctx, profile), &d)))
}

/// `?page=` (the catalogue's) and `?profile=` (see [`Profile`]).
#[derive(Deserialize, Default)]
pub struct PageQuery {
    page: Option<String>,
    profile: Option<String>,
}

impl PageQuery {
    fn profile(&self) -> AppResult<Profile> {
        let asked = self.profile.as_deref().unwrap_or("").trim();
        Profile::parse(asked)
            .ok_or_else(|| AppError::BadRequest(Msg::new("dcat.profile_unknown").arg("profile", asked).arg("known", Profile::PARAM_AP2)))
    }
}

async fn negotiated_catalog(ctx: Ctx, headers: HeaderMap, q: Query<PageQuery>) -> AppResult<Response> {
    Ok(varies(match negotiate(&headers) {
        Some(format) => catalog(ctx, q, format, "/catalog").await?,
        // People browse the catalogue at /dataset.
        None => (StatusCode::SEE_OTHER, [(LOCATION, "/dataset")]).into_response(),
    }))
}

async fn catalog(ctx: Ctx, Query(q): Query<PageQuery>, format: Format, path: &'static str) -> AppResult<Response> {
    let number = match q.page.as_deref().map(str::trim) {
        None | Some("") => 1,
        Some(p) => {
            p.parse::<usize>().ok().filter(|n| *n >= 1).ok_or_else(|| AppError::BadRequest(Msg::new("dcat.page_invalid").arg("page", p)))?
        }
    };
    let profile = q.profile()?;
    let listed = public_listing(&ctx).await?;
    let page = Page { number, total: listed.len(), path };
    if number > page.last() {
        return Err(AppError::NotFound(Msg::new("dcat.page_missing").arg("page", number).arg("last", page.last())));
    }
    let span = listed.iter().map(|l| l.1).min().zip(listed.iter().map(|l| l.2).max());
    let ids: Vec<String> = listed.into_iter().skip((number - 1) * super::PAGE_SIZE).take(super::PAGE_SIZE).map(|l| l.0).collect();
    let datasets = repo::get_many(&ctx.app.store, &ctx.tenant.id, &ids).await?;
    let texts = SiteTexts::of(&ctx);
    Ok(format.respond(&super::catalog(&texts.site(&ctx, profile), &datasets, &page, span)))
}

/// The public datasets by name: id, when first published, when last changed.
async fn public_listing(ctx: &Ctx) -> AppResult<Vec<(String, i64, i64)>> {
    let (filter, args) = Viewer::default().filter(2);
    let q = format!(
        "SELECT d.id, COALESCE(d.published_at, d.created_at), d.updated_at FROM datasets d WHERE d.tenant_id = $1 AND {filter} ORDER BY d.name"
    );
    let rows = ctx.app.store.fetch_all(crate::store::sql_built(q).bind(&ctx.tenant.id).bind_all(args)).await?;
    Ok(rows.iter().map(|r| Ok((r.at(0)?, r.at(1)?, r.at(2)?))).collect::<Result<_, crate::store::StoreError>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepting(v: &str) -> Option<Format> {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT, v.parse().unwrap());
        negotiate(&h)
    }

    #[test]
    fn browsers_keep_the_page_and_rdf_clients_get_rdf() {
        assert_eq!(accepting("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"), None);
        assert_eq!(accepting("*/*"), None);
        assert_eq!(negotiate(&HeaderMap::new()), None);
        assert_eq!(accepting("text/turtle"), Some(Format::Turtle));
        assert_eq!(accepting("application/ld+json;q=0.9, text/turtle;q=0.5"), Some(Format::JsonLd));
        assert_eq!(accepting("application/rdf+xml, text/html;q=0.5"), Some(Format::RdfXml));
        assert_eq!(accepting("text/turtle;q=0, text/html;q=0.1"), None);
        assert_eq!(accepting("image/png"), None, "nothing on offer is asked for: the page");
    }
}
