//! The store behaves the same on both engines.

use pendopo::kernel::db_copy;
use pendopo::kernel::tenancy::{self, InitError};
use pendopo::store::{Merge, Store, StoreError, Tx, Value, WriteFuture, sql};

use crate::common::{each_engine, sqlite_db};

#[tokio::test]
async fn values_round_trip_on_each_engine() {
    for db in each_engine().await {
        let store = Store::open(&db.url).await.unwrap();
        tenancy::init_region(&store, "35.22", &[], true).await.unwrap();
        store
            .execute(
                sql("INSERT INTO organizations (tenant_id, id, slug, name, kind, description, region_code, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)")
                .bind("35.22")
                .bind("o1")
                .bind("dinas-pertanian")
                .bind("Dinas Pertanian ’Tani’")
                .bind("dinas")
                .bind("")
                .bind(None::<String>)
                .bind(1_795_908_600_123i64),
            )
            .await
            .unwrap();
        let row = store.fetch_one(sql("SELECT name, region_code, created_at FROM organizations WHERE id = 'o1'")).await.unwrap();
        assert_eq!(row.get::<String>("name").unwrap(), "Dinas Pertanian ’Tani’", "{}", db.label);
        assert_eq!(row.get::<Option<String>>("region_code").unwrap(), None, "{}", db.label);
        assert_eq!(row.get::<i64>("created_at").unwrap(), 1_795_908_600_123, "{}", db.label);
        assert!(row.get::<i64>("name").is_err(), "text is not read as a number");
    }
}

#[tokio::test]
async fn unique_violations_are_reported_as_duplicates_and_transactions_roll_back() {
    for db in each_engine().await {
        let store = Store::open(&db.url).await.unwrap();
        tenancy::init_region(&store, "35.22", &[], true).await.unwrap();
        let insert = |id: &'static str| {
            sql("INSERT INTO organizations (tenant_id, id, slug, name, kind, created_at, updated_at) VALUES ('35.22', $1, 'same', 'X', 'dinas', 0, 0)")
                .bind(id)
        };
        store.execute(insert("a")).await.unwrap();
        assert!(matches!(store.execute(insert("b")).await, Err(StoreError::Duplicate(_))), "{}", db.label);

        let mut tx = store.begin().await.unwrap();
        tx.execute(sql("UPDATE organizations SET name = 'changed' WHERE id = 'a'")).await.unwrap();
        drop(tx);
        let name: String = store.fetch_scalar(sql("SELECT name FROM organizations WHERE id = 'a'")).await.unwrap();
        assert_eq!(name, "X", "an uncommitted transaction leaves nothing ({})", db.label);
    }
}

/// Writes given to the group writer at once share transactions; one that
/// fails is undone alone (its savepoint) and told its own error, and every
/// other is committed before its caller hears back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grouped_writes_commit_together_and_a_failing_one_alone() {
    for db in each_engine().await {
        let store = Store::open(&db.url).await.unwrap();
        tenancy::init_region(&store, "35.22", &[], true).await.unwrap();
        let org = |slug: String| {
            sql("INSERT INTO organizations (tenant_id, id, slug, name, kind, created_at, updated_at) VALUES ('35.22', $1, $1, 'X', 'dinas', 0, 0)")
                .bind(slug)
        };
        let writes = (0..60).map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .grouped(move |tx| {
                        Box::pin(async move {
                            if n == 30 {
                                // Stored, then refused: neither row may stay.
                                tx.execute(org("gagal".into())).await?;
                                tx.execute(org("gagal".into())).await?;
                            }
                            tx.execute(org(format!("dinas-{n}"))).await?;
                            Ok(n)
                        })
                    })
                    .await
            })
        });
        let mut told = Vec::new();
        for w in writes.collect::<Vec<_>>() {
            told.push(w.await.unwrap());
        }
        for (n, result) in told.iter().enumerate() {
            match result {
                Ok(got) => assert_eq!(*got, n),
                Err(e) => assert!(n == 30 && matches!(e, StoreError::Duplicate(_)), "{n}: {e} ({})", db.label),
            }
        }
        assert!(told[30].is_err(), "{}", db.label);
        let stored: i64 = store.fetch_scalar(sql("SELECT COUNT(*) FROM organizations WHERE slug LIKE 'dinas-%'")).await.unwrap();
        assert_eq!(stored, 59, "{}", db.label);
        let failed: i64 = store.fetch_scalar(sql("SELECT COUNT(*) FROM organizations WHERE slug = 'gagal'")).await.unwrap();
        assert_eq!(failed, 0, "the failing write left nothing ({})", db.label);
    }
}

