//! The CKAN Action API (`/api/3/action/NAME`, `/api/action/NAME`), so the
//! tools people already use (the `ckanapi` client, harvesters) work as
//! against CKAN: the same envelope, the same `__type` strings.
//!
//! Here are the envelope, the errors, the parameters and the dispatch; the
//! actions are in one module per kind of object.

mod datastore;
mod group_writes;
mod groups;
mod package;
mod reads;
mod resource;
mod revise;

use axum::Json;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, RawQuery, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

use super::model::{FieldErrors, LICENSES};
use super::repo::{CatalogError, Viewer};
use crate::kernel::identity::User;
use crate::kernel::msg::Msg;
use crate::web::App;
use crate::web::client::Client;
use crate::web::ctx::{AuthVia, Ctx};
use crate::web::error::AppError;
use crate::web::ui::{Catalog, Lang};
use datastore::{datastore_create, datastore_delete, datastore_search, datastore_search_sql, datastore_upsert};
use groups::{group_list, group_show, organization_list, organization_show};
use package::{dataset_purge, package_create, package_delete, package_list, package_patch, package_search, package_show, package_update};
use resource::{resource_create, resource_delete, resource_show, resource_update};

pub use groups::org_dict;
pub use package::package_dict;
pub use resource::resource_dict;

pub fn routes() -> crate::slices::Routes {
    // Bodies are limited by the handler: uploads to the upload limit, the
    // rest to the general one.
    let action = || get(call_get).post(call_post).layer(DefaultBodyLimit::disable());
    crate::slices::Routes::new()
        .route("/api/3/action/{action}", action())
        .route("/api/action/{action}", action())
        .route("/api/3", get(|| async { Json(json!({"version": 3})) }))
        .route("/api/3/util/status", get(util_status))
        .route("/api/util/status", get(util_status))
        // Any other path under /api/ (not the native /api/v1/) answers as CKAN does.
        .route("/api/{*rest}", get(unknown_path))
}

/// CKAN's site status, outside the action API (monitoring tools read it).
async fn util_status(ctx: Ctx) -> Json<Value> {
    Json(site_status(&ctx, &ctx.base_url()))
}

async fn unknown_path(State(app): State<App>, client: Client, headers: HeaderMap, Path(rest): Path<String>) -> Response {
    if rest.starts_with("v1/") {
        return AppError::not_found().into_response();
    }
    Reply::new(&app, &client, &headers, "").send(Err(not_found()))
}

/// A CKAN error, with the HTTP status and `__type` clients map to exceptions.
/// Its messages are catalogue keys, said in the caller's language when the
/// answer is sent.
pub enum CkanError {
    Validation(FieldErrors),
    Authorization(Msg),
    NotFound(Msg),
    /// What is wrong with the query (`fq`, `sort`, `facet.field`).
    Search(Msg),
    BadRequest(Msg),
    Internal(String),
}

impl CkanError {
    fn parts(self, say: impl Fn(&Msg) -> String) -> (StatusCode, Value) {
        match self {
            CkanError::Validation(fields) => {
                let mut error: Map<String, Value> =
                    fields.iter().map(|(k, ms)| (k.clone(), json!(ms.iter().map(&say).collect::<Vec<_>>()))).collect();
                error.insert("__type".into(), json!("Validation Error"));
                (StatusCode::CONFLICT, Value::Object(error))
            }
            CkanError::Authorization(m) => (StatusCode::FORBIDDEN, json!({"__type": "Authorization Error", "message": say(&m)})),
            CkanError::NotFound(m) => (StatusCode::NOT_FOUND, json!({"__type": "Not Found Error", "message": say(&m)})),
            CkanError::Search(m) => {
                let message = say(&Msg::new("ckan.search_invalid").arg_msg("detail", m));
                (StatusCode::BAD_REQUEST, json!({"__type": "Search Query Error", "message": message}))
            }
            CkanError::BadRequest(m) => (StatusCode::BAD_REQUEST, json!({"message": say(&m)})),
            CkanError::Internal(detail) => {
                tracing::error!(%detail, "CKAN action failed");
                (StatusCode::INTERNAL_SERVER_ERROR, json!({"message": say(&Msg::new("ckan.internal"))}))
            }
        }
    }
}

