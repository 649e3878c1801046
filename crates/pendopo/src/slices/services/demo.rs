//! The demo's services: Bojonegoro's common public services across the
//! demo agencies, each with a complete Standar Pelayanan and Maklumat, and
//! a year of IKM answers whose quality differs by service so the grades
//! spread from A to D. All of it is labelled as demo data; the answers are
//! generated (a fixed seed), stored in one batch.

use std::collections::BTreeMap;

use layanan::ikm::{AgeBand, Answers, Education, Occupation, Profile, Sex};
use layanan::standar::Component;

use super::ikm_store::{self, Response};
use super::model::{AttributeSpec, AttributeValue, ServiceInput, StandardInput};
use super::repo;
use crate::kernel::organizations as orgs;
use crate::slices::DemoRegion;

/// agency slug, code, name, users a year.
const SERVICES: &[(&str, &str, &str, i64)] = &[
    ("dukcapil", "KTP-EL", "Perekaman dan pencetakan KTP elektronik", 42_000),
    ("dukcapil", "KK", "Penerbitan Kartu Keluarga", 38_000),
    ("dukcapil", "AKTA-LAHIR", "Penerbitan akta kelahiran", 21_000),
    ("dukcapil", "AKTA-MATI", "Penerbitan akta kematian", 9_500),
    ("dukcapil", "KIA", "Kartu Identitas Anak", 12_000),
    ("dukcapil", "PINDAH", "Surat keterangan pindah penduduk", 7_000),
    ("dinkes", "SIP-NAKES", "Surat izin praktik tenaga kesehatan", 1_200),
    ("dinkes", "PIRT", "Sertifikat produksi pangan industri rumah tangga", 900),
    ("dinkes", "LAB-KESDA", "Pemeriksaan laboratorium kesehatan daerah", 6_000),
    ("rsud-sosodoro", "RSUD-RAJAL", "Rawat jalan", 150_000),
    ("rsud-sosodoro", "RSUD-IGD", "Instalasi gawat darurat", 30_000),
    ("rsud-sosodoro", "RSUD-RANAP", "Rawat inap", 18_000),
    ("disdik", "MUTASI-SISWA", "Rekomendasi mutasi peserta didik", 2_500),
    ("disdik", "LEGALISIR-IJAZAH", "Legalisir ijazah", 8_000),
    ("dinsos", "DTKS", "Pendaftaran Data Terpadu Kesejahteraan Sosial", 15_000),
    ("dinsos", "SKTM", "Rekomendasi keringanan biaya bagi warga tidak mampu", 6_500),
    ("dpmptsp", "PBG", "Persetujuan Bangunan Gedung", 1_800),
    ("dpmptsp", "NIB", "Pendampingan Nomor Induk Berusaha", 5_000),
    ("dpmptsp", "IZIN-REKLAME", "Izin reklame", 700),
    ("dpmptsp", "SIP-APOTEK", "Surat izin apotek", 150),
    ("dishub", "UJI-KIR", "Pengujian kendaraan bermotor (KIR)", 11_000),
    ("dishub", "IZIN-TRAYEK", "Izin trayek angkutan", 300),
    ("dishub", "PJU", "Perbaikan penerangan jalan umum", 1_500),
    ("dlh", "SAMPAH", "Pengangkutan sampah", 20_000),
    ("dlh", "UKL-UPL", "Rekomendasi UKL-UPL", 250),
    ("dlh", "TAMAN", "Pemeliharaan taman kota", 800),
    ("dinas-pu-bina-marga", "JALAN-RUSAK", "Perbaikan jalan kabupaten", 2_000),
    ("dinas-pu-bina-marga", "KRK", "Keterangan Rencana Kabupaten", 600),
    ("dinas-pertanian", "PUPUK", "Rekomendasi alokasi pupuk bersubsidi", 25_000),
    ("dinas-pertanian", "KESWAN", "Pelayanan kesehatan hewan", 4_000),
    ("bapenda", "PBB", "Pelayanan Pajak Bumi dan Bangunan", 60_000),
    ("bapenda", "BPHTB", "Validasi BPHTB", 5_500),
    ("bpbd", "TANGGAP-BENCANA", "Penanganan kejadian bencana", 400),
    ("bpbd", "AIR-BERSIH", "Dropping air bersih saat kemarau", 3_000),
    ("diskominfo", "PPID", "Permohonan informasi publik (PPID)", 1_000),
    ("diskominfo", "DOMAIN", "Subdomain dan hosting perangkat daerah", 80),
    ("diskominfo", "PENGADUAN-UMUM", "Pengaduan umum (SIAP LAPOR!)", 5_000),
    ("dpmd", "PROFIL-DESA", "Pendampingan profil dan data desa", 430),
    ("dinas-koperasi-usaha-mikro", "IUMK", "Pendataan dan pendampingan usaha mikro", 3_500),
    ("bakesbangpol", "SKT-ORMAS", "Surat keterangan terdaftar organisasi kemasyarakatan", 120),
    ("bakesbangpol", "REKOM-PENELITIAN", "Rekomendasi penelitian", 1_100),
    ("bpkad", "SP2D", "Penerbitan SP2D", 9_000),
    ("inspektorat", "WBS", "Pengaduan whistleblowing", 150),
    ("setda", "AUDIENSI", "Permohonan audiensi Bupati", 600),
    ("kecamatan-kalitidu", "KEC-KALITIDU-SKU", "Surat keterangan usaha (Kecamatan Kalitidu)", 1_400),
    ("kecamatan-kapas", "KEC-KAPAS-SKU", "Surat keterangan usaha (Kecamatan Kapas)", 1_600),
];

