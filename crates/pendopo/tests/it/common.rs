//! Test harness: a fresh database per test on each engine, and the real
//! server on port 0 in front of it.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};

use pendopo::kernel::identity::{self, NewUser};
use pendopo::kernel::tenancy;
use pendopo::store::Store;
use pendopo::web;

/// One database made for one test, removed when dropped.
pub struct TestDb {
    pub url: String,
    pub label: &'static str,
    _dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.pg_drop.take() {
            // Drop from a thread of its own: this may run inside a runtime.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async {
                    if let Ok(admin) = Store::connect(&admin_url).await {
                        let q = pendopo::store::sql_built(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                        let _ = admin.execute(q).await;
                        admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub fn sqlite_db() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url(dir.path());
    TestDb { url, label: "sqlite", _dir: Some(dir), pg_drop: None }
}

/// A copy of a SQLite database file (a fixture), in a directory of its own.
pub fn sqlite_db_from(file: &std::path::Path) -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(file, dir.path().join("pendopo.db")).unwrap();
    let url = Store::sqlite_url(dir.path());
    TestDb { url, label: "sqlite", _dir: Some(dir), pg_drop: None }
}

/// A new, empty PostgreSQL database, when `PENDOPO_TEST_DATABASE_URL` names a server.
pub async fn postgres_db() -> Option<TestDb> {
    let admin_url = std::env::var("PENDOPO_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())?;
    let name = format!("pendopo_test_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
    let admin = Store::connect(&admin_url).await.expect("PENDOPO_TEST_DATABASE_URL must be reachable");
    admin.execute(pendopo::store::sql_built(format!("CREATE DATABASE {name}"))).await.unwrap();
    admin.close().await;
    let (base, _) = admin_url.rsplit_once('/').expect("a database URL ends in /DBNAME");
    Some(TestDb { url: format!("{base}/{name}"), label: "postgres", _dir: None, pg_drop: Some((admin_url, name)) })
}

/// SQLite always; PostgreSQL too when the environment names a server.
pub async fn each_engine() -> Vec<TestDb> {
    let mut dbs = vec![sqlite_db()];
    dbs.extend(postgres_db().await);
    dbs
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub store: Store,
    /// The server's state, e.g. to run its due jobs now ([`TestApp::drain_jobs`]).
    pub state: web::App,
    pub client: reqwest::Client,
    pub label: &'static str,
    /// Uploaded files; kept as long as any handle to the app.
    pub files: std::sync::Arc<tempfile::TempDir>,
}

pub const REGION: &str = "35.22";
pub const PASSWORD: &str = "rahasia-sekali-123";

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The server on port 0 over a migrated store with Bojonegoro set up.
pub async fn spawn_app(db: &TestDb) -> TestApp {
    spawn_app_with(db, 1024 * 1024).await
}

pub async fn spawn_app_with(db: &TestDb, max_body_bytes: usize) -> TestApp {
    spawn(db, |c| web::WebConfig { max_body_bytes, ..c }).await
}

/// The server believing forwarded headers only from `proxies` (none: no one's).
pub async fn spawn_app_trusting(db: &TestDb, proxies: Vec<std::net::IpAddr>) -> TestApp {
    spawn(db, |c| web::WebConfig { trusted_proxies: proxies, ..c }).await
}

pub async fn spawn(db: &TestDb, configure: impl FnOnce(web::WebConfig) -> web::WebConfig) -> TestApp {
    spawn_on(db, configure, None).await
}

/// The server whose store reads `clock`, which the test moves.
pub async fn spawn_clocked(db: &TestDb, clock: pendopo::clock::Clock) -> TestApp {
    spawn_on(db, |c| c, Some(clock)).await
}

/// The server on `clock` with its configuration changed by `configure`.
pub async fn spawn_clocked_with(
    db: &TestDb,
    clock: pendopo::clock::Clock,
    configure: impl FnOnce(web::WebConfig) -> web::WebConfig,
) -> TestApp {
    spawn_on(db, configure, Some(clock)).await
}

async fn spawn_on(db: &TestDb, configure: impl FnOnce(web::WebConfig) -> web::WebConfig, clock: Option<pendopo::clock::Clock>) -> TestApp {
    init_logs();
    let mut store = Store::open(&db.url).await.unwrap();
    if let Some(clock) = clock {
        store = store.with_clock(clock);
    }
    if tenancy::list_tenants(&store).await.unwrap().is_empty() {
        tenancy::init_region(&store, REGION, &[], true).await.unwrap();
    }
    let files = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let config = configure(web::WebConfig {
        max_body_bytes: 1024 * 1024,
        max_upload_bytes: 64 * 1024,
        ..web::WebConfig::new(files.path().to_path_buf())
    });
    let state = web::state(store.clone(), config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(web::serve(state.clone(), listener));
    TestApp { addr, store, state, client: client(), label: db.label, files }
}

fn init_logs() {
    if std::env::var("TEST_LOG").is_ok() {
        let _ = tracing_subscriber::fmt().with_env_filter("info").with_test_writer().try_init();
    }
}

impl TestApp {
    /// The same server seen by another browser (no cookies yet).
    pub fn another_browser(&self) -> TestApp {
        TestApp {
            addr: self.addr,
            store: self.store.clone(),
            state: self.state.clone(),
            client: client(),
            label: self.label,
            files: self.files.clone(),
        }
    }

    /// Another browser on the same server, signed in as `email` (with the
    /// tests' password).
    pub async fn signed_in_as(&self, email: &str) -> TestApp {
        let other = self.another_browser();
        assert_eq!(other.login(email, PASSWORD).await.status(), 303, "sign in {email}");
        other
    }

    /// Runs every job that is due now (what the worker would do shortly).
    pub async fn drain_jobs(&self) -> usize {
        pendopo::worker::drain(&self.state).await.unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let r = self.get(path).await;
        (r.status().as_u16(), r.text().await.unwrap())
    }

    pub async fn add_user(&self, email: &str, role: &str, org: Option<&str>) -> identity::User {
        let tenant = tenancy::list_tenants(&self.store).await.unwrap().into_iter().find(|t| t.is_default).unwrap();
        let new = NewUser {
            email: email.into(),
            name: email.split('@').next().unwrap().into(),
            password: PASSWORD.into(),
            role: role.into(),
            org: org.map(str::to_string),
            desa: (role == "village_operator").then(|| "35.22.01.2001".to_string()),
        };
        identity::create_user(&self.store, &tenant.id, &new).await.unwrap()
    }

    pub async fn add_org(&self, slug: &str) {
        let input = pendopo::kernel::organizations::OrgInput {
            slug: slug.into(),
            name: format!("Dinas {slug}"),
            kind: "dinas".into(),
            ..Default::default()
        };
        pendopo::kernel::organizations::create(&self.store, REGION, &input).await.unwrap();
    }

    /// The CSRF token a page's forms carry.
    pub async fn csrf(&self, path: &str) -> String {
        let (_, html) = self.get_text(path).await;
        csrf_in(&html)
    }

    /// Signs in through the form, as a browser does; returns the redirect target.
    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        let csrf = self.csrf("/login").await;
        self.client.post(self.url("/login")).form(&[("email", email), ("password", password), ("csrf", &csrf)]).send().await.unwrap()
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client.post(self.url(path)).form(fields).send().await.unwrap()
    }

    pub async fn token_for(&self, user: &identity::User) -> String {
        identity::create_token(&self.store, REGION, &user.id, "test", None).await.unwrap().1
    }
}

pub fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("page has a form with a CSRF field") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

/// The catalogue's Bahasa Indonesia text for `key` with `args`: what a
/// test looks for, so that it follows the key and not a copy of the prose.
pub fn said(key: &str, args: &[(&str, &str)]) -> String {
    let args: Vec<(&str, String)> = args.iter().map(|(k, v)| (*k, v.to_string())).collect();
    pendopo::web::ui::Catalog::embedded().text(pendopo::web::ui::Lang::Id, key, &args)
}

/// [`said`] as a page shows it (HTML-escaped).
pub fn said_html(key: &str, args: &[(&str, &str)]) -> String {
    said(key, args).replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#x27;")
}

/// [`said_html`] up to where the argument `open` would go: for messages
/// that end in text the test does not control (a parser's reason).
pub fn said_up_to(key: &str, args: &[(&str, &str)], open: &str) -> String {
    const MARK: &str = "\u{1}";
    let mut all = args.to_vec();
    all.push((open, MARK));
    let text = said_html(key, &all);
    text[..text.find(MARK).expect("the key has that argument")].to_string()
}
