//! The CKAN Action API (`/api/3/action/NAME`, `/api/action/NAME`), so the
//! tools people already use (the `ckanapi` client, harvesters) work as
//! against CKAN: the same envelope, the same `__type` strings.

use axum::Json;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, RawQuery, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

use super::model::{self, DatasetInput, FieldErrors, LICENSES};
use super::repo::{self, CatalogError, Dataset, Viewer};
use super::search::{self, Facet, Sort};
use crate::clock::iso_utc;
use crate::kernel::identity::User;
use crate::kernel::msg::Msg;
use crate::kernel::organizations as orgs;
use crate::web::App;
use crate::web::client::Client;
use crate::web::ctx::{AuthVia, Ctx};
use crate::web::error::AppError;
use crate::web::ui::{Catalog, Lang};

pub fn routes() -> crate::slices::Routes {
    // Bodies are limited by the handler: uploads to the upload limit, the
    // rest to the general one.
    let action = || get(call_get).post(call_post).layer(DefaultBodyLimit::disable());
    crate::slices::Routes::new().route("/api/3/action/{action}", action()).route("/api/action/{action}", action())
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
    pub upload: Option<(String, crate::kernel::files::Saved)>,
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
        let parsed = match crate::web::upload::read(&app, &ctx.tenant.id, form, "upload", None).await {
            Ok(p) => p,
            Err(AppError::TooLarge(limit)) => return too_large(&reply, limit),
            Err(e) => return e.into_response(),
        };
        params.extend(parsed.fields.into_iter().map(|(k, v)| (k, Value::String(v))));
        return run(Ok(ctx), &reply, &action, params, parsed.file).await;
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

async fn run(
    ctx: Result<Ctx, AppError>,
    reply: &Reply,
    action: &str,
    params: Map<String, Value>,
    upload: Option<(String, crate::kernel::files::Saved)>,
) -> Response {
    let ctx = match ctx {
        Ok(c) => c,
        Err(AppError::Unauthorized(m)) | Err(AppError::Forbidden(m)) => {
            return reply.send(Err(CkanError::Authorization(m)));
        }
        Err(e) => return e.into_response(),
    };
    let base = ctx.base_url();
    let kept = upload.as_ref().map(|(_, saved)| saved.key.clone());
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

async fn dispatch(call: &Call, action: &str) -> CkanResult {
    match action {
        "status_show" => status_show(call).await,
        "package_list" => package_list(call).await,
        "package_show" => package_show(call).await,
        "package_search" => package_search(call).await,
        "package_create" => package_create(call).await,
        "package_update" => package_update(call).await,
        "package_patch" => package_patch(call).await,
        "package_delete" => package_delete(call).await,
        "resource_show" => resource_show(call).await,
        "resource_create" => resource_create(call).await,
        "resource_update" => resource_update(call).await,
        "resource_delete" => resource_delete(call).await,
        "datastore_search" => datastore_search(call).await,
        "datastore_search_sql" => datastore_search_sql(call).await,
        "datastore_create" => datastore_create(call).await,
        "datastore_upsert" => datastore_upsert(call).await,
        "datastore_delete" => datastore_delete(call).await,
        "organization_list" => organization_list(call).await,
        "organization_show" => organization_show(call).await,
        "group_list" => group_list(call).await,
        "group_show" => group_show(call).await,
        "tag_list" => tag_list(call).await,
        "license_list" => Ok(json!(LICENSES)),
        _ => Err(CkanError::BadRequest(Msg::new("ckan.unknown_action").arg("action", action))),
    }
}

async fn status_show(call: &Call) -> CkanResult {
    Ok(json!({
        "site_title": format!("Pendopo {}", call.ctx.tenant.name),
        "site_url": call.base,
        "ckan_version": "2.11.0",
        "pendopo_version": env!("CARGO_PKG_VERSION"),
        "locale_default": "id",
        "extensions": ["datastore", "satudata"],
    }))
}

pub fn resource_dict(r: &repo::Resource, base: &str) -> Value {
    let url = if r.url_type == "upload" { format!("{base}{}", r.url) } else { r.url.clone() };
    json!({
        "id": r.id, "package_id": r.dataset_id, "name": r.name, "description": r.description, "format": r.format,
        "url": url, "url_type": if r.url_type.is_empty() { Value::Null } else { json!(r.url_type) },
        "size": r.size, "hash": r.hash, "position": r.position, "state": "active",
        "created": iso_utc(r.created_at), "last_modified": iso_utc(r.modified_at), "datastore_active": r.datastore_active,
    })
}

pub fn org_dict(o: &orgs::Organization) -> Value {
    json!({
        "id": o.id, "name": o.slug, "title": o.name, "display_name": o.name, "description": o.description,
        "type": "organization", "is_organization": true, "state": "active", "image_url": "",
        "created": iso_utc(o.created_at), "approval_status": "approved",
    })
}

pub fn package_dict(d: &Dataset, base: &str) -> Value {
    let license = model::license(&d.license_id);
    json!({
        "id": d.id, "name": d.name, "title": d.title, "notes": d.notes, "type": "dataset",
        "license_id": d.license_id, "license_title": license.map(|l| l.title), "license_url": license.map(|l| l.url),
        "owner_org": d.org.id, "organization": org_dict(&d.org), "private": d.private,
        "state": d.state.ckan(), "satudata_state": d.state.as_str(), "review_notes": d.review_notes,
        "tags": d.tags.iter().map(|t| json!({"name": t, "display_name": t, "state": "active"})).collect::<Vec<_>>(),
        "num_tags": d.tags.len(),
        "groups": d.groups.iter().map(|g| json!({"id": g.id, "name": g.name, "title": g.title, "display_name": g.title, "description": g.description})).collect::<Vec<_>>(),
        "extras": d.extras, "satudata": d.satudata,
        "resources": d.resources.iter().map(|r| resource_dict(r, base)).collect::<Vec<_>>(),
        "num_resources": d.resources.len(),
        "metadata_created": iso_utc(d.created_at), "metadata_modified": iso_utc(d.updated_at),
    })
}

async fn package_list(call: &Call) -> CkanResult {
    // CKAN lists public datasets only, whoever asks.
    let limit = call.int("limit", 1000)?.clamp(0, 100_000);
    let offset = call.int("offset", 0)?.max(0);
    Ok(json!(repo::names(&call.ctx.app.store, &call.ctx.tenant.id, &Viewer::default(), limit, offset).await?))
}

async fn package_show(call: &Call) -> CkanResult {
    let id = call.required("id")?;
    match repo::get(&call.ctx.app.store, &call.ctx.tenant.id, &id, &call.viewer()).await? {
        Some(d) => Ok(package_dict(&d, &call.base)),
        None => Err(not_found()),
    }
}

fn dataset_input(params: Map<String, Value>) -> Result<DatasetInput, CkanError> {
    serde_json::from_value(Value::Object(params)).map_err(|e| invalid_field("__junk", Msg::new("catalog.input_shape").arg("detail", e)))
}

async fn package_create(call: &Call) -> CkanResult {
    let user = call.writer("package_create")?;
    let input = dataset_input(call.params.clone())?;
    let d = repo::create(&call.ctx.app.store, &call.ctx.tenant.id, user, &input).await.map_err(|e| catalog_error(e, "package_create"))?;
    Ok(package_dict(&d, &call.base))
}

async fn package_update(call: &Call) -> CkanResult {
    let user = call.writer("package_update")?;
    let id = call.required("id")?;
    let input = dataset_input(call.params.clone())?;
    let d =
        repo::update(&call.ctx.app.store, &call.ctx.tenant.id, user, &id, &input).await.map_err(|e| catalog_error(e, "package_update"))?;
    Ok(package_dict(&d, &call.base))
}

async fn package_patch(call: &Call) -> CkanResult {
    let user = call.writer("package_patch")?;
    let id = call.required("id")?;
    let store = &call.ctx.app.store;
    let current = repo::get(store, &call.ctx.tenant.id, &id, &Viewer::of(Some(user))).await?.ok_or_else(not_found)?;
    let Value::Object(mut merged) = repo::as_input(&current) else { unreachable!("as_input builds an object") };
    for (k, v) in call.params.iter().filter(|(k, _)| k.as_str() != "id") {
        merged.insert(k.clone(), v.clone());
    }
    let input = dataset_input(merged)?;
    let d = repo::update(store, &call.ctx.tenant.id, user, &current.id, &input).await.map_err(|e| catalog_error(e, "package_patch"))?;
    Ok(package_dict(&d, &call.base))
}

async fn package_delete(call: &Call) -> CkanResult {
    let user = call.writer("package_delete")?;
    let id = call.required("id")?;
    repo::delete(&call.ctx.app.store, &call.ctx.tenant.id, user, &id).await.map_err(|e| catalog_error(e, "package_delete"))?;
    Ok(Value::Null)
}

async fn resource_show(call: &Call) -> CkanResult {
    let id = call.required("id")?;
    let store = &call.ctx.app.store;
    let tenant = &call.ctx.tenant.id;
    let r = repo::resource(store, tenant, &id).await?.ok_or_else(|| resource_not_found(&id))?;
    // A resource is as visible as its dataset.
    match repo::get(store, tenant, &r.dataset_id, &call.viewer()).await? {
        Some(_) => Ok(resource_dict(&r, &call.base)),
        None => Err(resource_not_found(&id)),
    }
}

async fn package_search(call: &Call) -> CkanResult {
    let q = call.str("q").unwrap_or_default();
    let filters = search::parse_fq(&call.str("fq").unwrap_or_default()).map_err(CkanError::Search)?;
    let sort = match call.str("sort") {
        Some(s) if !s.trim().is_empty() => {
            Sort::parse(&s).ok_or_else(|| CkanError::Search(Msg::new("ckan.sort_unknown").arg("sort", &s)))?
        }
        _ if q.trim().is_empty() || q.trim() == "*:*" => Sort::ModifiedDesc,
        _ => Sort::Relevance,
    };
    let rows = call.int("rows", 10)?;
    if !(0..=1000).contains(&rows) {
        return Err(invalid_field("rows", Msg::new("ckan.between").arg("max", 1000)));
    }
    let start = call.int("start", 0)?.max(0);
    let facets = match call.json_list("facet.field")? {
        Some(names) => names
            .iter()
            .map(|n| Facet::parse(n).ok_or_else(|| CkanError::Search(Msg::new("ckan.facet_unknown").arg("facet", n))))
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    let facet_limit = match call.int("facet.limit", 50)? {
        n if n < 0 => 1000,
        n => n,
    };
    // Private and unpublished datasets only when asked for, and only those
    // the caller may see.
    let viewer = if call.bool("include_private") { call.viewer() } else { Viewer::default() };
    let query = search::Query { q, filters, sort, rows, start, facets, facet_limit };
    let store = &call.ctx.app.store;
    let tenant = &call.ctx.tenant.id;
    let found = super::searches(&call.ctx.app).search(store, tenant, &viewer, &query).await?;
    let results: Vec<Value> = repo::get_many(store, tenant, &found.ids).await?.iter().map(|d| package_dict(d, &call.base)).collect();
    let mut search_facets = Map::new();
    let mut facets_legacy = Map::new();
    for (field, items) in &found.facets {
        let mut out = Vec::new();
        let mut legacy = Map::new();
        for item in items {
            out.push(json!({"name": item.name, "display_name": item.label, "count": item.count}));
            legacy.insert(item.name.clone(), json!(item.count));
        }
        search_facets.insert(field.to_string(), json!({"title": field, "items": out}));
        facets_legacy.insert(field.to_string(), Value::Object(legacy));
    }
    Ok(
        json!({"count": found.count, "results": results, "sort": call.str("sort").unwrap_or_else(|| "score desc, metadata_modified desc".into()), "facets": facets_legacy, "search_facets": search_facets}),
    )
}

async fn count_datasets(call: &Call, filter: search::Filter) -> Result<i64, CkanError> {
    let query =
        search::Query { q: String::new(), filters: vec![filter], sort: Sort::NameAsc, rows: 0, start: 0, facets: vec![], facet_limit: 1 };
    Ok(super::searches(&call.ctx.app).search(&call.ctx.app.store, &call.ctx.tenant.id, &Viewer::default(), &query).await?.count)
}

async fn organization_list(call: &Call) -> CkanResult {
    let list = orgs::list(&call.ctx.app.store, &call.ctx.tenant.id).await?;
    named_list(call, &list, |o| o.slug.clone(), org_dict, Facet::Organization).await
}

/// CKAN's list actions: the names, or with `all_fields` each dict with its
/// count of public datasets.
async fn named_list<T>(call: &Call, items: &[T], name: impl Fn(&T) -> String, dict: impl Fn(&T) -> Value, facet: Facet) -> CkanResult {
    if !call.bool("all_fields") {
        return Ok(json!(items.iter().map(&name).collect::<Vec<_>>()));
    }
    let mut out = Vec::new();
    for item in items {
        let mut d = dict(item);
        d["package_count"] = json!(count_datasets(call, search::Filter { field: facet, value: name(item) }).await?);
        out.push(d);
    }
    Ok(json!(out))
}

async fn organization_show(call: &Call) -> CkanResult {
    let id = call.required("id")?;
    let store = &call.ctx.app.store;
    let tenant = &call.ctx.tenant.id;
    let org = match orgs::get(store, tenant, &id).await? {
        Some(o) => o,
        None => orgs::get_by_id(store, tenant, &id).await?.ok_or_else(|| CkanError::NotFound(Msg::new("ckan.organization_not_found")))?,
    };
    let mut d = org_dict(&org);
    d["package_count"] = json!(count_datasets(call, search::Filter { field: Facet::Organization, value: org.slug.clone() }).await?);
    if call.bool("include_datasets") {
        let query = search::Query {
            q: String::new(),
            filters: vec![search::Filter { field: Facet::Organization, value: org.slug.clone() }],
            sort: Sort::NameAsc,
            rows: 1000,
            start: 0,
            facets: vec![],
            facet_limit: 1,
        };
        let found = super::searches(&call.ctx.app).search(store, tenant, &Viewer::default(), &query).await?;
        d["packages"] =
            json!(repo::get_many(store, tenant, &found.ids).await?.iter().map(|p| package_dict(p, &call.base)).collect::<Vec<_>>());
    }
    Ok(d)
}

fn group_dict(g: &repo::Group) -> Value {
    json!({"id": g.id, "name": g.name, "title": g.title, "display_name": g.title, "description": g.description, "type": "group", "is_organization": false, "state": "active"})
}

async fn group_list(call: &Call) -> CkanResult {
    let groups = repo::groups(&call.ctx.app.store, &call.ctx.tenant.id).await?;
    named_list(call, &groups, |g| g.name.clone(), group_dict, Facet::Groups).await
}

async fn group_show(call: &Call) -> CkanResult {
    let id = call.required("id")?;
    let g = repo::group(&call.ctx.app.store, &call.ctx.tenant.id, &id)
        .await?
        .ok_or_else(|| CkanError::NotFound(Msg::new("ckan.group_not_found")))?;
    let mut d = group_dict(&g);
    d["package_count"] = json!(count_datasets(call, search::Filter { field: Facet::Groups, value: g.name.clone() }).await?);
    Ok(d)
}

async fn tag_list(call: &Call) -> CkanResult {
    let tags = repo::tags(&call.ctx.app.store, &call.ctx.tenant.id, &Viewer::default()).await?;
    let q = call.str("query").map(|q| q.to_lowercase());
    Ok(json!(tags.into_iter().filter(|t| q.as_ref().is_none_or(|q| t.to_lowercase().contains(q))).collect::<Vec<_>>()))
}

/// The uploaded file as a resource (new, or a new version of `resource_id`).
async fn store_upload(call: &Call, user: &User, dataset: &str, resource_id: Option<String>) -> CkanResult {
    let Some((filename, saved)) = call.upload.clone() else { return Err(missing("upload")) };
    let up = repo::Upload {
        resource_id,
        name: call.str("name").unwrap_or_default(),
        description: call.str("description").unwrap_or_default(),
        format: call.str("format").unwrap_or_default(),
        filename,
        saved,
    };
    let app = &call.ctx.app;
    match super::intake::accept(&app.store, &app.files, &call.ctx.tenant.id, user, dataset, up).await {
        Ok((r, _)) => Ok(resource_dict(&r, &call.base)),
        Err(super::intake::IntakeError::Rejected(e)) => Err(invalid_field("upload", super::resources::rejected_msg(&e))),
        Err(super::intake::IntakeError::Catalog(e)) => Err(catalog_error(e, "resource_create")),
    }
}

/// Applies a change to a dataset's resource list through package_update's path.
async fn change_resources(
    call: &Call,
    user: &User,
    dataset: &str,
    change: impl FnOnce(&mut Vec<Value>) -> Result<(), CkanError>,
) -> Result<Dataset, CkanError> {
    let store = &call.ctx.app.store;
    let tenant = &call.ctx.tenant.id;
    let d = repo::get(store, tenant, dataset, &Viewer::of(Some(user))).await?.ok_or_else(not_found)?;
    let mut input = repo::as_input(&d);
    let list = input["resources"].as_array_mut().expect("as_input lists resources");
    change(list)?;
    let input = dataset_input(input.as_object().cloned().unwrap_or_default())?;
    repo::update(store, tenant, user, &d.id, &input).await.map_err(|e| catalog_error(e, "resource_update"))
}

async fn resource_create(call: &Call) -> CkanResult {
    let user = call.writer("resource_create")?;
    let dataset = call.required("package_id")?;
    if call.upload.is_some() {
        return store_upload(call, user, &dataset, None).await;
    }
    let url = call.required("url")?;
    let new = json!({"name": call.str("name").unwrap_or_default(), "description": call.str("description").unwrap_or_default(), "format": call.str("format").unwrap_or_default(), "url": url});
    let d = change_resources(call, user, &dataset, |list| {
        list.push(new);
        Ok(())
    })
    .await?;
    let r = d.resources.last().ok_or_else(|| CkanError::Internal("the new resource is missing".into()))?;
    Ok(resource_dict(r, &call.base))
}

async fn resource_update(call: &Call) -> CkanResult {
    let user = call.writer("resource_update")?;
    let id = call.required("id")?;
    let store = &call.ctx.app.store;
    let r = repo::resource(store, &call.ctx.tenant.id, &id).await?.ok_or_else(|| resource_not_found(&id))?;
    if call.upload.is_some() {
        return store_upload(call, user, &r.dataset_id, Some(id)).await;
    }
    let fields: Vec<(&str, Option<String>)> = ["name", "description", "format", "url"].iter().map(|k| (*k, call.str(k))).collect();
    let d = change_resources(call, user, &r.dataset_id, |list| {
        let item = list.iter_mut().find(|x| x["id"] == id.as_str()).ok_or_else(|| resource_not_found(&id))?;
        for (k, v) in fields {
            if let Some(v) = v {
                item[k] = json!(v);
            }
        }
        Ok(())
    })
    .await?;
    let r = d.resources.iter().find(|x| x.id == id).ok_or_else(|| resource_not_found(&id))?;
    Ok(resource_dict(r, &call.base))
}

async fn resource_delete(call: &Call) -> CkanResult {
    let user = call.writer("resource_delete")?;
    let id = call.required("id")?;
    repo::delete_resource(&call.ctx.app.store, &call.ctx.tenant.id, user, &id).await.map_err(|e| catalog_error(e, "resource_delete"))?;
    Ok(Value::Null)
}

/// A parameter that may come as JSON or, from a query string, as JSON text.
fn json_param(call: &Call, key: &str) -> Result<Option<Value>, CkanError> {
    match call.params.get(key) {
        None => Ok(None),
        Some(Value::String(s)) if s.trim_start().starts_with(['{', '[']) => {
            serde_json::from_str(s).map(Some).map_err(|_| invalid_field(key, Msg::new("ckan.json")))
        }
        Some(v) => Ok(Some(v.clone())),
    }
}

async fn datastore_search(call: &Call) -> CkanResult {
    use super::datastore::{self, Search};
    let id = call.required("resource_id").or_else(|_| call.required("id"))?;
    let store = &call.ctx.app.store;
    let tenant = &call.ctx.tenant.id;
    let not_found = || resource_not_found(&id);
    let r = repo::resource(store, tenant, &id).await?.ok_or_else(not_found)?;
    repo::get(store, tenant, &r.dataset_id, &call.viewer()).await?.ok_or_else(not_found)?;
    let table = datastore::table(store, tenant, &id).await?.ok_or_else(not_found)?;

    let mut search = Search { limit: call.int("limit", 100)?, offset: call.int("offset", 0)?, include_total: true, ..Default::default() };
    if !(0..=32_000).contains(&search.limit) {
        return Err(invalid_field("limit", Msg::new("ckan.between").arg("max", 32000)));
    }
    if search.offset < 0 {
        return Err(invalid_field("offset", Msg::new("ckan.natural")));
    }
    if call.params.contains_key("include_total") {
        search.include_total = call.bool("include_total");
    }
    search.q = call.str("q").unwrap_or_default();
    match json_param(call, "filters")? {
        None => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let values = match v {
                    Value::Array(a) => a,
                    v => vec![v],
                };
                search.filters.insert(k, values);
            }
        }
        Some(_) => return Err(invalid_field("filters", Msg::new("ckan.json_object"))),
    }
    search.fields = match json_param(call, "fields")? {
        None => Vec::new(),
        Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        Some(Value::String(s)) => s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect(),
        Some(_) => return Err(invalid_field("fields", Msg::new("ckan.list_or_text"))),
    };
    if let Some(sort) = call.str("sort") {
        for part in sort.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let mut words = part.split_whitespace();
            let name = words.next().unwrap_or("").trim_matches('"').to_string();
            let desc = match words.next().map(str::to_ascii_lowercase).as_deref() {
                None | Some("asc") => false,
                Some("desc") => true,
                Some(_) => return Err(invalid_field("sort", Msg::new("ckan.sort_shape"))),
            };
            search.sort.push((name, desc));
        }
    }
    let format = call.str("records_format").unwrap_or_else(|| "objects".into());
    if !["objects", "lists", "csv", "tsv"].contains(&format.as_str()) {
        return Err(invalid_field("records_format", Msg::new("ckan.records_format")));
    }
    let found = datastore::search(store, &table, &search).await.map_err(|e| match e {
        datastore::DatastoreError::Invalid(m) => invalid_field("fields", m),
        e => CkanError::Internal(e.to_string()),
    })?;
    let names: Vec<&str> = found.fields.iter().map(|f| f.id.as_str()).collect();
    let records = match format.as_str() {
        "lists" => json!(found.records),
        "csv" | "tsv" => {
            use crate::web::format::{cell_text, csv_line};
            let delimiter = if format == "csv" { b',' } else { b'\t' };
            let bytes: Vec<u8> = found.records.iter().flat_map(|row| csv_line(row.iter().map(cell_text), delimiter)).collect();
            json!(String::from_utf8_lossy(&bytes))
        }
        _ => json!(
            found
                .records
                .iter()
                .map(|row| names.iter().zip(row).map(|(n, v)| (n.to_string(), v.clone())).collect::<Map<_, _>>())
                .collect::<Vec<_>>()
        ),
    };
    let page = |offset: i64| {
        let mut q = vec![
            ("resource_id".to_string(), id.clone()),
            ("offset".to_string(), offset.to_string()),
            ("limit".to_string(), search.limit.to_string()),
        ];
        for k in ["q", "sort", "filters", "fields", "records_format"] {
            if let Some(v) = call.params.get(k) {
                q.push((
                    k.to_string(),
                    match v {
                        Value::String(s) => s.clone(),
                        v => v.to_string(),
                    },
                ));
            }
        }
        format!("/api/3/action/datastore_search?{}", serde_urlencoded::to_string(&q).unwrap_or_default())
    };
    let next = page(search.offset + search.limit);
    let mut result = json!({
        "resource_id": id,
        "fields": found.fields,
        "records": records,
        "records_format": format,
        "limit": search.limit,
        "offset": search.offset,
        "_links": {"start": page(0), "next": next},
        "next_page": next,
    });
    if let Some(total) = found.total {
        result["total"] = json!(total);
        result["total_was_estimated"] = json!(false);
    }
    Ok(result)
}

