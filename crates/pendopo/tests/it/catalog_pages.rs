//! The Satu Data cycle through the pages: a produsen data drafts and
//! submits, the walidata returns with notes, then publishes; citizens find it.

use crate::common::{each_engine, said_html, spawn_app};

#[tokio::test]
async fn produsen_data_drafts_walidata_reviews_citizens_find() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        pendopo::slices::setup_tenant(&app.store, crate::common::REGION).await.unwrap();
        app.add_org("dinas-pertanian").await;
        app.add_org("dishub").await;
        app.add_user("walidata@bojonegorokab.go.id", "walidata", None).await;
        app.add_user("editor@pertanian.id", "editor", Some("dinas-pertanian")).await;
        app.add_user("editor@dishub.id", "editor", Some("dishub")).await;
        let editor = app.signed_in_as("editor@pertanian.id").await;
        let walidata = app.signed_in_as("walidata@bojonegorokab.go.id").await;
        let citizen = app.another_browser();

        // The form offers only the editor's own agency.
        let (status, html) = editor.get_text("/dataset/new").await;
        assert_eq!(status, 200, "{}", app.label);
        assert!(html.contains(r#"<option value="dinas-pertanian""#) && !html.contains(r#"<option value="dishub""#));
        let csrf = crate::common::csrf_in(&html);

        let bad = editor
            .post_form("/dataset", &[("title", "Padi"), ("name", "Padi Sawah"), ("owner_org", "dinas-pertanian"), ("csrf", &csrf)])
            .await;
        assert_eq!(bad.status(), 422);
        assert!(bad.text().await.unwrap().contains(&said_html("catalog.name_invalid", &[])), "the field's problem in Indonesian");

        let fields = [
            ("title", "Luas Panen Padi per Kecamatan"),
            ("name", "luas-panen-padi"),
            ("notes", "Luas panen padi sawah hasil petani, 2024."),
            ("owner_org", "dinas-pertanian"),
            ("license_id", "cc-by-4.0"),
            ("tags", "padi, pangan"),
            ("group_smart-economy", "on"),
            ("frekuensi", "tahunan"),
            ("cakupan_wilayah", "35.22"),
            ("periode_awal", "2024"),
            ("satuan", "hektare"),
            ("konsep", "Luas lahan yang dipanen"),
            ("resource_name", "Tabel luas panen"),
            ("resource_url", "https://example.id/luas-panen.csv"),
            ("csrf", &csrf),
        ];
        let r = editor.post_form("/dataset", &fields).await;
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/dataset/luas-panen-padi");
        let (_, html) = editor.get_text("/dataset/luas-panen-padi").await;
        assert!(
            html.contains("Draf") && html.contains("hektare") && html.contains(&said_html("frequency.tahunan", &[])),
            "draft with its Satu Data metadata"
        );
        assert_eq!(citizen.get("/dataset/luas-panen-padi").await.status(), 404, "drafts are not public");

        // Another agency's editor may not touch it.
        let outsider = app.signed_in_as("editor@dishub.id").await;
        let oc = outsider.csrf("/account").await;
        assert_eq!(outsider.post_form("/dataset/luas-panen-padi/submit", &[("csrf", &oc)]).await.status(), 404, "not even visible to them");

        let csrf = editor.csrf("/dataset/luas-panen-padi").await;
        assert_eq!(editor.post_form("/dataset/luas-panen-padi/submit", &[("csrf", &csrf)]).await.status(), 303);
        assert_eq!(
            editor.post_form("/dataset/luas-panen-padi/publish", &[("csrf", &csrf)]).await.status(),
            403,
            "a produsen data cannot publish"
        );

        let (_, queue) = walidata.get_text("/dataset/review").await;
        assert!(queue.contains("Luas Panen Padi per Kecamatan"));
        let wc = walidata.csrf("/dataset/luas-panen-padi").await;
        assert_eq!(
            walidata.post_form("/dataset/luas-panen-padi/return", &[("notes", ""), ("csrf", &wc)]).await.status(),
            422,
            "notes are required"
        );
        let r = walidata.post_form("/dataset/luas-panen-padi/return", &[("notes", "Lengkapi metode perhitungan."), ("csrf", &wc)]).await;
        assert_eq!(r.status(), 303);
        let (_, html) = editor.get_text("/dataset/luas-panen-padi").await;
        assert!(html.contains(&said_html("state.returned", &[])) && html.contains("Lengkapi metode perhitungan."));

        // The editor completes it (the form keeps the resource) and submits again.
        let (_, form) = editor.get_text("/dataset/luas-panen-padi/edit").await;
        assert!(form.contains("value=\"padi, pangan\""));
        let mut edited: Vec<(&str, &str)> = fields.iter().filter(|(k, _)| !k.starts_with("resource_") && *k != "csrf").cloned().collect();
        edited.push(("metode", "Jumlah luas panen seluruh subround"));
        edited.push(("csrf", &csrf));
        assert_eq!(editor.post_form("/dataset/luas-panen-padi", &edited).await.status(), 303);
        editor.post_form("/dataset/luas-panen-padi/submit", &[("csrf", &csrf)]).await;
        assert_eq!(walidata.post_form("/dataset/luas-panen-padi/publish", &[("csrf", &wc)]).await.status(), 303);

        let (status, html) = citizen.get_text("/dataset/luas-panen-padi").await;
        assert_eq!(status, 200);
        assert!(html.contains("Jumlah luas panen seluruh subround"));
        assert!(html.contains("Tabel luas panen"), "the resource survived the edit");
        for step in ["dibuat", "diajukan ke walidata", "dikembalikan", "diterbitkan"] {
            assert!(html.contains(step), "history shows '{step}'");
        }
        let (_, results) = citizen.get_text("/dataset?q=pertanian").await;
        assert!(results.contains("1 dataset ditemukan"), "stemmed search from the page: {results}");
        assert!(results.contains("/dataset?q=pertanian&amp;tags=padi") || results.contains("tags=padi"), "facet links");
        for page in ["/group/smart-economy", "/organization/dinas-pertanian"] {
            let (_, html) = citizen.get_text(page).await;
            assert!(html.contains("Luas Panen Padi per Kecamatan"), "{page} lists the dataset");
        }
        let (_, groups) = citizen.get_text("/group").await;
        assert!(groups.contains("Smart Economy</a> <span class=\"small\">(1)"), "{groups}");
        let (_, filtered) = citizen.get_text("/dataset?organization=dishub").await;
        assert!(filtered.contains("0 dataset ditemukan"));
    }
}

