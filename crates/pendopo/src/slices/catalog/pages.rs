//! The catalog's pages, at CKAN-familiar addresses: search with facets, a
//! dataset with its metadata, resources and history, the publisher's form,
//! and the walidata's review queue.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Path, Query};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::dcat;
use super::model::{self, DatasetInput, FREQUENCIES, LICENSES, SatuData, State};
use super::repo::{self, CatalogError, Review, Viewer};
use super::search::{self, Facet, Sort};
use crate::kernel::organizations as orgs;
use crate::web::ctx::{Ctx, SignedIn};
use crate::web::error::{AppError, AppResult};

pub fn routes() -> crate::slices::Routes {
    crate::slices::Routes::new()
        .route("/dataset", get(search_page).post(create_form))
        .route("/dataset/new", get(new_page))
        .route("/dataset/review", get(review_queue))
        .route("/group", get(group_list_page))
        .route("/group/{name}", get(group_page))
        .route("/dataset/{name}", get(show_page).post(update_form))
        .route("/dataset/{name}/edit", get(edit_page))
        .route("/dataset/{name}/submit", post(submit))
        .route("/dataset/{name}/publish", post(publish))
        .route("/dataset/{name}/return", post(return_with_notes))
}

impl From<CatalogError> for AppError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::Invalid(fields) => {
                AppError::Invalid(fields.into_iter().flat_map(|(f, ms)| ms.into_iter().map(move |m| (f.clone(), m))).collect())
            }
            CatalogError::NotFound => AppError::not_found(),
            CatalogError::Forbidden => AppError::forbidden(),
            CatalogError::Store(e) => e.into(),
        }
    }
}

const PAGE_SIZE: i64 = 20;

#[derive(Deserialize, Default)]
struct SearchParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    page: Option<i64>,
    #[serde(flatten)]
    filters: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct FacetView {
    field: &'static str,
    items: Vec<FacetLink>,
}

#[derive(Serialize)]
struct FacetLink {
    label: String,
    count: i64,
    active: bool,
    href: String,
}

/// A search page address with one filter turned on or off.
fn href(params: &SearchParams, toggle: Option<(&str, &str)>, page: Option<i64>) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    if !params.q.is_empty() {
        pairs.push(("q".into(), params.q.clone()));
    }
    if !params.sort.is_empty() {
        pairs.push(("sort".into(), params.sort.clone()));
    }
    for (k, v) in &params.filters {
        if Facet::parse(k).is_some() && toggle != Some((k.as_str(), v.as_str())) {
            pairs.push((k.clone(), v.clone()));
        }
    }
    if let Some((k, v)) = toggle
        && params.filters.get(k).map(String::as_str) != Some(v)
    {
        pairs.push((k.to_string(), v.to_string()));
    }
    if let Some(p) = page.filter(|p| *p > 1) {
        pairs.push(("page".into(), p.to_string()));
    }
    let qs = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    if qs.is_empty() { "/dataset".into() } else { format!("/dataset?{qs}") }
}

async fn search_page(ctx: Ctx, Query(params): Query<SearchParams>) -> AppResult<Response> {
    let filters: Vec<search::Filter> =
        params.filters.iter().filter_map(|(k, v)| Facet::parse(k).map(|field| search::Filter { field, value: v.clone() })).collect();
    let sort = match params.sort.as_str() {
        "name" => Sort::NameAsc,
        "modified" => Sort::ModifiedDesc,
        _ if params.q.trim().is_empty() => Sort::ModifiedDesc,
        _ => Sort::Relevance,
    };
    let page = params.page.unwrap_or(1).max(1);
    let query = search::Query {
        q_clauses: None,
        fq: Vec::new(),
        q: params.q.clone(),
        filters,
        sort,
        rows: PAGE_SIZE,
        start: (page - 1) * PAGE_SIZE,
        facets: Facet::ALL.to_vec(),
        facet_limit: 10,
    };
    let store = &ctx.app.store;
    let tenant = &ctx.tenant.id;
    // Pages show what the visitor may see, drafts of their own agency included.
    let viewer = Viewer::of(ctx.user.as_ref());
    let found = super::searches(&ctx.app).search(store, tenant, &viewer, &query).await?;
    let datasets = repo::get_many(store, tenant, &found.ids).await?;
    let mut facets = Vec::new();
    for (field, items) in &found.facets {
        let mut links = Vec::new();
        for item in items {
            let label = item.label.clone();
            let active = params.filters.get(*field) == Some(&item.name);
            links.push(FacetLink { label, count: item.count, active, href: href(&params, Some((field, &item.name)), None) });
        }
        if !links.is_empty() {
            facets.push(FacetView { field, items: links });
        }
    }
    let pages = (found.count + PAGE_SIZE - 1) / PAGE_SIZE;
    let page_ctx = minijinja::context! {
        q => params.q, sort => params.sort, count => found.count, datasets, facets, page, pages,
        prev => (page > 1).then(|| href(&params, None, Some(page - 1))),
        next => (page < pages).then(|| href(&params, None, Some(page + 1))),
        can_create => ctx.user.as_ref().is_some_and(crate::kernel::access::for_any_org),
    };
    Ok(ctx.render("catalog/dataset_list.html", page_ctx)?.into_response())
}

