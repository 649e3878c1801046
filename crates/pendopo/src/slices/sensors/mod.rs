//! City sensors (issue 13): an NGSI-LD context broker at `/ngsi-ld/v1/`,
//! measures from devices over MQTT and HTTP (FIWARE IoT Agent JSON), time
//! series, and the BPBD's flood warning, on `ngsild`'s rules.

// Numbers of attribute names, the value indexes' keys.
pub mod attr_names;
pub mod catalogue;
pub mod contexts;
// Deletion instances of the temporal history (timeproperty=deletedAt).
pub mod deletions;
pub mod entities;
pub mod geo_index;
pub mod http;
// join and joinLevel: linked entities inline or flat.
pub mod join;
pub mod measures;
// orderBy: a query's entities sorted by members.
pub mod order;
// pick, omit, attrs and lang: what of an entity an answer shows.
pub mod projection;
// DELETE /ngsi-ld/v1/entities?type=... (purge).
pub mod purge;
pub mod query;
// POST /entityOperations/query: a query in a body.
pub mod query_post;
pub mod repo;
// Retention of the time series and its hourly aggregates.
pub mod retention;
pub mod rollup;
// Subscriptions and notifications (/ngsi-ld/v1/subscriptions).
pub mod subscriptions;
pub mod temporal;
// q on lists and JSON values, which the value index cannot compare.
pub mod unindexed;
pub mod write;
// Device ingestion (IoT Agent JSON provisioning, MQTT, /iot/json).
pub mod iot;
// The BPBD's flood warning (/banjir).
pub mod flood;
// The Dishub and Distan dashboards, the sensor list, downloads, dataset and demo.
pub mod dashboards;

use axum::routing::{get, post};

use crate::store::Migration;

