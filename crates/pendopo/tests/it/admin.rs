//! The walidata's work: organisations and users, through pages and API;
//! tenants kept apart; the operations endpoints.

use serde_json::{Value, json};

use crate::common::{PASSWORD, client, each_engine, said, said_html, spawn_app, sqlite_db};

#[tokio::test]
async fn walidata_manages_organisations_through_the_pages() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        app.add_user("walidata@bojonegorokab.go.id", "walidata", None).await;
        assert_eq!(app.login("walidata@bojonegorokab.go.id", PASSWORD).await.status(), 303);
        let csrf = app.csrf("/organization/new").await;

        let r = app
            .post_form(
                "/organization",
                &[
                    ("name", "Dinas Pertanian"),
                    ("slug", "dinas-pertanian"),
                    ("kind", "dinas"),
                    ("description", "Produsen data pertanian"),
                    ("region_code", ""),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert_eq!(r.status(), 303, "{}", app.label);
        assert_eq!(r.headers()["location"], "/organization/dinas-pertanian");

        // A taken slug comes back to the form with the values kept.
        let r = app.post_form("/organization", &[("name", "Lagi"), ("slug", "dinas-pertanian"), ("kind", "dinas"), ("csrf", &csrf)]).await;
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(html.contains(&said_html("error.slug_taken", &[("slug", "dinas-pertanian")])), "{html}");
        assert!(html.contains("value=\"Lagi\""));
        // A kecamatan office must point inside the region.
        let r = app
            .post_form(
                "/organization",
                &[("name", "Kec. Luar"), ("slug", "kec-luar"), ("kind", "kecamatan"), ("region_code", "35.21.01"), ("csrf", &csrf)],
            )
            .await;
        assert_eq!(r.status(), 422);

        let r = app
            .post_form(
                "/organization/dinas-pertanian",
                &[
                    ("name", "Dinas Pertanian dan Ketahanan Pangan"),
                    ("slug", "dinas-pertanian"),
                    ("kind", "dinas"),
                    ("region_code", "35.22"),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let (_, html) = app.get_text("/organization/dinas-pertanian").await;
        assert!(html.contains("Dinas Pertanian dan Ketahanan Pangan"));
        let (_, list) = app.get_text("/organization").await;
        assert!(list.contains("/organization/dinas-pertanian"));
    }
}

#[tokio::test]
async fn walidata_adds_users_with_roles_and_members_show_on_the_organisation() {
    let db = sqlite_db();
    let app = spawn_app(&db).await;
    app.add_org("dinkes").await;
    app.add_user("walidata@bojonegorokab.go.id", "walidata", None).await;
    app.login("walidata@bojonegorokab.go.id", PASSWORD).await;
    let csrf = app.csrf("/admin/users/new").await;

    let add = |email: &'static str, role: &'static str, org: &'static str, desa: &'static str| {
        let csrf = csrf.clone();
        let app = &app;
        async move {
            app.post_form(
                "/admin/users",
                &[
                    ("email", email),
                    ("name", "Petugas"),
                    ("password", PASSWORD),
                    ("role", role),
                    ("org", org),
                    ("desa", desa),
                    ("csrf", &csrf),
                ],
            )
            .await
        }
    };
    assert_eq!(add("editor@dinkes.id", "editor", "dinkes", "").await.status(), 303);
    assert_eq!(add("operator@desa.id", "village_operator", "", "35.22.01.2001").await.status(), 303);
    // The sensors' operator is offered by its Bahasa Indonesia label, and needs no organisation.
    let (_, form) = app.get_text("/admin/users/new").await;
    assert!(form.contains(&format!("<option value=\"sensor_operator\">{}</option>", said_html("role.sensor_operator", &[]))), "{form}");
    assert_eq!(said("role.sensor_operator", &[]), "Operator sensor");
    assert_eq!(add("sensor@kominfo.id", "sensor_operator", "", "").await.status(), 303);
    let r = add("tanpa-org@dinkes.id", "editor", "", "").await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains(&said_html("error.role_needs_org", &[])));
    let r = add("luar@desa.id", "village_operator", "", "35.21.01.2001").await;
    assert_eq!(r.status(), 422, "a village outside the region");
    assert_eq!(add("editor@dinkes.id", "editor", "dinkes", "").await.status(), 422, "duplicate email");
    // Every problem at once, beside its field and named by its label in the summary.
    let r = app
        .post_form(
            "/admin/users",
            &[
                ("email", "bukan-surel"),
                ("name", "Petugas"),
                ("password", "pendek"),
                ("role", "editor"),
                ("org", ""),
                ("desa", ""),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    for (field, label, reason) in [
        ("email", "field.email", said_html("error.email_invalid", &[])),
        ("password", "field.password", said_html("error.password_short", &[("min", "10")])),
        ("org", "field.organization", said_html("error.role_needs_org", &[])),
    ] {
        assert!(html.contains(&format!("<a href=\"#{field}\">{}</a>", said_html(label, &[]))), "{field} in the summary");
        assert!(html.contains(&format!("<p class=\"field-error\" id=\"{field}-error\">")), "{field}'s reason beside it");
        assert!(html.contains(&reason), "{field}: {reason}");
    }
    assert!(html.contains("value=\"bukan-surel\""), "what was typed is kept");
    assert!(pendopo::kernel::identity::find_user_by_email(&app.store, "35.22", "bukan-surel").await.unwrap().is_none());
    // Only a sysadmin grants sysadmin, however the role is spelled.
    for role in ["sysadmin", " sysadmin ", "sysadmin\n"] {
        assert_eq!(add("root@dinkes.id", role, "", "").await.status(), 403, "{role:?}");
    }
    assert!(pendopo::kernel::identity::find_user_by_email(&app.store, "35.22", "root@dinkes.id").await.unwrap().is_none());

    let (_, html) = app.get_text("/organization/dinkes").await;
    assert!(html.contains(&said_html("org.members", &[("count", "1")])));
    assert!(html.contains("editor@dinkes.id"), "admins see members' emails");
    // The public sees names and roles only.
    let (_, public) = client().get(app.url("/organization/dinkes")).send().await.unwrap().text().await.map(|t| (0, t)).unwrap();
    assert!(!public.contains("editor@dinkes.id"));
    assert!(public.contains(&said_html("role.editor", &[])));

    // Disable the editor: they can no longer sign in.
    let editor = pendopo::kernel::identity::find_user_by_email(&app.store, "35.22", "editor@dinkes.id").await.unwrap().unwrap();
    let r = app
        .post_form(&format!("/admin/users/{}", editor.id), &[("role", "editor"), ("org", "dinkes"), ("disabled", "on"), ("csrf", &csrf)])
        .await;
    assert_eq!(r.status(), 303);
    let other = app.another_browser();
    assert_eq!(other.login("editor@dinkes.id", PASSWORD).await.status(), 401);
}

#[tokio::test]
async fn organisations_and_users_through_the_api() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let admin = app.add_user("walidata@bojonegorokab.go.id", "walidata", None).await;
        let token = app.token_for(&admin).await;
        let post = |path: &'static str, body: Value| app.client.post(app.url(path)).header("authorization", &token).json(&body).send();

        let r = post("/api/v1/organizations", json!({"slug": "bpbd", "name": "BPBD", "kind": "badan"})).await.unwrap();
        assert_eq!(r.status(), 201, "{}", app.label);
        let r = post("/api/v1/organizations", json!({"slug": "Bad Slug", "name": "X", "kind": "badan"})).await.unwrap();
        assert_eq!(r.status(), 422);
        let body: Value = r.json().await.unwrap();
        assert!(body["error"]["fields"]["slug"][0].as_str().unwrap().contains("2-100"), "{body}");

        let r = post(
            "/api/v1/users",
            json!({"email": "org@bpbd.id", "name": "Admin BPBD", "password": PASSWORD, "role": "org_admin", "org": "bpbd"}),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 201);
        let r =
            post("/api/v1/users", json!({"email": "short@bpbd.id", "password": "pendek", "role": "editor", "org": "bpbd"})).await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.json::<Value>().await.unwrap()["error"]["fields"]["password"][0].as_str().unwrap().contains("10"));
        let r = post("/api/v1/users", json!({"email": "root@bpbd.id", "password": PASSWORD, "role": "sysadmin"})).await.unwrap();
        assert_eq!(r.status(), 403, "a walidata cannot make a sysadmin");
        let r = post("/api/v1/users", json!({"email": "root@bpbd.id", "password": PASSWORD, "role": " sysadmin"})).await.unwrap();
        assert_eq!(r.status(), 403, "nor with a space before the role");
        let r = post("/api/v1/users", json!({"email": "tebak@bpbd.id", "password": "Password123", "role": "editor", "org": "bpbd"}))
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "a password guessers try first");
        let said = r.json::<Value>().await.unwrap()["error"]["fields"]["password"][0].as_str().unwrap().to_string();
        assert_eq!(said, crate::common::said("error.password_common", &[]));
        let r = post(
            "/api/v1/users",
            json!({"email": "nul@bpbd.id", "name": "Admin\u{0}", "password": PASSWORD, "role": "editor", "org": "bpbd"}),
        )
        .await
        .unwrap();
        let said = r.json::<Value>().await.unwrap()["error"]["fields"]["name"][0].as_str().unwrap().to_string();
        assert_eq!(said, crate::common::said("error.name_control", &[]));
        let r = post("/api/v1/organizations", json!({"slug": "balik", "name": "\u{202E}lanoisivorp", "kind": "badan"})).await.unwrap();
        assert_eq!(r.status(), 422, "a name that reads backwards");

        // The organisation's own admin edits it, but not another one.
        let org_admin = pendopo::kernel::identity::find_user_by_email(&app.store, "35.22", "org@bpbd.id").await.unwrap().unwrap();
        let org_token = app.token_for(&org_admin).await;
        let put = |slug: &str, name: &str| {
            app.client
                .put(app.url(&format!("/api/v1/organizations/{slug}")))
                .header("authorization", &org_token)
                .json(&json!({"slug": slug, "name": name, "kind": "badan"}))
                .send()
        };
        assert_eq!(put("bpbd", "Badan Penanggulangan Bencana Daerah").await.unwrap().status(), 200);
        post("/api/v1/organizations", json!({"slug": "bappeda", "name": "Bappeda", "kind": "badan"})).await.unwrap();
        assert_eq!(put("bappeda", "Diambil alih").await.unwrap().status(), 403);

        let list: Value = app.get("/api/v1/organizations").await.json().await.unwrap();
        assert_eq!(list["count"], 2);
        let one: Value = app.get("/api/v1/organizations/bpbd").await.json().await.unwrap();
        assert_eq!(one["organization"]["name"], "Badan Penanggulangan Bencana Daerah");
        assert_eq!(one["members"], json!([{"name": "Admin BPBD", "role": "org_admin"}]), "no emails in the public API");
    }
}