/// Mean scores that land in each grade: A, B, C, D.
const QUALITY: [f64; 4] = [3.75, 3.3, 2.85, 2.35];

/// A small fixed-seed generator: the demo is the same every time.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<T: Copy>(&mut self, list: &[T]) -> T {
        list[self.below(list.len() as u64) as usize]
    }
}

fn standard(name: &str, agency: &str) -> StandardInput {
    let text = |c: Component| {
        match c {
        Component::Persyaratan => "1. KTP-el pemohon (asli dan fotokopi).\n2. Kartu Keluarga.\n3. Formulir permohonan yang telah diisi.".to_string(),
        Component::Prosedur => format!(
            "1. Pemohon mengambil nomor antrean atau mendaftar daring.\n2. Petugas memeriksa berkas.\n3. Berkas diproses oleh {agency}.\n4. Produk layanan diserahkan kepada pemohon."
        ),
        Component::JangkaWaktu => "Paling lama 5 (lima) hari kerja sejak berkas dinyatakan lengkap.".into(),
        Component::Biaya => "Tidak dipungut biaya (gratis).".into(),
        Component::Produk => format!("{name}."),
        Component::Pengaduan => "Pengaduan melalui SIAP LAPOR! (web, SMS, WhatsApp), kotak saran di loket, atau Dialog Publik setiap Jumat di Pendopo Malowopati.".into(),
        Component::DasarHukum => "UU 25/2009 tentang Pelayanan Publik; PermenPANRB 15/2014 tentang Pedoman Standar Pelayanan.".into(),
        Component::Sarana => "Ruang tunggu ber-AC, loket, komputer dan jaringan internet, kursi roda, toilet ramah difabel.".into(),
        Component::Kompetensi => "Pelaksana berpendidikan minimal SMA, memahami prosedur layanan, mampu mengoperasikan komputer.".into(),
        Component::PengawasanInternal => "Dilakukan oleh atasan langsung dan Inspektorat Daerah.".into(),
        Component::JumlahPelaksana => "4 (empat) orang.".into(),
        Component::JaminanPelayanan => "Pelayanan diberikan sesuai standar dengan waktu dan biaya yang pasti.".into(),
        Component::JaminanKeamanan => "Berkas dan data pribadi pemohon dijaga kerahasiaannya; lokasi layanan bebas pungutan liar.".into(),
        Component::EvaluasiKinerja => "Survei Kepuasan Masyarakat setiap tahun dan evaluasi berkala oleh pimpinan.".into(),
    }
    };
    StandardInput {
        components: Component::ALL.iter().map(|c| (c.code().to_string(), format!("{} (Contoh data demo.)", text(*c)))).collect(),
        maklumat: format!(
            "Dengan ini kami, {agency}, menyatakan sanggup menyelenggarakan pelayanan sesuai standar pelayanan yang telah ditetapkan dan apabila tidak menepati janji ini, kami siap menerima sanksi sesuai peraturan perundang-undangan yang berlaku. (Contoh data demo.)"
        ),
    }
}