pub const SLICE: crate::slices::Slice = crate::slices::Slice {
    tables: &[
        "sensor_contexts",
        "sensor_entities",
        "sensor_entity_types",
        // Numbers of attribute names, which the value indexes use (migration 0035).
        "sensor_attr_names",
        "sensor_attr_values",
        "sensor_instances",
        // Device ingestion and the flood warning (migration 0025).
        "iot_groups",
        "iot_devices",
        "iot_rejections",
        "flood_gauges",
        "flood_levels",
        "flood_status",
        "flood_settings",
        // Subscriptions (migration 0026).
        "sensor_subscriptions",
        // Retention and hourly aggregates (migration 0027).
        "sensor_retention",
        "sensor_hourly",
        "sensor_pending",
        // Deletions in the temporal histories (migration 0034).
        "sensor_deletions",
        // Deleted entities whose history stays (migration 0036).
        "sensor_deleted_entities",
    ],
    // The boxes are written again from the bodies (`repo::rebuild_boxes`:
    // each engine numbers its own); SQLite's R*Tree and its shadow tables,
    // and PostgreSQL's shapes, are refilled by sensor_geo's triggers.
    derived: |t| t == "sensor_geo" || t.starts_with("sensor_geo_rtree") || t == "sensor_geo_shapes",
    rebuild: Some(|_, to, _| Box::pin(repo::rebuild_boxes(to))),
    migrations: &[
        Migration::per_engine(
            24,
            "0024_sensors",
            concat!(include_str!("migrations/0024_sensors.sql"), include_str!("migrations/0024_sensors_rtree.sqlite.sql")),
            include_str!("migrations/0024_sensors.sql"),
        ),
        // Device ingestion and the flood warning.
        Migration::shared(25, "0025_sensor_devices", include_str!("migrations/0025_sensor_devices.sql")),
        // Subscriptions and the flood warning's email list.
        Migration::shared(26, "0026_sensor_subscriptions", include_str!("migrations/0026_sensor_subscriptions.sql")),
        // Retention per type and the hourly aggregates.
        Migration::shared(27, "0027_sensor_retention", include_str!("migrations/0027_sensor_retention.sql")),
        // Indexes that answer queries without visiting rows (issue 13's figures).
        Migration::per_engine(
            28,
            "0028_sensor_indexes",
            include_str!("migrations/0028_sensor_indexes.sqlite.sql"),
            include_str!("migrations/0028_sensor_indexes.postgres.sql"),
        ),
        // The time series and the roll-up's marks without a rowid on SQLite (the write figures).
        Migration::per_engine(
            29,
            "0029_sensor_write_tables",
            include_str!("migrations/0029_sensor_write_tables.sqlite.sql"),
            include_str!("migrations/0029_sensor_write_tables.postgres.sql"),
        ),
        // PostgreSQL: PostGIS decides geoQ relations (SQLite keeps its R*Tree).
        Migration::per_engine(30, "0030_sensor_postgis", "", include_str!("migrations/0030_sensor_postgis.postgres.sql")),
        // The values a `q` in SQL cannot compare, found at once.
        Migration::shared(31, "0031_sensor_unindexed_values", include_str!("migrations/0031_sensor_unindexed_values.sql")),
        // SQLite: a box's R*Tree id is its row's id (one lookup a box in a `near`).
        Migration::per_engine(32, "0032_sensor_geo_rowid", include_str!("migrations/0032_sensor_geo_rowid.sqlite.sql"), ""),
        // PostgreSQL: the shapes only the body decides, found by every box search.
        Migration::per_engine(33, "0033_sensor_geo_undecided", "", include_str!("migrations/0033_sensor_geo_undecided.postgres.sql")),
        // Deletions in the temporal histories (`timeproperty=deletedAt`).
        Migration::shared(34, "0034_sensor_deletions", include_str!("migrations/0034_sensor_deletions.sql")),
        // The value indexes keyed by a number per attribute name (the batch update figure).
        Migration::per_engine(
            35,
            "0035_sensor_attr_names",
            concat!(include_str!("migrations/0035_sensor_attr_names.sql"), include_str!("migrations/0035_sensor_attr_names.sqlite.sql")),
            concat!(include_str!("migrations/0035_sensor_attr_names.sql"), include_str!("migrations/0035_sensor_attr_names.postgres.sql")),
        ),
        // Deleted entities' types, for their history (`deletedAt`).
        Migration::shared(36, "0036_sensor_deleted_entities", include_str!("migrations/0036_sensor_deleted_entities.sql")),
    ],
    // Device ingestion.
    machine_paths: &["/ngsi-ld/", "/iot/"],
    // A device's measure over HTTP: its apikey is the credential (as over MQTT).
    // Queries sent by POST (their body is a Query): they read, as GET /entities
    // and GET /temporal/entities do.
    open_writes: &["/iot/json", "/ngsi-ld/v1/entityOperations/query", "/ngsi-ld/v1/temporal/entityOperations/query"],
    services: &[iot::mqtt::SERVICE, retention::SERVICE],
    templates: &[
        ("sensors/iot_devices.html", include_str!("iot/templates/iot_devices.html")),
        ("sensors/banjir.html", include_str!("flood/templates/banjir.html")),
        ("sensors/banjir_reading.html", include_str!("flood/templates/banjir_reading.html")),
        ("sensors/banjir_settings.html", include_str!("flood/templates/banjir_settings.html")),
        ("sensors/lalu_lintas.html", include_str!("dashboards/templates/lalu_lintas.html")),
        ("sensors/pertanian.html", include_str!("dashboards/templates/pertanian.html")),
        ("sensors/sensor.html", include_str!("dashboards/templates/sensor.html")),
        ("sensors/retensi.html", include_str!("templates/retensi.html")),
    ],
    locales: [
        concat!(
            include_str!("iot/locales/id.txt"),
            include_str!("flood/locales/id.txt"),
            include_str!("dashboards/locales/id.txt"),
            include_str!("locales/id.txt")
        ),
        concat!(
            include_str!("iot/locales/en.txt"),
            include_str!("flood/locales/en.txt"),
            include_str!("dashboards/locales/en.txt"),
            include_str!("locales/en.txt")
        ),
    ],
    // The flood warning: the region's gauges and levels, status checks and announcements.
    setup_tenant: Some(|store, tenant| Box::pin(flood::repo::seed(store, tenant))),
    jobs: job_handlers,
    menu: &[
        crate::slices::MenuEntry { label: "nav.banjir", href: "/banjir", admins_only: false },
        crate::slices::MenuEntry { label: "nav.lalu_lintas", href: "/lalu-lintas", admins_only: false },
        crate::slices::MenuEntry { label: "nav.pertanian", href: "/pertanian", admins_only: false },
        crate::slices::MenuEntry { label: "nav.sensor", href: "/sensor", admins_only: false },
        crate::slices::MenuEntry { label: "nav.sensor_retensi", href: "/sensor/retensi", admins_only: true },
    ],
    cli: Some(iot::simulate::CLI),
    demo: Some(|region| Box::pin(iot::demo::load(region))),
    ..crate::slices::Slice::new("sensor", routes)
};