fn not_found() -> CkanError {
    CkanError::NotFound(Msg::new("ckan.not_found"))
}

fn resource_not_found(id: &str) -> CkanError {
    CkanError::NotFound(Msg::new("ckan.resource_not_found").arg("id", id))
}

fn needs_sign_in(action: &str) -> CkanError {
    CkanError::Authorization(Msg::new("ckan.sign_in").arg("action", action))
}

fn bad_request(key: &'static str, detail: impl std::fmt::Display) -> CkanError {
    CkanError::BadRequest(Msg::new(key).arg("detail", detail))
}

impl From<crate::store::StoreError> for CkanError {
    fn from(e: crate::store::StoreError) -> Self {
        CkanError::Internal(e.to_string())
    }
}

type CkanResult = Result<Value, CkanError>;

/// What an action gets: the caller, the parameters, the site's base URL.
pub struct Call {
    pub ctx: Ctx,
    pub params: Map<String, Value>,
    pub base: String,
    /// The file of a multipart `upload` field, already in the file store.
    pub upload: Option<Upload>,
}

/// A file sent with a call: its field, its name, where it was saved.
#[derive(Clone)]
pub struct Upload {
    pub field: String,
    pub filename: String,
    pub saved: crate::kernel::files::Saved,
}

impl Call {
    fn str(&self, key: &str) -> Option<String> {
        match self.params.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    fn required(&self, key: &str) -> Result<String, CkanError> {
        self.str(key).filter(|s| !s.is_empty()).ok_or_else(|| missing(key))
    }

    fn int(&self, key: &str, default: i64) -> Result<i64, CkanError> {
        match self.str(key) {
            None => Ok(default),
            Some(s) => s.trim().parse().map_err(|_| invalid_field(key, Msg::new("ckan.integer"))),
        }
    }

    fn bool(&self, key: &str) -> bool {
        self.str(key).is_some_and(|s| matches!(s.to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "on"))
    }

    /// A value that may come as JSON or as a JSON-encoded string (GET).
    fn json_list(&self, key: &str) -> Result<Option<Vec<String>>, CkanError> {
        let v = match self.params.get(key) {
            None => return Ok(None),
            Some(Value::String(s)) => serde_json::from_str::<Value>(s).map_err(|_| invalid_field(key, Msg::new("ckan.json_list")))?,
            Some(v) => v.clone(),
        };
        serde_json::from_value(v).map(Some).map_err(|_| invalid_field(key, Msg::new("ckan.string_list")))
    }

    /// The signed-in user for a write: a token, never a browser cookie (CSRF).
    fn writer(&self, action: &str) -> Result<&User, CkanError> {
        match (&self.ctx.user, self.ctx.via) {
            (Some(u), AuthVia::Token) => Ok(u),
            _ => Err(needs_sign_in(action)),
        }
    }

    fn viewer(&self) -> Viewer {
        Viewer::of(self.ctx.user.as_ref())
    }
}

fn missing(key: &str) -> CkanError {
    invalid_field(key, Msg::new("ckan.missing"))
}

fn invalid_field(key: &str, message: Msg) -> CkanError {
    CkanError::Validation(FieldErrors::from([(key.to_string(), vec![message])]))
}

fn catalog_error(e: CatalogError, action: &str) -> CkanError {
    match e {
        CatalogError::Invalid(fields) => CkanError::Validation(fields),
        CatalogError::NotFound => not_found(),
        CatalogError::Forbidden => CkanError::Authorization(Msg::new("ckan.not_authorized").arg("action", action)),
        CatalogError::Store(e) => e.into(),
    }
}

async fn call_get(
    State(app): State<App>,
    client: Client,
    ctx: Result<Ctx, AppError>,
    headers: HeaderMap,
    Path(action): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let reply = Reply::new(&app, &client, &headers, &action);
    let params: Map<String, Value> = match raw.as_deref().map(serde_urlencoded::from_str::<Vec<(String, String)>>) {
        Some(Ok(pairs)) => pairs.into_iter().map(|(k, v)| (k, Value::String(v))).collect(),
        Some(Err(e)) => return reply.send(Err(bad_request("ckan.bad_query_string", e))),
        None => Map::new(),
    };
    run(ctx, &reply, &action, params, None).await
}

async fn call_post(
    State(app): State<App>,
    client: Client,
    ctx: Result<Ctx, AppError>,
    Path(action): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
    req: Request,
) -> Response {
    let headers = req.headers().clone();
    let reply = Reply::new(&app, &client, &headers, &action);
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let mut params: Map<String, Value> = query.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
    if content_type.starts_with("multipart/form-data") {
        // Files are written only for a caller who may write at all.
        let ctx = match ctx {
            Ok(c) if c.via == AuthVia::Token && c.user.is_some() => c,
            Ok(_) => {
                return reply.send(Err(needs_sign_in(&action)));
            }
            Err(e) => return run(Err(e), &reply, &action, params, None).await,
        };
        let form = match Multipart::from_request(req, &app).await {
            Ok(f) => f,
            Err(e) => return reply.send(Err(bad_request("ckan.bad_request", e))),
        };
        // package_revise names the resource a file is for in its field
        // (`update__resources__-1__upload`); the other actions use `upload`.
        let is_file = |name: &str| name == "upload" || (action == "package_revise" && name.ends_with("__upload"));
        let parsed = match crate::web::upload::read(&app, &ctx.tenant.id, form, &is_file, None).await {
            Ok(p) => p,
            Err(AppError::TooLarge(limit)) => return too_large(&reply, limit),
            Err(e) => return e.into_response(),
        };
        params.extend(parsed.fields.into_iter().map(|(k, v)| (k, Value::String(v))));
        let upload = parsed.file.map(|(filename, saved)| Upload { field: parsed.file_field, filename, saved });
        return run(Ok(ctx), &reply, &action, params, upload).await;
    }
    let body = match axum::body::to_bytes(req.into_body(), app.max_body_bytes).await {
        Ok(b) => b,
        Err(_) => return too_large(&reply, app.max_body_bytes as u64),
    };
    let parsed: Result<Map<String, Value>, CkanError> = if body.is_empty() {
        Ok(Map::new())
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
            .map(|p| p.into_iter().map(|(k, v)| (k, Value::String(v))).collect())
            .map_err(|e| bad_request("ckan.bad_form", e))
    } else {
        // CKAN reads a JSON body whatever the content type says.
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err(CkanError::BadRequest(Msg::new("ckan.body_not_object"))),
            Err(e) => Err(bad_request("ckan.bad_json", e)),
        }
    };
    match parsed {
        Ok(m) => params.extend(m),
        Err(e) => return reply.send(Err(e)),
    }
    run(ctx, &reply, &action, params, None).await
}