/// An organisation to insert, as an item of the group writer's merged kind.
struct Org {
    slug: String,
    /// Inserted twice: the second insert fails the whole merge.
    fails: bool,
}

impl Merge for Org {
    type Output = String;
    const LIMIT: usize = 100;

    fn run<'t>(tx: &'t mut Tx, items: Vec<Org>) -> WriteFuture<'t, Vec<String>> {
        Box::pin(async move {
            let mut out = Vec::new();
            for org in items {
                let insert = || {
                    sql("INSERT INTO organizations (tenant_id, id, slug, name, kind, created_at, updated_at) VALUES ('35.22', $1, $1, 'X', 'dinas', 0, 0)")
                        .bind(org.slug.clone())
                };
                tx.execute(insert()).await?;
                if org.fails {
                    tx.execute(insert()).await?;
                }
                out.push(format!("stored {}", org.slug));
            }
            Ok(out)
        })
    }
}

/// Polls `write` once: enough to queue it (the order of the queue is the order of these calls).
async fn queue<F: std::future::Future>(mut write: std::pin::Pin<&mut F>) {
    std::future::poll_fn(|cx| {
        let _ = write.as_mut().poll(cx);
        std::task::Poll::Ready(())
    })
    .await
}

/// Merged items queued one after the other run as one entry of the group:
/// each is answered with its own output; a merge that fails fails its own
/// items only (its savepoint), and the other writes of the group commit. A
/// group of that one entry alone fails whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merged_writes_are_answered_each_and_a_failing_merge_fails_its_own_items() {
    for db in each_engine().await {
        let store = Store::open(&db.url).await.unwrap();
        tenancy::init_region(&store, "35.22", &[], true).await.unwrap();
        let org = |slug: &str, fails| Org { slug: slug.into(), fails };
        // Holds the writer in a group of its own while the others queue up behind it.
        let (started, running) = tokio::sync::oneshot::channel();
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let holder = tokio::spawn({
            let store = store.clone();
            async move {
                store
                    .grouped(move |_tx| {
                        Box::pin(async move {
                            let _ = started.send(());
                            let _ = released.await;
                            Ok(())
                        })
                    })
                    .await
            }
        });
        running.await.unwrap();
        let (a1, a2, a3) = (store.merged(org("a-1", false)), store.merged(org("a-2", false)), store.merged(org("a-3", true)));
        let lone = store.grouped(|tx| {
            Box::pin(async move {
                tx.execute(sql("INSERT INTO organizations (tenant_id, id, slug, name, kind, created_at, updated_at) VALUES ('35.22', 'g', 'g', 'X', 'dinas', 0, 0)")).await?;
                Ok(7)
            })
        });
        let (b1, b2) = (store.merged(org("b-1", false)), store.merged(org("b-2", false)));
        tokio::pin!(a1, a2, a3, lone, b1, b2);
        queue(a1.as_mut()).await;
        queue(a2.as_mut()).await;
        queue(a3.as_mut()).await;
        queue(lone.as_mut()).await;
        queue(b1.as_mut()).await;
        queue(b2.as_mut()).await;
        release.send(()).unwrap();
        holder.await.unwrap().unwrap();

        // One shared error: the first item gets it, the others its text.
        assert!(matches!(a1.await, Err(StoreError::Duplicate(_))), "{}", db.label);
        for other in [a2.await, a3.await] {
            assert!(other.unwrap_err().to_string().contains("duplicate"), "the items merged fail together ({})", db.label);
        }
        assert_eq!(lone.await.unwrap(), 7, "{}", db.label);
        assert_eq!(b1.await.unwrap(), "stored b-1", "{}", db.label);
        assert_eq!(b2.await.unwrap(), "stored b-2", "{}", db.label);
        let slugs = |store: Store| async move {
            let rows =
                store.fetch_all(sql("SELECT slug FROM organizations WHERE slug LIKE '_' OR slug LIKE '_-_' ORDER BY slug")).await.unwrap();
            rows.iter().map(|r| r.get::<String>("slug").unwrap()).collect::<Vec<_>>()
        };
        assert_eq!(slugs(store.clone()).await, ["b-1", "b-2", "g"], "the failing merge left nothing ({})", db.label);

        // Alone in its group (no savepoint), a failing merge is rolled back whole.
        assert!(matches!(store.merged(org("c-1", true)).await, Err(StoreError::Duplicate(_))), "{}", db.label);
        assert_eq!(store.merged(org("c-2", false)).await.unwrap(), "stored c-2", "{}", db.label);
        assert_eq!(slugs(store.clone()).await, ["b-1", "b-2", "c-2", "g"], "{}", db.label);
    }
}

