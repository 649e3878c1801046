//! NGSI-LD features past the core operations, through HTTP on both
//! engines: `pick`/`omit` (4.21), `lang` (4.15), query by POST (5.7.2),
//! JsonProperty, VocabProperty, ListProperty and ListRelationship (4.5),
//! `scope`/`scopeQ` (4.18, 4.19) and `join` (4.5.23). Bodies and
//! expectations follow the ETSI suite's (018_07, 018_10, 018_13, 018_17,
//! 019_01_06, 019_02, 454_01).

use serde_json::{Value, json};

use crate::common::each_engine;
use crate::ngsi_ld::{Broker, LD, ids, urlencode};

const BAD_DATA: &str = "https://uri.etsi.org/ngsi-ld/errors/BadRequestData";

fn building(n: u32, name: &str) -> Value {
    json!({
        "id": format!("urn:ngsi-ld:Building:{n}"), "type": "Building",
        "name": {"type": "Property", "value": name},
        "subCategory": {"type": "Property", "value": "tourism"},
        "airQualityLevel": {"type": "Property", "value": 4 + n, "unitCode": "C62"},
        "street": {"type": "LanguageProperty", "languageMap": {"fr": "Grand Place", "nl": "Grote Markt"}},
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [111.88 + f64::from(n) / 100.0, -7.15]}}
    })
}

async fn created(b: &Broker, body: Value) {
    let r = b.send("POST", "/entities", Some(body)).await;
    assert_eq!(r.status(), 201, "{}: {}", b.app.label, r.text().await.unwrap());
}

fn problem_type(v: &Value) -> &str {
    v["type"].as_str().unwrap_or_default()
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

#[tokio::test]
async fn pick_and_omit_choose_the_members_answered() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        created(&b, building(1, "Eiffel Tower")).await;
        created(&b, building(2, "Pisa Tower")).await;
        let one = "/entities/urn:ngsi-ld:Building:1";

        let (s, e) = b.get(&format!("{one}?pick=name")).await;
        assert_eq!((s, e.clone()), (200, json!({"name": {"type": "Property", "value": "Eiffel Tower"}})), "{}", b.app.label);
        let (_, e) = b.get(&format!("{one}?pick=id,name")).await;
        assert_eq!(keys(&e), ["id", "name"]);
        let (_, e) = b.get(&format!("{one}?pick=id")).await;
        assert_eq!(e, json!({"id": "urn:ngsi-ld:Building:1"}));
        let (_, e) = b.get(&format!("{one}?omit=id")).await;
        assert_eq!(keys(&e), ["airQualityLevel", "location", "name", "street", "subCategory", "type"]);
        let (_, e) = b.get(&format!("{one}?omit=type,name")).await;
        assert_eq!(keys(&e), ["airQualityLevel", "id", "location", "street", "subCategory"]);
        assert_eq!(e["airQualityLevel"], json!({"type": "Property", "value": 5, "unitCode": "C62"}));
        // keyValues and concise are projected the same way.
        let (_, e) = b.get(&format!("{one}?pick=id,airQualityLevel&options=keyValues")).await;
        assert_eq!(e, json!({"id": "urn:ngsi-ld:Building:1", "airQualityLevel": 5}));
        // `attrs`, the older way, picks attributes and keeps id and type.
        let (_, e) = b.get(&format!("{one}?attrs=name")).await;
        assert_eq!(keys(&e), ["id", "name", "type"]);

        // 018_18: refused with BadRequestData.
        for bad in [
            "pick=name&omit=id",
            "pick=name&attrs=name",
            "omit=name&attrs=name",
            "pick=id;name",
            "pick=id,,name",
            "pick=id,locatedAt{}",
            "omit=a{b",
        ] {
            let (s, e) = b.get(&format!("{one}?{bad}")).await;
            assert_eq!((s, problem_type(&e)), (400, BAD_DATA), "{bad}");
        }
        let (s, e) = b.get("/entities/urn:ngsi-ld:Building:404?pick=name&omit=id").await;
        assert_eq!(s, 400, "a bad request is refused before the entity is looked up: {e}");

        // Query: every entity found is projected.
        let (s, all) = b.get("/entities?type=Building&pick=id,name").await;
        assert_eq!(s, 200);
        assert_eq!(
            all,
            json!([
                {"id": "urn:ngsi-ld:Building:1", "name": {"type": "Property", "value": "Eiffel Tower"}},
                {"id": "urn:ngsi-ld:Building:2", "name": {"type": "Property", "value": "Pisa Tower"}}
            ])
        );
        let (_, all) = b.get("/entities?type=Building&omit=street,location,airQualityLevel,subCategory&options=keyValues").await;
        assert_eq!(all[1], json!({"id": "urn:ngsi-ld:Building:2", "type": "Building", "name": "Pisa Tower"}));
        let (s, e) = b.get("/entities?type=Building&pick=id&omit=name").await;
        assert_eq!((s, problem_type(&e)), (400, BAD_DATA));
    }
}