async fn datastore_search_sql(call: &Call) -> CkanResult {
    use super::datastore;
    let query = call.required("sql")?;
    let store = &call.ctx.app.store;
    let checked = super::sql_check::check(&query, store.sql_dialect()).map_err(|e| invalid_field("query", e.msg()))?;
    let tenant = &call.ctx.tenant.id;
    // Every table must be a datastore table of a dataset this caller may see.
    for id in &checked.tables {
        let visible = match repo::resource(store, tenant, id).await? {
            Some(r) => {
                repo::get(store, tenant, &r.dataset_id, &call.viewer()).await?.is_some()
                    && datastore::table(store, tenant, id).await?.is_some()
            }
            None => false,
        };
        if !visible {
            return Err(resource_not_found(id));
        }
    }
    let result = datastore::run_sql(store, &checked).await.map_err(|e| match e {
        datastore::SqlError::TooLong => {
            invalid_field("query", Msg::new("ckan.sql_time").arg("seconds", datastore::SQL_TIME_LIMIT.as_secs()))
        }
        datastore::SqlError::Busy => invalid_field("query", Msg::new("ckan.sql_busy")),
        datastore::SqlError::Database(detail) => invalid_field("query", Msg::new("ckan.sql_failed").arg("detail", detail)),
    })?;
    let mut out = json!({"sql": query, "fields": result.fields, "records": result.records});
    if result.truncated {
        out["records_truncated"] = json!(true);
    }
    Ok(out)
}