#[tokio::test]
async fn init_region_loads_every_kecamatan_and_village_once() {
    for db in each_engine().await {
        let store = Store::open(&db.url).await.unwrap();
        let report = tenancy::init_region(&store, "35.22", &["bojonegorokab.go.id".into()], false).await.unwrap();
        assert!(report.created);
        assert!(report.tenant.is_default, "the first region becomes the default");
        // 1 regency + 28 kecamatan + 430 villages.
        assert_eq!(report.regions_loaded, 459, "{}", db.label);
        let count = |level: &'static str| {
            let store = store.clone();
            async move {
                store
                    .fetch_scalar::<i64>(sql("SELECT count(*) FROM tenant_regions WHERE tenant_id = '35.22' AND level = $1").bind(level))
                    .await
                    .unwrap()
            }
        };
        assert_eq!((count("kecamatan").await, count("desa").await, count("kelurahan").await), (28, 419, 11));

        let again = tenancy::init_region(&store, "35.22", &["satudata.bojonegorokab.go.id".into()], false).await.unwrap();
        assert!(!again.created);
        assert_eq!(again.regions_loaded, 0, "nothing loaded twice");
        assert_eq!(again.tenant.hostnames, ["bojonegorokab.go.id", "satudata.bojonegorokab.go.id"]);
        let total: i64 = store.fetch_scalar(sql("SELECT count(*) FROM tenant_regions")).await.unwrap();
        assert_eq!(total, 459);

        // A second region does not take over as default unless asked.
        let surabaya = tenancy::init_region(&store, "35.78", &[], false).await.unwrap();
        assert!(!surabaya.tenant.is_default);
        let tenants = tenancy::list_tenants(&store).await.unwrap();
        assert_eq!(tenants.iter().filter(|t| t.is_default).map(|t| t.id.as_str()).collect::<Vec<_>>(), ["35.22"]);
    }
}

#[tokio::test]
async fn init_region_refuses_what_is_not_a_regency() {
    let db = sqlite_db();
    let store = Store::open(&db.url).await.unwrap();
    for (code, fragment) in
        [("35", "not a regency"), ("35.22.01", "not a regency"), ("35.98", "not in the national table"), ("3x", "not a region code")]
    {
        let err = tenancy::init_region(&store, code, &[], false).await.err().unwrap();
        assert!(err.to_string().contains(fragment), "{code}: {err}");
        assert!(!matches!(err, InitError::Store(_)));
    }
    assert!(tenancy::list_tenants(&store).await.unwrap().is_empty(), "nothing was created");
}

