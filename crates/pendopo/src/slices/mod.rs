//! Features as vertical slices. Each slice describes itself in one
//! [`Slice`] value beside its code; [`ALL`] lists them, and everything that
//! spans slices is derived from that list: the router (`web::router`), the
//! tables `db copy` moves and the ones it rebuilds, what a new region gets,
//! the job handlers, the machine-facing paths, the menu. A new slice is one
//! folder and one line in [`ALL`].

pub mod accounts;
pub mod budgets;
pub mod catalog;
pub mod contracting;
pub mod holidays;
pub mod home;
pub mod jobs;
pub mod organizations;
pub mod sensors;
pub mod services;
pub mod users;
pub mod villages;
pub mod wilayah;

use std::future::Future;
use std::pin::Pin;

use axum::Router;
use serde::Deserialize;

use crate::kernel::files::FileStore;
use crate::store::{Store, StoreError};
use crate::web::App;
use crate::worker::Handler;

/// A future borrowing its arguments.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
type StoreResult = Result<(), StoreError>;
/// Rebuilds a slice's derived tables on the target of a copy (from, to, files).
pub type Rebuild = for<'a> fn(&'a Store, &'a Store, &'a FileStore) -> BoxFuture<'a, StoreResult>;
/// Sets a slice up for a new region (store, tenant).
pub type SetupTenant = for<'a> fn(&'a Store, &'a str) -> BoxFuture<'a, StoreResult>;

/// What a slice brings to the application.
pub struct Slice {
    /// Its name: also the prefix of its message keys.
    pub name: &'static str,
    pub routes: fn() -> Routes,
    /// Its tables that `db copy` moves, parents first.
    pub tables: &'static [&'static str],
    /// Its tables derived from others (indexes, summaries): rebuilt, not copied.
    pub derived: fn(&str) -> bool,
    /// Rebuilds the derived tables on `to` after a copy from `from`.
    pub rebuild: Option<Rebuild>,
    /// What it sets up for a new region.
    pub setup_tenant: Option<SetupTenant>,
    /// The handlers of its background jobs, by kind (`slice:what`).
    pub jobs: fn() -> Vec<(&'static str, Handler)>,
    /// Its long-lived services (an MQTT subscriber), run beside the server.
    pub services: &'static [crate::services::Service],
    /// Path prefixes that machines call: errors answer in JSON, no CSRF cookie.
    pub machine_paths: &'static [&'static str],
    /// Its entries in the site's menu.
    pub menu: &'static [MenuEntry],
    /// Puts its own state (caches) into the application state's `parts`.
    pub state: Option<fn(&mut axum::http::Extensions)>,
    /// Route paths whose writes anyone may make (signing in, validating a
    /// file, a citizen's report); every other write must refuse strangers
    /// and wrong roles, which a test derived from [`ALL`] checks.
    pub open_writes: &'static [&'static str],
    /// Route paths where any signed-in user writes their own things (their
    /// API tokens): strangers are refused, but no role is needed.
    pub own_writes: &'static [&'static str],
    /// Its migrations (numbers unique over the kernel and all slices).
    pub migrations: &'static [crate::store::Migration],
    /// Its templates, by name (`folder/file.html`), built into the binary.
    pub templates: &'static [(&'static str, &'static str)],
    /// Its message catalogues, Bahasa Indonesia and English (`key = text` lines).
    pub locales: [&'static str; 2],
    /// What it shows on other slices' pages (the front page, an agency's page).
    pub panel: Option<PanelFn>,
    /// Loads its part of the Bojonegoro demo, and says what it loaded.
    pub demo: Option<DemoFn>,
    /// Its own `pendopo` subcommand, if it has one.
    pub cli: Option<SliceCli>,
}

/// A page of one slice that the others add panels to.
#[derive(Clone, Copy)]
pub enum Place<'a> {
    /// The region's front page.
    Home,
    /// An agency's page.
    Organization(&'a crate::kernel::organizations::Organization),
    /// A region's page (the regency, a kecamatan, a desa) within the
    /// tenant's area, with the agencies that serve it: the offices whose
    /// region is this one or one of its ancestors (a desa's kecamatan office).
    Region { code: &'a str, name: &'a str, offices: &'a [crate::kernel::organizations::Organization] },
}

/// Renders a slice's panel for a place (HTML from its own template), or
/// nothing when it has none there.
pub type PanelFn = for<'a> fn(&'a crate::web::ctx::Ctx, Place<'a>) -> BoxFuture<'a, crate::web::error::AppResult<Option<String>>>;

/// What a slice's demo loader gets: the new region, its files, and its
/// administrator (the author of the demo's records).
pub struct DemoRegion<'a> {
    pub store: &'a Store,
    pub files: &'a FileStore,
    pub tenant: &'a str,
    pub admin: &'a crate::kernel::identity::User,
}

