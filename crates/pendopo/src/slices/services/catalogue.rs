//! The catalogue's pages and JSON API: the public list by agency, a
//! service's printable standard (any kept version), and the officers'
//! create and edit, which share one save path ([`save`]).

use std::collections::BTreeMap;

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use layanan::standar::Component;
use serde::Deserialize;

use super::form::{self, FormPairs};
use super::model::{Service, ServiceInput, Standard};
use super::repo::{self, SaveError};
use crate::kernel::access;
use crate::kernel::msg::Msg;
use crate::kernel::organizations as orgs;
use crate::web::ctx::{ApiWriter, Ctx, SignedIn};
use crate::web::error::{AppError, AppResult};

pub async fn find(ctx: &Ctx, code: &str) -> AppResult<Service> {
    repo::get(&ctx.app.store, &ctx.tenant.id, code)
        .await?
        .ok_or_else(|| AppError::NotFound(Msg::new("layanan.not_found").arg("code", code)))
}

/// Checks and saves a service for the signed-in user: refused (403) when
/// the user may not write for its agency, every field problem at once (422).
async fn save(ctx: &Ctx, existing: Option<&Service>, input: &ServiceInput, mut errors: Vec<(String, Msg)>) -> AppResult<Service> {
    let user = ctx.user()?;
    if existing.is_some_and(|s| !access::for_org(user, &s.agency.id)) || !access::for_any_org(user) {
        return Err(ctx.denied());
    }
    let checked = input.check().map_err(|e| errors.extend(e));
    let org = match input.agency.trim() {
        "" => None,
        slug => {
            let org = orgs::get(&ctx.app.store, &ctx.tenant.id, slug).await?;
            if org.is_none() {
                errors.push(("agency".into(), Msg::new("layanan.agency_unknown").arg("agency", slug)));
            }
            org
        }
    };
    if let Some(o) = &org
        && !access::for_org(user, &o.id)
    {
        return Err(ctx.denied());
    }
    let (Ok(checked), Some(org), true) = (checked, org, errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    match repo::save(&ctx.app.store, &ctx.tenant.id, user, existing, &org, &checked).await {
        Ok(s) => {
            tracing::info!(code = %s.code, agency = %org.slug, "service saved");
            Ok(s)
        }
        Err(SaveError::Invalid(fields)) => Err(AppError::Invalid(fields)),
        Err(SaveError::Store(e)) => Err(e.into()),
    }
}

/// A service as the API shows it: with its standard (a version or the
/// newest) and the list of versions kept.
async fn full(ctx: &Ctx, service: &Service, version: Option<i64>) -> AppResult<(serde_json::Value, Option<Standard>)> {
    let store = &ctx.app.store;
    let standard = repo::standard(store, &ctx.tenant.id, &service.id, version).await?;
    if version.is_some() && standard.is_none() {
        return Err(AppError::not_found());
    }
    let versions: Vec<serde_json::Value> = repo::versions(store, &ctx.tenant.id, &service.id)
        .await?
        .into_iter()
        .map(|(v, at)| serde_json::json!({ "version": v, "created_at": at }))
        .collect();
    let mut json = serde_json::to_value(service).expect("service serialises");
    json["standard"] = serde_json::to_value(&standard).expect("standard serialises");
    json["standard_versions"] = versions.into();
    Ok((json, standard))
}

#[derive(Deserialize)]
pub struct VersionParam {
    #[serde(alias = "versi")]
    version: Option<i64>,
}

pub async fn api_list(ctx: Ctx) -> AppResult<Response> {
    let list = repo::list(&ctx.app.store, &ctx.tenant.id).await?;
    Ok(Json(serde_json::json!({ "count": list.len(), "services": list })).into_response())
}

pub async fn api_show(ctx: Ctx, Path(code): Path<String>, Query(p): Query<VersionParam>) -> AppResult<Response> {
    let service = find(&ctx, &code).await?;
    Ok(Json(full(&ctx, &service, p.version).await?.0).into_response())
}

pub async fn api_create(ApiWriter(ctx): ApiWriter, Json(input): Json<ServiceInput>) -> AppResult<Response> {
    let service = save(&ctx, None, &input, Vec::new()).await?;
    Ok((StatusCode::CREATED, Json(full(&ctx, &service, None).await?.0)).into_response())
}

pub async fn api_update(ApiWriter(ctx): ApiWriter, Path(code): Path<String>, Json(input): Json<ServiceInput>) -> AppResult<Response> {
    let existing = find(&ctx, &code).await?;
    let service = save(&ctx, Some(&existing), &input, Vec::new()).await?;
    Ok(Json(full(&ctx, &service, None).await?.0).into_response())
}

/// `/layanan`: the services grouped by agency.
pub async fn list_page(ctx: Ctx) -> AppResult<Response> {
    let list = repo::list(&ctx.app.store, &ctx.tenant.id).await?;
    let mut groups: Vec<(String, String, Vec<Service>)> = Vec::new();
    for s in list {
        match groups.last_mut() {
            Some((slug, _, items)) if *slug == s.agency.slug => items.push(s),
            _ => groups.push((s.agency.slug.clone(), s.agency.name.clone(), vec![s])),
        }
    }
    let groups: Vec<_> = groups.into_iter().map(|(slug, name, services)| minijinja::context! { slug, name, services }).collect();
    let can_add = ctx.user.as_ref().is_some_and(access::for_any_org);
    let admin = ctx.user.as_ref().is_some_and(|u| u.is_region_admin());
    Ok(ctx.render("services/list.html", minijinja::context! { groups, can_add, admin })?.into_response())
}

/// The components of a standard in the page's order: the six public ones,
/// then the eight internal ones.
fn components(standard: &Standard) -> (Vec<minijinja::Value>, Vec<minijinja::Value>) {
    let row = |c: &Component| minijinja::context! { code => c.code(), name => c.name(), text => standard.components.get(c.code()) };
    let (public, internal): (Vec<&Component>, Vec<&Component>) = Component::ALL.iter().partition(|c| c.is_public());
    (public.into_iter().map(row).collect(), internal.into_iter().map(row).collect())
}

/// `/layanan/{code}`: the service's standard, printable; `?versi=N` an older one.
pub async fn show_page(ctx: Ctx, Path(code): Path<String>, Query(p): Query<VersionParam>) -> AppResult<Response> {
    let service = find(&ctx, &code).await?;
    let (json, standard) = full(&ctx, &service, p.version).await?;
    let (public, internal) = standard.as_ref().map(components).unwrap_or_default();
    let can_edit = ctx.user.as_ref().is_some_and(|u| access::for_org(u, &service.agency.id));
    let attributes = service.open311_attributes().len();
    let page = minijinja::context! {
        service => json, standard, public, internal, can_edit, attributes,
        kinds => service.kinds.iter().map(|k| k.code()).collect::<Vec<_>>(),
    };
    Ok(ctx.render("services/show.html", page)?.into_response())
}

async fn render_form(
    ctx: &Ctx,
    status: StatusCode,
    pairs: &FormPairs,
    editing: Option<&str>,
    error: Option<&AppError>,
) -> AppResult<Response> {
    let user = ctx.user()?;
    let agencies = access::writable_orgs(&ctx.app.store, &ctx.tenant.id, user).await?;
    let errors: BTreeMap<String, String> = match error {
        Some(e) => e.messages().1.iter().map(|(f, m)| (f.clone(), ctx.msg(m))).collect(),
        None => BTreeMap::new(),
    };
    let page = form::view(pairs, editing, agencies, errors);
    Ok((status, ctx.render("services/form.html", page)?).into_response())
}

pub async fn new_page(ctx: Ctx) -> AppResult<Response> {
    if !access::for_any_org(ctx.user()?) {
        return Err(ctx.denied());
    }
    render_form(&ctx, StatusCode::OK, &form::pairs_of(&ServiceInput::default(), None), None, None).await
}

pub async fn edit_page(ctx: Ctx, Path(code): Path<String>) -> AppResult<Response> {
    let service = find(&ctx, &code).await?;
    if !access::for_org(ctx.user()?, &service.agency.id) {
        return Err(ctx.denied());
    }
    let standard = repo::standard(&ctx.app.store, &ctx.tenant.id, &service.id, None).await?;
    render_form(&ctx, StatusCode::OK, &form::pairs_of_service(&service, standard.as_ref()), Some(&code), None).await
}

async fn form_outcome(ctx: &Ctx, existing: Option<&Service>, pairs: FormPairs) -> AppResult<Response> {
    let field = pairs.iter().find(|(k, _)| k == "csrf").map_or("", |(_, v)| v.as_str());
    ctx.check_csrf(field)?;
    let (input, errors) = form::input_of(&pairs);
    match save(ctx, existing, &input, errors).await {
        Ok(s) => Ok((StatusCode::SEE_OTHER, [(LOCATION, format!("/layanan/{}", s.code))]).into_response()),
        Err(e @ AppError::Invalid(_)) => {
            let shown = form::pairs_of(&input, Some(&pairs));
            render_form(ctx, StatusCode::UNPROCESSABLE_ENTITY, &shown, existing.map(|s| s.code.as_str()), Some(&e)).await
        }
        Err(e) => Err(e),
    }
}

pub async fn create_form(SignedIn(ctx): SignedIn, Form(pairs): Form<FormPairs>) -> AppResult<Response> {
    form_outcome(&ctx, None, pairs).await
}

pub async fn update_form(SignedIn(ctx): SignedIn, Path(code): Path<String>, Form(pairs): Form<FormPairs>) -> AppResult<Response> {
    let existing = find(&ctx, &code).await?;
    if !access::for_org(ctx.user()?, &existing.agency.id) {
        return Err(ctx.denied());
    }
    form_outcome(&ctx, Some(&existing), pairs).await
}

/// An agency's page lists its services (nothing when it has none).
pub async fn panel(ctx: &Ctx, place: crate::slices::Place<'_>) -> AppResult<Option<String>> {
    let crate::slices::Place::Organization(org) = place else { return Ok(None) };
    let services: Vec<Service> = repo::list(&ctx.app.store, &ctx.tenant.id).await?.into_iter().filter(|s| s.agency.id == org.id).collect();
    if services.is_empty() {
        return Ok(None);
    }
    Ok(Some(ctx.render("services/panel_organization.html", minijinja::context! { services })?.0))
}