#[tokio::test]
async fn db_copy_moves_everything_and_checks_counts() {
    let from_db = sqlite_db();
    let from = Store::open(&from_db.url).await.unwrap();
    let files = tempfile::tempdir().unwrap();
    let report = pendopo::demo::load(&from, &pendopo::kernel::files::FileStore::new(files.path().to_path_buf())).await.unwrap().unwrap();
    assert!(report.organizations >= 40);
    let datasets: usize =
        report.loaded[0].strip_suffix(" datasets").and_then(|n| n.parse().ok()).expect("the catalogue's demo comes first");
    assert!(datasets >= 30, "{datasets}");
    for to_db in each_engine().await {
        let to = Store::connect(&to_db.url).await.unwrap();
        let mut seen = Vec::new();
        let copied = db_copy::copy(&from, &to, &pendopo::slices::copied_tables(), |t, _, _| seen.push(t.to_string())).await.unwrap();
        let orgs = copied.tables.iter().find(|(t, _)| t == "organizations").unwrap().1;
        assert_eq!(orgs as usize, report.organizations, "{}", to_db.label);
        let regions = copied.tables.iter().find(|(t, _)| t == "tenant_regions").unwrap().1;
        assert_eq!(regions, 459);
        // The admin can sign in against the copy: hashes survived intact.
        let user = pendopo::kernel::identity::authenticate(&to, "35.22", &report.admin_email, &report.admin_password, "test").await;
        assert!(user.is_ok(), "{}", to_db.label);
        // A second copy into the now non-empty target is refused.
        let err = db_copy::copy(&from, &to, &pendopo::slices::copied_tables(), |_, _, _| {}).await.err().unwrap();
        assert!(err.to_string().contains("empty database"), "{err}");
    }
}

#[tokio::test]
async fn db_copy_lists_every_table_of_the_schema() {
    let db = sqlite_db();
    let store = Store::open(&db.url).await.unwrap();
    let rows = store
        .fetch_all(sql("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'pendopo_migrations' ORDER BY name"))
        .await
        .unwrap();
    // The search index (an FTS5 table and its shadow tables) is rebuilt, not copied.
    let mut tables: Vec<String> =
        rows.iter().map(|r| r.at::<String>(0).unwrap()).filter(|t| !pendopo::slices::is_derived_table(t)).collect();
    let mut listed: Vec<String> = pendopo::slices::copied_tables().iter().map(|t| t.to_string()).collect();
    tables.sort();
    listed.sort();
    assert_eq!(tables, listed, "a table missing from slices::copied_tables() would be left behind by `db copy`");
}

#[tokio::test]
async fn null_arguments_keep_their_type_on_postgres() {
    // PostgreSQL checks argument types even for NULLs: an integer NULL into
    // a BIGINT column must work.
    for db in each_engine().await {
        let store = Store::open(&db.url).await.unwrap();
        let v: Value = None::<i64>.into();
        assert!(v.is_null());
        tenancy::init_region(&store, "35.22", &[], true).await.unwrap();
        store
            .execute(sql("INSERT INTO login_failures (tenant_id, id, email, address, at) VALUES ('35.22', 'x', 'a@b.id', '::1', COALESCE($1, 5))").bind(v))
            .await
            .unwrap();
        let at: i64 = store.fetch_scalar(sql("SELECT at FROM login_failures")).await.unwrap();
        assert_eq!(at, 5, "{}", db.label);
    }
}

