//! How the broker answers queries over many entities: a selective `q` term
//! reads the value index first, others walk the type index, `near` reads
//! the boxes first and decides points on the box alone (SQLite; PostGIS
//! decides every relation on PostgreSQL, alike); and single writes sent at
//! once share the group writer's transaction.

use pendopo::slices::sensors::measures::{self, Measure};
use pendopo::slices::sensors::rollup;
use serde_json::{Value, json};

use crate::common::{REGION, each_engine, spawn_clocked};
use crate::ngsi_ld::{Broker, LD, ids, urlencode};

const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const DAY: i64 = 86_400_000;

/// Water gauges 0000..2099 (level i/10 m, every third offline) and 100
/// devices, all with a level of 250 m and offline.
fn fleet() -> Vec<Vec<Value>> {
    let water: Vec<Value> = (0..2100)
        .map(|i| {
            json!({
                "id": format!("urn:ngsi-ld:WaterObserved:{i:04}"), "type": "WaterObserved",
                "waterLevel": {"type": "Property", "value": f64::from(i) / 10.0},
                "status": {"type": "Property", "value": if i % 3 == 0 { "offline" } else { "ok" }}
            })
        })
        .collect();
    let devices: Vec<Value> = (0..100)
        .map(|i| {
            json!({
                "id": format!("urn:ngsi-ld:Device:{i:04}"), "type": "Device",
                "waterLevel": {"type": "Property", "value": 250.0},
                "status": {"type": "Property", "value": "offline"}
            })
        })
        .collect();
    let mut batches: Vec<Vec<Value>> = water.chunks(1000).map(<[Value]>::to_vec).collect();
    batches.push(devices);
    batches
}

/// A broker holding the [`fleet`].
async fn with_fleet(db: &crate::common::TestDb) -> Broker {
    let b = Broker::new(db).await;
    for batch in fleet() {
        let r = b.send("POST", "/entityOperations/upsert", Some(Value::Array(batch))).await;
        assert_eq!(r.status(), 201, "{}", b.app.label);
    }
    b
}

/// The gauges whose number passes `keep`, as ids in order.
fn gauges(keep: impl Fn(u32) -> bool) -> Vec<String> {
    (0..2100).filter(|i| keep(*i)).map(|i| format!("urn:ngsi-ld:WaterObserved:{i:04}")).collect()
}

async fn page(b: &Broker, path: &str) -> (Vec<String>, Option<usize>) {
    let r = b.app.client.get(b.app.url(&format!("{LD}{path}"))).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    let count = r.headers().get("ngsild-results-count").map(|v| v.to_str().unwrap().parse().unwrap());
    let body: Value = r.json().await.unwrap();
    (ids(&body).into_iter().map(String::from).collect(), count)
}

#[tokio::test]
async fn q_over_many_entities_answers_the_same_whichever_index_drives_it() {
    for db in each_engine().await {
        let b = with_fleet(&db).await;
        let level = |i: u32| f64::from(i) / 10.0;
        let offline = |i: u32| i.is_multiple_of(3);

        // Few gauges are above 200 m: the value index drives; the devices
        // (also above, also offline) are not of the type.
        let (found, n) = page(&b, "/entities?type=WaterObserved&q=waterLevel%3E200;status==%22offline%22&count=true&limit=5").await;
        let want = gauges(|i| level(i) > 200.0 && offline(i));
        assert_eq!(n, Some(want.len()), "{}", b.app.label);
        assert_eq!(found, want[..5]);

        // Almost all are above 1 m: the type index drives, in id order.
        let (found, n) = page(&b, "/entities?type=WaterObserved&q=waterLevel%3E1&count=true&limit=3&offset=2").await;
        assert_eq!(n, Some(gauges(|i| level(i) > 1.0).len()));
        assert_eq!(found, gauges(|i| (13..=15).contains(&i)));

        // Both terms, in either order, the string one being the narrower.
        let (found, n) = page(&b, "/entities?type=WaterObserved&q=status==%22offline%22;waterLevel%3E=100&count=true&limit=2").await;
        let want = gauges(|i| offline(i) && level(i) >= 100.0);
        assert_eq!((found.as_slice(), n), (&want[..2], Some(want.len())));

        // An OR is not split: the type index drives, SQL still decides.
        let (found, n) = page(&b, "/entities?type=WaterObserved&q=waterLevel%3C0.2%7CwaterLevel%3E209.7&count=true").await;
        assert_eq!((found, n), (gauges(|i| !(2..=2097).contains(&i)), Some(4)));

        // No type: the value index alone, the devices only.
        let (found, n) = page(&b, "/entities?q=waterLevel==250&count=true&limit=2").await;
        assert_eq!((found, n), (vec!["urn:ngsi-ld:Device:0000".to_string(), "urn:ngsi-ld:Device:0001".to_string()], Some(100)));

        // A value that changed leaves the index it drove from.
        let r = b.send("PATCH", "/entities/urn:ngsi-ld:WaterObserved:2099/attrs/waterLevel", Some(json!({"value": 3.0}))).await;
        assert_eq!(r.status(), 204);
        let (found, _) = page(&b, "/entities?type=WaterObserved&q=waterLevel%3E209.7").await;
        assert_eq!(found, gauges(|i| i == 2098));
    }
}

