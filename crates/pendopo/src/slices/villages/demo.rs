//! The Bojonegoro demo's villages (all labelled demo data): for every desa
//! and kelurahan a profile with dusun populations, an APBDes for 2024, 2025
//! and 2026 (Dana Desa about Rp 0.8-1.2 billion, ADD in proportion, spending
//! over the five bidang, realisation per semester; 2026 has only its first
//! semester), IDM scores for the desa spread over the five statuses, and
//! an LPJ and a billboard photo for most villages. Made from each village's
//! code, so every run gives the same figures; inserted in bulk in one
//! transaction, the budgets checked by `anggaran` as an operator's are.

use anggaran::apbdes::{self, CodeList, LineInput};

use super::repo;
use crate::slices::DemoRegion;
use crate::store::Value;

/// A number in `0..n` from a village's code and a salt (the same every run).
fn pick(code: &str, salt: u64, n: u64) -> u64 {
    let h = code.bytes().fold(0xcbf2_9ce4_8422_2325u64 ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15), |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    (h ^ (h >> 29)) % n.max(1)
}

/// A 1 x 1 grey PNG: the billboard photo of the demo.
const PHOTO: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3A, 0x7E, 0x9B, 0x55, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63,
    0x68, 0x00, 0x00, 0x00, 0x82, 0x00, 0x81, 0x77, 0xCD, 0x72, 0xB6, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60,
    0x82,
];
const LPJ: &[u8] = b"%PDF-1.4\n% Data demo: Laporan Pertanggungjawaban APBDes\n%%EOF\n";

/// A year's budget of a village: balanced, spending over the five bidang.
fn budget(code: &str, year: i32) -> Vec<LineInput> {
    let grow = (year - 2024) as i64 * 30_000_000;
    let dana_desa = 800_000_000 + pick(code, 1, 400) as i64 * 1_000_000 + grow;
    let add = dana_desa * (40 + pick(code, 2, 20) as i64) / 100;
    let bagi_hasil = 40_000_000 + pick(code, 3, 40) as i64 * 1_000_000;
    let pades = 10_000_000 + pick(code, 4, 40) as i64 * 1_000_000;
    let total = dana_desa + add + bagi_hasil + pades;
    let shares = [
        ("1.1.01", "Penghasilan tetap dan tunjangan perangkat desa", 30, "ADD"),
        ("2.2.01", "Pembangunan jalan desa", 40, "DDS"),
        ("3.1.01", "Pembinaan kegiatan kemasyarakatan", 10, "ADD"),
        ("4.1.01", "Pelatihan usaha ekonomi produktif", 12, "DDS"),
        ("5.1.01", "Penanggulangan bencana dan keadaan mendesak", 0, "DDS"),
    ];
    // The second semester of 2026 is not reported yet.
    let second = year < 2026;
    let realise = |plan: i64, salt: u64| -> (String, String) {
        let s1 = plan * (35 + pick(code, salt + year as u64, 20) as i64) / 100;
        let s2 = if second { plan * (25 + pick(code, salt * 7 + year as u64, 20) as i64) / 100 } else { 0 };
        (s1.to_string(), if second { s2.to_string() } else { String::new() })
    };
    let mut lines = vec![
        ("4.1.1", "Hasil usaha desa", "PAD", pades),
        ("4.2.1", "Dana Desa", "DDS", dana_desa),
        ("4.2.2", "Bagi hasil pajak dan retribusi", "PBH", bagi_hasil),
        ("4.2.3", "Alokasi Dana Desa", "ADD", add),
    ]
    .into_iter()
    .map(|(kode, nama, sumber, amount)| (kode.to_string(), nama.to_string(), sumber.to_string(), amount))
    .collect::<Vec<_>>();
    let mut spent = 0;
    for (kode, nama, share, sumber) in shares {
        let amount = if share == 0 { total - spent } else { total * share / 100 };
        spent += amount;
        lines.push((kode.to_string(), nama.to_string(), sumber.to_string(), amount));
    }
    lines
        .into_iter()
        .enumerate()
        .map(|(i, (kode, nama, sumber, amount))| {
            let belanja = !kode.starts_with('4');
            let (s1, s2) =
                if belanja { realise(amount, i as u64) } else { (amount.to_string(), if second { "0".into() } else { String::new() }) };
            LineInput {
                line: i + 1,
                kode,
                nama,
                sumber,
                anggaran: amount.to_string(),
                realisasi_s1: s1,
                realisasi_s2: s2,
                ..Default::default()
            }
        })
        .collect()
}

/// IDM scores whose average is spread from Sangat Tertinggal to Mandiri,
/// climbing a little each year.
fn idm_scores(code: &str, year: i32) -> [u8; 50] {
    let target = 200 + pick(code, 9, 260) as i64 + (year - 2024) as i64 * 8; // average score x 100
    std::array::from_fn(|i| {
        let noise = pick(code, 100 + i as u64 + year as u64 * 50, 200) as i64 - 100;
        ((target + noise + 50) / 100).clamp(0, 5) as u8
    })
}

