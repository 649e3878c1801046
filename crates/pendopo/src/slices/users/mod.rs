//! User administration for the region admin (walidata): list, add, change
//! role, organisation or village, disable. Pages and JSON API.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Json};
use serde::Deserialize;

use crate::kernel::identity::{self, NewUser, Role, User};
use crate::kernel::msg::Msg;
use crate::kernel::organizations as orgs;
use crate::web::ctx::{ApiWriter, Ctx, SignedIn};
use crate::web::error::{AppError, AppResult};

pub const SLICE: crate::slices::Slice = crate::slices::Slice {
    menu: &[crate::slices::MenuEntry { label: "nav.users", href: "/admin/users", admins_only: true }],
    templates: &[("users/form.html", include_str!("templates/form.html")), ("users/list.html", include_str!("templates/list.html"))],
    locales: [include_str!("locales/id.txt"), include_str!("locales/en.txt")],
    ..crate::slices::Slice::new("user", routes)
};

pub fn routes() -> crate::slices::Routes {
    crate::slices::Routes::new()
        .route("/admin/users", get(list_page).post(create_form))
        .route("/admin/users/new", get(new_page))
        .route("/admin/users/{id}", get(edit_page).post(update_form))
        .api(
            "/api/v1/users",
            get(api_list).post(api_create),
            &[
                crate::slices::Op { method: "get", summary: "The region's users (region admins)" },
                crate::slices::Op { method: "post", summary: "Add a user with a role (region admins)" },
            ],
        )
}

async fn list_page(ctx: Ctx) -> AppResult<Response> {
    ctx.region_admin()?;
    let users = identity::list_users(&ctx.app.store, &ctx.tenant.id, None).await?;
    let orgs = orgs::list(&ctx.app.store, &ctx.tenant.id).await?;
    Ok(ctx.render("users/list.html", minijinja::context! { users, orgs })?.into_response())
}

/// The form's values, kept when it comes back with an error.
#[derive(Deserialize, Default, serde::Serialize)]
struct UserForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default, skip_serializing)]
    password: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    org: String,
    #[serde(default)]
    desa: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    disabled: Option<String>,
    #[serde(default, skip_serializing)]
    csrf: String,
}

/// The add or edit form; after a refusal, with every problem beside its field
/// and in the summary.
async fn render_form(
    ctx: &Ctx,
    status: StatusCode,
    form: &UserForm,
    editing: Option<&User>,
    refused: Option<&AppError>,
) -> AppResult<Response> {
    let (error, field_errors) = ctx.form_errors(refused);
    let orgs = orgs::list(&ctx.app.store, &ctx.tenant.id).await?;
    let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    let villages = ctx
        .app
        .store
        .fetch_all(
            crate::store::sql(
                "SELECT code, name FROM tenant_regions WHERE tenant_id = $1 AND level IN ('desa', 'kelurahan') ORDER BY code",
            )
            .bind(&ctx.tenant.id),
        )
        .await?
        .iter()
        .map(|r| Ok((r.get::<String>("code")?, r.get::<String>("name")?)))
        .collect::<Result<Vec<_>, crate::store::StoreError>>()?;
    let page = minijinja::context! { form, editing, orgs, roles, villages, error, field_errors, min_password => identity::MIN_PASSWORD };
    Ok((status, ctx.render("users/form.html", page)?).into_response())
}

async fn new_page(ctx: Ctx) -> AppResult<Response> {
    ctx.region_admin()?;
    render_form(&ctx, StatusCode::OK, &UserForm { role: "editor".into(), ..Default::default() }, None, None).await
}

async fn create_form(SignedIn(ctx): SignedIn, Form(form): Form<UserForm>) -> AppResult<Response> {
    let admin = ctx.region_admin()?;
    ctx.check_csrf(&form.csrf)?;
    if !admin.may_grant(Role::parse(&form.role)) {
        return Err(ctx.denied());
    }
    let new = NewUser {
        email: form.email.clone(),
        name: form.name.clone(),
        password: form.password.clone(),
        role: form.role.clone(),
        org: Some(form.org.clone()),
        desa: Some(form.desa.clone()),
    };
    match identity::create_user(&ctx.app.store, &ctx.tenant.id, &new).await.map_err(AppError::from) {
        Ok(user) => {
            tracing::info!(user = %user.email, role = user.role.as_str(), "user added");
            Ok((StatusCode::SEE_OTHER, [(LOCATION, "/admin/users".to_string())]).into_response())
        }
        Err(e @ (AppError::BadRequest(_) | AppError::Invalid(_))) => {
            render_form(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &form, None, Some(&e)).await
        }
        Err(e) => Err(e),
    }
}

async fn target(ctx: &Ctx, id: &str) -> AppResult<User> {
    identity::get_user(&ctx.app.store, &ctx.tenant.id, id).await?.ok_or_else(AppError::not_found)
}

async fn org_slug(ctx: &Ctx, user: &User) -> AppResult<String> {
    Ok(match &user.org_id {
        Some(id) => orgs::get_by_id(&ctx.app.store, &ctx.tenant.id, id).await?.map(|o| o.slug).unwrap_or_default(),
        None => String::new(),
    })
}

async fn edit_page(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    ctx.region_admin()?;
    let user = target(&ctx, &id).await?;
    let form = UserForm {
        email: user.email.clone(),
        name: user.name.clone(),
        role: user.role.as_str().into(),
        org: org_slug(&ctx, &user).await?,
        desa: user.desa_code.clone().unwrap_or_default(),
        disabled: user.disabled.then(|| "on".into()),
        ..Default::default()
    };
    render_form(&ctx, StatusCode::OK, &form, Some(&user), None).await
}

async fn update_form(SignedIn(ctx): SignedIn, Path(id): Path<String>, Form(form): Form<UserForm>) -> AppResult<Response> {
    let admin = ctx.region_admin()?.clone();
    ctx.check_csrf(&form.csrf)?;
    let user = target(&ctx, &id).await?;
    let Some(role) = Role::parse(&form.role) else {
        let refused = AppError::invalid("role", Msg::new("error.role_unknown").arg("role", &form.role));
        return render_form(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &form, Some(&user), Some(&refused)).await;
    };
    // Only a sysadmin makes or unmakes sysadmins.
    if !admin.may_grant(Some(role)) || !admin.may_grant(Some(user.role)) {
        return Err(ctx.denied());
    }
    let disabled = form.disabled.is_some();
    match identity::update_user(&ctx.app.store, &ctx.app.tokens, &ctx.tenant.id, &id, role, Some(&form.org), Some(&form.desa), disabled)
        .await
        .map_err(AppError::from)
    {
        Ok(_) => Ok((StatusCode::SEE_OTHER, [(LOCATION, "/admin/users".to_string())]).into_response()),
        Err(e @ AppError::BadRequest(_)) => render_form(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &form, Some(&user), Some(&e)).await,
        Err(e) => Err(e),
    }
}

async fn api_list(ctx: Ctx) -> AppResult<Response> {
    ctx.region_admin()?;
    let users = identity::list_users(&ctx.app.store, &ctx.tenant.id, None).await?;
    Ok(Json(serde_json::json!({ "count": users.len(), "users": users })).into_response())
}

async fn api_create(ApiWriter(ctx): ApiWriter, Json(new): Json<NewUser>) -> AppResult<Response> {
    let admin = ctx.api_user()?;
    if !admin.may_grant(Role::parse(&new.role)) {
        return Err(ctx.denied());
    }
    let user = identity::create_user(&ctx.app.store, &ctx.tenant.id, &new).await?;
    Ok((StatusCode::CREATED, Json(user)).into_response())
}
