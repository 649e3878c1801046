//! Times both passes of a CSV import (no database): `cargo run --release -p tabular --example import_speed -- FILE.csv`.
//!
//! Without a file argument it writes a 1,000,000-row, 10-column sample to the temp directory first.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use tabular::{Cell, CsvReader, Options, analyze_csv};

fn sample(path: &PathBuf, rows: u64) -> std::io::Result<()> {
    let mut w = BufWriter::new(File::create(path)?);
    writeln!(w, "id,kode_wilayah,nama,tanggal,waktu,jumlah,nilai,aktif,kategori,keterangan")?;
    for i in 0..rows {
        writeln!(
            w,
            "{i},32.01.{:02}.{:04},Desa {},2024-{:02}-{:02},2024-01-31T{:02}:{:02}:00+07:00,{},{}.{:02},{},{},\"catatan, baris {i}\"",
            i % 40,
            i % 9000,
            i % 997,
            i % 12 + 1,
            i % 28 + 1,
            i % 24,
            i % 60,
            i * 7 % 100_000,
            i % 5000,
            i % 100,
            if i % 2 == 0 { "ya" } else { "tidak" },
            ["pendidikan", "kesehatan", "infrastruktur"][(i % 3) as usize],
        )?;
    }
    w.flush()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = match std::env::args().nth(1) {
        Some(p) => PathBuf::from(p),
        None => {
            let p = std::env::temp_dir().join("tabular-1m.csv");
            if !p.exists() {
                sample(&p, 1_000_000)?;
            }
            p
        }
    };
    let size = std::fs::metadata(&path)?.len();

    let start = Instant::now();
    let schema = analyze_csv(File::open(&path)?, &Options::default())?;
    let analyse = start.elapsed().as_secs_f64();
    let types: Vec<&str> = schema.columns.iter().map(|c| c.ty.as_str()).collect();

    let start = Instant::now();
    let mut reader = CsvReader::new(File::open(&path)?, &schema, Some(size))?;
    let mut nulls = 0u64;
    while let Some(batch) = reader.next_batch(10_000)? {
        nulls += batch.cells().iter().filter(|c| matches!(c, Cell::Null)).count() as u64;
    }
    let load = start.elapsed().as_secs_f64();
    let rows = schema.rows as f64;
    println!("file: {} ({:.1} MB, {} rows, {} columns: {})", path.display(), size as f64 / 1e6, schema.rows, types.len(), types.join(" "));
    println!("analyse: {analyse:.2} s, {:.0} rows/s", rows / analyse);
    println!("load:    {load:.2} s, {:.0} rows/s ({nulls} nulls)", rows / load);
    println!("both:    {:.2} s, {:.0} rows/s", analyse + load, rows / (analyse + load));
    Ok(())
}