/// Every entity of a query, page after page (`limit` a page), and the
/// count each page gave.
async fn all_pages(b: &Broker, path: &str, limit: usize) -> (Vec<String>, Vec<Option<usize>>) {
    let (mut found, mut counts) = (Vec::new(), Vec::new());
    loop {
        let (page_ids, n) = page(b, &format!("{path}&count=true&limit={limit}&offset={}", found.len())).await;
        counts.push(n);
        let last = page_ids.len() < limit;
        found.extend(page_ids);
        if last {
            return (found, counts);
        }
    }
}

#[tokio::test]
async fn a_count_is_the_number_of_entities_paged_through_whichever_index_counts() {
    for db in each_engine().await {
        let b = with_fleet(&db).await;
        let level = |i: u32| f64::from(i) / 10.0;
        let devices: Vec<String> = (0..100).map(|i| format!("urn:ngsi-ld:Device:{i:04}")).collect();
        let cases: Vec<(&str, Vec<String>)> = vec![
            // The term holds for 2,200 entities, the type for 2,100: the type counts.
            ("type=WaterObserved&q=waterLevel%3E=0", gauges(|_| true)),
            // The term holds for 2,099 (more than drive a page), fewer than the
            // type's 2,100: the term's value index counts, the type's pages.
            ("type=WaterObserved&q=waterLevel%3E10", gauges(|i| level(i) > 10.0)),
            // A few: the value index pages and counts.
            ("type=WaterObserved&q=waterLevel%3E190;status==%22offline%22", gauges(|i| level(i) > 190.0 && i.is_multiple_of(3))),
            // No type, a term of 2,099: all entities page, the term counts.
            ("q=waterLevel%3E10", [gauges(|i| level(i) > 10.0), devices.clone()].concat()),
            // A type with fewer entities than the selective term: the type drives both.
            ("type=Device&q=waterLevel%3E150", devices),
        ];
        for (query, mut want) in cases {
            want.sort();
            let (found, counts) = all_pages(&b, &format!("/entities?{query}"), 700).await;
            assert_eq!(found, want, "{query} {}", b.app.label);
            assert!(counts.iter().all(|n| *n == Some(want.len())), "{query}: counts {counts:?}, {} entities", want.len());
        }
    }
}

