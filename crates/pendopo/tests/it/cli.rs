//! The `pendopo` binary as an operator runs it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::common::{PASSWORD, TestDb, client, csrf_in, each_engine, sqlite_db};

pub(crate) fn pendopo(db: &TestDb, data_dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pendopo"));
    c.arg("--data-dir").arg(data_dir).env("PENDOPO_DATABASE_URL", &db.url).env("RUST_LOG", "warn").env_remove("PENDOPO_LISTEN");
    c
}

pub(crate) fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// `init --region 35.22` and the walidata `walidata@bojonegorokab.go.id`,
/// as an operator sets Bojonegoro up.
pub(crate) fn bojonegoro_with_walidata(db: &TestDb, data_dir: &Path) {
    run_ok(pendopo(db, data_dir).args(["init", "--region", "35.22"]));
    run_ok(pendopo(db, data_dir).args([
        "user",
        "add",
        "--email",
        "walidata@bojonegorokab.go.id",
        "--password",
        PASSWORD,
        "--role",
        "walidata",
    ]));
}

/// A `pendopo serve` process, stopped when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) base: String,
    stdout_lines: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(cmd: Command) -> Server {
    start_server_logging_to(cmd, if std::env::var("TEST_LOG").is_ok() { Stdio::inherit() } else { Stdio::null() })
}

/// Starts `pendopo serve` with its logs (standard error) sent to `logs`.
pub(crate) fn start_server_logging_to(mut cmd: Command, logs: Stdio) -> Server {
    let child = cmd.stdout(Stdio::piped()).stderr(logs).spawn().unwrap();
    // Owned by `Server` from here on, so it is killed and reaped whatever happens.
    let mut server = Server { child, base: String::new(), stdout_lines: Vec::new() };
    let mut reader = BufReader::new(server.child.stdout.take().unwrap());
    loop {
        let mut line = String::new();
        assert!(reader.read_line(&mut line).unwrap() > 0, "server exited early: {:?}", server.stdout_lines);
        if let Some(addr) = line.trim().strip_prefix("Pendopo is serving on ") {
            server.base = addr.to_string();
            return server;
        }
        server.stdout_lines.push(line.trim().to_string());
    }
}

#[tokio::test]
async fn operator_sets_up_a_region_adds_a_user_and_makes_a_token() {
    for db in each_engine().await {
        let dir = tempfile::tempdir().unwrap();
        let out = run_ok(pendopo(&db, dir.path()).args(["init", "--region", "11.08"]));
        assert!(out.contains("Created region 11.08 Kabupaten Aceh Utara"), "{out}");
        let out = run_ok(pendopo(&db, dir.path()).args(["init", "--region", "11.08"]));
        assert!(out.contains("already set up"), "{out}");

        let bad = pendopo(&db, dir.path()).args(["init", "--region", "11.08.01"]).output().unwrap();
        assert!(!bad.status.success());
        assert!(String::from_utf8_lossy(&bad.stderr).contains("not a regency or city code"));
        let logs = pendopo(&db, dir.path()).env("RUST_LOG", "debug").args(["init", "--region", "11.08"]).output().unwrap();
        let logs = String::from_utf8_lossy(&logs.stderr);
        assert!(logs.contains("DEBUG") && !logs.contains('\u{1b}'), "plain logs when not at a terminal: {logs:?}");

        run_ok(pendopo(&db, dir.path()).args([
            "user",
            "add",
            "--email",
            "walidata@acehutarakab.go.id",
            "--password",
            PASSWORD,
            "--role",
            "walidata",
        ]));
        let dup = pendopo(&db, dir.path())
            .args(["user", "add", "--email", "walidata@acehutarakab.go.id", "--password", PASSWORD, "--role", "walidata"])
            .output()
            .unwrap();
        assert!(!dup.status.success());
        assert!(String::from_utf8_lossy(&dup.stderr).contains("already in use"));

        let out = run_ok(pendopo(&db, dir.path()).args(["token", "create", "--email", "walidata@acehutarakab.go.id"]));
        assert_eq!(out.lines().count(), 1, "only the token on standard output: {out:?}");
        let token = out.trim().to_string();
        assert!(token.starts_with("pdp_"));

        let mut serve = pendopo(&db, dir.path());
        serve.args(["serve", "--listen", "127.0.0.1:0"]);
        let server = start_server(serve);
        let me: Value =
            client().get(format!("{}/api/v1/me", server.base)).header("authorization", &token).send().await.unwrap().json().await.unwrap();
        assert_eq!(me["email"], "walidata@acehutarakab.go.id", "{}", db.label);
        assert_eq!(me["tenant_id"], "11.08");
    }
}