fn too_large(reply: &Reply, limit: u64) -> Response {
    let mut res =
        reply.send(Err(CkanError::BadRequest(Msg::new("error.too_large").arg("limit", crate::web::format::thousands(limit as i64)))));
    *res.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    res
}

async fn run(ctx: Result<Ctx, AppError>, reply: &Reply, action: &str, params: Map<String, Value>, upload: Option<Upload>) -> Response {
    let ctx = match ctx {
        Ok(c) => c,
        Err(AppError::Unauthorized(m)) | Err(AppError::Forbidden(m)) => {
            return reply.send(Err(CkanError::Authorization(m)));
        }
        Err(e) => return e.into_response(),
    };
    let base = ctx.base_url();
    let kept = upload.as_ref().map(|u| u.saved.key.clone());
    let call = Call { ctx, params, base, upload };
    let result = dispatch(&call, action).await;
    // A file that no resource ended up pointing at is not kept.
    if let (Err(_), Some(key)) = (&result, kept)
        && let Ok(path) = call.ctx.app.files.path(&key)
    {
        let _ = tokio::fs::remove_file(path).await;
    }
    reply.send(result)
}

/// How an answer goes out: in CKAN's envelope, its `help` link on the
/// site's external address (the client rule, so `https://` behind the
/// proxy), its errors in the caller's language.
struct Reply {
    help: String,
    lang: Lang,
    catalog: std::sync::Arc<Catalog>,
}