#[tokio::test]
async fn db_copy_rebuilds_the_search_index_on_the_target() {
    use pendopo::slices::catalog::{model::DatasetInput, repo, search};
    let from_db = sqlite_db();
    let from = Store::open(&from_db.url).await.unwrap();
    tenancy::init_region(&from, "35.22", &[], true).await.unwrap();
    pendopo::slices::setup_tenant(&from, "35.22").await.unwrap();
    let org = pendopo::kernel::organizations::OrgInput {
        slug: "dinas-pertanian".into(),
        name: "Dinas Pertanian".into(),
        kind: "dinas".into(),
        ..Default::default()
    };
    pendopo::kernel::organizations::create(&from, "35.22", &org).await.unwrap();
    let admin = pendopo::kernel::identity::NewUser {
        email: "walidata@bojonegorokab.go.id".into(),
        password: crate::common::PASSWORD.into(),
        role: "walidata".into(),
        ..Default::default()
    };
    let admin = pendopo::kernel::identity::create_user(&from, "35.22", &admin).await.unwrap();
    let input = DatasetInput {
        name: "produksi-padi".into(),
        title: "Produksi padi".into(),
        owner_org: "dinas-pertanian".into(),
        ..Default::default()
    };
    repo::create(&from, "35.22", &admin, &input).await.unwrap();

    let query = search::Query {
        q_clauses: None,
        fq: Vec::new(),
        q: "pertanian".into(),
        filters: vec![],
        sort: search::Sort::Relevance,
        rows: 10,
        start: 0,
        facets: vec![],
        facet_limit: 10,
    };
    for to_db in each_engine().await {
        let to = Store::connect(&to_db.url).await.unwrap();
        db_copy::copy(&from, &to, &pendopo::slices::copied_tables(), |_, _, _| {}).await.unwrap();
        pendopo::slices::rebuild_derived(&from, &to, &pendopo::kernel::files::FileStore::new(std::env::temp_dir().join("pendopo-none")))
            .await
            .unwrap();
        let found = search::search(&to, "35.22", &repo::Viewer::default(), &query).await.unwrap();
        assert_eq!(found.count, 1, "the copy is searchable ({})", to_db.label);
    }
}

#[tokio::test]
async fn a_bounded_read_stops_at_its_limit_and_cannot_write() {
    for db in each_engine().await {
        let store = Store::open(&db.url).await.unwrap();
        store.migrate().await.unwrap();
        let endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT COUNT(*) FROM n";
        let started = std::time::Instant::now();
        let err = store.fetch_all_bounded(sql(endless), std::time::Duration::from_millis(300)).await.unwrap_err();
        assert!(matches!(err, StoreError::TimedOut), "{}: {err}", db.label);
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "stopped by the engine, not left running");
        let write =
            store.fetch_all_bounded(sql("DELETE FROM pendopo_migrations RETURNING version"), std::time::Duration::from_secs(5)).await;
        assert!(write.is_err(), "{}: a bounded read cannot write", db.label);
        // The connections are usable for writes again afterwards.
        for _ in 0..10 {
            store.execute(sql("CREATE TABLE IF NOT EXISTS bounded_probe (x BIGINT)")).await.unwrap();
            store.execute(sql("INSERT INTO bounded_probe (x) VALUES (1)")).await.unwrap();
        }
        store.execute(sql("DROP TABLE bounded_probe")).await.unwrap();
        let ok = store.fetch_all_bounded(sql("SELECT 1 AS one"), std::time::Duration::from_secs(5)).await.unwrap();
        assert_eq!(ok.len(), 1);
    }
}

