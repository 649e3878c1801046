//! The demo's APBD (labelled demo data): Bojonegoro's budgets of 2024-2026,
//! about Rp 7 trillion of belanja a year in some 2,000 sub-kegiatan across
//! the demo agencies, with pendapatan and pembiayaan, realisation in each
//! quarter (2026 up to its third), an APBD-P for 2025 beside its APBD, and
//! programme names. Which bidang urusan an agency serves and every code
//! below it are made up for the demo (the shapes are Permendagri
//! 90/2019's); the contracting demo names its processes' sub-kegiatan with
//! [`sub_kegiatan_of`], so each process is found from its budget line.

use std::collections::BTreeMap;

use anggaran::Rupiah;
use anggaran::apbd::{Line, Program, Quarterly, Rekening};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::import::{self, Target};
use super::repo::Kind;
use crate::slices::DemoRegion;

/// Each demo agency's bidang urusan and its weight in the belanja.
const AGENCY_BIDANG: &[(&str, &str, u32)] = &[
    ("disdik", "1.01", 26),
    ("dinkes", "1.02", 12),
    ("rsud-sosodoro", "1.02", 8),
    ("dinas-pu-bina-marga", "1.03", 14),
    ("bpbd", "1.05", 1),
    ("dinsos", "1.06", 2),
    ("dlh", "2.11", 2),
    ("dukcapil", "2.12", 1),
    ("dpmd", "2.13", 6),
    ("dishub", "2.15", 2),
    ("diskominfo", "2.16", 1),
    ("dinas-koperasi-usaha-mikro", "2.17", 1),
    ("dpmptsp", "2.18", 1),
    ("dinas-pertanian", "3.27", 4),
    ("setda", "4.01", 6),
    ("setwan", "4.02", 3),
    ("bappeda", "5.01", 1),
    ("bpkad", "5.02", 5),
    ("bapenda", "5.02", 1),
    ("inspektorat", "6.01", 1),
    ("bakesbangpol", "8.01", 1),
];

const YEARS: [i32; 3] = [2024, 2025, 2026];
/// Belanja of a year, whole rupiah.
const BELANJA: i64 = 7_000_000_000_000;
/// Sub-kegiatan per kegiatan: the supporting programme (01) has six
/// kegiatan of four, the four others three of six.
const SUPPORT_KEGIATAN: u32 = 6;
const SUPPORT_SUBS: u32 = 4;
const PROGRAMS: u32 = 4;
const KEGIATAN: u32 = 3;
const SUBS: u32 = 6;

const URUSAN: [(&str, &str); 8] = [
    ("1", "Urusan Pemerintahan Wajib yang Berkaitan dengan Pelayanan Dasar"),
    ("2", "Urusan Pemerintahan Wajib yang Tidak Berkaitan dengan Pelayanan Dasar"),
    ("3", "Urusan Pemerintahan Pilihan"),
    ("4", "Unsur Pendukung Urusan Pemerintahan"),
    ("5", "Unsur Penunjang Urusan Pemerintahan"),
    ("6", "Unsur Pengawasan Urusan Pemerintahan"),
    ("7", "Unsur Kewilayahan"),
    ("8", "Unsur Pemerintahan Umum"),
];

/// The sub-kegiatan (of a programme other than the supporting one) that
/// the contracting demo's `n`th process of `slug` is funded from.
pub fn sub_kegiatan_of(slug: &str, n: usize) -> Option<String> {
    let (_, bidang, _) = AGENCY_BIDANG.iter().find(|a| a.0 == slug)?;
    let n = n as u32;
    let program = 2 + n % PROGRAMS;
    let kegiatan = 1 + (n / PROGRAMS) % KEGIATAN;
    let sub = 1 + (n / (PROGRAMS * KEGIATAN)) % SUBS;
    Some(format!("{bidang}.{program:02}.2.{kegiatan:02}.{sub:04}"))
}