/// An extra question for the services people report problems about.
fn attributes(code: &str) -> Vec<AttributeSpec> {
    match code {
        "JALAN-RUSAK" => vec![AttributeSpec {
            code: "tingkat".into(),
            datatype: "singlevaluelist".into(),
            required: true,
            description: "Seberapa parah kerusakan jalan?".into(),
            values: vec![
                AttributeValue { key: "ringan".into(), name: "Ringan (retak)".into() },
                AttributeValue { key: "sedang".into(), name: "Sedang (berlubang)".into() },
                AttributeValue { key: "berat".into(), name: "Berat (tidak bisa dilalui)".into() },
            ],
        }],
        "PJU" => vec![AttributeSpec {
            code: "nomor_tiang".into(),
            datatype: "string".into(),
            required: false,
            description: "Nomor tiang lampu (jika terlihat)".into(),
            values: Vec::new(),
        }],
        _ => Vec::new(),
    }
}

/// One respondent of a service whose answers centre on `mean`, with one
/// element (`weak`) scored lower.
fn respondent(rng: &mut Lcg, mean: f64, weak: usize) -> Answers {
    let scores: Vec<i64> = (0..9)
        .map(|i| {
            let noise = rng.below(17) as f64 / 10.0 - 0.8;
            let shift = if i == weak { -0.5 } else { 0.0 };
            (mean + shift + noise).round().clamp(1.0, 4.0) as i64
        })
        .collect();
    Answers::new(&scores).expect("scores clamped to 1-4")
}

pub async fn load(region: &DemoRegion<'_>) -> Result<String, crate::kernel::AnyError> {
    let (store, tenant) = (region.store, region.tenant);
    let agencies: BTreeMap<String, orgs::Organization> =
        orgs::list(store, tenant).await?.into_iter().map(|o| (o.slug.clone(), o)).collect();
    let today = kalender::Date::from_unix_millis(store.now_ms(), 7).expect("the clock is within the calendar");
    let mut rng = Lcg(2026);
    let mut responses = Vec::new();
    let mut count = 0;
    for (i, (slug, code, name, users)) in SERVICES.iter().enumerate() {
        let Some(org) = agencies.get(*slug) else { continue };
        let input = ServiceInput {
            code: code.to_string(),
            name: name.to_string(),
            agency: slug.to_string(),
            description: format!("{name} oleh {}. Contoh data (demo).", org.name),
            attributes: attributes(code),
            yearly_users: Some(*users),
            standard: Some(standard(name, &org.name)),
            ..Default::default()
        };
        let checked = input.check().map_err(|e| format!("demo service {code}: {e:?}"))?;
        let service = repo::save(store, tenant, region.admin, None, org, &checked).await?;
        count += 1;
        let mean = QUALITY[i % QUALITY.len()];
        for _ in 0..(60 + rng.below(400)) {
            let profile = Profile {
                age: Some(rng.pick(AgeBand::ALL)),
                sex: Some(rng.pick(Sex::ALL)),
                education: Some(rng.pick(Education::ALL)),
                occupation: Some(rng.pick(Occupation::ALL)),
            };
            let answered_on = today.add_days(-(rng.below(365) as i64));
            responses.push(Response {
                service_id: service.id.clone(),
                answers: respondent(&mut rng, mean, i % 9),
                profile,
                answered_on,
                source: "paper",
            });
        }
    }
    let stored = ikm_store::insert(store, tenant, &responses).await?;
    // The year of cases first: the Dialog Publik items take the numbers after them.
    let cases = super::demo_cases::load(store, tenant, &region.admin.id, 150, 12).await?;
    let channels = super::demo_channels::load(region, today).await?;
    let datasets = super::datasets::refresh(store, region.files, tenant).await?;
    Ok(format!("{count} services with standards, {stored} IKM responses, {cases} cases, {channels}, {datasets} datasets of their figures"))
}