/// A managed database on another host is reached over TLS: with
/// `sslmode=require` the connection is encrypted (the local server has
/// Debian's certificate); without TLS support sqlx refuses such a URL.
#[tokio::test]
async fn postgres_is_reached_over_tls_when_the_url_asks() {
    let Some(db) = crate::common::postgres_db().await else { return };
    let encrypted = |store: Store| async move {
        let q = sql("SELECT CASE WHEN ssl THEN 1 ELSE 0 END FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
        let ssl: i64 = store.fetch_scalar(q).await.unwrap();
        store.close().await;
        ssl == 1
    };
    let url = format!("{}?sslmode=require", db.url);
    assert!(encrypted(Store::connect(&url).await.expect("TLS to PostgreSQL")).await, "the connection is encrypted");
    // On this host and not asked for, no TLS: it only halved bulk loads.
    assert!(db.url.contains("127.0.0.1") || db.url.contains("localhost"), "{}", db.url);
    assert!(!encrypted(Store::connect(&db.url).await.unwrap()).await, "a local connection is plain unless the URL asks");
}

/// Every table the slices call derived (search index, procurement summaries
/// and flags, datastore tables) comes out of `db copy` rebuilt, row for row:
/// the list is read from the schema, so a new slice's derived table is
/// checked without touching this test.
#[tokio::test]
async fn db_copy_rebuilds_every_derived_table() {
    let from_db = sqlite_db();
    let from = Store::open(&from_db.url).await.unwrap();
    tenancy::init_region(&from, "35.22", &[], true).await.unwrap();
    pendopo::slices::setup_tenant(&from, "35.22").await.unwrap();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../ocds/tests/data/sample-data/fictional-example/1.1");
    let mut releases = Vec::new();
    let mut names: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    for n in 1..=6 {
        // The example's six steps, one package each.
        let name = names.iter().find(|f| f.starts_with(&format!("ocds-213czf-000-00001-0{n}"))).unwrap();
        let package: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(format!("{dir}/{name}")).unwrap()).unwrap();
        releases.extend(package["releases"].as_array().into_iter().flatten().cloned());
    }
    pendopo::slices::contracting::import(&from, "35.22", releases).await.unwrap();
    pendopo::slices::contracting::index::reflag(&from, "35.22").await.unwrap();
    let tables = |store: Store| async move {
        let q = match store.engine() {
            pendopo::store::Engine::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
            pendopo::store::Engine::Postgres => "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
        };
        let names: Vec<String> = store.fetch_all(sql(q)).await.unwrap().iter().map(|r| r.at::<String>(0).unwrap()).collect();
        let mut counts = Vec::new();
        for t in names.into_iter().filter(|t| pendopo::slices::is_derived_table(t) && !t.starts_with("dataset_search_")) {
            let n: i64 = store.fetch_scalar(pendopo::store::sql_built(format!("SELECT count(*) FROM {t}"))).await.unwrap();
            counts.push((t, n));
        }
        counts
    };
    let before = tables(from.clone()).await;
    assert!(before.iter().any(|(t, n)| t == "ocds_processes" && *n == 1), "{before:?}");
    assert!(before.iter().any(|(t, n)| t == "ocds_flags" && *n > 0), "{before:?}");
    for to_db in each_engine().await {
        let to = Store::connect(&to_db.url).await.unwrap();
        db_copy::copy(&from, &to, &pendopo::slices::copied_tables(), |_, _, _| {}).await.unwrap();
        let files = pendopo::kernel::files::FileStore::new(std::env::temp_dir().join("pendopo-none"));
        pendopo::slices::rebuild_derived(&from, &to, &files).await.unwrap();
        // SQLite's R*Tree of sensor places (and its shadow tables) is
        // PostgreSQL's sensor_geo_shapes there (PostGIS), one per box.
        let mut expected: Vec<(String, i64)> = before
            .iter()
            .filter(|(t, _)| to.engine() == pendopo::store::Engine::Sqlite || !t.starts_with("sensor_geo_rtree"))
            .cloned()
            .collect();
        if to.engine() == pendopo::store::Engine::Postgres {
            let boxes: i64 = from.fetch_scalar(sql("SELECT count(*) FROM sensor_geo")).await.unwrap();
            expected.push(("sensor_geo_shapes".to_string(), boxes));
            expected.sort();
        }
        assert_eq!(tables(to.clone()).await, expected, "{}", to_db.label);
    }
}

/// Migration numbers are one sequence over the kernel and every slice's own
/// (`Slice::migrations`): none twice, none missing.
#[test]
fn migration_numbers_are_one_sequence_over_the_kernel_and_the_slices() {
    let versions: Vec<i64> = pendopo::store::migrations().iter().map(|m| m.version).collect();
    assert_eq!(versions, (1..=versions.len() as i64).collect::<Vec<_>>());
}