impl Reply {
    fn new(app: &App, client: &Client, headers: &HeaderMap, action: &str) -> Reply {
        let help = format!("{}/api/3/action/help_show?name={}", client.base_url(), crate::web::urlencode(action));
        Reply { help, lang: crate::web::ctx::language(headers), catalog: app.ui.catalog.clone() }
    }

    fn send(&self, result: CkanResult) -> Response {
        match result {
            Ok(v) => Json(json!({"help": self.help, "success": true, "result": v})).into_response(),
            Err(e) => {
                let (status, error) = e.parts(|m| self.catalog.msg(self.lang, m));
                (status, Json(json!({"help": self.help, "success": false, "error": error}))).into_response()
            }
        }
    }
}

/// An action: what it answers with, from the call.
type Action = for<'a> fn(&'a Call) -> crate::slices::BoxFuture<'a, CkanResult>;

/// Every action, by CKAN's name: what `dispatch` runs and `help_show` knows.
static ACTIONS: &[(&str, Action)] = &[
    ("status_show", |c| Box::pin(status_show(c))),
    ("site_read", |c| Box::pin(reads::site_read(c))),
    ("help_show", |c| Box::pin(help_show(c))),
    ("package_list", |c| Box::pin(package_list(c))),
    ("package_show", |c| Box::pin(package_show(c))),
    ("package_search", |c| Box::pin(package_search(c))),
    ("package_autocomplete", |c| Box::pin(reads::package_autocomplete(c))),
    ("package_activity_list", |c| Box::pin(reads::package_activity_list(c))),
    ("recently_changed_packages_activity_list", |c| Box::pin(reads::recently_changed_packages_activity_list(c))),
    ("current_package_list_with_resources", |c| Box::pin(reads::current_package_list_with_resources(c))),
    ("package_create", |c| Box::pin(package_create(c))),
    ("package_update", |c| Box::pin(package_update(c))),
    ("package_patch", |c| Box::pin(package_patch(c))),
    ("package_revise", |c| Box::pin(revise::package_revise(c))),
    ("package_delete", |c| Box::pin(package_delete(c))),
    ("dataset_purge", |c| Box::pin(dataset_purge(c))),
    ("resource_show", |c| Box::pin(resource_show(c))),
    ("resource_create", |c| Box::pin(resource_create(c))),
    ("resource_update", |c| Box::pin(resource_update(c))),
    // Ours changes only the fields given, as a patch does.
    ("resource_patch", |c| Box::pin(resource_update(c))),
    ("resource_delete", |c| Box::pin(resource_delete(c))),
    ("format_autocomplete", |c| Box::pin(reads::format_autocomplete(c))),
    ("datastore_search", |c| Box::pin(datastore_search(c))),
    ("datastore_search_sql", |c| Box::pin(datastore_search_sql(c))),
    ("datastore_create", |c| Box::pin(datastore_create(c))),
    ("datastore_upsert", |c| Box::pin(datastore_upsert(c))),
    ("datastore_delete", |c| Box::pin(datastore_delete(c))),
    ("organization_list", |c| Box::pin(organization_list(c))),
    ("organization_show", |c| Box::pin(organization_show(c))),
    ("organization_autocomplete", |c| Box::pin(reads::organization_autocomplete(c))),
    ("organization_list_for_user", |c| Box::pin(reads::organization_list_for_user(c))),
    ("organization_create", |c| Box::pin(group_writes::organization_create(c))),
    ("organization_update", |c| Box::pin(group_writes::organization_write(c, "organization_update", false))),
    ("organization_patch", |c| Box::pin(group_writes::organization_write(c, "organization_patch", true))),
    ("organization_delete", |c| Box::pin(group_writes::organization_delete(c))),
    // No deleted state is kept for agencies: delete already removes one.
    ("organization_purge", |c| Box::pin(group_writes::organization_delete(c))),
    ("group_list", |c| Box::pin(group_list(c))),
    ("group_show", |c| Box::pin(group_show(c))),
    ("group_create", |c| Box::pin(group_writes::group_create(c))),
    ("group_update", |c| Box::pin(group_writes::group_write(c, "group_update", false))),
    ("group_patch", |c| Box::pin(group_writes::group_write(c, "group_patch", true))),
    ("group_delete", |c| Box::pin(group_writes::group_delete(c))),
    ("group_purge", |c| Box::pin(group_writes::group_delete(c))),
    ("member_create", |c| Box::pin(group_writes::member_create(c))),
    ("member_delete", |c| Box::pin(group_writes::member_delete(c))),
    ("tag_list", |c| Box::pin(reads::tag_list(c))),
    ("tag_show", |c| Box::pin(reads::tag_show(c))),
    ("tag_autocomplete", |c| Box::pin(reads::tag_autocomplete(c))),
    ("user_show", |c| Box::pin(reads::user_show(c))),
    ("user_list", |c| Box::pin(reads::user_list(c))),
    ("resource_search", |c| Box::pin(reads::resource_search(c))),
    ("datastore_info", |c| Box::pin(reads::datastore_info(c))),
    ("license_list", |_| Box::pin(async { Ok(json!(LICENSES)) })),
];