#[tokio::test]
async fn demo_prints_the_admin_password_once_and_it_signs_in() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pendopo"));
    cmd.args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env_remove("PENDOPO_DATABASE_URL")
        .env("RUST_LOG", "warn");
    let server = start_server(cmd);
    let line = server.stdout_lines.iter().find(|l| l.starts_with("Admin account")).expect("admin line");
    let password = line.rsplit(" / ").next().unwrap();
    assert!(dir.path().join("pendopo.db").exists(), "embedded database in the data dir");

    let c = client();
    let html = c.get(format!("{}/login", server.base)).send().await.unwrap().text().await.unwrap();
    let csrf = csrf_in(&html);
    let r = c
        .post(format!("{}/login", server.base))
        .form(&[("email", "admin@bojonegorokab.go.id"), ("password", password), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let orgs: Value = c.get(format!("{}/api/v1/organizations", server.base)).send().await.unwrap().json().await.unwrap();
    let names: Vec<&str> = orgs["organizations"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect();
    for expected in [
        "Dinas Pertanian",
        "Dinas Perhubungan",
        "Dinas Koperasi dan Usaha Mikro",
        "Kecamatan Kalitidu",
        "RSUD Dr. R. Sosodoro Djatikoesoemo",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    assert_eq!(names.iter().filter(|n| n.starts_with("Kecamatan ")).count(), 28);
    // The demo catalog: published, found by stemmed search, with its CSV.
    let found: Value =
        c.get(format!("{}/api/3/action/package_search?q=pertanian&rows=50", server.base)).send().await.unwrap().json().await.unwrap();
    assert!(found["result"]["count"].as_i64().is_some_and(|n| n >= 3), "{found}");
    let all: Value = c.get(format!("{}/api/3/action/package_search?rows=0", server.base)).send().await.unwrap().json().await.unwrap();
    assert!(all["result"]["count"].as_i64().unwrap() >= 30);
    let padi: Value =
        c.get(format!("{}/api/3/action/package_show?id=produksi-padi", server.base)).send().await.unwrap().json().await.unwrap();
    assert!(padi["result"]["notes"].as_str().unwrap().contains("Contoh data (demo)"));
    let csv = c.get(padi["result"]["resources"][0]["url"].as_str().unwrap()).send().await.unwrap().text().await.unwrap();
    assert!(csv.starts_with("kode_kecamatan,kecamatan,luas_panen_ha,produksi_ton\n35.22.01,Ngraho,"), "{csv}");
    let (home_status, home) = {
        let r = c.get(format!("{}/", server.base)).send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    };
    assert_eq!(home_status, 200);
    assert!(home.contains("Luas Panen dan Produksi Padi per Kecamatan") || home.contains("/dataset/"), "recent datasets on the home page");
    drop(server);

    // A second start with --demo loads nothing again and prints no password.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pendopo"));
    cmd.args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env_remove("PENDOPO_DATABASE_URL")
        .env("RUST_LOG", "warn");
    let again = start_server(cmd);
    assert!(again.stdout_lines.iter().all(|l| !l.starts_with("Admin account")), "{:?}", again.stdout_lines);
}

/// Two servers on one database share sessions and data: nothing lives in a
/// server's memory that another would miss.
#[tokio::test]
async fn two_servers_on_one_database_serve_the_same_sessions_and_data() {
    let pg = crate::common::postgres_db().await;
    let db = pg.unwrap_or_else(sqlite_db);
    let dir = tempfile::tempdir().unwrap();
    bojonegoro_with_walidata(&db, dir.path());
    let a = start_server({
        let mut c = pendopo(&db, dir.path());
        c.args(["serve", "--listen", "127.0.0.1:0"]);
        c
    });
    let b = start_server({
        let mut c = pendopo(&db, dir.path());
        c.args(["serve", "--listen", "127.0.0.1:0"]);
        c
    });
    assert_ne!(a.base, b.base);

    // Sign in on A; the cookie works on B (cookies ignore ports).
    let c = client();
    let csrf = csrf_in(&c.get(format!("{}/login", a.base)).send().await.unwrap().text().await.unwrap());
    let r = c
        .post(format!("{}/login", a.base))
        .form(&[("email", "walidata@bojonegorokab.go.id"), ("password", PASSWORD), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", db.label);
    let account = c.get(format!("{}/account", b.base)).send().await.unwrap();
    assert_eq!(account.status(), 200, "the session made on A is valid on B ({})", db.label);
    let csrf = csrf_in(&account.text().await.unwrap());

    // Write through B, read through A.
    let r = c
        .post(format!("{}/organization", b.base))
        .form(&[("name", "Dinas Perhubungan"), ("slug", "dishub"), ("kind", "dinas"), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let org: Value = c.get(format!("{}/api/v1/organizations/dishub", a.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(org["organization"]["name"], "Dinas Perhubungan");
}

#[tokio::test]
async fn backup_copies_the_embedded_database_while_serving() {
    let dir = tempfile::tempdir().unwrap();
    let cmd = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_pendopo"));
        c.arg("--data-dir").arg(dir.path()).args(args).env_remove("PENDOPO_DATABASE_URL").env("RUST_LOG", "warn");
        c
    };
    run_ok(&mut cmd(&["init", "--region", "35.22"]));
    run_ok(&mut cmd(&["user", "add", "--email", "walidata@bojonegorokab.go.id", "--password", PASSWORD, "--role", "walidata"]));
    let _server = start_server({
        let mut c = cmd(&["serve", "--listen", "127.0.0.1:0"]);
        c.stdin(Stdio::null());
        c
    });
    let backup = dir.path().join("backup.db");
    let out = run_ok(&mut cmd(&["backup", "--to", backup.to_str().unwrap()]));
    assert!(out.contains("Backed up"));
    let again = cmd(&["backup", "--to", backup.to_str().unwrap()]).output().unwrap();
    assert!(!again.status.success(), "an existing file is not overwritten");

    // The copy is a whole database: the user can sign in against it.
    let store = pendopo::store::Store::open(&format!("sqlite://{}", backup.display())).await.unwrap();
    let user = pendopo::kernel::identity::authenticate(&store, "35.22", "walidata@bojonegorokab.go.id", PASSWORD, "test").await;
    assert!(user.is_ok());
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["init", "--help"],
        vec!["user", "add", "--help"],
        vec!["token", "create", "--help"],
        vec!["migrate", "--help"],
        vec!["backup", "--help"],
        vec!["db", "copy", "--help"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_pendopo")).args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Usage: pendopo"), "{args:?}: {text}");
    }
}

#[tokio::test]
async fn db_copy_command_moves_sqlite_to_another_store() {
    let dir = tempfile::tempdir().unwrap();
    let src = crate::common::sqlite_db();
    run_ok(pendopo(&src, dir.path()).args(["init", "--region", "35.22"]));
    let target = match crate::common::postgres_db().await {
        Some(pg) => pg,
        None => sqlite_db(),
    };
    let out = run_ok(pendopo(&src, dir.path()).args(["db", "copy", "--to", &target.url]));
    assert!(out.contains("tenant_regions: 459 rows copied and checked"), "{out}");
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut init = Command::new(env!("CARGO_BIN_EXE_pendopo"));
    init.arg("--data-dir").arg(dir.path()).args(["init", "--region", "35.22"]).env_remove("PENDOPO_DATABASE_URL");
    run_ok(&mut init);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pendopo"));
    cmd.arg("--data-dir").arg(dir.path()).args(["serve", "--listen", "127.0.0.1:0"]).env_remove("PENDOPO_DATABASE_URL");
    let mut server = start_server(cmd);
    let status = Command::new("kill").args(["-TERM", &server.child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let started = std::time::Instant::now();
    let exit = loop {
        if let Some(exit) = server.child.try_wait().unwrap() {
            break exit;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "the server did not stop on SIGTERM");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(exit.success(), "a clean exit, not a kill: {exit:?}");
}