/// Rows in bulk (`store::insert_rows_on_conflict`, anonymous `?` parameters
/// on SQLite, numbered on PostgreSQL): more rows than one statement takes on
/// either engine, each stored once with its values, duplicates counted out.
#[tokio::test]
async fn bulk_inserts_store_every_row_once_across_statements() {
    for db in each_engine().await {
        let store = Store::connect(&db.url).await.unwrap();
        store.execute(sql("CREATE TABLE bulk_probe (k BIGINT PRIMARY KEY, t TEXT, n DOUBLE PRECISION)")).await.unwrap();
        let rows = |from: i64, to: i64| {
            (from..to)
                .map(|k| vec![Value::from(k), Value::from(format!("baris {k} ’")), Value::from((k % 7 == 0).then_some(k as f64 / 4.0))])
        };
        let mut tx = store.begin().await.unwrap();
        let n = pendopo::store::insert_rows_on_conflict(&mut tx, "bulk_probe (k, t, n)", rows(0, 3000), "ON CONFLICT DO NOTHING")
            .await
            .unwrap();
        assert_eq!(n, 3000, "{}", db.label);
        // Half of them again: only the new half is written.
        let n = pendopo::store::insert_rows_on_conflict(&mut tx, "bulk_probe (k, t, n)", rows(1500, 4500), "ON CONFLICT DO NOTHING")
            .await
            .unwrap();
        assert_eq!(n, 1500, "{}", db.label);
        tx.commit().await.unwrap();
        let row = store.fetch_one(sql("SELECT COUNT(*), COUNT(n), CAST(SUM(k) AS BIGINT) FROM bulk_probe")).await.unwrap();
        assert_eq!(row.at::<i64>(0).unwrap(), 4500, "{}", db.label);
        assert_eq!(row.at::<i64>(1).unwrap(), (0..4500).filter(|k| k % 7 == 0).count() as i64, "{}", db.label);
        assert_eq!(row.at::<i64>(2).unwrap(), (0..4500).sum::<i64>(), "{}", db.label);
        let row = store.fetch_one(sql("SELECT t, n FROM bulk_probe WHERE k = 4494")).await.unwrap();
        assert_eq!(row.at::<String>(0).unwrap(), "baris 4494 ’", "{}", db.label);
        assert_eq!(row.at::<Option<f64>>(1).unwrap(), Some(1123.5), "{}", db.label);
    }
}

/// A grouped write reaches the database file itself soon after its commit,
/// not only the write-ahead log: the background checkpoint copies each
/// group's pages beside the writer, whose own checkpoint waits for 16,384
/// log pages (SQLite's for any connection, 1,000). Read here with the file
/// opened immutable, which makes SQLite read the file alone, never the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grouped_writes_reach_the_database_file_beside_the_writer() {
    let db = sqlite_db();
    let store = Store::open(&db.url).await.unwrap();
    tenancy::init_region(&store, "35.22", &[], true).await.unwrap();
    // A connection of its own each time: an immutable file's pages, once read, are never read again.
    let file_url = format!("{}?immutable=true", db.url);
    let in_file = |slug: &'static str| {
        let file_url = file_url.clone();
        async move {
            let file_only = Store::connect(&file_url).await.unwrap();
            let q = sql("SELECT COUNT(*) FROM organizations WHERE tenant_id = '35.22' AND slug = $1").bind(slug);
            // Before the first copy the file may not even hold the table.
            let n = file_only.fetch_all(q).await.map_or(0, |rows| rows[0].at::<i64>(0).unwrap());
            file_only.close().await;
            n
        }
    };
    for slug in ["pertama", "kedua"] {
        store
            .grouped(move |tx| {
                Box::pin(async move {
                    let q = sql("INSERT INTO organizations (tenant_id, id, slug, name, kind, created_at, updated_at) VALUES ('35.22', $1, $1, 'Dinas', 'dinas', 0, 0)")
                        .bind(slug);
                    tx.execute(q).await?;
                    Ok(())
                })
            })
            .await
            .unwrap();
        let mut found = 0;
        for _ in 0..100 {
            found = in_file(slug).await;
            if found == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(found, 1, "{slug}: the commit is in the database file within 2 s, not only in the log");
    }
}