async fn dispatch(call: &Call, action: &str) -> CkanResult {
    match ACTIONS.iter().find(|(name, _)| *name == action) {
        Some((_, run)) => run(call).await,
        None => Err(CkanError::BadRequest(Msg::new("ckan.unknown_action").arg("action", action))),
    }
}

/// What an action does is CKAN's own documentation; the answer points there.
async fn help_show(call: &Call) -> CkanResult {
    let name = call.required("name")?;
    if !ACTIONS.iter().any(|(n, _)| *n == name) {
        return Err(CkanError::NotFound(Msg::new("ckan.unknown_action").arg("action", &name)));
    }
    // CKAN's module for each kind of action.
    let kind = match name.rsplit('_').next() {
        Some("create") => "create",
        Some("update" | "revise") => "update",
        Some("patch") => "patch",
        Some("delete" | "purge") => "delete",
        _ => "get",
    };
    if name.starts_with("datastore_") {
        return Ok(json!(format!("https://docs.ckan.org/en/latest/maintaining/datastore.html#ckanext.datastore.logic.action.{name}")));
    }
    Ok(json!(format!("https://docs.ckan.org/en/latest/api/index.html#ckan.logic.action.{kind}.{name}")))
}

async fn status_show(call: &Call) -> CkanResult {
    Ok(site_status(&call.ctx, &call.base))
}

/// What `status_show` and `/api/util/status` say of the site.
fn site_status(ctx: &Ctx, base: &str) -> Value {
    json!({
        "site_title": format!("Pendopo {}", ctx.tenant.name),
        "site_url": base,
        "ckan_version": "2.11.0",
        "pendopo_version": env!("CARGO_PKG_VERSION"),
        "locale_default": "id",
        "extensions": ["datastore", "satudata"],
    })
}