#[tokio::test]
async fn lang_answers_a_language_property_in_its_best_language() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        created(&b, building(1, "Eiffel Tower")).await;
        let fr = json!({"type": "Property", "value": "Grand Place", "lang": "fr"});
        for lang in ["fr", "fr-CH,fr", "*", "fr-CH,fr;q=0.9,en;q=0.8,*;q=0.5"] {
            let (s, e) = b.get(&format!("/entities/urn:ngsi-ld:Building:1?lang={}", urlencode(lang))).await;
            assert_eq!((s, &e["street"]), (200, &fr), "{} lang={lang}", b.app.label);
            assert_eq!(e["name"]["value"], "Eiffel Tower", "other attributes stay as they are");
        }
        let (_, e) = b.get("/entities/urn:ngsi-ld:Building:1?lang=nl&options=keyValues").await;
        assert_eq!(e["street"], "Grote Markt");
        let (_, e) = b.get("/entities/urn:ngsi-ld:Building:1?lang=nl&options=concise").await;
        assert_eq!(e["street"], json!({"value": "Grote Markt", "lang": "nl"}));
        let (_, e) = b.get("/entities/urn:ngsi-ld:Building:1").await;
        assert_eq!(e["street"]["languageMap"]["nl"], "Grote Markt", "without lang, the whole map");
        let (_, all) = b.get("/entities?type=Building&lang=nl&pick=id,street").await;
        assert_eq!(all, json!([{"id": "urn:ngsi-ld:Building:1", "street": {"type": "Property", "value": "Grote Markt", "lang": "nl"}}]));
        let (s, e) = b.get("/entities/urn:ngsi-ld:Building:1?lang=fr%3Bq%3D2").await;
        assert_eq!((s, problem_type(&e)), (400, BAD_DATA));
    }
}

