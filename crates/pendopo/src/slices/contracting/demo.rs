//! The demo's procurement: about 2,000 synthetic processes of Bojonegoro for
//! 2024-2026, across the demo agencies and kecamatan offices, through every
//! method, with bids, payments and physical progress, and a few patterns
//! that trip each kind of red flag. Sized to the regency: contracts of
//! roughly Rp 1 trillion a year against an APBD of about Rp 7 trillion.
//! Everything is made up (and says so), except the agencies and the names
//! of the kecamatan and desa. Built with the same step types as the forms.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use wilayah::{Code, Directory};

use crate::slices::contracting::releases::{Award, Bid, Contract, Party, Payment, Plan, Process, Progress, Step, Tender};
use crate::slices::contracting::{repo, settings};
use crate::store::{Store, StoreError};

pub const PROCESSES_PER_YEAR: usize = 667;
const YEARS: [i32; 3] = [2024, 2025, 2026];
const NOTE: &str =
    "Contoh data (demo): paket pengadaan rekaan untuk demonstrasi; perangkat daerah dan nama wilayah asli, nilai dan penyedia dibuat-buat.";

/// Who buys what: an agency's slug and its usual category.
const BUYERS: &[(&str, &str)] = &[
    ("dinas-pu-bina-marga", "pekerjaan_konstruksi"),
    ("dinas-pu-bina-marga", "pekerjaan_konstruksi"),
    ("dinas-pu-bina-marga", "jasa_konsultansi"),
    ("disdik", "pekerjaan_konstruksi"),
    ("disdik", "barang"),
    ("dinkes", "barang"),
    ("rsud-sosodoro", "barang"),
    ("dinas-pertanian", "barang"),
    ("dishub", "barang"),
    ("diskominfo", "barang"),
    ("diskominfo", "jasa_lainnya"),
    ("bpbd", "barang"),
    ("dlh", "jasa_lainnya"),
    ("dinsos", "barang"),
    ("setda", "jasa_lainnya"),
    ("setwan", "jasa_lainnya"),
    ("dinas-koperasi-usaha-mikro", "barang"),
    ("bappeda", "jasa_konsultansi"),
    ("dpmd", "barang"),
];

const FIRMS: &[&str] = &[
    "Karya",
    "Mandiri",
    "Jaya",
    "Abadi",
    "Sejahtera",
    "Bengawan",
    "Angling",
    "Dharma",
    "Tirta",
    "Utama",
    "Makmur",
    "Sentosa",
    "Putra",
    "Cahaya",
    "Wijaya",
    "Perkasa",
    "Lestari",
    "Sumber",
    "Rejeki",
    "Barokah",
];

fn titles(category: &str) -> &'static [&'static str] {
    match category {
        "pekerjaan_konstruksi" => &[
            "Rehabilitasi Jalan Desa {desa}",
            "Peningkatan Jalan Poros {desa}",
            "Pembangunan Jembatan {desa}",
            "Pembangunan Saluran Drainase Kecamatan {kec}",
            "Rehabilitasi Gedung SD Negeri {desa}",
            "Pembangunan Puskesmas Pembantu {desa}",
        ],
        "jasa_konsultansi" => &[
            "Jasa Konsultansi Perencanaan Jalan Kecamatan {kec}",
            "Jasa Konsultansi Pengawasan Jembatan {desa}",
            "Penyusunan Kajian Tata Ruang Kecamatan {kec}",
        ],
        "jasa_lainnya" => &[
            "Jasa Kebersihan Kantor",
            "Jasa Pemeliharaan Jaringan Internet",
            "Sewa Kendaraan Operasional",
            "Jasa Katering Rapat Kecamatan {kec}",
        ],
        _ => &[
            "Pengadaan Bibit Padi untuk Kelompok Tani {desa}",
            "Pengadaan Pupuk Organik Kecamatan {kec}",
            "Pengadaan Alat Kesehatan Puskesmas {kec}",
            "Pengadaan Obat dan Bahan Medis Habis Pakai",
            "Pengadaan Komputer dan Printer",
            "Pengadaan Meja Kursi Sekolah {desa}",
            "Pengadaan Paket Sembako Bantuan Sosial {kec}",
        ],
    }
}

struct Gen {
    rng: StdRng,
    places: Vec<(String, String)>,
}