/// Loads a slice's demo records; the line it returns completes "Demo loaded: …"
/// (e.g. "30 datasets").
pub type DemoFn = for<'a> fn(&'a DemoRegion<'a>) -> BoxFuture<'a, Result<String, crate::kernel::AnyError>>;

/// A `pendopo` subcommand a slice brings: its clap definition, and what
/// runs it (with the global database arguments).
#[derive(Clone, Copy)]
pub struct SliceCli {
    pub command: fn() -> clap::Command,
    pub run: for<'a> fn(&'a clap::ArgMatches, &'a crate::cli::DbArgs) -> BoxFuture<'a, Result<(), crate::kernel::AnyError>>,
}

/// A link in the menu: the message key of its label, where it goes, and who sees it.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct MenuEntry {
    pub label: &'static str,
    pub href: &'static str,
    /// Shown only to region admins (walidata, sysadmin).
    pub admins_only: bool,
}

impl Slice {
    /// A slice with routes only; the others fill in what they have.
    pub const fn new(name: &'static str, routes: fn() -> Routes) -> Slice {
        Slice {
            name,
            routes,
            tables: &[],
            derived: |_| false,
            rebuild: None,
            setup_tenant: None,
            jobs: Vec::new,
            services: &[],
            machine_paths: &[],
            menu: &[],
            state: None,
            open_writes: &[],
            own_writes: &[],
            migrations: &[],
            templates: &[],
            locales: ["", ""],
            panel: None,
            demo: None,
            cli: None,
        }
    }
}

/// Every slice, in menu order.
pub const ALL: &[&Slice] = &[
    &catalog::SLICE,
    &contracting::SLICE,
    &services::SLICE,
    &budgets::SLICE,
    &sensors::SLICE,
    &wilayah::SLICE,
    &organizations::SLICE,
    &accounts::SLICE,
    &users::SLICE,
    &jobs::SLICE,
    &holidays::SLICE,
    &home::SLICE,
    &villages::SLICE,
];

/// The hidden field every form sends back.
#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    pub csrf: String,
}

/// Every table `db copy` moves, parents first: the kernel's, then each slice's.
pub fn copied_tables() -> Vec<&'static str> {
    let mut tables = crate::kernel::db_copy::KERNEL_TABLES.to_vec();
    tables.extend(ALL.iter().flat_map(|s| s.tables.iter().copied()));
    tables
}

/// Tables `db copy` does not copy: the slices' derived ones (rebuilt after
/// a copy) and the kernel's transient ones.
pub fn is_derived_table(name: &str) -> bool {
    crate::kernel::db_copy::KERNEL_TRANSIENT.contains(&name) || ALL.iter().any(|s| (s.derived)(name))
}

/// Rebuilds on `to` what `db copy` does not copy table by table.
pub async fn rebuild_derived(from: &Store, to: &Store, files: &FileStore) -> StoreResult {
    for s in ALL {
        if let Some(rebuild) = s.rebuild {
            rebuild(from, to, files).await?;
        }
    }
    Ok(())
}

/// What each slice sets up for a new region (e.g. the default groups).
pub async fn setup_tenant(store: &Store, tenant_id: &str) -> StoreResult {
    for s in ALL {
        if let Some(setup) = s.setup_tenant {
            setup(store, tenant_id).await?;
        }
    }
    Ok(())
}

/// The handlers of every slice's background jobs, by kind.
pub fn job_handlers() -> Vec<(&'static str, Handler)> {
    ALL.iter().flat_map(|s| (s.jobs)()).collect()
}

/// Every slice's long-lived services.
pub fn services() -> Vec<crate::services::Service> {
    ALL.iter().flat_map(|s| s.services.iter().copied()).collect()
}

/// Whether a path is one machines call (JSON errors, no CSRF cookie).
pub fn is_machine_path(path: &str) -> bool {
    ALL.iter().flat_map(|s| s.machine_paths).any(|p| path.starts_with(p))
}

/// Every slice's own state, for `AppState::parts`.
pub fn states() -> axum::http::Extensions {
    let mut parts = axum::http::Extensions::new();
    for s in ALL {
        if let Some(init) = s.state {
            init(&mut parts);
        }
    }
    parts
}

/// The menu, in slice order.
pub fn menu() -> Vec<MenuEntry> {
    ALL.iter().flat_map(|s| s.menu.iter().copied()).collect()
}