fn datastore_failure(e: super::datastore::DatastoreError) -> CkanError {
    match e {
        super::datastore::DatastoreError::Invalid(m) => invalid_field("records", m),
        e => CkanError::Internal(e.to_string()),
    }
}

/// The resource a datastore write targets, if the caller may write its dataset.
async fn writable_resource(call: &Call, user: &User, id: &str) -> Result<repo::Resource, CkanError> {
    let store = &call.ctx.app.store;
    let tenant = &call.ctx.tenant.id;
    let not_found = || resource_not_found(id);
    let r = repo::resource(store, tenant, id).await?.ok_or_else(not_found)?;
    let d = repo::get(store, tenant, &r.dataset_id, &Viewer::of(Some(user))).await?.ok_or_else(not_found)?;
    if !crate::kernel::access::for_org(user, &d.org.id) {
        return Err(CkanError::Authorization(Msg::new("ckan.datastore_not_authorized")));
    }
    Ok(r)
}

/// The datastore table named by `resource_id`, for a caller who may write it.
async fn writable_table(call: &Call, action: &str) -> Result<(String, super::datastore::Table), CkanError> {
    let user = call.writer(action)?;
    let id = call.required("resource_id")?;
    let r = writable_resource(call, user, &id).await?;
    let table = super::datastore::table(&call.ctx.app.store, &call.ctx.tenant.id, &r.id)
        .await?
        .ok_or_else(|| CkanError::NotFound(Msg::new("ckan.no_datastore").arg("id", &id)))?;
    Ok((id, table))
}