fn iso(year: i32, day_of_year: i64) -> String {
    let d = day_of_year.clamp(0, 364);
    let month_days = [31, if year % 4 == 0 { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let (mut m, mut rest) = (0usize, d);
    while rest >= month_days[m] {
        rest -= month_days[m];
        m += 1;
    }
    format!("{year}-{:02}-{:02}T09:00:00+07:00", m + 1, rest + 1)
}

impl Gen {
    fn firm(&mut self, pool: usize) -> Party {
        let i = self.rng.random_range(0..pool);
        let kind = if i % 3 == 0 { "PT" } else { "CV" };
        Party {
            id: format!("{:02}.{:03}.{:03}.{}-601.000", 10 + i % 90, (i * 37) % 1000, (i * 113) % 1000, i % 10),
            name: format!("{kind} {} {}", FIRMS[i % FIRMS.len()], FIRMS[(i / FIRMS.len() + 3) % FIRMS.len()]),
        }
    }

    fn title(&mut self, category: &str) -> String {
        let list = titles(category);
        let t = list[self.rng.random_range(0..list.len())];
        let (kec, desa) = self.places[self.rng.random_range(0..self.places.len())].clone();
        t.replace("{kec}", &kec).replace("{desa}", &desa)
    }
}

/// What one process is, before it becomes steps.
struct Shape {
    method: &'static str,
    budget: f64,
}

fn shape(g: &mut Gen, buyer: &str, category: &str) -> Shape {
    let r: f64 = g.rng.random();
    let ceiling = if category == "pekerjaan_konstruksi" {
        400e6
    } else if category == "jasa_konsultansi" {
        100e6
    } else {
        200e6
    };
    let (method, low, high): (&str, f64, f64) = match r {
        // BPBD's emergencies lean on direct appointment (and trip its share flag).
        _ if buyer == "bpbd" && r < 0.6 => ("Penunjukan Langsung", 100e6, 900e6),
        r if r < 0.58 => ("Pengadaan Langsung", 15e6, ceiling),
        r if r < 0.83 => (if category == "jasa_konsultansi" { "Seleksi" } else { "Tender" }, ceiling * 1.1, 30e9),
        r if r < 0.86 => ("Tender Cepat", ceiling * 1.1, 3e9),
        r if r < 0.95 => ("E-purchasing", 50e6, 2e9),
        r if r < 0.98 => ("Penunjukan Langsung", 100e6, 900e6),
        _ => ("Swakelola", 50e6, 500e6),
    };
    // Values spread log-uniformly: many small packages, a few large ones.
    let budget = (low.ln() + g.rng.random::<f64>() * (high.ln() - low.ln())).exp();
    Shape { method, budget: (budget / 1e5).round() * 1e5 }
}

fn steps_of(g: &mut Gen, p: &mut Process, plan: Plan, year: i32) -> Vec<Step> {
    let method = plan.method.clone();
    let budget = plan.budget;
    let competitive = matches!(method.as_str(), "Tender" | "Seleksi" | "Tender Cepat");
    let mut steps = vec![Step::Plan(plan)];
    // The current year's processes are at every stage; earlier years are done.
    let until = if year == 2026 { g.rng.random_range(0..6) } else { 6 };
    if until == 0 {
        return steps;
    }
    let start_day = g.rng.random_range(30..300);
    let period: i64 = if competitive && g.rng.random::<f64>() < 0.2 { g.rng.random_range(3..14) } else { g.rng.random_range(15..25) };
    let hps = (budget * g.rng.random_range(0.92..1.0) / 1e3).round() * 1e3;
    steps.push(Step::Tender(Tender { hps, method: method.clone(), start: iso(year, start_day), end: iso(year, start_day + period) }));
    if until == 1 {
        return steps;
    }
    // The usual discount below the HPS, with a few too close to it or above it.
    let discount = match g.rng.random::<f64>() {
        x if x < 0.08 => g.rng.random_range(0.0..0.015),
        x if x < 0.10 => -0.03,
        _ => g.rng.random_range(0.04..0.15),
    };
    let price = (hps * (1.0 - discount) / 1e3).round() * 1e3;
    let favoured = g.rng.random::<f64>() < 0.08;
    let winner = if favoured { g.firm(4) } else { g.firm(400) };
    if competitive {
        let bidders = if g.rng.random::<f64>() < 0.15 { 1 } else { g.rng.random_range(2..7) };
        let close = start_day + period;
        // A few bid patterns the indicators look for, each in about 3% of tenders.
        let pattern = if bidders > 2 { g.rng.random_range(0..34) } else { 99 };
        let winner_day = if pattern == 0 { close + 1 } else { close - 1 };
        steps.push(Step::Bid(Bid {
            tenderer: winner.clone(),
            tenderers: 1,
            amount: price,
            date: iso(year, winner_day),
            status: "valid".into(),
        }));
        for i in 1..bidders {
            let other = g.firm(400);
            let (amount, status) = match (pattern, i) {
                (1, 1) => (price, "valid"),
                (2, 1) => (price * 0.97, "disqualified"),
                (3, _) => (price * g.rng.random_range(1.6..1.9), "valid"),
                (4, 1) => (price * 1.003, "valid"),
                _ => (price * g.rng.random_range(1.01..1.2), if g.rng.random::<f64>() < 0.25 { "disqualified" } else { "valid" }),
            };
            let amount = (amount / 1e3).round() * 1e3;
            let tenderers = i as u32 + 1;
            steps.push(Step::Bid(Bid { tenderer: other, tenderers, amount, date: iso(year, close - 1), status: status.into() }));
        }
    }
    if until == 2 {
        return steps;
    }
    let slow = g.rng.random::<f64>() < 0.1;
    let award_day = (start_day + period + if slow { g.rng.random_range(40..70) } else { g.rng.random_range(3..20) }).min(350);
    steps.push(Step::Award(Award { supplier: winner.clone(), amount: price, date: iso(year, award_day) }));
    p.supplier = Some(winner);
    if until == 3 {
        return steps;
    }
    let signed_day = (award_day + g.rng.random_range(2..10)).min(363);
    let end_day = (signed_day + g.rng.random_range(30..120)).min(364);
    steps.push(Step::Contract(Contract { amount: price, signed: iso(year, signed_day), end: iso(year, end_day) }));
    if until == 4 {
        return steps;
    }
    let instalments = if price > 400e6 { 3 } else { 1 };
    for i in 1..=instalments {
        let day = signed_day + (end_day - signed_day) * i / instalments;
        if plan_is_works(&steps) {
            let percent = (100 * i / instalments) as u8;
            steps.push(Step::Progress(Progress { percent, date: iso(year, day), note: NOTE.into(), photo: None }));
        }
        steps.push(Step::Payment(Payment { amount: (price / instalments as f64).round(), date: iso(year, day.min(364)) }));
    }
    steps
}

fn plan_is_works(steps: &[Step]) -> bool {
    matches!(steps.first(), Some(Step::Plan(p)) if p.category == "pekerjaan_konstruksi")
}

/// The demo's releases, deterministic (one seed), for `tenant`'s prefix.
pub fn releases(prefix: &str) -> Vec<Value> {
    let dir = Directory::embedded();
    let code: Code = crate::demo::REGION.parse().expect("demo region");
    let mut places = Vec::new();
    for kec in dir.children_of(&code) {
        for desa in dir.children_of(&kec.code) {
            places.push((kec.name.clone(), desa.name.clone()));
        }
    }
    let mut g = Gen { rng: StdRng::seed_from_u64(3522), places };
    let mut out = Vec::new();
    let agency = |slug: &str| crate::demo::AGENCIES.iter().find(|a| a.0 == slug).map(|a| a.1.to_string()).unwrap_or_default();
    let mut n = 0;
    for year in YEARS {
        for _ in 0..PROCESSES_PER_YEAR {
            n += 1;
            let (slug, category) = BUYERS[g.rng.random_range(0..BUYERS.len())];
            let s = shape(&mut g, slug, category);
            let title = g.title(category);
            let rup = 40_000_000 + n * 7;
            let mut p =
                Process { ocid: format!("{prefix}-{year}-{rup}"), buyer: Party { id: slug.into(), name: agency(slug) }, supplier: None };
            let plan = Plan {
                rup_code: rup.to_string(),
                title,
                description: NOTE.into(),
                category: category.into(),
                method: s.method.into(),
                year,
                budget: s.budget,
                location: Some((g.rng.random_range(-7.40..-7.05), g.rng.random_range(111.50..112.05))),
                // Every process names a sub-kegiatan of its agency's APBD (the budgets demo
                // reads these codes back); no random draw, so the rest of the demo is unchanged.
                budget_project: crate::slices::budgets::demo::sub_kegiatan_of(slug, n),
            };
            let steps = steps_of(&mut g, &mut p, plan, year);
            out.extend(steps.iter().enumerate().map(|(i, st)| p.release(i + 1, st)));
        }
    }
    out.extend(splitting(prefix, &agency("dinas-koperasi-usaha-mikro")));
    out.extend(december(prefix, &agency("bakesbangpol"), &mut g));
    out
}

/// A small direct purchase signed on `day` of 2025: plan, a five-day
/// pengadaan langsung, award and contract.
struct Purchase<'a> {
    buyer: (&'a str, &'a str),
    supplier: Party,
    rup: String,
    title: String,
    category: &'a str,
    value: f64,
    day: i64,
}

fn purchase(prefix: &str, p: Purchase) -> Vec<Value> {
    let process = Process {
        ocid: format!("{prefix}-2025-{}", p.rup),
        buyer: Party { id: p.buyer.0.into(), name: p.buyer.1.into() },
        supplier: Some(p.supplier.clone()),
    };
    let method = "Pengadaan Langsung".to_string();
    let steps = [
        Step::Plan(Plan {
            rup_code: p.rup.clone(),
            title: p.title,
            description: NOTE.into(),
            category: p.category.into(),
            method: method.clone(),
            year: 2025,
            budget: (p.value * 1.05).min(199e6),
            location: None,
            budget_project: None,
        }),
        Step::Tender(Tender { hps: (p.value * 1.04).min(198e6), method, start: iso(2025, p.day - 12), end: iso(2025, p.day - 7) }),
        Step::Award(Award { supplier: p.supplier, amount: p.value, date: iso(2025, p.day - 2) }),
        Step::Contract(Contract { amount: p.value, signed: iso(2025, p.day), end: iso(2025, 364) }),
    ];
    steps.iter().enumerate().map(|(n, s)| process.release(n + 1, s)).collect()
}

/// Four purchases from one supplier in one month, each just under the Rp 200
/// juta ceiling for goods: the splitting pattern.
fn splitting(prefix: &str, buyer_name: &str) -> Vec<Value> {
    let supplier = Party { id: "02.555.123.4-601.000".into(), name: "CV Serba Ada Bojonegoro".into() };
    (0..4)
        .flat_map(|i| {
            let p = Purchase {
                buyer: ("dinas-koperasi-usaha-mikro", buyer_name),
                supplier: supplier.clone(),
                rup: format!("4990000{i}"),
                title: format!("Pengadaan Peralatan Usaha Mikro Tahap {}", i + 1),
                category: "barang",
                value: 191e6 + i as f64 * 2e6,
                day: 192 + i,
            };
            purchase(prefix, p)
        })
        .collect()
}

/// An agency that signs most of its year's contracts in December: three in
/// June, nine in December.
fn december(prefix: &str, buyer_name: &str, g: &mut Gen) -> Vec<Value> {
    (0..12)
        .flat_map(|i| {
            let p = Purchase {
                buyer: ("bakesbangpol", buyer_name),
                supplier: g.firm(400),
                rup: format!("4980000{i:02}"),
                title: format!("Jasa Penyelenggaraan Kegiatan Wawasan Kebangsaan {}", i + 1),
                category: "jasa_lainnya",
                value: 150e6 + i as f64 * 3e6,
                day: if i < 3 { 160 + i } else { 336 + i },
            };
            purchase(prefix, p)
        })
        .collect()
}

/// Stores the demo procurement in `tenant` (all or nothing), with a few
/// citizens' reports and the agency's answers.
pub async fn load(store: &Store, tenant: &str) -> Result<usize, StoreError> {
    let prefix = settings::load(store, tenant).await?.ocid_prefix;
    let all = releases(&prefix);
    let report = crate::slices::contracting::import(store, tenant, all).await.map_err(|e| StoreError::Other(e.to_string()))?;
    let examples = [
        (
            "Aspal di ujung jalan sudah mengelupas padahal baru selesai dua bulan.",
            Some("Terima kasih. Penyedia masih dalam masa pemeliharaan; perbaikan dijadwalkan minggu depan."),
        ),
        ("Papan nama proyek tidak dipasang di lokasi.", None),
        (
            "Pekerjaan berhenti sejak seminggu, tidak ada pekerja di lokasi.",
            Some("Pekerjaan terhenti karena hujan deras; dilanjutkan setelah cuaca membaik."),
        ),
    ];
    let works = repo::Filters { category: "works".into(), stage: "implementation".into(), ..Default::default() };
    let processes = repo::list(store, tenant, &works, 1, examples.len() as i64).await?;
    for (process, (body, answer)) in processes.iter().zip(examples) {
        let body = format!("{body} (Contoh laporan demo.)");
        let report = repo::NewReport { ocid: &process.ocid, body: &body, photo_id: None, place: None, contact: "", sender: "" };
        let id = repo::add_report(store, tenant, &report).await?;
        if let Some(answer) = answer {
            repo::answer_report(store, tenant, &process.ocid, &id, answer, None).await?;
        }
    }
    Ok(report.processes)
}