fn point(id: &str, lon: f64, lat: f64) -> Value {
    json!({"id": id, "type": "WaterObserved", "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}}})
}

#[tokio::test]
async fn near_reads_the_boxes_first_and_checks_what_a_box_cannot_decide() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        let w = |name: &str| format!("urn:ngsi-ld:WaterObserved:{name}");
        // Around Bojonegoro (111.88, -7.15): 5 km is about 0.045 degrees, so
        // a point 0.04 degrees away on both axes is in the search box but
        // about 6.2 km away.
        let mut corner_twice = point(&w("c-pojok-ganda"), 111.92, -7.11);
        corner_twice["location"] = json!([
            corner_twice["location"].clone(),
            {"type": "GeoProperty", "datasetId": "urn:ngsi-ld:Dataset:gps", "value": {"type": "Point", "coordinates": [111.881, -7.149]}}
        ]);
        let river = json!({"id": w("d-sungai"), "type": "WaterObserved",
            "location": {"type": "GeoProperty", "value": {"type": "LineString", "coordinates": [[111.80, -7.152], [111.95, -7.152]]}}});
        let mut device = point("urn:ngsi-ld:Device:pusat", 111.88, -7.15);
        device["type"] = json!("Device");
        let batch = json!([
            point(&w("a-pusat"), 111.881, -7.151),
            point(&w("b-pojok"), 111.92, -7.11),
            corner_twice,
            river,
            point(&w("e-jauh"), 112.1, -7.0),
            device
        ]);
        let r = b.send("POST", "/entityOperations/upsert", Some(batch)).await;
        assert_eq!(r.status(), 201, "{}", b.app.label);

        let near = "/entities?type=WaterObserved&georel=near;maxDistance==5000&geometry=Point&coordinates=%5B111.88,-7.15%5D";
        let (found, n) = page(&b, &format!("{near}&count=true")).await;
        assert_eq!(found, vec![w("a-pusat"), w("c-pojok-ganda"), w("d-sungai")], "{}", b.app.label);
        assert_eq!(n, Some(3));
        assert_eq!(page(&b, &format!("{near}&limit=1&offset=1")).await.0, vec![w("c-pojok-ganda")]);
        assert_eq!(page(&b, &format!("{near}&idPattern={}", urlencode(".*sungai$"))).await.0, vec![w("d-sungai")]);
        // Beyond 6 km: the corner points too (their default instance), not the river.
        let far = "/entities?type=WaterObserved&georel=near;minDistance==6000&geometry=Point&coordinates=%5B111.88,-7.15%5D";
        assert_eq!(page(&b, far).await.0, vec![w("b-pojok"), w("c-pojok-ganda"), w("e-jauh")]);
        // The returned entity is whole, both instances.
        let (_, body) = b.get(&format!("{near}&idPattern={}", urlencode("ganda"))).await;
        assert_eq!(body[0]["location"].as_array().map(Vec::len), Some(2), "{body}");

        // A moved point leaves the box it was found in.
        let r = b
            .send(
                "PATCH",
                &format!("/entities/{}/attrs/location", w("a-pusat")),
                Some(json!({"value": {"type": "Point", "coordinates": [112.1, -7.0]}})),
            )
            .await;
        assert_eq!(r.status(), 204);
        assert_eq!(page(&b, near).await.0, vec![w("c-pojok-ganda"), w("d-sungai")]);
    }
}

#[tokio::test]
async fn an_instance_other_than_the_default_is_found_where_the_default_is_not() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        let w = |name: &str| format!("urn:ngsi-ld:WaterObserved:{name}");
        // A gauge's default location about 33 km north-east of the centre,
        // far outside a 5 km search; its GPS instance 150 m from it.
        let mut moved = point(&w("gps"), 112.1, -6.95);
        moved["location"] = json!([
            moved["location"].clone(),
            {"type": "GeoProperty", "datasetId": "urn:ngsi-ld:Dataset:gps", "value": {"type": "Point", "coordinates": [111.881, -7.151]}}
        ]);
        let batch = json!([moved, point(&w("jauh"), 112.1, -6.95), point(&w("dekat"), 111.882, -7.15)]);
        assert_eq!(b.send("POST", "/entityOperations/upsert", Some(batch)).await.status(), 201, "{}", b.app.label);
        let near = "/entities?type=WaterObserved&georel=near;maxDistance==5000&geometry=Point&coordinates=%5B111.88,-7.15%5D";
        let (found, n) = page(&b, &format!("{near}&count=true")).await;
        assert_eq!(found, vec![w("dekat"), w("gps")], "{}", b.app.label);
        assert_eq!(n, Some(2));
        let square = "[[[111.87,-7.16],[111.89,-7.16],[111.89,-7.14],[111.87,-7.14],[111.87,-7.16]]]";
        let within = format!("/entities?type=WaterObserved&georel=within&geometry=Polygon&coordinates={}", urlencode(square));
        assert_eq!(page(&b, &within).await.0, vec![w("dekat"), w("gps")], "{}", b.app.label);
        // The GPS instance gone, the gauge is where its default instance is.
        let gone = format!("/entities/{}/attrs/location?datasetId=urn:ngsi-ld:Dataset:gps", w("gps"));
        assert_eq!(b.send("DELETE", &gone, None).await.status(), 204, "{}", b.app.label);
        assert_eq!(page(&b, near).await.0, vec![w("dekat")], "{}", b.app.label);
    }
}