async fn show_page(ctx: Ctx, headers: HeaderMap, Path(name): Path<String>, Query(q): Query<dcat::http::PageQuery>) -> AppResult<Response> {
    // Dataset names have no dots: a suffix asks for the DCAT description,
    // and so does an RDF client's Accept header on the page's own address.
    for format in dcat::http::Format::ALL {
        if let Some(name) = name.strip_suffix(format.suffix()) {
            return dcat::http::dataset(&ctx, name, format, &q).await;
        }
    }
    if let Some(format) = dcat::http::negotiate(&headers) {
        return Ok(dcat::http::varies(dcat::http::dataset(&ctx, &name, format, &q).await?));
    }
    render_show(&ctx, &name, StatusCode::OK, None).await
}

/// A dataset's page; after a refused step of the review, with what stopped it.
async fn render_show(ctx: &Ctx, name: &str, status: StatusCode, refused: Option<&AppError>) -> AppResult<Response> {
    let store = &ctx.app.store;
    let d = repo::get(store, &ctx.tenant.id, name, &Viewer::of(ctx.user.as_ref())).await?.ok_or_else(AppError::not_found)?;
    let history = repo::history(store, &ctx.tenant.id, &d.id).await?;
    let (_, refused_fields) = ctx.form_errors(refused);
    let can_write = ctx.user.as_ref().is_some_and(|u| crate::kernel::access::for_org(u, &d.org.id));
    let is_admin = ctx.user.as_ref().is_some_and(|u| u.is_region_admin());
    let page = minijinja::context! {
        d, history, license => model::license(&d.license_id),
        can_edit => can_write,
        can_submit => can_write && matches!(d.state, State::Draft | State::Returned),
        can_review => is_admin && d.state == State::Submitted,
        can_publish => is_admin && matches!(d.state, State::Draft | State::Returned | State::Submitted),
        refusal => refused.map(|_| ctx.text("dataset.review_missing_title")), refused_fields,
    };
    Ok(dcat::http::varies((status, ctx.render("catalog/dataset_show.html", page)?).into_response()))
}

/// The publisher's form, flat as HTML forms are.
#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
struct DatasetForm {
    name: String,
    title: String,
    notes: String,
    license_id: String,
    owner_org: String,
    private: Option<String>,
    /// Comma-separated.
    tags: String,
    /// Checkboxes: repeated `groups=` fields arrive as one comma-joined value
    /// (serde_urlencoded keeps the last), so the form uses `group_<name>`.
    #[serde(flatten)]
    rest: BTreeMap<String, String>,
    resource_name: String,
    resource_url: String,
    frekuensi: String,
    cakupan_wilayah: String,
    periode_awal: String,
    periode_akhir: String,
    nama_indikator: String,
    konsep: String,
    definisi: String,
    interpretasi: String,
    metode: String,
    ukuran: String,
    satuan: String,
    klasifikasi_penyajian: String,
    indikator_komposit: Option<String>,
    indikator_pembangun: String,
    level_estimasi: String,
    #[serde(skip_serializing)]
    csrf: String,
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect()
}

