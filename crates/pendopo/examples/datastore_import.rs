//! Benchmark: load a generated CSV into the datastore through the same path
//! an upload takes (check, record, load), and report rows per second.
//!
//! cargo run --release -p pendopo --example datastore_import -- ROWS [DATABASE_URL] [CSV_OUT] [DATA_DIR]
//! Without DATABASE_URL a temporary SQLite store is used. With CSV_OUT the
//! generated file is kept there (for comparing with other tools). With
//! DATA_DIR the store is kept there, indexed, for `pendopo serve` to query;
//! BENCH_DATASETS=N also publishes N more datasets (for search benchmarks).

use std::io::Write;
use std::time::Instant;

use pendopo::kernel::files::{FileStore, InMemory};
use pendopo::kernel::identity::{self, NewUser};
use pendopo::kernel::{organizations, tenancy};
use pendopo::slices::catalog::{intake, model::DatasetInput, repo};
use pendopo::store::Store;

type AnyError = Box<dyn std::error::Error + Send + Sync>;

/// Ten columns of every type the datastore infers.
fn generate(rows: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(rows * 110);
    out.extend_from_slice(b"id,kode_desa,desa,tanggal,waktu,jumlah,nilai,aktif,kategori,catatan\n");
    let mut x: u64 = 2017;
    for i in 0..rows {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let day = 1 + (x % 28);
        writeln!(
            out,
            "{i},35.22.{:02}.2{:03},Desa {},2024-03-{day:02},2024-03-{day:02}T{:02}:15:00+07:00,{},{}.{},{},kategori {},\"catatan, baris {i}\"",
            1 + x % 28,
            1 + x % 20,
            x % 430,
            x % 24,
            x % 100_000,
            x % 10_000,
            x % 100,
            if x.is_multiple_of(2) { "ya" } else { "tidak" },
            x % 12
        )
        .unwrap();
    }
    out
}

#[tokio::main]
async fn main() -> Result<(), AnyError> {
    let args: Vec<String> = std::env::args().collect();
    let rows: usize = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(1_000_000);
    let temp = tempfile::tempdir()?;
    let dir = args.get(4).map(std::path::PathBuf::from).unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    let url = args.get(2).cloned().filter(|u| !u.is_empty()).unwrap_or_else(|| Store::sqlite_url(&dir));
    let csv = generate(rows);
    if let Some(path) = args.get(3).filter(|p| !p.is_empty()) {
        std::fs::write(path, &csv)?;
    }
    println!("rows: {rows}, CSV: {:.1} MB, store: {}", csv.len() as f64 / 1e6, url.split('@').next_back().unwrap_or(&url));

    let store = Store::open(&url).await?;
    let tenant = tenancy::init_region(&store, "35.22", &[], true).await?.tenant.id;
    pendopo::slices::setup_tenant(&store, &tenant).await?;
    let org = organizations::OrgInput { slug: "bench".into(), name: "Bench".into(), kind: "dinas".into(), ..Default::default() };
    organizations::create(&store, &tenant, &org).await.map_err(|e| e.to_string())?;
    let new =
        NewUser { email: "bench@pendopo.id".into(), password: "bench-password".into(), role: "walidata".into(), ..Default::default() };
    let admin = identity::create_user(&store, &tenant, &new).await.map_err(|e| e.to_string())?;
    let input = DatasetInput { name: "bench".into(), owner_org: "bench".into(), ..Default::default() };
    let dataset = repo::create(&store, &tenant, &admin, &input).await.map_err(|e| e.to_string())?;

    let files = FileStore::new(dir.join("files"));
    let saved = files.save("bench/bench.csv", InMemory(Some(bytes::Bytes::from(csv))), u64::MAX).await?;
    let started = Instant::now();
    let up = repo::Upload {
        resource_id: None,
        name: "bench".into(),
        description: String::new(),
        format: "CSV".into(),
        filename: "bench.csv".into(),
        saved,
    };
    let (_, table) = intake::accept(&store, &files, &tenant, &admin, &dataset.id, up).await.map_err(|e| e.to_string())?;
    let secs = started.elapsed().as_secs_f64();
    let table = table.ok_or("no table")?;
    assert_eq!(table.row_count as usize, rows);
    println!(
        "loaded {} rows in {secs:.2} s: {:.0} rows/s (check + record + typed load, one transaction)",
        table.row_count,
        rows as f64 / secs
    );
    let types: Vec<&str> = table.fields.iter().map(|f| f.ty.as_str()).collect();
    println!("column types: {}", types.join(", "));
    if args.get(4).is_some() {
        let started = Instant::now();
        let columns: Vec<String> = table.fields.iter().map(|f| f.column.clone()).collect();
        pendopo::slices::catalog::datastore::index_columns(&store, &table.table_name, &columns).await;
        println!("indexed {} columns in {:.2} s", columns.len(), started.elapsed().as_secs_f64());
        println!("resource_id: {}", table.resource_id);
    }
    let extra: usize = std::env::var("BENCH_DATASETS").ok().and_then(|n| n.parse().ok()).unwrap_or(0);
    if extra > 0 {
        let started = Instant::now();
        let words = ["padi", "jalan", "sekolah", "puskesmas", "banjir", "pasar", "desa", "anggaran", "penduduk", "sampah"];
        let orgs = ["dinas-pertanian", "dishub", "dinkes", "disdik", "bpbd", "bpkad", "dukcapil", "dlh"];
        for slug in orgs {
            let org =
                organizations::OrgInput { slug: slug.into(), name: format!("Dinas {slug}"), kind: "dinas".into(), ..Default::default() };
            organizations::create(&store, &tenant, &org).await.map_err(|e| e.to_string())?;
        }
        for i in 0..extra {
            let (a, b) = (words[i % words.len()], words[(i / 7) % words.len()]);
            let input = DatasetInput {
                name: format!("data-{i:05}"),
                title: format!("Data {a} dan {b} nomor {i}"),
                notes: format!("Contoh data (demo) tentang {a} di Kabupaten Bojonegoro, tahun {}.", 2015 + i % 10),
                owner_org: orgs[i % orgs.len()].into(),
                license_id: if i % 3 == 0 { "cc-by-4.0".into() } else { "odc-odbl".into() },
                tags: vec![
                    pendopo::slices::catalog::model::TagInput { name: a.into() },
                    pendopo::slices::catalog::model::TagInput { name: b.into() },
                ],
                ..Default::default()
            };
            repo::create(&store, &tenant, &admin, &input).await.map_err(|e| e.to_string())?;
        }
        println!("published {extra} more datasets in {:.1} s", started.elapsed().as_secs_f64());
    }
    Ok(())
}