#[tokio::test]
async fn near_finds_exactly_the_points_within_the_distance_page_after_page() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        // A grid of 41 x 41 points 0.0025 degrees apart (slightly skewed)
        // around the centre: beyond the search box at its edges, and none
        // within 2 m of the 5 km circle; every fourth a Device.
        let centre = [111.88, -7.15];
        let mut grid = Vec::new();
        for i in 0..41 {
            for j in 0..41 {
                let (lon, lat) = (
                    centre[0] + f64::from(i - 20) * 0.0025 + 0.0003 * f64::from(j % 3),
                    centre[1] + f64::from(j - 20) * 0.0025 + 0.0002 * f64::from(i % 5),
                );
                let ty = if (i + j) % 4 == 0 { "Device" } else { "WaterObserved" };
                grid.push((format!("urn:ngsi-ld:{ty}:{i:02}-{j:02}"), ty, lon, lat));
            }
        }
        for chunk in grid.chunks(1000) {
            let batch: Vec<Value> = chunk
                .iter()
                .map(|(id, ty, lon, lat)| {
                    let mut p = point(id, *lon, *lat);
                    p["type"] = json!(ty);
                    p
                })
                .collect();
            assert_eq!(b.send("POST", "/entityOperations/upsert", Some(Value::Array(batch))).await.status(), 201, "{}", b.app.label);
        }
        let mut want: Vec<String> = grid
            .iter()
            .filter(|(_, ty, lon, lat)| *ty == "WaterObserved" && ngsild::geo::haversine(centre, [*lon, *lat]) <= 5000.0)
            .map(|(id, ..)| id.clone())
            .collect();
        want.sort();
        assert!(want.len() > 700, "{}", want.len());
        let near = "/entities?type=WaterObserved&georel=near;maxDistance==5000&geometry=Point&coordinates=%5B111.88,-7.15%5D";
        let (found, counts) = all_pages(&b, near, 100).await;
        assert_eq!(found, want, "{}", b.app.label);
        assert!(counts.iter().all(|n| *n == Some(want.len())), "{counts:?}");
        // Beyond the distance: the rest of the type, the far corners included.
        let far = "/entities?type=WaterObserved&georel=near;minDistance==5000&geometry=Point&coordinates=%5B111.88,-7.15%5D";
        let (beyond, _) = all_pages(&b, far, 1000).await;
        assert_eq!(beyond.len() + want.len(), grid.iter().filter(|(_, ty, ..)| *ty == "WaterObserved").count());
        assert!(beyond.iter().all(|id| !want.contains(id)));
    }
}

#[tokio::test]
async fn single_writes_sent_at_once_each_get_their_own_answer() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        let batch: Vec<Value> =
            (0..8).map(|i| json!({"id": format!("urn:ngsi-ld:WaterObserved:{i}"), "type": "WaterObserved", "waterLevel": {"type": "Property", "value": 0.0}})).collect();
        assert_eq!(b.send("POST", "/entityOperations/upsert", Some(Value::Array(batch))).await.status(), 201);
        let mut writes = tokio::task::JoinSet::new();
        // Three updates of each gauge, and four of gauges that do not exist.
        for k in 0..28 {
            let (client, token) = (b.app.client.clone(), b.token.clone());
            let id = if k < 24 { format!("urn:ngsi-ld:WaterObserved:{}", k % 8) } else { format!("urn:ngsi-ld:WaterObserved:none{k}") };
            let url = b.app.url(&format!("{LD}/entities/{id}/attrs/waterLevel"));
            writes.spawn(async move {
                let body = json!({"value": f64::from(k) + 1.0}).to_string();
                let r = client
                    .patch(url)
                    .header("authorization", token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                (k, r.status().as_u16())
            });
        }
        let mut answers = writes.join_all().await;
        answers.sort();
        let statuses: Vec<u16> = answers.iter().map(|(_, s)| *s).collect();
        assert_eq!(statuses, [vec![204; 24], vec![404; 4]].concat(), "{}", b.app.label);
        for i in 0..8u32 {
            let (_, e) = b.get(&format!("/entities/urn:ngsi-ld:WaterObserved:{i}?options=keyValues")).await;
            let level = e["waterLevel"].as_f64().unwrap();
            let sent: Vec<f64> = (0..3).map(|n| f64::from(i + 8 * n) + 1.0).collect();
            assert!(sent.contains(&level), "gauge {i}: {level} is one of {sent:?}");
        }
    }
}