impl DatasetForm {
    fn groups(&self) -> Vec<String> {
        self.rest.keys().filter_map(|k| k.strip_prefix("group_")).map(str::to_string).collect()
    }

    /// The dataset input, keeping the resources a dataset already has.
    fn to_input(&self, existing: Option<&repo::Dataset>) -> DatasetInput {
        let mut resources: Vec<model::ResourceInput> = existing
            .map(|d| {
                d.resources
                    .iter()
                    .map(|r| model::ResourceInput {
                        id: Some(r.id.clone()),
                        name: r.name.clone(),
                        description: r.description.clone(),
                        format: r.format.clone(),
                        url: r.url.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        if !self.resource_url.trim().is_empty() {
            resources.push(model::ResourceInput {
                name: self.resource_name.clone(),
                url: self.resource_url.trim().to_string(),
                ..Default::default()
            });
        }
        DatasetInput {
            id: None,
            name: self.name.trim().to_string(),
            title: self.title.clone(),
            notes: self.notes.clone(),
            license_id: self.license_id.clone(),
            owner_org: self.owner_org.clone(),
            private: Some(json!(self.private.is_some())),
            state: Some("draft".into()),
            tags: split_list(&self.tags).into_iter().map(|name| model::TagInput { name }).collect(),
            groups: self.groups().into_iter().map(|name| model::GroupRef { name, id: String::new() }).collect(),
            extras: existing.map(|d| d.extras.clone()).unwrap_or_default(),
            // The form does not show CKAN's core fields: an edit keeps them.
            core: existing.map(|d| d.core.clone()).unwrap_or_default(),
            resources,
            satudata: Some(SatuData {
                produsen_data: existing.map(|d| d.satudata.produsen_data.clone()).unwrap_or_default(),
                walidata: existing.map(|d| d.satudata.walidata.clone()).unwrap_or_default(),
                frekuensi: self.frekuensi.clone(),
                cakupan_wilayah: self.cakupan_wilayah.trim().to_string(),
                periode_awal: self.periode_awal.trim().to_string(),
                periode_akhir: self.periode_akhir.trim().to_string(),
                nama_indikator: self.nama_indikator.clone(),
                konsep: self.konsep.clone(),
                definisi: self.definisi.clone(),
                interpretasi: self.interpretasi.clone(),
                metode: self.metode.clone(),
                ukuran: self.ukuran.clone(),
                satuan: self.satuan.clone(),
                klasifikasi_penyajian: self.klasifikasi_penyajian.clone(),
                indikator_komposit: self.indikator_komposit.is_some(),
                indikator_pembangun: split_list(&self.indikator_pembangun),
                level_estimasi: self.level_estimasi.clone(),
            }),
        }
    }

    fn of(d: &repo::Dataset) -> DatasetForm {
        let sd = &d.satudata;
        let mut rest = BTreeMap::new();
        for g in &d.groups {
            rest.insert(format!("group_{}", g.name), "on".to_string());
        }
        DatasetForm {
            name: d.name.clone(),
            title: d.title.clone(),
            notes: d.notes.clone(),
            license_id: d.license_id.clone(),
            owner_org: d.org.slug.clone(),
            private: d.private.then(|| "on".into()),
            tags: d.tags.join(", "),
            rest,
            frekuensi: sd.frekuensi.clone(),
            cakupan_wilayah: sd.cakupan_wilayah.clone(),
            periode_awal: sd.periode_awal.clone(),
            periode_akhir: sd.periode_akhir.clone(),
            nama_indikator: sd.nama_indikator.clone(),
            konsep: sd.konsep.clone(),
            definisi: sd.definisi.clone(),
            interpretasi: sd.interpretasi.clone(),
            metode: sd.metode.clone(),
            ukuran: sd.ukuran.clone(),
            satuan: sd.satuan.clone(),
            klasifikasi_penyajian: sd.klasifikasi_penyajian.clone(),
            indikator_komposit: sd.indikator_komposit.then(|| "on".into()),
            indikator_pembangun: sd.indikator_pembangun.join(", "),
            level_estimasi: sd.level_estimasi.clone(),
            ..Default::default()
        }
    }
}

async fn render_form(
    ctx: &Ctx,
    status: StatusCode,
    form: &DatasetForm,
    editing: Option<&str>,
    error: Option<&AppError>,
) -> AppResult<Response> {
    let user = ctx.user()?;
    let store = &ctx.app.store;
    let writable = crate::kernel::access::writable_orgs(store, &ctx.tenant.id, user).await?;
    let groups = repo::groups(store, &ctx.tenant.id).await?;
    let chosen = form.groups();
    let (message, fields) = ctx.form_errors(error);
    // The model names some fields as the API does; the form's ids are flat.
    let fields: BTreeMap<String, String> = fields
        .into_iter()
        .map(|(f, m)| {
            (f.strip_prefix("satudata.").map(str::to_string).unwrap_or(if f == "resources" { "resource_url".into() } else { f }), m)
        })
        .collect();
    let page = minijinja::context! {
        form, editing, orgs => writable, groups, chosen, licenses => LICENSES, frequencies => FREQUENCIES,
        error => message, field_errors => fields,
    };
    Ok((status, ctx.render("catalog/dataset_form.html", page)?).into_response())
}

async fn new_page(SignedIn(ctx): SignedIn) -> AppResult<Response> {
    if !crate::kernel::access::for_any_org(ctx.user()?) {
        return Err(ctx.denied());
    }
    let form = DatasetForm {
        license_id: "cc-by-4.0".into(),
        cakupan_wilayah: ctx.tenant.id.clone(),
        owner_org: ctx.user()?.org_id.clone().unwrap_or_default(),
        ..Default::default()
    };
    // The select is keyed by slug.
    let mut form = form;
    if let Some(org) = orgs::get_by_id(&ctx.app.store, &ctx.tenant.id, &form.owner_org).await? {
        form.owner_org = org.slug;
    }
    render_form(&ctx, StatusCode::OK, &form, None, None).await
}

fn see_other(to: String) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to)]).into_response()
}