fn records_param(call: &Call) -> Result<Vec<Map<String, Value>>, CkanError> {
    match json_param(call, "records")? {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .into_iter()
            .map(|v| match v {
                Value::Object(m) => Ok(m),
                _ => Err(invalid_field("records", Msg::new("ckan.record_object"))),
            })
            .collect(),
        Some(_) => Err(invalid_field("records", Msg::new("ckan.records_list"))),
    }
}

async fn datastore_create(call: &Call) -> CkanResult {
    use super::datastore;
    let user = call.writer("datastore_create")?;
    // An existing resource, or a new one described by `resource`.
    let resource_id = match (call.str("resource_id"), json_param(call, "resource")?) {
        (Some(id), _) if !id.is_empty() => writable_resource(call, user, &id).await?.id,
        (_, Some(Value::Object(desc))) => {
            let dataset = desc.get("package_id").and_then(|v| v.as_str()).ok_or_else(|| missing("resource.package_id"))?.to_string();
            let name = desc.get("name").and_then(|v| v.as_str()).unwrap_or("datastore").to_string();
            let d = change_resources(call, user, &dataset, |list| {
                list.push(
                    json!({"name": name, "description": desc.get("description").cloned().unwrap_or(json!("")), "format": "CSV", "url": ""}),
                );
                Ok(())
            })
            .await?;
            d.resources.last().map(|r| r.id.clone()).ok_or_else(|| CkanError::Internal("the new resource is missing".into()))?
        }
        _ => return Err(missing("resource_id")),
    };
    let keys: Vec<String> = match json_param(call, "primary_key")? {
        None => Vec::new(),
        Some(Value::String(s)) => s.split(',').map(|k| k.trim().to_string()).filter(|k| !k.is_empty()).collect(),
        Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        Some(_) => return Err(invalid_field("primary_key", Msg::new("ckan.text_or_list"))),
    };
    let fields: Vec<(String, tabular::ColumnType, bool)> = match json_param(call, "fields")? {
        Some(Value::Array(a)) => a
            .iter()
            .map(|f| {
                let id = f["id"].as_str().ok_or_else(|| invalid_field("fields", Msg::new("ckan.field_id")))?.to_string();
                let ty = f.get("type").and_then(|t| t.as_str()).unwrap_or("text");
                let ty = tabular::ColumnType::from_name(ty)
                    .ok_or_else(|| invalid_field("fields", Msg::new("ckan.field_type").arg("type", ty)))?;
                let key = keys.contains(&id);
                Ok((id, ty, key))
            })
            .collect::<Result<_, CkanError>>()?,
        _ => return Err(missing("fields")),
    };
    for k in &keys {
        if !fields.iter().any(|(id, _, _)| id == k) {
            return Err(invalid_field("primary_key", Msg::new("ckan.primary_key_field").arg("key", k)));
        }
    }
    let store = &call.ctx.app.store;
    let table = datastore::create_table(store, &call.ctx.tenant.id, &resource_id, &fields).await.map_err(datastore_failure)?;
    let records = records_param(call)?;
    datastore::write_records(store, &table, &records, datastore::Method::Insert).await.map_err(datastore_failure)?;
    Ok(json!({"resource_id": resource_id, "fields": table.fields, "primary_key": keys, "records": records.len()}))
}