pub async fn load(region: &DemoRegion<'_>) -> Result<String, crate::kernel::AnyError> {
    let (store, tenant) = (region.store, region.tenant);
    let villages = repo::villages(store, tenant).await?;
    let list = CodeList::embedded();
    let mut tx = store.begin().await?;
    let now = tx.now_ms();
    let year_ms = |y: i32, month: i64| now - ((2026 - y as i64) * 365 + (12 - month) * 30) * 86_400_000;
    let (mut profiles, mut versions, mut lines) = (Vec::new(), Vec::new(), Vec::new());
    for v in &villages {
        let dusun: Vec<repo::Dusun> = (0..2 + pick(&v.code, 20, 4))
            .map(|d| repo::Dusun { nama: format!("Dusun {} (demo)", d + 1), penduduk: 500 + pick(&v.code, 21 + d, 1500) as i64 })
            .collect();
        let population: i64 = dusun.iter().map(|d| d.penduduk).sum();
        profiles.push(vec![
            tenant.into(),
            v.code.as_str().into(),
            format!("Kepala {} (data demo)", v.name).into(),
            format!("Balai {} {}, Kecamatan {}", if v.kelurahan { "Kelurahan" } else { "Desa" }, v.name, v.kecamatan_name).into(),
            "Data demo: balai desa, polindes, PAUD, lapangan".into(),
            (if v.kelurahan { String::new() } else { format!("BUMDes {} Sejahtera (data demo)", v.name) }).into(),
            serde_json::to_string(&dusun)?.into(),
            population.into(),
            region.admin.id.as_str().into(),
            (now - pick(&v.code, 22, 300) as i64 * 86_400_000).into(),
        ]);
        for year in 2024..=2026 {
            let given = budget(&v.code, year);
            let checked =
                apbdes::check(&given, &list, &apbdes::Settings::default()).map_err(|p| format!("demo APBDes {} {year}: {p:?}", v.code))?;
            let published = year_ms(year, 1);
            let row = repo::VersionRow {
                status: "published",
                pre_2018: false,
                user: &region.admin.id,
                created_at: published,
                published_at: Some(published),
                realised_at: Some(if year < 2026 { year_ms(year + 1, 1) } else { now }),
            };
            versions.push(repo::version_values((tenant, &v.code, year, 1), &checked, &row));
            lines.extend(given.iter().map(|l| repo::line_values((tenant, &v.code, year, 1), l)));
        }
    }
    let profile_columns = "tenant_id, desa_code, head_name, address, facilities, bumdes, dusun, population, updated_by, updated_at";
    crate::store::insert_rows(&mut tx, &format!("village_profiles ({profile_columns})"), profiles).await?;
    let budgets = versions.len();
    // Parents first: the lines refer to their version.
    crate::store::insert_rows(&mut tx, &format!("village_apbdes ({})", repo::VERSION_COLUMNS), versions).await?;
    crate::store::insert_rows(&mut tx, &format!("village_apbdes_lines ({})", repo::LINE_COLUMNS), lines).await?;
    // IDM and documents, many rows a statement.
    let mut idm_rows: Vec<Vec<Value>> = Vec::new();
    let mut docs: Vec<Vec<Value>> = Vec::new();
    for v in &villages {
        if !v.kelurahan {
            for year in 2024..=2026 {
                let scores = anggaran::idm::Scores::from_array(idm_scores(&v.code, year)).map_err(|e| format!("{e:?}"))?;
                let idm = anggaran::idm::compute(&scores);
                let digits = repo::score_digits(&scores);
                idm_rows.push(vec![
                    tenant.into(),
                    v.code.as_str().into(),
                    (year as i64).into(),
                    digits.into(),
                    (idm.idm.ten_thousandths() as i64).into(),
                    idm.status.code().into(),
                    "kemendesa".into(),
                    now.into(),
                ]);
            }
        }
        // Most villages published their LPJ and a photo of the billboard.
        for (kind, media_type, content, salt) in [("lpj", "application/pdf", LPJ, 30), ("baliho", "image/png", PHOTO, 31)] {
            if pick(&v.code, salt, 10) < 8 {
                docs.push(vec![
                    tenant.into(),
                    crate::kernel::identity::new_id().into(),
                    v.code.as_str().into(),
                    2026i64.into(),
                    kind.into(),
                    media_type.into(),
                    content.to_vec().into(),
                    format!("Balai {} (data demo)", v.name).into(),
                    Value::from(Some("2026-02-16")),
                    region.admin.id.as_str().into(),
                    (now - pick(&v.code, salt + 1, 200) as i64 * 86_400_000).into(),
                ]);
            }
        }
    }
    crate::store::insert_rows(&mut tx, "village_idm (tenant_id, desa_code, year, scores, idm, status, source, updated_at)", idm_rows)
        .await?;
    let doc_columns = "tenant_id, id, desa_code, year, kind, media_type, content, place, taken_on, created_by, created_at";
    crate::store::insert_rows(&mut tx, &format!("village_documents ({doc_columns})"), docs).await?;
    super::datasets::bump(&mut tx, tenant).await?;
    tx.commit().await?;
    super::datasets::refresh(store, region.files, tenant).await?;
    Ok(format!("{} villages with {budgets} APBDes", villages.len()))
}
