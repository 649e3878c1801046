//! What every answer carries at the HTTP level: compression, cache headers,
//! `Vary`, the favicon, and the layout's description and current menu item.

use std::io::Read as _;

use crate::common::{each_engine, spawn_app, sqlite_db};

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers().get_all(name).iter().map(|v| v.to_str().unwrap().to_string()).collect::<Vec<_>>().join(", ")
}

#[tokio::test]
async fn pages_are_compressed_revalidated_and_vary_by_language() {
    let db = sqlite_db();
    let app = spawn_app(&db).await;
    let (status, plain) = app.get_text("/wilayah").await;
    assert_eq!(status, 200);

    let gz = app.client.get(app.url("/wilayah")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(header(&gz, "content-encoding"), "gzip");
    let vary = header(&gz, "vary").to_ascii_lowercase();
    for v in ["accept-language", "cookie", "accept-encoding"] {
        assert!(vary.contains(v), "Vary names {v}: {vary}");
    }
    assert_eq!(header(&gz, "cache-control"), "no-cache", "a page is revalidated on every visit");
    let packed = gz.bytes().await.unwrap();
    let mut unpacked = String::new();
    flate2::read::GzDecoder::new(&packed[..]).read_to_string(&mut unpacked).unwrap();
    assert_eq!(unpacked, plain, "the same page, compressed");
    assert!(packed.len() * 3 < plain.len(), "{} bytes compressed from {}", packed.len(), plain.len());

    let br = app.client.get(app.url("/wilayah")).header("accept-encoding", "br;q=1, gzip;q=0.5").send().await.unwrap();
    assert_eq!(header(&br, "content-encoding"), "br");
    assert!(br.bytes().await.unwrap().len() * 3 < plain.len());

    // The API's answers depend on the language too (its error messages).
    let api = app.get("/api/v1/wilayah/35.98").await;
    assert!(header(&api, "vary").contains("Accept-Language"));
}

#[tokio::test]
async fn static_files_live_long_under_a_versioned_address() {
    let db = sqlite_db();
    let app = spawn_app(&db).await;
    let (_, html) = app.get_text("/").await;
    let start = html.find("/static/style.css?v=").expect("the page links its stylesheet with a version");
    let href = &html[start..start + html[start..].find('"').unwrap()];
    let css = app.client.get(app.url(href)).header("accept-encoding", "br").send().await.unwrap();
    assert_eq!(css.status(), 200);
    assert_eq!(header(&css, "cache-control"), "public, max-age=31536000, immutable");
    assert_eq!(header(&css, "content-encoding"), "br");
    // An address without the current version is not kept for long.
    let old = app.get("/static/style.css?v=00000000").await;
    assert_eq!(header(&old, "cache-control"), "public, max-age=3600");

    assert!(html.contains("<link rel=\"icon\" href=\"/static/favicon.svg?v="));
    let svg = app.get("/static/favicon.svg").await;
    assert_eq!((svg.status().as_u16(), header(&svg, "content-type")), (200, "image/svg+xml".to_string()));
    assert!(svg.text().await.unwrap().starts_with("<svg"));
    let ico = app.get("/favicon.ico").await;
    assert_eq!((ico.status().as_u16(), header(&ico, "content-type")), (200, "image/x-icon".to_string()));
    assert_eq!(&ico.bytes().await.unwrap()[..4], &[0, 0, 1, 0], "an ICO file");
}

#[tokio::test]
async fn signed_in_pages_are_never_stored() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        app.add_user("walidata@bojonegorokab.go.id", "walidata", None).await;
        let me = app.signed_in_as("walidata@bojonegorokab.go.id").await;
        let r = me.get("/dataset").await;
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "cache-control"), "private, no-store", "{}", db.label);
    }
}

#[tokio::test]
async fn pages_describe_themselves_and_mark_the_current_menu_item() {
    let db = sqlite_db();
    let app = spawn_app(&db).await;
    let (_, html) = app.get_text("/wilayah/35.22").await;
    assert!(html.contains("<meta name=\"description\" content=\"Portal data terbuka dan pengadaan Kabupaten Bojonegoro"), "{html}");
    assert!(html.contains("<a href=\"/wilayah\" aria-current=\"page\">"));
    assert_eq!(html.matches("aria-current=\"page\">").count(), 2, "the menu item, and the breadcrumb's last step");
}
