//! Identity: signing in, CSRF, the throttle, API tokens, and who may change what.

use serde_json::{Value, json};

use crate::common::{PASSWORD, REGION, TestApp, each_engine, said_html, spawn_app, sqlite_db};

async fn signed_in(app: &TestApp, email: &str) {
    let r = app.login(email, PASSWORD).await;
    assert_eq!(r.status(), 303, "sign-in of {email}");
}

#[tokio::test]
async fn sign_in_and_out_through_the_form() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        app.add_org("diskominfo").await;
        app.add_user("walidata@bojonegorokab.go.id", "walidata", None).await;

        let r = app.login("walidata@bojonegorokab.go.id", "salah-kata-sandi").await;
        assert_eq!(r.status(), 401, "{}", app.label);
        let html = r.text().await.unwrap();
        assert!(html.contains(&said_html("error.login_invalid", &[])), "a clear message in Indonesian");
        assert_eq!(app.get("/account").await.status(), 303, "still signed out");

        let r = app.login("WALIDATA@bojonegorokab.go.id ", PASSWORD).await;
        assert_eq!(r.status(), 303);
        let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
        let (status, html) = app.get_text("/account").await;
        assert_eq!(status, 200);
        assert!(html.contains("walidata@bojonegorokab.go.id"));
        assert!(html.contains(&said_html("role.walidata", &[])));

        let csrf = app.csrf("/account").await;
        let r = app.post_form("/logout", &[("csrf", &csrf)]).await;
        assert_eq!(r.status(), 303);
        let r = app.get("/account").await;
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/login?next=/account");
    }
}

#[tokio::test]
async fn forged_csrf_tokens_are_refused_and_change_nothing() {
    let db = sqlite_db();
    let app = spawn_app(&db).await;
    app.add_user("walidata@bojonegorokab.go.id", "walidata", None).await;

    let r = app.post_form("/login", &[("email", "walidata@bojonegorokab.go.id"), ("password", PASSWORD), ("csrf", "forged")]).await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains(&said_html("error.csrf", &[])));

    signed_in(&app, "walidata@bojonegorokab.go.id").await;
    let r = app.post_form("/organization", &[("slug", "dinkes"), ("name", "Dinas Kesehatan"), ("kind", "dinas"), ("csrf", "forged")]).await;
    assert_eq!(r.status(), 403);
    assert_eq!(app.get("/organization/dinkes").await.status(), 404, "nothing created");
}

#[tokio::test]
async fn failed_sign_ins_are_throttled_per_account() {
    let db = sqlite_db();
    let app = spawn_app(&db).await;
    app.add_user("editor@bojonegorokab.go.id", "walidata", None).await;
    for _ in 0..5 {
        assert_eq!(app.login("editor@bojonegorokab.go.id", "wrong-password").await.status(), 401);
    }
    let r = app.login("editor@bojonegorokab.go.id", PASSWORD).await;
    assert_eq!(r.status(), 429, "even the right password waits now");
    assert!(r.text().await.unwrap().contains(&said_html("error.login_throttled", &[])));
    // Another account from the same address is not locked by that one.
    app.add_user("other@bojonegorokab.go.id", "walidata", None).await;
    assert_eq!(app.login("other@bojonegorokab.go.id", PASSWORD).await.status(), 303);
    // The owner is slowed down, not locked out: once the short wait after
    // the latest failure has passed (failures moved back a few seconds, as
    // the clock would), the right password works.
    let back = pendopo::store::sql("UPDATE login_failures SET at = at - 2000 WHERE email = $1").bind("editor@bojonegorokab.go.id");
    app.store.execute(back).await.unwrap();
    assert_eq!(app.another_browser().login("editor@bojonegorokab.go.id", PASSWORD).await.status(), 303);
}

#[test]
fn the_wait_after_failures_grows_to_a_minute_at_most() {
    use pendopo::kernel::identity::{MAX_ACCOUNT_DELAY_MS, account_delay_ms};
    assert_eq!(account_delay_ms(4), 0);
    assert_eq!(account_delay_ms(5), 1000);
    assert_eq!(account_delay_ms(7), 4000);
    assert_eq!(account_delay_ms(500), MAX_ACCOUNT_DELAY_MS);
}

