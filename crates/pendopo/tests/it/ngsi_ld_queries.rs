//! How the broker answers queries over many entities: a selective `q` term
//! reads the value index first, others walk the type index, `near` reads
//! the boxes first and decides points on the box alone; and single writes
//! sent at once share the group writer's transaction.

use serde_json::{Value, json};

use crate::common::each_engine;
use crate::ngsi_ld::{Broker, LD, ids, urlencode};

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
        let b = Broker::new(&db).await;
        for batch in fleet() {
            let r = b.send("POST", "/entityOperations/upsert", Some(Value::Array(batch))).await;
            assert_eq!(r.status(), 201, "{}", b.app.label);
        }
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