async fn datastore_upsert(call: &Call) -> CkanResult {
    use super::datastore;
    let (id, table) = writable_table(call, "datastore_upsert").await?;
    let store = &call.ctx.app.store;
    let method = match call.str("method").as_deref().unwrap_or("upsert") {
        "upsert" => datastore::Method::Upsert,
        "insert" => datastore::Method::Insert,
        "update" => datastore::Method::Update,
        _ => return Err(invalid_field("method", Msg::new("ckan.method"))),
    };
    let records = records_param(call)?;
    let n = datastore::write_records(store, &table, &records, method).await.map_err(datastore_failure)?;
    Ok(json!({"resource_id": id, "method": call.str("method").unwrap_or_else(|| "upsert".into()), "records": n}))
}

async fn datastore_delete(call: &Call) -> CkanResult {
    use super::datastore;
    let (id, table) = writable_table(call, "datastore_delete").await?;
    let store = &call.ctx.app.store;
    let filters = match json_param(call, "filters")? {
        None => None,
        Some(Value::Object(m)) => Some(m),
        Some(_) => return Err(invalid_field("filters", Msg::new("ckan.json_object"))),
    };
    datastore::delete(store, &call.ctx.tenant.id, &table, filters.as_ref()).await.map_err(datastore_failure)?;
    Ok(json!({"resource_id": id, "filters": filters}))
}