async fn post_query(b: &Broker, url_params: &str, body: Value) -> (u16, Option<String>, Value) {
    let r = b.send("POST", &format!("/entityOperations/query{url_params}"), Some(body)).await;
    let status = r.status().as_u16();
    let count = r.headers().get("ngsild-results-count").map(|v| v.to_str().unwrap().to_string());
    (status, count, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_query_by_post_answers_as_the_same_query_by_get() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        for n in 1..=4 {
            created(&b, building(n, if n % 2 == 0 { "Pisa Tower" } else { "Eiffel Tower" })).await;
        }
        created(&b, json!({"id": "urn:ngsi-ld:Vehicle:1", "type": "Vehicle", "name": {"type": "Property", "value": "Bus"}})).await;

        let (s, _, found) = post_query(&b, "", json!({"type": "Query", "entities": [{"type": "Building"}]})).await;
        assert_eq!(s, 200, "{}: {found}", b.app.label);
        assert_eq!(found, b.get("/entities?type=Building").await.1);
        assert_eq!(ids(&found).len(), 4);

        // Two selectors: either picks; the page and the count are the union's.
        let two = json!({"type": "Query", "entities": [
            {"id": "urn:ngsi-ld:Building:3", "type": "Building"},
            {"id": "urn:ngsi-ld:Vehicle:1", "type": "Vehicle"},
            {"id": "urn:ngsi-ld:Building:1", "type": "Building"}
        ]});
        let (_, count, found) = post_query(&b, "?count=true", two.clone()).await;
        assert_eq!(ids(&found), ["urn:ngsi-ld:Building:1", "urn:ngsi-ld:Building:3", "urn:ngsi-ld:Vehicle:1"]);
        assert_eq!(count.as_deref(), Some("3"));
        let (_, count, found) = post_query(&b, "?count=true&limit=1&offset=1", two).await;
        assert_eq!((ids(&found), count.as_deref()), (vec!["urn:ngsi-ld:Building:3"], Some("3")));
        // A selector's type still holds with its id.
        let (_, _, found) =
            post_query(&b, "", json!({"type": "Query", "entities": [{"id": "urn:ngsi-ld:Vehicle:1", "type": "Building"}]})).await;
        assert_eq!(found, json!([]));

        // q, geoQ, idPattern, attrs, pick and the URL's options, as GET has them.
        let body = json!({
            "type": "Query",
            "entities": [{"idPattern": "^urn:ngsi-ld:Building:[1-3]$", "type": "Building"}],
            "q": "airQualityLevel>5",
            "geoQ": {"geometry": "Point", "coordinates": [111.89, -7.15], "georel": "near;maxDistance==3000"},
            "pick": ["id", "name"]
        });
        let (s, count, found) = post_query(&b, "?options=keyValues&count=true", body).await;
        let get = b
            .get(&format!(
                "/entities?type=Building&idPattern={}&q=airQualityLevel%3E5&georel={}&geometry=Point&coordinates=%5B111.89,-7.15%5D&pick=id,name&options=keyValues",
                urlencode("^urn:ngsi-ld:Building:[1-3]$"),
                urlencode("near;maxDistance==3000")
            ))
            .await
            .1;
        assert_eq!((s, &found), (200, &get));
        assert_eq!(
            found,
            json!([{"id": "urn:ngsi-ld:Building:2", "name": "Pisa Tower"}, {"id": "urn:ngsi-ld:Building:3", "name": "Eiffel Tower"}])
        );
        assert_eq!(count.as_deref(), Some("2"));
        let (_, _, found) = post_query(&b, "", json!({"type": "Query", "attrs": ["name"], "q": "name==\"Bus\""})).await;
        assert_eq!(found, json!([{"id": "urn:ngsi-ld:Vehicle:1", "type": "Vehicle", "name": {"type": "Property", "value": "Bus"}}]));

        for bad in [
            json!({"type": "Subscription", "entities": [{"type": "Building"}]}),
            json!({"type": "Query"}),
            json!({"type": "Query", "entities": [{}]}),
            json!({"type": "Query", "entities": "Building"}),
            json!({"type": "Query", "entities": [{"type": "Building"}], "q": "name=="}),
        ] {
            let (s, _, e) = post_query(&b, "", bad.clone()).await;
            assert_eq!((s, problem_type(&e)), (400, BAD_DATA), "{bad}");
        }
        // A read: no token needed.
        let r = b
            .app
            .client
            .post(b.app.url(&format!("{LD}/entityOperations/query")))
            .json(&json!({"type": "Query", "entities": [{"type": "Vehicle"}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
}

/// The ETSI suite's 454_01 vehicle: one attribute of each newer type.
fn vehicle() -> Value {
    json!({
        "id": "urn:ngsi-ld:Vehicle:A1", "type": "Vehicle",
        "street": {"type": "JsonProperty", "json": {"id": "some-id", "type": "some-type", "null": null}},
        "category": {"type": "VocabProperty", "vocab": "non-commercial"},
        "tyreTreadDepths": {"type": "ListProperty", "valueList": [1.2, 3.4], "observedAt": "2026-01-01T00:00:00Z"},
        "route": {"type": "ListRelationship", "objectList": ["urn:ngsi-ld:Road:1", "urn:ngsi-ld:Road:2"]}
    })
}

#[tokio::test]
async fn json_vocab_and_list_attributes_are_stored_and_answered_in_every_form() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        created(&b, vehicle()).await;
        let one = "/entities/urn:ngsi-ld:Vehicle:A1";
        let (_, e) = b.get(one).await;
        assert_eq!(e, vehicle(), "{}", b.app.label);
        let (_, e) = b.get(&format!("{one}?options=keyValues")).await;
        assert_eq!(e["street"], json!({"json": {"id": "some-id", "type": "some-type", "null": null}}));
        assert_eq!(e["category"], json!({"vocab": "non-commercial"}));
        assert_eq!(e["tyreTreadDepths"], json!([1.2, 3.4]));
        assert_eq!(e["route"], json!(["urn:ngsi-ld:Road:1", "urn:ngsi-ld:Road:2"]));
        let (_, e) = b.get(&format!("{one}?options=concise")).await;
        assert_eq!(e["category"], json!({"vocab": "non-commercial"}));
        assert_eq!(e["route"], json!({"objectList": ["urn:ngsi-ld:Road:1", "urn:ngsi-ld:Road:2"]}));

        // A vocab term is expanded with the writer's context, compacted with the reader's.
        let r = b
            .app
            .client
            .post(b.app.url(&format!("{LD}/entities/urn:ngsi-ld:Vehicle:A1/attrs")))
            .header("authorization", &b.token)
            .header("content-type", "application/ld+json")
            .body(
                json!({
                    "category": {"type": "VocabProperty", "vocab": "commercial"},
                    "@context": [{"commercial": "https://example.org/fleet#commercial"}, "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"]
                })
                .to_string(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
        let (_, e) = b.get(one).await;
        assert_eq!(e["category"], json!({"type": "VocabProperty", "vocab": "https://example.org/fleet#commercial"}));

        // Update (PATCH attrs), partial update and merge keep the types.
        let r = b.send("PATCH", &format!("{one}/attrs"), Some(json!({"street": {"type": "JsonProperty", "json": [1, {"a": null}]}}))).await;
        assert_eq!(r.status(), 204);
        let r = b
            .send(
                "PATCH",
                &format!("{one}/attrs/tyreTreadDepths"),
                Some(json!({"type": "ListProperty", "valueList": [1.0, 3.0], "observedAt": "2026-01-02T00:00:00Z"})),
            )
            .await;
        assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
        let r = b.send("PATCH", one, Some(json!({"route": {"objectList": ["urn:ngsi-ld:Road:3"]}}))).await;
        assert_eq!(r.status(), 204);
        let (_, e) = b.get(one).await;
        assert_eq!(e["street"], json!({"type": "JsonProperty", "json": [1, {"a": null}]}));
        assert_eq!(e["tyreTreadDepths"]["valueList"], json!([1.0, 3.0]));
        assert_eq!(e["route"], json!({"type": "ListRelationship", "objectList": ["urn:ngsi-ld:Road:3"]}));

        // q reads a list's members and an objectList's ids.
        let (_, found) = b.get("/entities?type=Vehicle&q=tyreTreadDepths==3.0").await;
        assert_eq!(ids(&found), ["urn:ngsi-ld:Vehicle:A1"]);
        let (_, found) = b.get("/entities?type=Vehicle&q=tyreTreadDepths==3.4").await;
        assert_eq!(found, json!([]));
        let (_, found) = b.get(&format!("/entities?type=Vehicle&q={}", urlencode("route==\"urn:ngsi-ld:Road:3\""))).await;
        assert_eq!(ids(&found), ["urn:ngsi-ld:Vehicle:A1"]);

        // The history: a series of lists, `valueLists` in the simplified form.
        let (s, t) = b.get("/temporal/entities/urn:ngsi-ld:Vehicle:A1?attrs=tyreTreadDepths&options=temporalValues").await;
        assert_eq!(s, 200, "{t}");
        assert_eq!(t["tyreTreadDepths"]["type"], "ListProperty");
        assert_eq!(t["tyreTreadDepths"]["valueLists"], json!([[[1.2, 3.4], "2026-01-01T00:00:00Z"], [[1.0, 3.0], "2026-01-02T00:00:00Z"]]));

        for (attr, reason) in [
            (json!({"type": "VocabProperty", "vocab": 7}), "bad_vocab"),
            (json!({"type": "ListProperty", "valueList": "1,2"}), "bad_list"),
            (json!({"type": "ListRelationship", "objectList": ["Bob"]}), "bad_object"),
            (json!({"type": "Property", "value": 1, "valueList": [1, 2]}), "foreign_member"),
        ] {
            let r = b.send("POST", "/entities", Some(json!({"id": "urn:ngsi-ld:Vehicle:B", "type": "Vehicle", "a": attr}))).await;
            assert_eq!(r.status(), 400);
            let e: Value = r.json().await.unwrap();
            assert!(e["detail"].as_str().unwrap().contains(reason), "{e}");
        }
        assert_eq!(b.get("/entities/urn:ngsi-ld:Vehicle:B").await.0, 404, "nothing half-stored");
    }
}

#[tokio::test]
async fn scope_q_selects_by_scope_paths() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        let mut one = building(1, "Eiffel Tower");
        one["scope"] = json!("/Madrid/Gardens/ParqueNorte");
        let mut many = building(2, "Pisa Tower");
        many["scope"] = json!(["/Madrid/Gardens/ParqueNorte", "/CompanyA/OrganizationB/UnitC"]);
        created(&b, one).await;
        created(&b, many).await;
        created(&b, building(3, "Big Ben")).await;
        for (scope_q, want) in [
            ("/Madrid/Gardens/ParqueNorte", vec![1, 2]),
            ("/Madrid/+/ParqueNorte", vec![1, 2]),
            ("/CompanyA/#", vec![2]),
            ("/#", vec![1, 2]),
            ("/Madrid/Gardens/ParqueNorte;/CompanyA/OrganizationB/UnitC", vec![2]),
            ("/Madrid/Gardens/ParqueNorte,/CompanyA/OrganizationB/UnitC", vec![1, 2]),
            ("/Madrid/Gardens", vec![]),
        ] {
            let (s, found) = b.get(&format!("/entities?type=Building&scopeQ={}&count=true", urlencode(scope_q))).await;
            assert_eq!(s, 200, "{scope_q}: {found}");
            let want: Vec<String> = want.iter().map(|n| format!("urn:ngsi-ld:Building:{n}")).collect();
            assert_eq!(ids(&found), want, "{} scopeQ={scope_q}", b.app.label);
        }
        // With a q decided in SQL and paging: the scope still holds.
        let (_, found) = b.get(&format!("/entities?type=Building&q=airQualityLevel%3E5&scopeQ={}&limit=1", urlencode("/#"))).await;
        assert_eq!(ids(&found), ["urn:ngsi-ld:Building:2"]);
        // scopeQ alone is a query; by POST too.
        let (s, found) = b.get(&format!("/entities?scopeQ={}", urlencode("/CompanyA/#"))).await;
        assert_eq!((s, ids(&found)), (200, vec!["urn:ngsi-ld:Building:2"]));
        let (_, _, found) = post_query(&b, "", json!({"type": "Query", "scopeQ": "/CompanyA/OrganizationB/+"})).await;
        assert_eq!(ids(&found), ["urn:ngsi-ld:Building:2"]);

        let (s, e) = b.get("/entities?type=Building&scopeQ=Madrid").await;
        assert_eq!((s, problem_type(&e)), (400, BAD_DATA));
        let mut bad = building(9, "x");
        bad["scope"] = json!("Madrid");
        assert_eq!(b.send("POST", "/entities", Some(bad)).await.status(), 400);
    }
}

#[tokio::test]
async fn join_answers_linked_entities_inline_or_flat() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        let rel = |id: &str| json!({"type": "Relationship", "object": id});
        created(&b, json!({"id": "urn:ngsi-ld:Building:B", "type": "Building", "locatedAt": rel("urn:ngsi-ld:City:Paris")})).await;
        created(&b, json!({"id": "urn:ngsi-ld:Building:C", "type": "Building", "locatedAt": rel("urn:ngsi-ld:City:Nowhere")})).await;
        created(&b, json!({"id": "urn:ngsi-ld:City:Paris", "type": "City", "locatedAt": rel("urn:ngsi-ld:Country:France")})).await;
        created(&b, json!({"id": "urn:ngsi-ld:Country:France", "type": "Country"})).await;
        let one = "/entities/urn:ngsi-ld:Building:B";

        let (s, e) = b.get(&format!("{one}?join=inline")).await;
        assert_eq!(s, 200, "{}: {e}", b.app.label);
        assert_eq!(
            e["locatedAt"],
            json!({"type": "Relationship", "object": "urn:ngsi-ld:City:Paris",
                "entity": {"id": "urn:ngsi-ld:City:Paris", "type": "City", "locatedAt": rel("urn:ngsi-ld:Country:France")}})
        );
        let (_, e) = b.get(&format!("{one}?join=inline&joinLevel=2")).await;
        assert_eq!(e["locatedAt"]["entity"]["locatedAt"]["entity"], json!({"id": "urn:ngsi-ld:Country:France", "type": "Country"}));
        let (_, e) = b.get(&format!("{one}?join=inline&options=keyValues")).await;
        assert_eq!(
            e,
            json!({"id": "urn:ngsi-ld:Building:B", "type": "Building",
                "locatedAt": {"id": "urn:ngsi-ld:City:Paris", "type": "City", "locatedAt": "urn:ngsi-ld:Country:France"}})
        );

        let (_, e) = b.get(&format!("{one}?join=flat&joinLevel=2")).await;
        assert_eq!(ids(&e), ["urn:ngsi-ld:Building:B", "urn:ngsi-ld:City:Paris", "urn:ngsi-ld:Country:France"]);
        assert_eq!(e[0]["locatedAt"], rel("urn:ngsi-ld:City:Paris"), "flat: the relationship as it is");
        let (_, e) = b.get(&format!("{one}?join=flat")).await;
        assert_eq!(ids(&e), ["urn:ngsi-ld:Building:B", "urn:ngsi-ld:City:Paris"]);

        // A link to nothing stays a link.
        let (_, e) = b.get("/entities/urn:ngsi-ld:Building:C?join=inline").await;
        assert_eq!(e["locatedAt"], rel("urn:ngsi-ld:City:Nowhere"));

        // A query: inline in each, flat after the page.
        let (_, all) = b.get("/entities?type=Building&join=flat").await;
        assert_eq!(ids(&all), ["urn:ngsi-ld:Building:B", "urn:ngsi-ld:Building:C", "urn:ngsi-ld:City:Paris"]);
        let (_, all) = b.get("/entities?type=Building&join=inline&pick=id,locatedAt").await;
        assert_eq!(all[0]["locatedAt"]["entity"]["type"], "City", "a linked entity is shown whole");
        assert!(all[0].get("type").is_none());

        // Braces pick or omit members of the linked entities (018_20, 018_21).
        let (_, e) = b.get(&format!("{one}?join=inline&joinLevel=2&pick={}", urlencode("id,locatedAt{id,locatedAt{type}}"))).await;
        assert_eq!(
            e,
            json!({"id": "urn:ngsi-ld:Building:B", "locatedAt": {"type": "Relationship", "object": "urn:ngsi-ld:City:Paris",
                "entity": {"id": "urn:ngsi-ld:City:Paris", "locatedAt": {"type": "Relationship", "object": "urn:ngsi-ld:Country:France",
                    "entity": {"type": "Country"}}}}})
        );
        let (s, e) = b.get(&format!("{one}?join=flat&omit={}", urlencode("type,locatedAt{locatedAt,id{}}"))).await;
        assert_eq!((s, problem_type(&e)), (400, BAD_DATA), "an empty brace is refused");
        let (_, e) = b.get(&format!("{one}?join=flat&joinLevel=2&omit={}", urlencode("type,locatedAt{type,locatedAt{id}}"))).await;
        assert_eq!(
            e,
            json!([
                {"id": "urn:ngsi-ld:Building:B", "locatedAt": rel("urn:ngsi-ld:City:Paris")},
                {"id": "urn:ngsi-ld:City:Paris", "locatedAt": rel("urn:ngsi-ld:Country:France")},
                {"type": "Country"}
            ])
        );
        let (_, _, all) =
            post_query(&b, "", json!({"type": "Query", "entities": [{"type": "Building"}], "join": "flat", "joinLevel": 2})).await;
        assert_eq!(ids(&all).len(), 4);

        for bad in ["join=deep", "join=flat&joinLevel=0", "join=inline&joinLevel=x"] {
            let (s, e) = b.get(&format!("{one}?{bad}")).await;
            assert_eq!((s, problem_type(&e)), (400, BAD_DATA), "{bad}");
        }
    }
}
