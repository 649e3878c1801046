//! The bulk-entry spreadsheet: one row per process, as an agency keeps its
//! procurement list, turned into the same releases the step forms make.
//! Columns (a header row; comma or semicolon):
//!
//! `kode_rup, judul, perangkat_daerah, kategori, metode, tahun, pagu` (required),
//! `hps, tanggal_pengumuman, tanggal_penutupan` (the tender, all three or none),
//! `pemenang, npwp_pemenang, nilai_kontrak, tanggal_penetapan, tanggal_kontrak, tanggal_selesai`
//! (award and contract), `lat, lon` (the place of the work).

use std::collections::HashMap;

use serde_json::Value;

use super::releases::{Award, Contract, Party, Plan, Process, Step, Tender, form_date, method_name, ocds_category};

pub const COLUMNS: &[&str] = &[
    "kode_rup",
    "judul",
    "perangkat_daerah",
    "kategori",
    "metode",
    "tahun",
    "pagu",
    "hps",
    "tanggal_pengumuman",
    "tanggal_penutupan",
    "pemenang",
    "npwp_pemenang",
    "nilai_kontrak",
    "tanggal_penetapan",
    "tanggal_kontrak",
    "tanggal_selesai",
    "lat",
    "lon",
];

/// A row that cannot become a process: where and why (in Indonesian, the
/// language of the spreadsheet's users).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RowError {
    pub line: u64,
    pub column: String,
    pub reason: String,
}

/// One row's process: its releases (the buyer was checked against the
/// agencies the user may record for).
#[derive(Debug, Clone)]
pub struct RowProcess {
    pub releases: Vec<Value>,
}

/// Rupiah as people type it: `1.250.000.000`, `1250000000`, `Rp 1.250.000,50`.
pub fn parse_rupiah(s: &str) -> Option<f64> {
    let t: String = s.trim().trim_start_matches("Rp").trim_start_matches("rp").chars().filter(|c| !c.is_whitespace()).collect();
    if t.is_empty() {
        return None;
    }
    let dots = t.matches('.').count();
    let normal = if t.contains(',') {
        t.replace('.', "").replace(',', ".")
    } else if dots > 1 || (dots == 1 && t.split('.').nth(1).is_some_and(|frac| frac.len() == 3)) {
        t.replace('.', "")
    } else {
        t
    };
    normal.parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0)
}

/// Reads the sheet. `agencies` maps slugs to names; `prefix` is the region's
/// OCID prefix. Each row gives a process or an error; the caller decides
/// whether one error stops everything.
pub fn read(
    bytes: &[u8],
    prefix: &str,
    agencies: &HashMap<String, String>,
    utc_offset: i64,
) -> Result<Vec<Result<RowProcess, RowError>>, RowError> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).map_err(|_| RowError {
        line: 0,
        column: String::new(),
        reason: "berkas bukan teks UTF-8 (simpan sebagai CSV UTF-8)".into(),
    })?;
    let first = text.lines().next().unwrap_or("");
    let delimiter = if first.matches(';').count() > first.matches(',').count() { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(false).from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| RowError { line: 1, column: String::new(), reason: e.to_string() })?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    for required in &COLUMNS[..7] {
        if !header.iter().any(|h| h == required) {
            return Err(RowError { line: 1, column: required.to_string(), reason: "kolom wajib tidak ada".into() });
        }
    }
    if let Some(unknown) = header.iter().find(|h| !COLUMNS.contains(&h.as_str())) {
        return Err(RowError {
            line: 1,
            column: unknown.clone(),
            reason: format!("kolom tidak dikenal (kolom yang dikenal: {})", COLUMNS.join(", ")),
        });
    }
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            RowError { line, column: String::new(), reason: format!("baris tidak sesuai tajuk: {e}") }
        })?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let row: HashMap<&str, &str> = header.iter().map(String::as_str).zip(record.iter().map(str::trim)).collect();
        out.push(process(&row, line, prefix, agencies, utc_offset));
    }
    Ok(out)
}