/// Places around Bojonegoro for the geometry relations: points, lines and
/// polygons (`WaterObserved`, ids `a`..`j`), and points and a road at known
/// distances south of (112.5, -7.0) (`WeatherObserved`).
fn places() -> Value {
    let place = |id: &str, kind: &str, coordinates: Value| {
        json!({"id": format!("urn:ngsi-ld:WaterObserved:{id}"), "type": "WaterObserved",
               "location": {"type": "GeoProperty", "value": {"type": kind, "coordinates": coordinates}}})
    };
    let weather = |id: &str, kind: &str, coordinates: Value| {
        let mut p = place(id, kind, coordinates);
        p["id"] = json!(format!("urn:ngsi-ld:WeatherObserved:{id}"));
        p["type"] = json!("WeatherObserved");
        p
    };
    json!([
        place("a-cincin", "Point", json!([111.82, -7.2])),
        place("b-lubang", "Point", json!([111.9, -7.2])),
        place("c-tepi", "Point", json!([111.8, -7.2])),
        place("d-selatan", "Point", json!([111.9, -7.28])),
        place("e-garis-selatan", "LineString", json!([[111.82, -7.28], [111.98, -7.28]])),
        place("f-garis-lubang", "LineString", json!([[111.82, -7.2], [111.98, -7.2]])),
        place("g-kotak", "Polygon", json!([[[111.81, -7.29], [111.84, -7.29], [111.84, -7.26], [111.81, -7.26], [111.81, -7.29]]])),
        place("h-barat", "Polygon", json!([[[111.75, -7.22], [111.78, -7.22], [111.78, -7.18], [111.75, -7.18], [111.75, -7.22]]])),
        place("i-jauh", "Point", json!([112.5, -7.0])),
        place("j-utara", "Point", json!([111.9, -7.12])),
        // 0.0089 and 0.0091 degrees of latitude: 989.6 m and 1011.9 m on
        // ngsild::geo's sphere; the road runs east-west 1056 m away.
        weather("dekat", "Point", json!([112.5, -7.0089])),
        weather("batas", "Point", json!([112.5, -7.0091])),
        weather("jalan", "LineString", json!([[112.49, -7.0095], [112.51, -7.0095]])),
        weather("jauh", "Point", json!([112.5, -7.1])),
    ])
}

/// A square ring with a square hole, and a U open to the north whose notch
/// is where the hole is (and north of it).
const WITH_HOLE: &str = "[[[111.8,-7.3],[112.0,-7.3],[112.0,-7.1],[111.8,-7.1],[111.8,-7.3]],\
                         [[111.85,-7.25],[111.95,-7.25],[111.95,-7.15],[111.85,-7.15],[111.85,-7.25]]]";
const CONCAVE: &str =
    "[[[111.8,-7.3],[112.0,-7.3],[112.0,-7.1],[111.95,-7.1],[111.95,-7.25],[111.85,-7.25],[111.85,-7.1],[111.8,-7.1],[111.8,-7.3]]]";

/// A geoQ: the entity type, georel, geometry and coordinates.
type GeoQ = (&'static str, &'static str, &'static str, &'static str);

/// Each relation with what `ngsild::geo` answers (both engines must): the
/// query, then the ids found, in order.
fn relations() -> Vec<(GeoQ, Vec<&'static str>)> {
    let line = "[[111.7,-7.2],[112.1,-7.2]]";
    let here = "[112.5,-7.0]";
    let (water, weather) = ("WaterObserved", "WeatherObserved");
    vec![
        // The ring's boundary counts as inside; the hole and a line across it do not.
        ((water, "within", "Polygon", WITH_HOLE), vec!["a-cincin", "c-tepi", "d-selatan", "e-garis-selatan", "g-kotak", "j-utara"]),
        ((water, "within", "Polygon", CONCAVE), vec!["a-cincin", "c-tepi", "d-selatan", "e-garis-selatan", "g-kotak"]),
        // A line crossing a polygon between its vertices, along a line, through points.
        ((water, "intersects", "LineString", line), vec!["a-cincin", "b-lubang", "c-tepi", "f-garis-lubang", "h-barat"]),
        ((water, "disjoint", "LineString", line), vec!["d-selatan", "e-garis-selatan", "g-kotak", "i-jauh", "j-utara"]),
        ((water, "contains", "Point", "[111.83,-7.28]"), vec!["e-garis-selatan", "g-kotak"]),
        ((water, "equals", "Point", "[111.82,-7.2]"), vec!["a-cincin"]),
        ((water, "overlaps", "Polygon", "[[[111.83,-7.3],[111.86,-7.3],[111.86,-7.27],[111.83,-7.27],[111.83,-7.3]]]"), vec!["g-kotak"]),
        ((weather, "near;maxDistance==1000", "Point", here), vec!["dekat"]),
        ((weather, "near;maxDistance==1015", "Point", here), vec!["batas", "dekat"]),
        ((weather, "near;maxDistance==1100", "Point", here), vec!["batas", "dekat", "jalan"]),
        ((weather, "near;minDistance==1000", "Point", here), vec!["batas", "jalan", "jauh"]),
    ]
}