fn every_sub_kegiatan(bidang: &str) -> Vec<String> {
    let mut out = Vec::new();
    for k in 1..=SUPPORT_KEGIATAN {
        for s in 1..=SUPPORT_SUBS {
            out.push(format!("{bidang}.01.1.{k:02}.{s:04}"));
        }
    }
    for p in 2..2 + PROGRAMS {
        for k in 1..=KEGIATAN {
            for s in 1..=SUBS {
                out.push(format!("{bidang}.{p:02}.2.{k:02}.{s:04}"));
            }
        }
    }
    out
}

const ACCOUNTS: [(&str, &str); 4] = [
    ("5.1.01.01.01.0001", "Belanja Gaji Pokok PNS"),
    ("5.1.02.01.01.0024", "Belanja Alat/Bahan untuk Kegiatan Kantor"),
    ("5.1.02.02.01.0026", "Belanja Jasa Tenaga Administrasi"),
    ("5.2.02.05.01.0001", "Belanja Modal Peralatan dan Mesin"),
];

/// A year's lines: each agency's sub-kegiatan with two accounts, shares of
/// its weight; realisation per quarter as a share of the plan.
fn lines_of(year: i32, agencies: &BTreeMap<&str, String>, rng: &mut StdRng, quarters: usize) -> (Vec<Line>, BTreeMap<Program, String>) {
    let total_weight: u32 = AGENCY_BIDANG.iter().map(|a| a.2).sum();
    let mut lines = Vec::new();
    let mut names = BTreeMap::new();
    for (code, name) in URUSAN {
        names.insert(Program::parse(code).expect("urusan code"), name.to_string());
    }
    let push = |lines: &mut Vec<Line>,
                opd: &str,
                sub: Option<&str>,
                sub_name: &str,
                rekening: &str,
                uraian: &str,
                plan: i64,
                done: f64,
                rng: &mut StdRng| {
        let mut realised = [Rupiah::ZERO; 4];
        let spread = [0.15, 0.25, 0.25, 0.35];
        for q in 0..quarters {
            let share = done * spread[q] * rng.random_range(0.85..1.1);
            realised[q] = Rupiah::new(((plan as f64 * share) / 1000.0).round() as i64 * 1000);
        }
        lines.push(Line {
            line: lines.len() + 1,
            kode_opd: String::new(),
            nama_opd: opd.to_string(),
            sub_kegiatan: sub.map(|s| Program::parse(s).expect("demo sub-kegiatan")),
            nama_sub_kegiatan: sub_name.to_string(),
            rekening: Rekening::parse(rekening).expect("demo account"),
            uraian: uraian.to_string(),
            amounts: Quarterly { plan: Rupiah::new(plan), realised },
        });
    };
    for (slug, bidang, weight) in AGENCY_BIDANG {
        let Some(opd) = agencies.get(slug) else { continue };
        let budget = BELANJA / total_weight as i64 * *weight as i64;
        let subs = every_sub_kegiatan(bidang);
        let shares: Vec<f64> = subs.iter().map(|_| rng.random_range(0.3..3.0)).collect();
        let sum: f64 = shares.iter().sum();
        let bidang_code = Program::parse(bidang).expect("demo bidang");
        names.entry(bidang_code).or_insert_with(|| format!("Bidang urusan {opd} (demo)"));
        for (sub, share) in subs.iter().zip(&shares) {
            let code = Program::parse(sub).expect("demo sub-kegiatan");
            let path = code.path();
            let program = &path[2];
            let kegiatan = &path[3];
            let program_name = if program.as_str().ends_with(".01") {
                "Program Penunjang Urusan Pemerintahan Daerah Kabupaten/Kota".to_string()
            } else {
                format!("Program {} {opd} (demo)", program.as_str())
            };
            names.entry(program.clone()).or_insert(program_name);
            names.entry(kegiatan.clone()).or_insert_with(|| format!("Kegiatan {} (demo)", kegiatan.as_str()));
            let plan = ((budget as f64 * share / sum) / 1_000_000.0).round() as i64 * 1_000_000;
            let sub_name = format!("Sub kegiatan {sub} {year} (contoh data demo)");
            let done = rng.random_range(0.75..1.02);
            let (a, b) = if program.as_str().ends_with(".01") { (ACCOUNTS[0], ACCOUNTS[1]) } else { (ACCOUNTS[2], ACCOUNTS[3]) };
            let first = plan / 10 * 4;
            push(&mut lines, opd, Some(sub), &sub_name, a.0, a.1, first, done, rng);
            push(&mut lines, opd, Some(sub), &sub_name, b.0, b.1, plan - first, done, rng);
        }
    }
    let revenue = agencies.get("bapenda").or_else(|| agencies.get("bpkad")).cloned().unwrap_or_default();
    let financing = agencies.get("bpkad").cloned().unwrap_or_default();
    for (rekening, uraian, plan) in [
        ("4.1.01.06.01.0001", "Pajak Penerangan Jalan (demo)", 120_000_000_000),
        ("4.1.02.01.01.0001", "Retribusi Pelayanan Kesehatan (demo)", 180_000_000_000),
        ("4.2.01.01.01.0001", "Dana Bagi Hasil Sumber Daya Alam Minyak Bumi (demo)", 2_900_000_000_000),
        ("4.2.01.01.02.0001", "Dana Alokasi Umum (demo)", 1_600_000_000_000),
        ("4.2.01.01.04.0001", "Dana Alokasi Khusus (demo)", 600_000_000_000),
    ] {
        push(&mut lines, &revenue, None, "", rekening, uraian, plan, 0.98, rng);
    }
    push(
        &mut lines,
        &financing,
        None,
        "",
        "6.1.01.01.01.0001",
        "Sisa Lebih Perhitungan Anggaran Tahun Sebelumnya (demo)",
        1_700_000_000_000,
        1.0,
        rng,
    );
    push(&mut lines, &financing, None, "", "6.2.02.01.01.0001", "Penyertaan Modal Daerah (demo)", 100_000_000_000, 1.0, rng);
    (lines, names)
}

