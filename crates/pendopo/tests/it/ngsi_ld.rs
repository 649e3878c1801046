//! The NGSI-LD context broker (slices/sensors): measures into entities and
//! time series, the `/ngsi-ld/v1/` API, the temporal API.

use pendopo::slices::sensors::measures::{self, Measure, Stored};
use pendopo::store::sql;
use serde_json::json;

use crate::common::{REGION, each_engine, spawn_app};

const GAUGE: &str = "urn:ngsi-ld:WaterObserved:bojonegoro";
const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const HOUR: i64 = 3_600_000;

fn level(at_ms: i64, metres: f64) -> Measure {
    let attr = ngsild::entity::Attribute::property(json!(metres));
    Measure {
        entity_id: GAUGE.into(),
        entity_type: "WaterObserved".into(),
        observed_at_ms: at_ms,
        attrs: vec![("waterLevel".into(), attr)],
    }
}

#[tokio::test]
async fn measures_out_of_order_and_twice_are_kept_in_time_order_once() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let first = [level(T0 + 3 * HOUR, 12.5), level(T0, 11.0)];
        assert_eq!(measures::store(&app.store, REGION, &first).await.unwrap(), Stored { points: 2, duplicates: 0 });
        // A late reading (between the two) and one sent again.
        let second = [level(T0 + HOUR, 11.8), level(T0 + 3 * HOUR, 12.5)];
        assert_eq!(measures::store(&app.store, REGION, &second).await.unwrap(), Stored { points: 1, duplicates: 1 }, "{}", app.label);

        let rows = app
            .store
            .fetch_all(
                sql("SELECT at, num FROM sensor_instances WHERE tenant_id = $1 AND entity_id = $2 ORDER BY at").bind(REGION).bind(GAUGE),
            )
            .await
            .unwrap();
        let series: Vec<(i64, f64)> = rows.iter().map(|r| (r.at::<i64>(0).unwrap() / 1000, r.at::<f64>(1).unwrap())).collect();
        assert_eq!(series, vec![(T0, 11.0), (T0 + HOUR, 11.8), (T0 + 3 * HOUR, 12.5)]);

        // The current value is the newest reading, not the latest to arrive.
        let e = pendopo::slices::sensors::repo::load(&app.store, REGION, GAUGE).await.unwrap().unwrap();
        let core = ngsild::context::core();
        let current = &e.attrs[&core.expand("waterLevel")][0];
        assert_eq!(current.value, json!(12.5));
        assert_eq!(current.observed_at.as_deref(), Some("2026-01-01T03:00:00Z"));
        assert_eq!(e.types, vec![core.expand("WaterObserved")]);
    }
}