fn geo_path((kind, georel, geometry, coordinates): GeoQ) -> String {
    format!("/entities?type={kind}&georel={georel}&geometry={geometry}&coordinates={}", urlencode(coordinates))
}

/// The last part of each id.
fn short(ids: &[String]) -> Vec<&str> {
    ids.iter().map(|id| id.rsplit(':').next().unwrap()).collect()
}

#[tokio::test]
async fn geometry_relations_answer_alike_on_both_engines() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        let r = b.send("POST", "/entityOperations/upsert", Some(places())).await;
        assert_eq!(r.status(), 201, "{}", b.app.label);
        for (q, want) in relations() {
            let path = geo_path(q);
            let (found, n) = page(&b, &format!("{path}&count=true")).await;
            assert_eq!((short(&found), n), (want.clone(), Some(want.len())), "{path} on {}", b.app.label);
        }
        // A polygon reshaped within the same box is found by its new shape:
        // the square becomes a triangle off the point asked about.
        let triangle =
            json!({"value": {"type": "Polygon", "coordinates": [[[111.81, -7.26], [111.84, -7.26], [111.81, -7.29], [111.81, -7.26]]]}});
        let r = b.send("PATCH", "/entities/urn:ngsi-ld:WaterObserved:g-kotak/attrs/location", Some(triangle)).await;
        assert_eq!(r.status(), 204);
        let (found, _) = page(&b, &geo_path(relations()[4].0)).await;
        assert_eq!(short(&found), vec!["e-garis-selatan"], "{}", b.app.label);
    }
}

/// The places written on `from`, copied by `db copy` (its rows, then the
/// derived tables rebuilt) into `to`, are found there by every relation.
async fn places_copied_are_found(from: &crate::common::TestDb, to: &crate::common::TestDb) {
    let b = Broker::new(from).await;
    // In two writes: the box numbers of PostgreSQL's start again at each.
    let all = places().as_array().unwrap().clone();
    for half in all.chunks(all.len() / 2 + 1) {
        assert_eq!(b.send("POST", "/entityOperations/upsert", Some(Value::Array(half.to_vec()))).await.status(), 201);
    }
    let to = pendopo::store::Store::connect(&to.url).await.unwrap();
    pendopo::kernel::db_copy::copy(&b.app.store, &to, &pendopo::slices::copied_tables(), |_, _, _| {}).await.unwrap();
    let files = pendopo::kernel::files::FileStore::new(std::env::temp_dir().join("pendopo-none"));
    pendopo::slices::rebuild_derived(&b.app.store, &to, &files).await.unwrap();
    let core = ngsild::context::core();
    for ((kind, georel, geometry, coordinates), want) in relations() {
        let coordinates: Value = serde_json::from_str(coordinates).unwrap();
        let mut geo =
            ngsild::geo::GeoQuery::from_params(Some(georel), Some(geometry), Some(&coordinates.to_string()), None).unwrap().unwrap();
        geo.geoproperty = core.expand(&geo.geoproperty);
        let s = pendopo::slices::sensors::query::Selector { types: vec![vec![core.expand(kind)]], geo: Some(geo), ..Default::default() };
        let Ok((found, n)) = pendopo::slices::sensors::query::select(&to, crate::common::REGION, &s, 100, 0, true).await else {
            panic!("{georel} failed on the copy");
        };
        let ids: Vec<String> = found.into_iter().map(|e| e.id).collect();
        assert_eq!((short(&ids), n), (want.clone(), Some(want.len())), "{georel} {coordinates} on the copy");
    }
}

#[tokio::test]
async fn places_copied_from_sqlite_into_postgres_are_found_there() {
    let Some(pg) = crate::common::postgres_db().await else { return };
    places_copied_are_found(&crate::common::sqlite_db(), &pg).await;
}