pub fn routes() -> crate::slices::Routes {
    crate::slices::Routes::new()
        .route("/ngsi-ld/v1/entities", get(query::query).post(entities::create).delete(purge::purge))
        .route("/ngsi-ld/v1/entities/{id}", get(entities::retrieve).delete(entities::delete).patch(entities::merge).put(entities::replace))
        .route("/ngsi-ld/v1/entities/{id}/attrs", post(entities::append).patch(entities::update_attrs))
        .route(
            "/ngsi-ld/v1/entities/{id}/attrs/{attr}",
            axum::routing::patch(entities::partial).put(entities::replace_attr).delete(entities::delete_attr),
        )
        .route("/ngsi-ld/v1/entityOperations/query", post(query_post::query))
        .route("/ngsi-ld/v1/entityOperations/{op}", post(entities::batch))
        .route("/ngsi-ld/v1/types", get(catalogue::types))
        .route("/ngsi-ld/v1/types/{type}", get(catalogue::type_info))
        .route("/ngsi-ld/v1/attributes", get(catalogue::attributes))
        .route("/ngsi-ld/v1/attributes/{attr}", get(catalogue::attribute))
        .route("/ngsi-ld/v1/temporal/entities", get(temporal::query).post(temporal::backfill))
        .route("/ngsi-ld/v1/temporal/entities/{id}", get(temporal::retrieve).delete(temporal::delete))
        .route("/ngsi-ld/v1/temporal/entityOperations/query", post(temporal::query_by_post))
        .route("/ngsi-ld/v1/temporal/entities/{id}/attrs", post(temporal::append))
        .route("/ngsi-ld/v1/temporal/entities/{id}/attrs/{attr}", axum::routing::delete(temporal::delete_attr))
        .route(
            "/ngsi-ld/v1/temporal/entities/{id}/attrs/{attr}/{instance}",
            axum::routing::patch(temporal::patch_instance).delete(temporal::delete_instance),
        )
        // Retention of the time series per type, for the region's admins.
        .route("/sensor/retensi", get(retention::page).post(retention::save_form))
        .route("/sensor/retensi/hapus", post(retention::remove_form))
        .api(
            "/api/v1/sensors/retention",
            get(retention::api_list).put(retention::api_put),
            &[
                crate::slices::Op { method: "get", summary: "The region's retention of sensor time series per entity type" },
                crate::slices::Op { method: "put", summary: "Sets how long a type's raw points and hourly aggregates are kept" },
            ],
        )
        .route("/ngsi-ld/v1/jsonldContexts", get(contexts::list).post(contexts::upload))
        .merge(subscriptions::routes())
        // Device ingestion.
        .merge(iot::routes())
        // The flood warning.
        .merge(flood::routes())
        // The dashboards and downloads.
        .merge(dashboards::routes())
}

/// The flood warning's status checks and announcements, the sensor dataset's
/// refresh, notifications, and the retention sweep.
fn job_handlers() -> Vec<(&'static str, crate::worker::Handler)> {
    let mut all = flood::job_handlers();
    all.extend(dashboards::job_handlers());
    all.extend(subscriptions::job_handlers());
    all.push((retention::SWEEP_JOB, |app, job| Box::pin(retention::run_sweep(app, job))));
    all
}