/// Headers of a client that is not a trusted proxy are its own words: they
/// neither move it past the throttle nor make its links https.
#[tokio::test]
async fn forwarded_headers_count_only_from_a_trusted_proxy() {
    let db = sqlite_db();
    let trusting = spawn_app(&db).await;
    let db2 = sqlite_db();
    let untrusting = crate::common::spawn_app_trusting(&db2, vec![]).await;
    for app in [&trusting, &untrusting] {
        app.add_user("walidata@bojonegorokab.go.id", "walidata", None).await;
        let csrf = app.csrf("/login").await;
        let mut last = 0;
        for i in 0..25 {
            last = app
                .client
                .post(app.url("/login"))
                .header("x-forwarded-for", format!("203.0.113.{i}"))
                .form(&[("email", format!("tebak{i}@contoh.id").as_str()), ("password", "salah-sekali"), ("csrf", &csrf)])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
        }
        let trusted = std::ptr::eq(app, &trusting);
        assert_eq!(last, if trusted { 401 } else { 429 }, "rotating the header works only through a trusted proxy");
        let r = app.client.get(app.url("/catalog.jsonld")).header("x-forwarded-proto", "https").send().await.unwrap();
        let body = r.text().await.unwrap();
        let https = body.contains(&format!("https://{}", app.addr));
        assert_eq!(https, trusted, "{body}");
        // CKAN's envelope links its help on the same external address.
        let r = app.client.get(app.url("/api/3/action/status_show")).header("x-forwarded-proto", "https").send().await.unwrap();
        let v: serde_json::Value = r.json().await.unwrap();
        let help = v["help"].as_str().unwrap();
        let scheme = if trusted { "https" } else { "http" };
        assert_eq!(help, format!("{scheme}://{}/api/3/action/help_show?name=status_show", app.addr));
    }
    // Behind TLS, cookies are Secure.
    let r = crate::common::client().get(trusting.url("/login")).header("x-forwarded-proto", "https").send().await.unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.ends_with("; Secure"), "{cookie}");
    let r = crate::common::client().get(trusting.url("/login")).send().await.unwrap();
    assert!(!r.headers()["set-cookie"].to_str().unwrap().contains("Secure"));
}

#[tokio::test]
async fn pages_tell_browsers_not_to_frame_sniff_or_run_what_is_not_ours() {
    let db = sqlite_db();
    let app = spawn_app(&db).await;
    for path in ["/", "/login", "/api/v1/wilayah/35.22", "/no-such-page"] {
        let r = app.get(path).await;
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert!(h["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"), "{path}");
        assert!(h["content-security-policy"].to_str().unwrap().contains("script-src 'self'"), "{path}");
        assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin");
    }
    // `next` stays on the site, even spelled with a tab the browser drops.
    for next in ["/%09/evil.example", "//evil.example", "/\\evil.example", "https://evil.example"] {
        let r = app.get(&format!("/lang/en?next={next}")).await;
        assert_eq!(r.headers()["location"], "/", "{next}");
    }
    let r = app.get("/lang/en?next=/dataset%3Fq%3Dpadi").await;
    assert_eq!(r.headers()["location"], "/dataset?q=padi");
    // Behind nginx's auth_basic every request carries Basic credentials:
    // they are the proxy's, not a token of ours.
    let r = app.client.get(app.url("/dataset")).header("authorization", "Basic dXNlcjpwYXNz").send().await.unwrap();
    assert_eq!(r.status(), 200);
    // A very long query is answered, not a 500.
    let long = "padi ".repeat(20_000);
    assert_eq!(app.get(&format!("/dataset?q={}", "padi+".repeat(2_000))).await.status(), 200);
    let r = app.client.post(app.url("/api/3/action/package_search")).json(&serde_json::json!({"q": long})).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn api_tokens_work_raw_or_bearer_until_revoked_or_expired() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let user = app.add_user("walidata@bojonegorokab.go.id", "walidata", None).await;
        let token = app.token_for(&user).await;
        for header in [token.clone(), format!("Bearer {token}")] {
            let r = app.client.get(app.url("/api/v1/me")).header("authorization", header).send().await.unwrap();
            assert_eq!(r.status(), 200, "{}", app.label);
            let me: Value = r.json().await.unwrap();
            assert_eq!(me["email"], "walidata@bojonegorokab.go.id");
            assert!(me.get("password_hash").is_none());
        }
        let r = app.client.get(app.url("/api/v1/me")).header("x-ckan-api-key", &token).send().await.unwrap();
        assert_eq!(r.status(), 200, "CKAN's own header");

        // Create a second token through the API, list, revoke it.
        let r = app
            .client
            .post(app.url("/api/v1/tokens"))
            .header("authorization", &token)
            .json(&json!({"name": "ckanapi"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let created: Value = r.json().await.unwrap();
        let second = created["token"].as_str().unwrap().to_string();
        assert!(second.starts_with("pdp_"));
        let id = created["info"]["id"].as_str().unwrap();
        let r = app.client.delete(app.url(&format!("/api/v1/tokens/{id}"))).header("authorization", &token).send().await.unwrap();
        assert_eq!(r.status(), 204);
        let r = app.client.get(app.url("/api/v1/me")).header("authorization", &second).send().await.unwrap();
        assert_eq!(r.status(), 401);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "token_revoked");

        // Expired.
        let (info, expiring) = pendopo::kernel::identity::create_token(&app.store, REGION, &user.id, "old", Some(1)).await.unwrap();
        app.store.execute(pendopo::store::sql("UPDATE api_tokens SET expires_at = 1 WHERE id = $1").bind(&info.id)).await.unwrap();
        let r = app.client.get(app.url("/api/v1/me")).header("authorization", &expiring).send().await.unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "token_expired");

        let r = app.client.get(app.url("/api/v1/me")).header("authorization", "pdp_nonsense").send().await.unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "token_unknown");
    }
}