/// PostgreSQL does not keep its boxes' numbers unique, which SQLite's
/// R*Tree needs: the copy numbers them anew.
#[tokio::test]
async fn places_copied_from_postgres_into_sqlite_are_found_there() {
    let Some(pg) = crate::common::postgres_db().await else { return };
    places_copied_are_found(&pg, &crate::common::sqlite_db()).await;
}

/// Two days of 5-minute readings of `flow` from 2026-01-01 for `entity` in
/// dataset `dataset` (`None`: the default instance), halves that sum
/// exactly in binary, shifted by `shift`.
fn flow(entity: &str, dataset: Option<&str>, shift: f64) -> Vec<Measure> {
    (0..2 * 24 * 12)
        .map(|k| {
            let mut attr = ngsild::entity::Attribute::property(json!(shift + (k % 7) as f64 * 0.5));
            attr.dataset_id = dataset.map(String::from);
            Measure {
                entity_id: entity.into(),
                entity_type: "WaterObserved".into(),
                observed_at_ms: T0 + k * 300_000,
                attrs: vec![("flow".into(), attr)],
            }
        })
        .collect()
}

#[tokio::test]
async fn daily_aggregates_read_every_dataset_of_the_series_alone_raw_or_rolled_up() {
    for db in each_engine().await {
        // 200 days on: past the 90 days raw points are kept.
        let clock = pendopo::clock::Clock::manual(T0 + 200 * DAY);
        let b = Broker { app: spawn_clocked(&db, clock).await, token: String::new() };
        let gauge = "urn:ngsi-ld:WaterObserved:kali";
        let series = [(None, 10.0), (Some("urn:ngsi-ld:Dataset:a"), 20.0), (Some("urn:ngsi-ld:Dataset:b"), 30.0)];
        let mut all = Vec::new();
        for (dataset, shift) in series {
            all.extend(flow(gauge, dataset, shift));
        }
        // Another gauge's readings in the same hours are not this one's.
        all.extend(flow("urn:ngsi-ld:WaterObserved:lain", None, 1000.0));
        measures::store(&b.app.store, REGION, &all).await.unwrap();
        let daily = format!(
            "/temporal/entities/{gauge}?attrs=flow&options=aggregatedValues&aggrMethods=totalCount,sum,min,max&aggrPeriodDuration=P1D\
             &timerel=between&timeAt=2026-01-01T00:00:00Z&endTimeAt=2026-01-03T00:00:00Z"
        );
        // Per day: 288 readings of each dataset.
        let day_sum: f64 = series.iter().map(|(_, shift)| (0..288).map(|k| shift + (k % 7) as f64 * 0.5).sum::<f64>()).sum();
        let day2_sum: f64 = series.iter().map(|(_, shift)| (288..576).map(|k| shift + (k % 7) as f64 * 0.5).sum::<f64>()).sum();
        let want = json!({
            "type": "Property",
            "totalCount": [[864, "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"], [864, "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"]],
            "sum": [[day_sum, "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"], [day2_sum, "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"]],
            "min": [[10.0, "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"], [10.0, "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"]],
            "max": [[33.0, "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"], [33.0, "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"]],
        });
        let (s, raw) = b.get(&daily).await;
        assert_eq!((s, &raw["flow"]), (200, &want), "from the raw points, {}", b.app.label);
        // Rolled up, raw points deleted: the rows of every dataset answer.
        let done = rollup::sweep(&b.app.store, REGION, true).await.unwrap();
        assert_eq!(done.points_deleted, 4 * 576, "{}", b.app.label);
        assert_eq!(b.get(&daily).await.1["flow"], want, "from the hourly rows");
        // A late reading of one dataset: its hour is read raw beside the rows.
        let mut late = flow(gauge, Some("urn:ngsi-ld:Dataset:b"), 100.0).remove(0);
        late.observed_at_ms += 1000;
        measures::store(&b.app.store, REGION, &[late]).await.unwrap();
        let (_, mixed) = b.get(&daily).await;
        assert_eq!(mixed["flow"]["totalCount"][0][0], 865, "{mixed}");
        assert_eq!(mixed["flow"]["max"][0][0], 100.0);
        assert_eq!(mixed["flow"]["sum"][0][0], day_sum + 100.0);
        assert_eq!(mixed["flow"]["totalCount"][1], want["totalCount"][1]);
    }
}