/// A slice's routes, and their paths: what the invariant tests try and the
/// OpenAPI document describes are read from here, so a route cannot be
/// missed by either.
pub struct Routes {
    router: Router<App>,
    paths: Vec<&'static str>,
    api: Vec<ApiRoute>,
}

/// One operation of the native JSON API, as the OpenAPI document shows it.
#[derive(Debug, Clone, Copy)]
pub struct Op {
    /// `get`, `post`, `put` or `delete`.
    pub method: &'static str,
    pub summary: &'static str,
}

/// A path of the native API (`/api/v1/...`) with its operations.
#[derive(Debug, Clone)]
pub struct ApiRoute {
    pub path: &'static str,
    pub ops: &'static [Op],
    /// The query parameters its GET takes, described in the document.
    pub query: &'static [QueryParam],
}

/// A query parameter of a native API GET: its name, whether it is a
/// number, and what it does.
#[derive(Debug, Clone, Copy)]
pub struct QueryParam {
    pub name: &'static str,
    pub integer: bool,
    pub description: &'static str,
}

impl Default for Routes {
    fn default() -> Self {
        Routes::new()
    }
}

impl Routes {
    pub fn new() -> Routes {
        Routes { router: Router::new(), paths: Vec::new(), api: Vec::new() }
    }

    /// A route of pages or of a standard's API (CKAN, OCDS). The native
    /// API's routes go through [`Routes::api`], so none is left out of the
    /// OpenAPI document.
    pub fn route(mut self, path: &'static str, methods: axum::routing::MethodRouter<App>) -> Routes {
        assert!(!path.starts_with("/api/v1/"), "{path}: native API routes are added with Routes::api, with their operations");
        self.router = self.router.route(path, methods);
        self.paths.push(path);
        self
    }

    /// A route of the native API with the operations it answers (a test
    /// checks they are the methods the route takes).
    pub fn api(self, path: &'static str, methods: axum::routing::MethodRouter<App>, ops: &'static [Op]) -> Routes {
        self.api_with_query(path, methods, ops, &[])
    }

    /// [`Routes::api`] with the query parameters its GET takes, so clients
    /// read them (paging above all) in the OpenAPI document.
    pub fn api_with_query(
        mut self,
        path: &'static str,
        methods: axum::routing::MethodRouter<App>,
        ops: &'static [Op],
        query: &'static [QueryParam],
    ) -> Routes {
        self.router = self.router.route(path, methods);
        self.paths.push(path);
        self.api.push(ApiRoute { path, ops, query });
        self
    }

    pub fn merge(mut self, other: Routes) -> Routes {
        self.router = self.router.merge(other.router);
        self.paths.extend(other.paths);
        self.api.extend(other.api);
        self
    }

    pub fn api_routes(&self) -> &[ApiRoute] {
        &self.api
    }

    pub fn paths(&self) -> &[&'static str] {
        &self.paths
    }

    pub fn into_router(self) -> Router<App> {
        self.router
    }
}

/// Whether anyone may write to this route path (see [`Slice::open_writes`]).
pub fn is_open_write(path: &str) -> bool {
    ALL.iter().flat_map(|s| s.open_writes).any(|p| *p == path)
}

/// Whether any signed-in user writes their own things here (see [`Slice::own_writes`]).
pub fn is_own_write(path: &str) -> bool {
    ALL.iter().flat_map(|s| s.own_writes).any(|p| *p == path)
}

/// Every slice's panel for a place, in slice order.
pub async fn panels(ctx: &crate::web::ctx::Ctx, place: Place<'_>) -> crate::web::error::AppResult<Vec<minijinja::Value>> {
    let mut out = Vec::new();
    for s in ALL {
        if let Some(panel) = s.panel
            && let Some(html) = panel(ctx, place).await?
        {
            out.push(minijinja::Value::from_safe_string(html));
        }
    }
    Ok(out)
}

/// The slices' subcommands.
pub fn commands() -> impl Iterator<Item = SliceCli> {
    ALL.iter().filter_map(|s| s.cli)
}

/// Every slice's migrations.
pub fn migrations() -> Vec<crate::store::Migration> {
    ALL.iter().flat_map(|s| s.migrations.iter().copied()).collect()
}

/// Every slice's templates.
pub fn templates() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
    ALL.iter().flat_map(|s| s.templates.iter())
}

/// Every slice's catalogue text in one language (0: Bahasa Indonesia, 1: English).
pub fn locales(lang: usize) -> impl Iterator<Item = &'static str> {
    ALL.iter().map(move |s| s.locales[lang])
}

/// All routes of every slice.
pub fn routes() -> Routes {
    ALL.iter().fold(Routes::new(), |r, s| r.merge((s.routes)()))
}