async fn create_form(SignedIn(ctx): SignedIn, Form(form): Form<DatasetForm>) -> AppResult<Response> {
    ctx.check_csrf(&form.csrf)?;
    let user = ctx.user()?;
    if !crate::kernel::access::for_any_org(user) {
        return Err(ctx.denied());
    }
    match repo::create(&ctx.app.store, &ctx.tenant.id, user, &form.to_input(None)).await.map_err(AppError::from) {
        Ok(d) => Ok(see_other(format!("/dataset/{}", d.name))),
        Err(e @ AppError::Invalid(_)) => render_form(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &form, None, Some(&e)).await,
        Err(e) => Err(e),
    }
}

async fn edit_page(SignedIn(ctx): SignedIn, Path(name): Path<String>) -> AppResult<Response> {
    let user = ctx.user()?;
    let d = repo::get(&ctx.app.store, &ctx.tenant.id, &name, &Viewer::of(Some(user))).await?.ok_or_else(AppError::not_found)?;
    if !crate::kernel::access::for_org(user, &d.org.id) {
        return Err(ctx.denied());
    }
    render_form(&ctx, StatusCode::OK, &DatasetForm::of(&d), Some(&d.name), None).await
}

async fn update_form(SignedIn(ctx): SignedIn, Path(name): Path<String>, Form(form): Form<DatasetForm>) -> AppResult<Response> {
    ctx.check_csrf(&form.csrf)?;
    let user = ctx.user()?;
    let store = &ctx.app.store;
    let d = repo::get(store, &ctx.tenant.id, &name, &Viewer::of(Some(user))).await?.ok_or_else(AppError::not_found)?;
    match repo::update(store, &ctx.tenant.id, user, &d.id, &form.to_input(Some(&d))).await.map_err(AppError::from) {
        Ok(d) => Ok(see_other(format!("/dataset/{}", d.name))),
        Err(e @ AppError::Invalid(_)) => render_form(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &form, Some(&name), Some(&e)).await,
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct ReviewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    notes: String,
}

async fn step(ctx: Ctx, name: &str, form: ReviewForm, step: Review) -> AppResult<Response> {
    ctx.check_csrf(&form.csrf)?;
    let user = ctx.user()?;
    let d = repo::review(&ctx.app.store, &ctx.tenant.id, user, name, step).await?;
    tracing::info!(dataset = %d.name, state = d.state.as_str(), user = %user.email, "dataset review step");
    Ok(see_other(format!("/dataset/{}", d.name)))
}

/// Sending for review: what is missing is said on the dataset's page, each
/// field by its label with a link to it.
async fn submit(SignedIn(ctx): SignedIn, Path(name): Path<String>, Form(form): Form<ReviewForm>) -> AppResult<Response> {
    ctx.check_csrf(&form.csrf)?;
    let user = ctx.user()?;
    match repo::review(&ctx.app.store, &ctx.tenant.id, user, &name, Review::Submit).await {
        Ok(d) => {
            tracing::info!(dataset = %d.name, user = %user.email, "dataset submitted for review");
            Ok(see_other(format!("/dataset/{}", d.name)))
        }
        Err(e @ CatalogError::Invalid(_)) => render_show(&ctx, &name, StatusCode::UNPROCESSABLE_ENTITY, Some(&e.into())).await,
        Err(e) => Err(e.into()),
    }
}

async fn publish(SignedIn(ctx): SignedIn, Path(name): Path<String>, Form(form): Form<ReviewForm>) -> AppResult<Response> {
    step(ctx, &name, form, Review::Publish).await
}

async fn return_with_notes(SignedIn(ctx): SignedIn, Path(name): Path<String>, Form(form): Form<ReviewForm>) -> AppResult<Response> {
    let notes = form.notes.clone();
    step(ctx, &name, form, Review::Return(notes)).await
}

/// The walidata's queue: what produsen data have submitted, oldest first.
async fn review_queue(SignedIn(ctx): SignedIn) -> AppResult<Response> {
    ctx.region_admin()?;
    let store = &ctx.app.store;
    let ids: Vec<String> = store
        .fetch_all(
            crate::store::sql("SELECT id FROM datasets WHERE tenant_id = $1 AND state = 'submitted' ORDER BY updated_at")
                .bind(&ctx.tenant.id),
        )
        .await?
        .iter()
        .map(|r| r.at(0))
        .collect::<Result<_, _>>()?;
    let datasets = repo::get_many(store, &ctx.tenant.id, &ids).await?;
    Ok(ctx.render("catalog/dataset_review.html", minijinja::context! { datasets })?.into_response())
}

/// The datasets a visitor may see in one facet value (an agency, a group).
pub async fn datasets_where(ctx: &Ctx, field: Facet, value: &str) -> AppResult<Vec<repo::Dataset>> {
    let query = search::Query::listing(vec![search::Filter { field, value: value.to_string() }], Sort::NameAsc, 1000, 0);
    let found = super::searches(&ctx.app).search(&ctx.app.store, &ctx.tenant.id, &Viewer::of(ctx.user.as_ref()), &query).await?;
    Ok(repo::get_many(&ctx.app.store, &ctx.tenant.id, &found.ids).await?)
}

/// Every dataset the visitor may see, by name.
pub async fn datasets_where_all(ctx: &Ctx) -> AppResult<Vec<repo::Dataset>> {
    let query = search::Query::listing(vec![], Sort::NameAsc, 1000, 0);
    let found = super::searches(&ctx.app).search(&ctx.app.store, &ctx.tenant.id, &Viewer::of(ctx.user.as_ref()), &query).await?;
    Ok(repo::get_many(&ctx.app.store, &ctx.tenant.id, &found.ids).await?)
}

async fn group_list_page(ctx: Ctx) -> AppResult<Response> {
    let groups = repo::groups(&ctx.app.store, &ctx.tenant.id).await?;
    let mut rows = Vec::new();
    for g in groups {
        let n = datasets_where(&ctx, Facet::Groups, &g.name).await?.len();
        rows.push(minijinja::context! { g, n });
    }
    Ok(ctx.render("catalog/group_list.html", minijinja::context! { groups => rows })?.into_response())
}

async fn group_page(ctx: Ctx, Path(name): Path<String>) -> AppResult<Response> {
    let g = repo::group(&ctx.app.store, &ctx.tenant.id, &name).await?.ok_or_else(AppError::not_found)?;
    let datasets = datasets_where(&ctx, Facet::Groups, &g.name).await?;
    Ok(ctx.render("catalog/group_show.html", minijinja::context! { g, datasets })?.into_response())
}