pub async fn load(region: &DemoRegion<'_>) -> Result<String, crate::kernel::AnyError> {
    let (store, tenant) = (region.store, region.tenant);
    let agencies: BTreeMap<&str, String> = {
        let all = crate::kernel::organizations::list(store, tenant).await?;
        AGENCY_BIDANG.iter().filter_map(|(slug, _, _)| all.iter().find(|o| o.slug == *slug).map(|o| (*slug, o.name.clone()))).collect()
    };
    let mut rng = StdRng::seed_from_u64(9019);
    let mut count = 0;
    for year in YEARS {
        let quarters = if year == 2026 { 3 } else { 4 };
        let (lines, names) = lines_of(year, &agencies, &mut rng, quarters);
        let names: Vec<(Program, String)> = names.into_iter().collect();
        let target = Target { year, kind: Kind::Apbd, source: "demo", user_id: &region.admin.id, names: &names };
        import::store(store, tenant, &target, &lines).await?;
        count += lines.iter().filter(|l| l.sub_kegiatan.is_some()).count() / 2;
        if year == 2025 {
            // The APBD-P moves a tenth of the modal spending up; the APBD stays.
            let changed: Vec<Line> = lines
                .into_iter()
                .map(|mut l| {
                    if l.rekening.as_str().starts_with("5.2") {
                        l.amounts.plan = Rupiah::new(l.amounts.plan.get() / 10 * 11);
                    }
                    l
                })
                .collect();
            let target = Target { kind: Kind::Perubahan, names: &[], ..target };
            import::store(store, tenant, &target, &changed).await?;
        }
    }
    Ok(format!("{count} APBD sub-kegiatan over {} years", YEARS.len()))
}