#[tokio::test]
async fn catalog_forms_turn_strangers_to_sign_in() {
    let db = crate::common::sqlite_db();
    let app = spawn_app(&db).await;
    let csrf = app.csrf("/login").await;
    for path in ["/dataset", "/dataset/x", "/dataset/x/submit", "/dataset/x/publish", "/dataset/x/return"] {
        let r = app.post_form(path, &[("name", "x"), ("csrf", &csrf)]).await;
        assert_eq!(r.status(), 303, "{path}");
        assert!(r.headers()["location"].to_str().unwrap().starts_with("/login?next="), "{path}");
    }
    for path in ["/dataset/new", "/dataset/review", "/dataset/x/edit"] {
        assert_eq!(app.get(path).await.status(), 303, "{path}");
    }
}

#[tokio::test]
async fn uploads_keep_every_version_and_refuse_what_is_too_large() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        pendopo::slices::setup_tenant(&app.store, crate::common::REGION).await.unwrap();
        app.add_org("dinas-pertanian").await;
        app.add_user("editor@pertanian.id", "editor", Some("dinas-pertanian")).await;
        let editor = app.signed_in_as("editor@pertanian.id").await;
        let csrf = editor.csrf("/dataset/new").await;
        let r = editor
            .post_form(
                "/dataset",
                &[("title", "Produksi Padi"), ("name", "produksi-padi"), ("owner_org", "dinas-pertanian"), ("csrf", &csrf)],
            )
            .await;
        assert_eq!(r.status(), 303);

        let upload = |csrf: &str, bytes: Vec<u8>, filename: &'static str| {
            let part = reqwest::multipart::Part::bytes(bytes).file_name(filename);
            reqwest::multipart::Form::new().text("csrf", csrf.to_string()).text("name", "Tabel produksi").part("upload", part)
        };
        let v1 = b"kecamatan,ton\nNgraho,1200\n".to_vec();
        let r = editor
            .client
            .post(editor.url("/dataset/produksi-padi/resource"))
            .multipart(upload(&csrf, v1.clone(), "produksi.csv"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{}", app.label);
        let page = r.headers()["location"].to_str().unwrap().to_string();
        let (_, html) = editor.get_text(&page).await;
        assert!(html.contains("produksi.csv") && html.contains("sha256:"), "{html}");
        let rid = page.rsplit('/').next().unwrap().to_string();

        let v2 = b"kecamatan,ton\nNgraho,1300\n".to_vec();
        let r = editor
            .client
            .post(editor.url(&format!("{page}/upload")))
            .multipart(upload(&csrf, v2.clone(), "produksi-rev.csv"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let (_, html) = editor.get_text(&page).await;
        assert!(html.contains("produksi.csv") && html.contains("produksi-rev.csv"), "both versions listed");
        let latest = editor.get(&format!("/dataset/produksi-padi/resource/{rid}/download/produksi-rev.csv")).await;
        assert_eq!(latest.headers()["content-type"], "text/csv; charset=utf-8");
        assert_eq!(latest.bytes().await.unwrap().to_vec(), v2);
        let first = editor.get(&format!("/dataset/produksi-padi/resource/{rid}/download/produksi.csv?version=1")).await;
        assert_eq!(first.bytes().await.unwrap().to_vec(), v1, "the first version is kept");

        // Over the limit (64 KiB in tests): 413 naming it, nothing kept.
        let big = vec![b'x'; 70 * 1024];
        let r = editor
            .client
            .post(editor.url("/dataset/produksi-padi/resource"))
            .multipart(upload(&csrf, big, "besar.csv"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 413);
        assert!(r.text().await.unwrap().contains("65.536"), "the limit in the message");
        // A forged token: refused before the file is written.
        let r = editor
            .client
            .post(editor.url("/dataset/produksi-padi/resource"))
            .multipart(upload("palsu", b"a\n1\n".to_vec(), "x.csv"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let stored: Vec<_> = walk(app.files.path());
        assert_eq!(stored.len(), 2, "only the two accepted versions are on disk: {stored:?}");
        // The public sees nothing of a draft's files.
        assert_eq!(app.another_browser().get(&format!("/dataset/produksi-padi/resource/{rid}/download/x")).await.status(), 404);
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test]
async fn a_dataset_goes_to_review_only_with_data_and_its_satu_data_metadata() {
    for db in each_engine().await {
        let (_app, editor) = agency_editor(&db).await;
        let csrf = editor.csrf("/dataset/new").await;
        let created = editor
            .post_form(
                "/dataset",
                &[("title", "Luas Sawah"), ("name", "luas-sawah"), ("owner_org", "dinas-pertanian"), ("license_id", ""), ("csrf", &csrf)],
            )
            .await;
        assert_eq!(created.status(), 303, "{}", db.label);

        let refused = editor.post_form("/dataset/luas-sawah/submit", &[("csrf", &csrf)]).await;
        assert_eq!(refused.status(), 422, "{}", db.label);
        let html = refused.text().await.unwrap();
        assert!(html.contains(&said_html("dataset.review_missing_title", &[])));
        // Every missing field at once, by its label, linked to the form's field.
        for (id, label) in [
            ("notes", "field.description"),
            ("license_id", "dataset.license"),
            ("frekuensi", "satudata.frekuensi"),
            ("cakupan_wilayah", "satudata.cakupan_wilayah"),
            ("konsep", "satudata.konsep"),
            ("satuan", "satudata.satuan"),
        ] {
            let link = format!("<a href=\"/dataset/luas-sawah/edit#{id}\">{}</a>", said_html(label, &[]));
            assert!(html.contains(&link), "{link} in the summary ({})", db.label);
        }
        assert!(html.contains(&format!(
            "<a href=\"#upload\">{}</a>: {}",
            said_html("dataset.resource_field", &[]),
            said_html("catalog.review_no_resource", &[])
        )));
        assert!(html.contains("aria-invalid=\"true\" aria-describedby=\"resources-error\""), "the upload field is marked");
        let (_, page) = editor.get_text("/dataset/luas-sawah").await;
        assert!(page.contains(&said_html("state.draft", &[])), "still a draft");

        // Completed, it goes.
        let fields = [
            ("title", "Luas Sawah"),
            ("name", "luas-sawah"),
            ("owner_org", "dinas-pertanian"),
            ("notes", "Luas sawah per kecamatan."),
            ("license_id", "cc-by-4.0"),
            ("frekuensi", "tahunan"),
            ("cakupan_wilayah", "35.22"),
            ("konsep", "Lahan sawah"),
            ("satuan", "hektare"),
            ("resource_name", "Tabel"),
            ("resource_url", "https://example.id/sawah.csv"),
            ("csrf", &csrf),
        ];
        assert_eq!(editor.post_form("/dataset/luas-sawah", &fields).await.status(), 303);
        assert_eq!(editor.post_form("/dataset/luas-sawah/submit", &[("csrf", &csrf)]).await.status(), 303, "{}", db.label);
        let (_, page) = editor.get_text("/dataset/luas-sawah").await;
        assert!(page.contains(&said_html("state.submitted", &[])));
    }
}

#[tokio::test]
async fn the_dataset_form_says_every_problem_by_its_field() {
    let db = crate::common::sqlite_db();
    let (_app, editor) = agency_editor(&db).await;
    let csrf = editor.csrf("/dataset/new").await;
    let bad = editor
        .post_form(
            "/dataset",
            &[
                ("title", "Padi"),
                ("name", "Padi Sawah"),
                ("owner_org", "dinas-pertanian"),
                ("tags", "ok, <no>"),
                ("frekuensi", "kadang"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(bad.status(), 422);
    let html = bad.text().await.unwrap();
    assert!(html.contains("class=\"error-summary\" role=\"alert\""));
    for (id, label) in [("name", "dataset.name_field"), ("tags", "facet.tags"), ("frekuensi", "satudata.frekuensi")] {
        assert!(html.contains(&format!("<a href=\"#{id}\">{}</a>", said_html(label, &[]))), "{id} in the summary by its label");
        assert!(html.contains(&format!("<p class=\"field-error\" id=\"{id}-error\">")), "{id}'s message beside it");
        assert!(html.contains(&format!("id=\"{id}\"")) && html.contains("aria-invalid=\"true\""));
    }
    assert!(html.contains("aria-invalid=\"true\" aria-describedby=\"name-help name-error\""));
}

/// A region with Dinas Pertanian and its produsen data, signed in.
async fn agency_editor(db: &crate::common::TestDb) -> (crate::common::TestApp, crate::common::TestApp) {
    let app = spawn_app(db).await;
    pendopo::slices::setup_tenant(&app.store, crate::common::REGION).await.unwrap();
    app.add_org("dinas-pertanian").await;
    app.add_user("editor@pertanian.id", "editor", Some("dinas-pertanian")).await;
    let editor = app.signed_in_as("editor@pertanian.id").await;
    (app, editor)
}