fn process(
    row: &HashMap<&str, &str>,
    line: u64,
    prefix: &str,
    agencies: &HashMap<String, String>,
    utc_offset: i64,
) -> Result<RowProcess, RowError> {
    let err = |column: &str, reason: &str| RowError { line, column: column.into(), reason: reason.into() };
    let get = |c: &str| row.get(c).copied().unwrap_or("");
    let required = |c: &str| Some(get(c)).filter(|v| !v.is_empty()).ok_or_else(|| err(c, "wajib diisi"));
    let money = |c: &str| parse_rupiah(get(c)).ok_or_else(|| err(c, "bukan nilai rupiah"));
    let date = |c: &str| form_date(get(c), utc_offset).ok_or_else(|| err(c, "tanggal harus berbentuk TTTT-BB-HH"));
    let rup = required("kode_rup")?;
    if !rup.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(err("kode_rup", "hanya huruf, angka dan tanda minus"));
    }
    let buyer_slug = required("perangkat_daerah")?;
    let buyer_name =
        agencies.get(buyer_slug).ok_or_else(|| err("perangkat_daerah", "perangkat daerah tidak dikenal (pakai slug organisasi)"))?;
    let category = required("kategori")?;
    ocds_category(category).ok_or_else(|| err("kategori", "pakai barang, pekerjaan_konstruksi, jasa_konsultansi atau jasa_lainnya"))?;
    let method = method_name(required("metode")?).ok_or_else(|| err("metode", "metode pengadaan tidak dikenal"))?;
    let year: i32 = required("tahun")?.parse().ok().filter(|y| (2000..=2100).contains(y)).ok_or_else(|| err("tahun", "bukan tahun"))?;
    let location = match (get("lat"), get("lon")) {
        ("", "") => None,
        (lat, lon) => {
            let lat: f64 = lat.parse().ok().filter(|v: &f64| (-90.0..=90.0).contains(v)).ok_or_else(|| err("lat", "bukan lintang"))?;
            let lon: f64 = lon.parse().ok().filter(|v: &f64| (-180.0..=180.0).contains(v)).ok_or_else(|| err("lon", "bukan bujur"))?;
            Some((lat, lon))
        }
    };
    // The APBD sub-kegiatan funding it (optional), checked as a Permendagri 90/2019 code.
    let budget_project = match get("kode_sub_kegiatan") {
        "" => None,
        code => match anggaran::apbd::Program::parse(code) {
            Ok(p) if p.level() == anggaran::apbd::ProgramLevel::SubKegiatan => Some(p.to_string()),
            _ => return Err(err("kode_sub_kegiatan", "bukan kode sub kegiatan (mis. 1.02.02.2.01.0001)")),
        },
    };
    let p = Process {
        ocid: format!("{prefix}-{year}-{rup}"),
        buyer: Party { id: buyer_slug.to_string(), name: buyer_name.clone() },
        supplier: None,
    };
    let mut steps = vec![Step::Plan(Plan {
        rup_code: rup.to_string(),
        title: required("judul")?.to_string(),
        description: String::new(),
        category: category.to_string(),
        method: method.to_string(),
        year,
        budget: money("pagu")?,
        location,
        budget_project,
    })];
    let tender_given = ["hps", "tanggal_pengumuman", "tanggal_penutupan"].iter().filter(|c| !get(c).is_empty()).count();
    if tender_given > 0 {
        let (start, end) = (date("tanggal_pengumuman")?, date("tanggal_penutupan")?);
        if end < start {
            return Err(err("tanggal_penutupan", "sebelum tanggal pengumuman"));
        }
        steps.push(Step::Tender(Tender { hps: money("hps")?, method: method.to_string(), start, end }));
    }
    let mut p = p;
    if !get("pemenang").is_empty() || !get("nilai_kontrak").is_empty() {
        let supplier = Party { id: required("npwp_pemenang")?.to_string(), name: required("pemenang")?.to_string() };
        let signed = date("tanggal_kontrak")?;
        let awarded = if get("tanggal_penetapan").is_empty() { signed.clone() } else { date("tanggal_penetapan")? };
        if signed < awarded {
            return Err(err("tanggal_kontrak", "sebelum tanggal penetapan pemenang"));
        }
        let amount = money("nilai_kontrak")?;
        let end = if get("tanggal_selesai").is_empty() { signed.clone() } else { date("tanggal_selesai")? };
        steps.push(Step::Award(Award { supplier: supplier.clone(), amount, date: awarded }));
        steps.push(Step::Contract(Contract { amount, signed, end }));
        p.supplier = Some(supplier);
    }
    let releases = steps.iter().enumerate().map(|(i, s)| p.release(i + 1, s)).collect();
    Ok(RowProcess { releases })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rupiah_as_typed() {
        assert_eq!(parse_rupiah("1.250.000.000"), Some(1.25e9));
        assert_eq!(parse_rupiah("Rp 1.250.000,50"), Some(1_250_000.5));
        assert_eq!(parse_rupiah("1250000000"), Some(1.25e9));
        assert_eq!(parse_rupiah("150.000"), Some(150_000.0));
        assert_eq!(parse_rupiah("12.5"), Some(12.5));
        assert_eq!(parse_rupiah("satu juta"), None);
        assert_eq!(parse_rupiah("-5"), None);
    }

    #[test]
    fn rows_become_processes_or_errors() {
        let agencies = HashMap::from([("dinkes".to_string(), "Dinas Kesehatan".to_string())]);
        let sheet = "kode_rup;judul;perangkat_daerah;kategori;metode;tahun;pagu;hps;tanggal_pengumuman;tanggal_penutupan;pemenang;npwp_pemenang;nilai_kontrak;tanggal_kontrak\n\
                     111;Alat kesehatan;dinkes;barang;Tender;2024;1.000.000.000;950.000.000;2024-03-01;2024-03-20;PT Sehat;01.111.111.1-601.000;900.000.000;2024-04-10\n\
                     112;Obat;dinkes;barang;Lelang;2024;100.000.000;;;;;;;\n";
        let rows = read(sheet.as_bytes(), "ocds-pd3522", &agencies, 7).unwrap();
        let first = rows[0].as_ref().unwrap();
        assert_eq!(first.releases.len(), 4, "plan, tender, award, contract");
        assert_eq!(first.releases[0]["ocid"], "ocds-pd3522-2024-111");
        assert_eq!(
            rows[1].as_ref().unwrap_err(),
            &RowError { line: 3, column: "metode".into(), reason: "metode pengadaan tidak dikenal".into() }
        );
        let bad = read(b"kode_rup,judul\n1,x\n", "ocds-pd3522", &agencies, 7).unwrap_err();
        assert_eq!((bad.line, bad.column.as_str()), (1, "perangkat_daerah"));
    }
}
