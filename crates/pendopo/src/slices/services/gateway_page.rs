//! `/layanan/pesan`: the region admin sets the SMS/WhatsApp gateway's
//! intake service and makes (or rotates) its shared secret. A new secret
//! is shown once, on the answer to the form that made it, to be copied
//! into the gateway; the old one stops working at once.

use std::collections::BTreeMap;

use axum::Form;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::form::FormPairs;
use super::{gateway, repo};
use crate::kernel::identity::random_secret;
use crate::kernel::msg::Msg;
use crate::web::ctx::{Ctx, SignedIn};
use crate::web::error::AppResult;

async fn render(ctx: &Ctx, status: StatusCode, new_secret: Option<String>, errors: BTreeMap<String, String>) -> AppResult<Response> {
    let store = &ctx.app.store;
    let services = repo::list(store, &ctx.tenant.id).await?;
    let current = gateway::get(store, &ctx.tenant.id).await?;
    let intake = current.as_ref().and_then(|g| services.iter().find(|s| s.id == g.intake_service_id)).map(|s| s.code.clone());
    let services: Vec<_> =
        services.iter().map(|s| minijinja::context! { code => s.code, name => s.name, agency => s.agency.name }).collect();
    let labels = BTreeMap::from([("intake_service", ctx.msg(&Msg::new("layanan.gateway.intake_service")))]);
    let page = minijinja::context! {
        services, intake, new_secret, errors, labels,
        configured => current.is_some(),
        updated_at => current.map(|g| g.updated_at),
        header => gateway::SIGNATURE_HEADER,
    };
    Ok((status, ctx.render("services/gateway.html", page)?).into_response())
}

pub async fn page(SignedIn(ctx): SignedIn) -> AppResult<Response> {
    ctx.region_admin()?;
    render(&ctx, StatusCode::OK, None, BTreeMap::new()).await
}

/// Saves the intake service; a new secret when asked (`rotate`) or when
/// there is none yet.
pub async fn submit(SignedIn(ctx): SignedIn, Form(pairs): Form<FormPairs>) -> AppResult<Response> {
    let user = ctx.region_admin()?.clone();
    let get = |k: &str| pairs.iter().find(|(name, _)| name == k).map_or("", |(_, v)| v.as_str());
    ctx.check_csrf(get("csrf"))?;
    let store = &ctx.app.store;
    let code = get("intake_service").trim();
    let Some(service) = repo::get(store, &ctx.tenant.id, code).await? else {
        let msg = if code.is_empty() { Msg::new("layanan.required") } else { Msg::new("layanan.not_found").arg("code", code) };
        let errors = BTreeMap::from([("intake_service".to_string(), ctx.msg(&msg))]);
        return render(&ctx, StatusCode::UNPROCESSABLE_ENTITY, None, errors).await;
    };
    let current = gateway::get(store, &ctx.tenant.id).await?;
    let new_secret = match current {
        Some(g) if get("rotate").is_empty() => {
            gateway::save(store, &ctx.tenant.id, &g.secret, &service.id, Some(&user.id)).await?;
            None
        }
        _ => {
            let secret = random_secret();
            gateway::save(store, &ctx.tenant.id, &secret, &service.id, Some(&user.id)).await?;
            tracing::info!(user = %user.email, "gateway secret rotated");
            Some(secret)
        }
    };
    render(&ctx, StatusCode::OK, new_secret, BTreeMap::new()).await
}
