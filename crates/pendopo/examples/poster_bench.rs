//! Poster benchmark (issue 12: a village poster as PDF under 1 s, all 430
//! posters in one ZIP under 60 s). Run with `bench/posters.sh`, or
//! `cargo run --release -p pendopo --example poster_bench`.
//!
//! The figures are made up here (430 villages with Dana Desa between
//! Rp 0.8 and 1.2 billion, as issue 12's demo), since the poster's cost is
//! the drawing and the PDF, not reading a few dozen totals from the store.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anggaran::Rupiah;
use anggaran::apbdes::{Amounts, SumberPendapatan, Totals};
use pendopo::slices::villages::poster::{PosterData, Size, file_name, poster, zip_bytes};

fn amounts(plan: i64) -> Amounts {
    Amounts { plan: Rupiah::new(plan), s1: Rupiah::new(plan * 45 / 100), s2: Rupiah::new(plan * 40 / 100) }
}

fn village(i: u64) -> PosterData {
    // A small deterministic spread (an LCG), so every run draws the same 430.
    let r = |salt: u64| (i.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(salt.wrapping_mul(1_442_695_040_888_963_407)) >> 33) % 1000;
    let dd = 800_000_000 + r(1) as i64 * 400_000;
    let add = dd / 2 + r(2) as i64 * 13_000;
    let pades = 10_000_000 + r(3) as i64 * 50_000;
    let by_source = BTreeMap::from([
        (SumberPendapatan::DanaDesa, amounts(dd)),
        (SumberPendapatan::Add, amounts(add)),
        (SumberPendapatan::Pades, amounts(pades)),
        (SumberPendapatan::BagiHasil, amounts(40_000_000)),
    ]);
    let total = dd + add + pades + 40_000_000;
    let by_bidang = BTreeMap::from([
        (1, amounts(total * 30 / 100)),
        (2, amounts(total * 45 / 100)),
        (3, amounts(total * 10 / 100)),
        (4, amounts(total * 10 / 100)),
        (5, amounts(total - total * 95 / 100)),
    ]);
    let code = format!("35.22.{:02}.{}", i % 28 + 1, 2001 + i);
    PosterData {
        desa_name: format!("Uji {i}"),
        page_url: format!("https://bojonegoro.pendopo.id/desa/{code}"),
        desa_code: code,
        kecamatan: "Kepohbaru".into(),
        regency: "Kabupaten Bojonegoro".into(),
        year: 2026,
        perubahan: i.is_multiple_of(5),
        figures: Totals {
            pendapatan: amounts(total),
            belanja: amounts(by_bidang.values().map(|a| a.plan.get()).sum()),
            by_source,
            by_bidang,
            ..Totals::default()
        },
        reported: [true, i.is_multiple_of(2)],
        published: "3 Desember 2026".into(),
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let data = village(7);
    // POSTER_OUT=dir: also writes a sample poster there, to look at.
    if let Some(dir) = std::env::var_os("POSTER_OUT") {
        let dir = std::path::PathBuf::from(dir);
        for size in [Size::A4, Size::A1] {
            let drawing = poster(&data, size);
            std::fs::write(dir.join(file_name(&data, size, "pdf")), drawing.to_pdf()).expect("write the PDF");
            std::fs::write(dir.join(file_name(&data, size, "svg")), drawing.to_svg()).expect("write the SVG");
        }
    }
    for size in [Size::A4, Size::A1] {
        let runs: Vec<Duration> = (0..200)
            .map(|_| {
                let t = Instant::now();
                let pdf = poster(&data, size).to_pdf();
                std::hint::black_box(pdf);
                t.elapsed()
            })
            .collect();
        let worst = runs.iter().max().copied().unwrap_or_default();
        let bytes = poster(&data, size).to_pdf().len();
        println!("one {} poster as PDF: median {:?}, slowest of 200 {:?}, {} bytes", size.slug(), median(runs), worst, bytes);
        let t = Instant::now();
        let svg = poster(&data, size).to_svg();
        println!("one {} poster as SVG: {:?}, {} bytes", size.slug(), t.elapsed(), svg.len());
    }
    for size in [Size::A4, Size::A1] {
        let t = Instant::now();
        let posters = (0..430u64).map(|i| {
            let d = village(i);
            (file_name(&d, size, "pdf"), poster(&d, size).to_pdf())
        });
        let zip = zip_bytes(posters).expect("zip");
        println!("430 {} posters drawn, written as PDF and zipped: {:?}, ZIP {} bytes", size.slug(), t.elapsed(), zip.len());
    }
}
