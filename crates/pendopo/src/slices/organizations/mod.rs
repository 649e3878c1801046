//! Organisations (OPD) of the region: list, show with members, create and
//! edit, as pages and as JSON API.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Json};
use serde::Deserialize;

use crate::kernel::identity;
use crate::kernel::organizations::{self as orgs, KINDS, OrgInput, Organization};
use crate::web::ctx::{ApiWriter, Ctx, SignedIn};
use crate::web::error::{AppError, AppResult};

pub const SLICE: crate::slices::Slice = crate::slices::Slice {
    menu: &[crate::slices::MenuEntry { label: "nav.organizations", href: "/organization", admins_only: false }],
    templates: &[
        ("organizations/form.html", include_str!("templates/form.html")),
        ("organizations/list.html", include_str!("templates/list.html")),
        ("organizations/show.html", include_str!("templates/show.html")),
    ],
    locales: [include_str!("locales/id.txt"), include_str!("locales/en.txt")],
    ..crate::slices::Slice::new("org", routes)
};

pub fn routes() -> crate::slices::Routes {
    crate::slices::Routes::new()
        .route("/organization", get(list_page).post(create_form))
        .route("/organization/new", get(new_page))
        .route("/organization/{slug}", get(show_page).post(update_form))
        .route("/organization/{slug}/edit", get(edit_page))
        .api(
            "/api/v1/organizations",
            get(api_list).post(api_create),
            &[
                crate::slices::Op { method: "get", summary: "The region's organisations (OPD)" },
                crate::slices::Op { method: "post", summary: "Add an organisation (walidata)" },
            ],
        )
        .api(
            "/api/v1/organizations/{slug}",
            get(api_show).put(api_update),
            &[
                crate::slices::Op { method: "get", summary: "An organisation with its members" },
                crate::slices::Op { method: "put", summary: "Change an organisation (walidata, or its own admin)" },
            ],
        )
}

async fn find(ctx: &Ctx, slug: &str) -> AppResult<Organization> {
    orgs::get(&ctx.app.store, &ctx.tenant.id, slug).await?.ok_or_else(AppError::not_found)
}

async fn list_page(ctx: Ctx) -> AppResult<Response> {
    let list = orgs::list(&ctx.app.store, &ctx.tenant.id).await?;
    Ok(ctx.render("organizations/list.html", minijinja::context! { orgs => list })?.into_response())
}

async fn show_page(ctx: Ctx, Path(slug): Path<String>) -> AppResult<Response> {
    let org = find(&ctx, &slug).await?;
    // Members are listed by name and role only: emails stay with admins.
    let members = identity::list_users(&ctx.app.store, &ctx.tenant.id, Some(&org.id)).await?;
    let can_edit = ctx.user.as_ref().is_some_and(|u| u.can_edit_org(&org.id));
    let show_emails = ctx.user.as_ref().is_some_and(|u| u.is_region_admin() || u.org_id.as_deref() == Some(&org.id));
    let panels = crate::slices::panels(&ctx, crate::slices::Place::Organization(&org)).await?;
    let page = minijinja::context! { org, members, can_edit, show_emails, panels };
    Ok(ctx.render("organizations/show.html", page)?.into_response())
}

#[derive(Deserialize)]
struct OrgForm {
    #[serde(flatten)]
    input: OrgInput,
    #[serde(default)]
    csrf: String,
}

fn render_form(ctx: &Ctx, status: StatusCode, input: &OrgInput, editing: Option<&str>, error: Option<&AppError>) -> AppResult<Response> {
    let (message, fields) = ctx.form_errors(error);
    let page = minijinja::context! { input, editing, kinds => KINDS, error => message, field_errors => fields };
    Ok((status, ctx.render("organizations/form.html", page)?).into_response())
}

async fn new_page(ctx: Ctx) -> AppResult<Response> {
    ctx.region_admin()?;
    render_form(&ctx, StatusCode::OK, &OrgInput { kind: "dinas".into(), ..Default::default() }, None, None)
}

async fn edit_page(ctx: Ctx, Path(slug): Path<String>) -> AppResult<Response> {
    let user = ctx.user()?;
    let org = find(&ctx, &slug).await?;
    if !user.can_edit_org(&org.id) {
        return Err(ctx.denied());
    }
    let input = OrgInput { slug: org.slug, name: org.name, kind: org.kind, description: org.description, region_code: org.region_code };
    render_form(&ctx, StatusCode::OK, &input, Some(&slug), None)
}

/// Field problems go back to the form with the values kept; anything else
/// is an error page.
fn form_outcome(ctx: &Ctx, result: Result<Organization, orgs::OrgError>, input: &OrgInput, editing: Option<&str>) -> AppResult<Response> {
    match result.map_err(AppError::from) {
        Ok(org) => Ok((StatusCode::SEE_OTHER, [(LOCATION, format!("/organization/{}", org.slug))]).into_response()),
        Err(e @ AppError::Invalid(_)) => render_form(ctx, StatusCode::UNPROCESSABLE_ENTITY, input, editing, Some(&e)),
        Err(e) => Err(e),
    }
}

async fn create_form(SignedIn(ctx): SignedIn, Form(form): Form<OrgForm>) -> AppResult<Response> {
    ctx.region_admin()?;
    ctx.check_csrf(&form.csrf)?;
    let result = orgs::create(&ctx.app.store, &ctx.tenant.id, &form.input).await;
    form_outcome(&ctx, result, &form.input, None)
}

async fn update_form(SignedIn(ctx): SignedIn, Path(slug): Path<String>, Form(form): Form<OrgForm>) -> AppResult<Response> {
    let user = ctx.user()?;
    let org = find(&ctx, &slug).await?;
    if !user.can_edit_org(&org.id) {
        return Err(ctx.denied());
    }
    ctx.check_csrf(&form.csrf)?;
    let result = orgs::update(&ctx.app.store, &ctx.tenant.id, &slug, &form.input).await;
    form_outcome(&ctx, result, &form.input, Some(&slug))
}

async fn api_list(ctx: Ctx) -> AppResult<Response> {
    let list = orgs::list(&ctx.app.store, &ctx.tenant.id).await?;
    Ok(Json(serde_json::json!({ "count": list.len(), "organizations": list })).into_response())
}

async fn api_show(ctx: Ctx, Path(slug): Path<String>) -> AppResult<Response> {
    let org = find(&ctx, &slug).await?;
    let members: Vec<_> = identity::list_users(&ctx.app.store, &ctx.tenant.id, Some(&org.id))
        .await?
        .into_iter()
        .map(|u| serde_json::json!({ "name": u.name, "role": u.role }))
        .collect();
    Ok(Json(serde_json::json!({ "organization": org, "members": members })).into_response())
}

async fn api_create(ApiWriter(ctx): ApiWriter, Json(input): Json<OrgInput>) -> AppResult<Response> {
    let user = ctx.api_user()?;
    if !user.is_region_admin() {
        return Err(ctx.denied());
    }
    let org = orgs::create(&ctx.app.store, &ctx.tenant.id, &input).await?;
    Ok((StatusCode::CREATED, Json(org)).into_response())
}

async fn api_update(ApiWriter(ctx): ApiWriter, Path(slug): Path<String>, Json(input): Json<OrgInput>) -> AppResult<Response> {
    let user = ctx.api_user()?;
    let org = find(&ctx, &slug).await?;
    if !user.can_edit_org(&org.id) {
        return Err(ctx.denied());
    }
    Ok(Json(orgs::update(&ctx.app.store, &ctx.tenant.id, &slug, &input).await?).into_response())
}