#[tokio::test]
async fn tokens_are_made_and_revoked_on_the_account_page_and_shown_once() {
    let db = sqlite_db();
    let app = spawn_app(&db).await;
    app.add_user("editor@bojonegorokab.go.id", "walidata", None).await;
    signed_in(&app, "editor@bojonegorokab.go.id").await;
    let csrf = app.csrf("/account").await;
    let r = app.post_form("/account/tokens", &[("name", "laptop"), ("expires_in_days", "30"), ("csrf", &csrf)]).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let start = html.find("<code class=\"token\">").unwrap() + "<code class=\"token\">".len();
    let token = &html[start..start + html[start..].find('<').unwrap()];
    let r = app.client.get(app.url("/api/v1/me")).header("authorization", token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let (_, again) = app.get_text("/account").await;
    assert!(!again.contains(token), "the token is shown only once");
    assert!(again.contains("laptop"));

    let r = app.post_form("/account/tokens", &[("name", "x"), ("expires_in_days", "0"), ("csrf", &csrf)]).await;
    assert_eq!(r.status(), 422, "bad validity is refused");

    let list: Value = app.client.get(app.url("/api/v1/tokens")).header("authorization", token).send().await.unwrap().json().await.unwrap();
    let id = list["tokens"][0]["id"].as_str().unwrap();
    let r = app.post_form(&format!("/account/tokens/{id}/revoke"), &[("csrf", &csrf)]).await;
    assert_eq!(r.status(), 303);
    let r = app.client.get(app.url("/api/v1/me")).header("authorization", token).send().await.unwrap();
    assert_eq!(r.status(), 401);
}

/// Every mutating route: anonymous is sent to sign in (pages) or gets 401
/// (API); a signed-in user without the role gets 403; nothing changes.
#[tokio::test]
async fn every_mutating_route_checks_who_is_asking() {
    let db = sqlite_db();
    let app = spawn_app(&db).await;
    app.add_org("dinkes").await;
    app.add_org("dishub").await;
    let editor = app.add_user("editor@bojonegorokab.go.id", "editor", Some("dinkes")).await;
    let target = app.add_user("target@bojonegorokab.go.id", "editor", Some("dishub")).await;
    let editor_token = app.token_for(&editor).await;
    let (token_info, _) = pendopo::kernel::identity::create_token(&app.store, REGION, &target.id, "t", None).await.unwrap();
    let user_path = format!("/admin/users/{}", target.id);
    let revoke_path = format!("/account/tokens/{}/revoke", token_info.id);

    let org_fields = [("slug", "baru"), ("name", "Baru"), ("kind", "dinas")];
    let page_routes: Vec<(&str, bool)> = vec![
        ("/organization", true),
        ("/organization/dishub", true),
        ("/admin/users", true),
        (&user_path, true),
        ("/account/tokens", false),
        (&revoke_path, false),
    ];

    // Anonymous, with a valid double-submit token: redirected to sign in.
    let csrf = app.csrf("/login").await;
    for (path, _) in &page_routes {
        let mut fields = org_fields.to_vec();
        fields.push(("csrf", &csrf));
        let r = app.post_form(path, &fields).await;
        assert_eq!(r.status(), 303, "anonymous POST {path}");
        assert!(r.headers()["location"].to_str().unwrap().starts_with("/login?next="), "{path}");
    }
    let anon = crate::common::client();
    let api_routes = [
        ("POST", "/api/v1/organizations".to_string()),
        ("PUT", "/api/v1/organizations/dishub".to_string()),
        ("POST", "/api/v1/users".to_string()),
        ("POST", "/api/v1/tokens".to_string()),
        ("DELETE", format!("/api/v1/tokens/{}", token_info.id)),
    ];
    for (method, path) in &api_routes {
        let r = anon.request(method.parse().unwrap(), app.url(path)).json(&json!({})).send().await.unwrap();
        assert_eq!(r.status(), 401, "anonymous {method} {path}");
    }

    // Signed in as an editor of another agency: forbidden where it is not theirs.
    signed_in(&app, "editor@bojonegorokab.go.id").await;
    let csrf = app.csrf("/account").await;
    for (path, admin_only) in &page_routes {
        let mut fields = org_fields.to_vec();
        fields.push(("csrf", &csrf));
        let r = app.post_form(path, &fields).await;
        if *admin_only {
            assert_eq!(r.status(), 403, "editor POST {path}");
        } else if path.contains("revoke") {
            assert_eq!(r.status(), 404, "someone else's token is not theirs to revoke");
        }
    }
    for (method, path) in &api_routes[..3] {
        let body = json!({"slug": "baru", "name": "Baru", "kind": "dinas", "email": "x@y.id", "password": PASSWORD, "role": "editor", "org": "dinkes"});
        let r = app
            .client
            .request(method.parse().unwrap(), app.url(path))
            .header("authorization", &editor_token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "editor {method} {path}");
    }
    // The API does not accept a browser session for writes.
    let r = app.client.post(app.url("/api/v1/tokens")).json(&json!({"name": "x"})).send().await.unwrap();
    assert_eq!(r.status(), 401);

    // Nothing changed.
    assert_eq!(app.get("/organization/baru").await.status(), 404);
    let tokens = pendopo::kernel::identity::list_tokens(&app.store, REGION, &target.id).await.unwrap();
    assert!(tokens[0].revoked_at.is_none());
    let t = pendopo::kernel::identity::get_user(&app.store, REGION, &target.id).await.unwrap().unwrap();
    assert_eq!(t.role.as_str(), "editor");
}

#[tokio::test]
async fn oversized_bodies_get_413_naming_the_limit() {
    let db = sqlite_db();
    let app = crate::common::spawn_app_with(&db, 4096).await;
    let user = app.add_user("walidata@bojonegorokab.go.id", "walidata", None).await;
    let token = app.token_for(&user).await;
    let big = "x".repeat(10_000);
    let r = app
        .client
        .post(app.url("/api/v1/organizations"))
        .header("authorization", &token)
        .json(&json!({"slug": "a", "name": big}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let body: Value = r.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("4.096"), "{body}");

    let csrf = app.csrf("/login").await;
    let r = app.post_form("/login", &[("email", &big), ("password", "x"), ("csrf", &csrf)]).await;
    assert_eq!(r.status(), 413);
    assert!(r.text().await.unwrap().contains("batasnya 4.096 bita"));
}

#[tokio::test]
async fn failed_sign_ins_are_throttled_per_address() {
    let db = sqlite_db();
    let app = spawn_app(&db).await;
    app.add_user("walidata@bojonegorokab.go.id", "walidata", None).await;
    let csrf = app.csrf("/login").await;
    let attempt = |email: String, password: &'static str, address: &'static str| {
        let csrf = csrf.clone();
        let app = &app;
        async move {
            app.client
                .post(app.url("/login"))
                .header("x-forwarded-for", address)
                .form(&[("email", email.as_str()), ("password", password), ("csrf", &csrf)])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // Twenty guesses at twenty different accounts from one address...
    for i in 0..20 {
        assert_eq!(attempt(format!("tebak{i}@contoh.id"), "salah-sekali", "203.0.113.7").await, 401);
    }
    // ...and that address is held back, even for a real account.
    assert_eq!(attempt("walidata@bojonegorokab.go.id".into(), PASSWORD, "203.0.113.7").await, 429);
    assert_eq!(attempt("walidata@bojonegorokab.go.id".into(), PASSWORD, "198.51.100.1").await, 303, "other addresses are not");
}

/// Every route of every slice (read from `slices::ALL`, not a hand list),
/// every method it takes that writes: a stranger is sent to sign in (pages)
/// or refused (machine paths), and a signed-in user of the least role gets
/// 403 or 404 (nothing of theirs there), never a success and never a
/// validation error (which would mean the body was read before asking who
/// writes). Routes that are open to anyone on purpose, or where everyone
/// writes their own things, say so in their slice.
#[tokio::test]
async fn every_write_of_every_slice_refuses_strangers_and_wrong_roles() {
    let db = sqlite_db();
    let app = spawn_app(&db).await;
    app.add_user("operator@desa.id", "village_operator", None).await;
    let operator = app.another_browser();
    assert_eq!(operator.login("operator@desa.id", PASSWORD).await.status(), 303);
    let operator_user = pendopo::kernel::identity::find_user_by_email(&app.store, REGION, "operator@desa.id").await.unwrap().unwrap();
    let operator_token = app.token_for(&operator_user).await;
    let stranger_csrf = app.csrf("/login").await;
    let operator_csrf = operator.csrf("/account").await;
    let mut tried = 0;
    let mut wrong = Vec::new();
    for template in pendopo::slices::routes().paths() {
        if pendopo::slices::is_open_write(template) {
            continue;
        }
        // A value for every `{param}`: no such row, so a route that looked
        // before asking would answer 404 to the stranger too. NGSI-LD's ids
        // are URIs (another id is 400 before anything else).
        let value = if template.starts_with("/ngsi-ld/") { "urn:x:x" } else { "x" };
        let path: String = template.split('/').map(|seg| if seg.starts_with('{') { value } else { seg }).collect::<Vec<_>>().join("/");
        // TRACE, which no route takes, answers with the methods the path does take.
        let r = app.client.request(reqwest::Method::TRACE, app.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), 405, "TRACE {path}: no route takes TRACE");
        let allow = r.headers().get("allow").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        let machine = pendopo::slices::is_machine_path(&path);
        for method in allow.split(',').map(str::trim).filter(|m| matches!(*m, "POST" | "PUT" | "PATCH" | "DELETE")) {
            tried += 1;
            let form = [("csrf", stranger_csrf.as_str()), ("name", "x")];
            let r = app.client.request(method.parse().unwrap(), app.url(&path)).form(&form).send().await.unwrap();
            let refused = if machine {
                matches!(r.status().as_u16(), 401 | 403)
            } else {
                r.status() == 303 && r.headers()["location"].to_str().unwrap().starts_with("/login?next=")
            };
            if !refused {
                wrong.push(format!("stranger {method} {path}: {}", r.status()));
            }
            if pendopo::slices::is_own_write(template) {
                continue;
            }
            let form = [("csrf", operator_csrf.as_str()), ("name", "x")];
            let request = || operator.client.request(method.parse().unwrap(), app.url(&path));
            let mut r = if machine {
                request().header("authorization", &operator_token).json(&json!({"name": "x"})).send().await.unwrap()
            } else {
                request().form(&form).send().await.unwrap()
            };
            if !machine && matches!(r.status().as_u16(), 400 | 415) {
                // An upload form: the same fields as multipart, the token first.
                let parts = reqwest::multipart::Form::new().text("csrf", operator_csrf.clone()).text("name", "x");
                r = request().multipart(parts).send().await.unwrap();
            }
            if !matches!(r.status().as_u16(), 403 | 404) {
                wrong.push(format!("village operator {method} {path}: {}", r.status()));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(tried >= 25, "only {tried} writes found: are the paths read?");
}