#[tokio::test]
async fn tenants_never_see_each_other() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        pendopo::kernel::tenancy::init_region(&app.store, "35.78", &["surabaya.test".into()], false).await.unwrap();
        pendopo::kernel::tenancy::init_region(&app.store, "35.22", &["bojonegoro.test".into()], false).await.unwrap();
        let admin = app.add_user("walidata@bojonegorokab.go.id", "walidata", None).await;
        let token = app.token_for(&admin).await;
        let r = app
            .client
            .post(app.url("/api/v1/organizations"))
            .header("host", "bojonegoro.test")
            .header("authorization", &token)
            .json(&json!({"slug": "rahasia-bojonegoro", "name": "Dinas Bojonegoro", "kind": "dinas"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", app.label);

        let as_surabaya = |path: &'static str| app.client.get(app.url(path)).header("host", "surabaya.test:8080").send();
        let list: Value = as_surabaya("/api/v1/organizations").await.unwrap().json().await.unwrap();
        assert_eq!(list["count"], 0, "Surabaya sees none of Bojonegoro's organisations");
        assert_eq!(as_surabaya("/organization/rahasia-bojonegoro").await.unwrap().status(), 404);
        let (_, home) = (0, as_surabaya("/").await.unwrap().text().await.unwrap());
        assert!(home.contains("Kota Surabaya"));

        // Bojonegoro's token means nothing in Surabaya.
        let r = app.client.get(app.url("/api/v1/me")).header("host", "surabaya.test").header("authorization", &token).send().await.unwrap();
        assert_eq!(r.status(), 401);
        // Bojonegoro's session means nothing there either.
        assert_eq!(app.login("walidata@bojonegorokab.go.id", PASSWORD).await.status(), 303);
        let r = app.client.get(app.url("/account")).header("host", "surabaya.test").send().await.unwrap();
        assert_eq!(r.status(), 303, "not signed in on the other tenant");
        // Unknown hosts get the default tenant.
        let (_, home) = (0, app.client.get(app.url("/")).header("host", "unknown.test").send().await.unwrap().text().await.unwrap());
        assert!(home.contains("Kabupaten Bojonegoro"));
    }
}

#[tokio::test]
async fn healthz_and_metrics_report_the_server() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let r = app.get("/healthz").await;
        assert_eq!(r.status(), 200);
        assert!(r.headers().contains_key("x-request-id"));
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["status"], "ok");
        assert_eq!(body["database"]["reachable"], true);
        assert_eq!(body["database"]["engine"], db.label);
        assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));

        app.get("/api/v1/wilayah/35.22").await;
        app.get("/api/v1/wilayah/35.2x").await;
        let r = app.client.get(app.url("/healthz")).header("x-request-id", "abc-123").send().await.unwrap();
        assert_eq!(r.headers()["x-request-id"], "abc-123", "a proxy's request id is kept");
        let text = app.get("/metrics").await.text().await.unwrap();
        assert!(text.contains(r#"pendopo_http_requests_total{route="/api/v1/wilayah/{code}",method="GET",status="200"} 1"#), "{text}");
        assert!(text.contains(r#"pendopo_http_requests_total{route="/api/v1/wilayah/{code}",method="GET",status="400"} 1"#));
        assert!(text.contains(r#"pendopo_http_request_duration_seconds_count{route="/api/v1/wilayah/{code}"} 2"#));
        assert!(text.contains("pendopo_db_pool_connections{state=\"open\"}"));
    }
}

#[tokio::test]
async fn a_server_without_a_region_says_how_to_set_one_up() {
    let db = sqlite_db();
    let store = pendopo::store::Store::open(&db.url).await.unwrap();
    let files = tempfile::tempdir().unwrap();
    let config = pendopo::web::WebConfig {
        max_body_bytes: 1024,
        max_upload_bytes: 1024,
        ..pendopo::web::WebConfig::new(files.path().to_path_buf())
    };
    let state = pendopo::web::state(store, config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(pendopo::web::serve(state, listener));
    let r = client().get(format!("http://{addr}/")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.text().await.unwrap().contains("pendopo init --region"));
    // The national directory needs no region.
    assert_eq!(client().get(format!("http://{addr}/api/v1/wilayah/35")).send().await.unwrap().status(), 200);
}

/// A client that sends its request's headers slowly (slowloris) is cut off
/// after the header timeout, and the server goes on answering others.
#[tokio::test]
async fn a_client_too_slow_with_its_headers_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let db = sqlite_db();
    let app = crate::common::spawn(&db, |c| pendopo::web::WebConfig { header_timeout: std::time::Duration::from_millis(300), ..c }).await;
    let mut slow = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ").await.unwrap();
    let started = std::time::Instant::now();
    let mut buf = [0u8; 256];
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), slow.read(&mut buf)).await.expect("closed by the server");
    assert!(matches!(read, Ok(0) | Err(_)) || String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 408"), "{read:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    assert_eq!(app.get("/healthz").await.status(), 200, "others are still served");
}
