//! Fiscal Data Package (Frictionless Data, the open budget data standard
//! OpenSpending reads): the `datapackage.json` and the CSV rows of APBDes
//! and APBD.
//!
//! The descriptor is written to satisfy both versions in use:
//!
//! - **1.0-rc.1**: a Tabular Data Package (`profile`, each resource with
//!   `name`, `path`, `profile: tabular-data-resource` and a Table Schema)
//!   whose fields carry a `columnType` from the budget taxonomy (`value`,
//!   `date:fiscal-year`, `direction`, `administrative-classification:...`,
//!   `economic-classification:...`, `functional-classification:...`,
//!   `activity:generic:...`, `fin-source:generic:code`);
//! - **0.3** (OpenSpending's loader): the `model` mapping columns to
//!   `measures` (amounts, with `currency` IDR, `factor` 1 and the `phase`
//!   `approved` or `executed`) and `dimensions` (with `dimensionType`,
//!   `classificationType`, `parent` and `labelfor`).
//!
//! Each CSV's header and its schema come from one column table, so they
//! cannot drift apart. Amounts are whole rupiah written as integers; rows
//! have one line each, the plan and the realisation of each period side by
//! side (a semester for APBDes, a quarter for APBD). Pembiayaan is written
//! with the direction it has in the balance: penerimaan as `revenue`,
//! pengeluaran as `expenditure`. Indonesia's fiscal year is the calendar
//! year, hence `fiscalPeriod`.

use crate::apbd;
use crate::apbdes::{self, ArahPembiayaan, CodeList, Pos};
use crate::money::Rupiah;
use serde_json::{Map, Value, json};

/// What the application knows about the package and where its CSV is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meta {
    /// Lower case letters, digits and `-._/` (checked by [`datapackage`]).
    pub name: String,
    pub title: String,
    pub description: String,
    /// The page of the budget on the portal.
    pub homepage: Option<String>,
    /// An Open Definition licence id (`CC-BY-4.0`), its URL and title.
    pub license: (String, String, String),
    pub year: i32,
    /// The absolute URL the CSV is served at.
    pub csv_url: String,
    /// RFC 3339 time the descriptor is written (the caller's clock).
    pub created: Option<String>,
}

/// The two kinds of package.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Apbdes,
    Apbd,
}

/// One CSV column: its name, Table Schema type, taxonomy column type and
/// title.
struct Column {
    name: &'static str,
    kind: &'static str,
    column_type: Option<&'static str>,
    title: &'static str,
}

const fn col(name: &'static str, kind: &'static str, column_type: Option<&'static str>, title: &'static str) -> Column {
    Column { name, kind, column_type, title }
}

const APBDES: [Column; 14] = [
    col("tahun", "integer", Some("date:fiscal-year"), "Tahun anggaran"),
    col("kode_desa", "string", Some("administrative-classification:generic:level1:code"), "Kode desa (Kemendagri)"),
    col("nama_desa", "string", Some("administrative-classification:generic:level1:label"), "Nama desa"),
    col("arah", "string", Some("direction"), "Arah (revenue/expenditure)"),
    col("kelompok", "string", Some("economic-classification:generic:level1:code"), "Kelompok (pendapatan/belanja/pembiayaan)"),
    col("kode_akun", "string", Some("economic-classification:generic:code"), "Kode rekening"),
    col("kode_bidang", "string", Some("functional-classification:generic:level1:code"), "Kode bidang"),
    col("nama_bidang", "string", Some("functional-classification:generic:level1:label"), "Nama bidang"),
    col("kode_kegiatan", "string", Some("activity:generic:project:code"), "Kode kegiatan"),
    col("uraian", "string", None, "Uraian"),
    col("sumber_dana", "string", Some("fin-source:generic:code"), "Sumber dana"),
    col("anggaran", "integer", Some("value"), "Anggaran (Rp)"),
    col("realisasi_s1", "integer", Some("value"), "Realisasi semester I (Rp)"),
    col("realisasi_s2", "integer", Some("value"), "Realisasi semester II (Rp)"),
];

const APBD: [Column; 18] = [
    col("tahun", "integer", Some("date:fiscal-year"), "Tahun anggaran"),
    col("kode_opd", "string", Some("administrative-classification:generic:level1:code"), "Kode perangkat daerah"),
    col("nama_opd", "string", Some("administrative-classification:generic:level1:label"), "Nama perangkat daerah"),
    col("arah", "string", Some("direction"), "Arah (revenue/expenditure)"),
    col("urusan", "string", Some("functional-classification:generic:level1:code"), "Kode urusan"),
    col("bidang_urusan", "string", Some("functional-classification:generic:level2:code"), "Kode bidang urusan"),
    col("program", "string", Some("activity:generic:program:code"), "Kode program"),
    col("kegiatan", "string", Some("activity:generic:project:code"), "Kode kegiatan"),
    col("sub_kegiatan", "string", Some("activity:generic:subproject:code"), "Kode sub kegiatan"),
    col("nama_sub_kegiatan", "string", Some("activity:generic:subproject:label"), "Nama sub kegiatan"),
    col("kode_rekening", "string", Some("economic-classification:generic:code"), "Kode rekening"),
    col("uraian", "string", None, "Uraian"),
    col("anggaran", "integer", Some("value"), "Anggaran (Rp)"),
    col("realisasi_tw1", "integer", Some("value"), "Realisasi triwulan I (Rp)"),
    col("realisasi_tw2", "integer", Some("value"), "Realisasi triwulan II (Rp)"),
    col("realisasi_tw3", "integer", Some("value"), "Realisasi triwulan III (Rp)"),
    col("realisasi_tw4", "integer", Some("value"), "Realisasi triwulan IV (Rp)"),
    col("akun", "string", Some("economic-classification:generic:level1:code"), "Akun (4/5/6)"),
];

/// Why a package could not be described.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FdpError {
    /// The name has characters Data Package names do not allow.
    BadName,
}

impl FdpError {
    /// A stable key for the message catalogue.
    pub fn code(&self) -> &'static str {
        match self {
            FdpError::BadName => "fdp_bad_name",
        }
    }
}

/// Writes the `datapackage.json` of an APBDes or APBD package.
pub fn datapackage(kind: Kind, meta: &Meta) -> Result<Value, FdpError> {
    if meta.name.is_empty() || !meta.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-._/".contains(&b)) {
        return Err(FdpError::BadName);
    }
    let (columns, resource): (&[Column], &str) = match kind {
        Kind::Apbdes => (&APBDES, "apbdes"),
        Kind::Apbd => (&APBD, "apbd"),
    };
    let fields: Vec<Value> = columns
        .iter()
        .map(|c| {
            let mut f = json!({"name": c.name, "type": c.kind, "title": c.title});
            if let Some(t) = c.column_type {
                f["columnType"] = json!(t);
            }
            f
        })
        .collect();
    let (license, license_url, license_title) = &meta.license;
    let mut package = json!({
        "profile": "fiscal-data-package",
        "name": meta.name,
        "title": meta.title,
        "description": meta.description,
        "countryCode": "ID",
        "granularity": "aggregated",
        "fiscalPeriod": {"start": format!("{}-01-01", meta.year), "end": format!("{}-12-31", meta.year)},
        "profiles": {"fiscal": "*", "tabular": "*"},
        "licenses": [{"name": license, "path": license_url, "title": license_title}],
        "keywords": match kind {
            Kind::Apbdes => ["anggaran", "APBDes", "desa", "fiscal"],
            Kind::Apbd => ["anggaran", "APBD", "kabupaten", "fiscal"],
        },
        "resources": [{
            "name": resource,
            "profile": "tabular-data-resource",
            "path": meta.csv_url,
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": {"fields": fields},
        }],
        "model": model(kind, resource),
    });
    if let Some(home) = &meta.homepage {
        package["homepage"] = json!(home);
    }
    if let Some(created) = &meta.created {
        package["created"] = json!(created);
    }
    Ok(package)
}

fn measure(source: &str, phase: &str, resource: &str) -> Value {
    json!({"source": source, "currency": "IDR", "factor": 1, "phase": phase, "resource": resource})
}

fn attr(source: &str, resource: &str) -> Value {
    json!({"source": source, "resource": resource})
}

fn with(mut value: Value, key: &str, to: &str) -> Value {
    value[key] = json!(to);
    value
}

fn model(kind: Kind, r: &str) -> Value {
    let mut measures = Map::new();
    let mut dimensions = Map::new();
    measures.insert("anggaran".into(), measure("anggaran", "approved", r));
    dimensions
        .insert("tahun".into(), json!({"dimensionType": "datetime", "attributes": {"tahun": attr("tahun", r)}, "primaryKey": "tahun"}));
    dimensions.insert("arah".into(), json!({"dimensionType": "other", "attributes": {"arah": attr("arah", r)}, "primaryKey": "arah"}));
    match kind {
        Kind::Apbdes => {
            for m in ["realisasi_s1", "realisasi_s2"] {
                measures.insert(m.into(), measure(m, "executed", r));
            }
            dimensions.insert("desa".into(), json!({"dimensionType": "entity", "attributes": {"id": attr("kode_desa", r), "title": with(attr("nama_desa", r), "labelfor", "id")}, "primaryKey": "id"}));
            dimensions.insert("akun".into(), json!({"dimensionType": "classification", "classificationType": "economic", "attributes": {"kelompok": attr("kelompok", r), "code": with(attr("kode_akun", r), "parent", "kelompok")}, "primaryKey": "code"}));
            dimensions.insert("bidang".into(), json!({"dimensionType": "classification", "classificationType": "functional", "attributes": {"code": attr("kode_bidang", r), "title": with(attr("nama_bidang", r), "labelfor", "code")}, "primaryKey": "code"}));
            dimensions.insert("kegiatan".into(), json!({"dimensionType": "activity", "attributes": {"id": attr("kode_kegiatan", r), "title": attr("uraian", r)}, "primaryKey": "id"}));
            dimensions.insert(
                "sumber_dana".into(),
                json!({"dimensionType": "other", "attributes": {"code": attr("sumber_dana", r)}, "primaryKey": "code"}),
            );
        }
        Kind::Apbd => {
            for m in ["realisasi_tw1", "realisasi_tw2", "realisasi_tw3", "realisasi_tw4"] {
                measures.insert(m.into(), measure(m, "executed", r));
            }
            dimensions.insert("opd".into(), json!({"dimensionType": "entity", "attributes": {"id": attr("kode_opd", r), "title": with(attr("nama_opd", r), "labelfor", "id")}, "primaryKey": "id"}));
            dimensions.insert("urusan".into(), json!({"dimensionType": "classification", "classificationType": "functional", "attributes": {"urusan": attr("urusan", r), "code": with(attr("bidang_urusan", r), "parent", "urusan")}, "primaryKey": "code"}));
            dimensions.insert(
                "program".into(),
                json!({"dimensionType": "activity", "attributes": {
                    "program": attr("program", r),
                    "kegiatan": with(attr("kegiatan", r), "parent", "program"),
                    "id": with(attr("sub_kegiatan", r), "parent", "kegiatan"),
                    "title": with(attr("nama_sub_kegiatan", r), "labelfor", "id"),
                }, "primaryKey": "id"}),
            );
            dimensions.insert("rekening".into(), json!({"dimensionType": "classification", "classificationType": "economic", "attributes": {"akun": attr("akun", r), "code": with(attr("kode_rekening", r), "parent", "akun"), "title": with(attr("uraian", r), "labelfor", "code")}, "primaryKey": "code"}));
        }
    }
    json!({"measures": measures, "dimensions": dimensions})
}

fn csv_text(columns: &[Column], rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut out = csv::Writer::from_writer(Vec::new());
    let write = |out: &mut csv::Writer<Vec<u8>>, row: &[String]| out.write_record(row).expect("writing to memory does not fail");
    write(&mut out, &columns.iter().map(|c| c.name.to_string()).collect::<Vec<_>>());
    for row in rows {
        write(&mut out, &row);
    }
    String::from_utf8(out.into_inner().expect("writing to memory does not fail")).expect("CSV of UTF-8 text is UTF-8")
}

fn amount(r: Option<Rupiah>) -> String {
    r.map(|r| r.get().to_string()).unwrap_or_default()
}

/// The APBDes CSV of one or many villages: `(desa code, desa name, budget)`.
pub fn apbdes_csv(year: i32, villages: &[(wilayah::Code, &str, &apbdes::Apbdes)], list: &CodeList) -> String {
    let rows = villages.iter().flat_map(|(code, name, budget)| {
        budget.lines.iter().map(move |line| {
            let (arah, kelompok, akun, kegiatan) = match &line.pos {
                Pos::Pendapatan { akun } => ("revenue", "pendapatan", akun.to_string(), String::new()),
                Pos::Pembiayaan { akun } if akun.arah() == Some(ArahPembiayaan::Penerimaan) => {
                    ("revenue", "pembiayaan", akun.to_string(), String::new())
                }
                Pos::Pembiayaan { akun } => ("expenditure", "pembiayaan", akun.to_string(), String::new()),
                Pos::Belanja { kegiatan, akun } => (
                    "expenditure",
                    "belanja",
                    akun.as_ref().map(|a| a.to_string()).unwrap_or_default(),
                    kegiatan.map(|k| k.to_string()).unwrap_or_default(),
                ),
            };
            let bidang = line.pos.bidang();
            let nama_bidang = bidang.and_then(|b| list.bidang(&b.to_string()).map(|e| e.name.clone())).unwrap_or_default();
            vec![
                year.to_string(),
                code.bps(),
                name.to_string(),
                arah.into(),
                kelompok.into(),
                akun,
                bidang.map(|b| b.to_string()).unwrap_or_default(),
                nama_bidang,
                kegiatan,
                line.name.clone(),
                line.sumber.clone().unwrap_or_default(),
                line.plan.get().to_string(),
                amount(line.realised[0]),
                amount(line.realised[1]),
            ]
        })
    });
    csv_text(&APBDES, rows)
}

/// The APBD CSV.
pub fn apbd_csv(year: i32, lines: &[apbd::Line]) -> String {
    let rows = lines.iter().map(|line| {
        let path: Vec<String> = line.sub_kegiatan.as_ref().map(|s| s.path().iter().map(|p| p.to_string()).collect()).unwrap_or_default();
        let at = |level: usize| path.get(level).cloned().unwrap_or_default();
        let arah = match line.rekening.akun() {
            4 => "revenue",
            6 if line.rekening.as_str().starts_with("6.1") => "revenue",
            _ => "expenditure",
        };
        let mut row = vec![
            year.to_string(),
            line.kode_opd.clone(),
            line.nama_opd.clone(),
            arah.into(),
            at(0),
            at(1),
            at(2),
            at(3),
            at(4),
            line.nama_sub_kegiatan.clone(),
            line.rekening.to_string(),
            line.uraian.clone(),
        ];
        row.push(line.amounts.plan.get().to_string());
        row.extend(line.amounts.realised.iter().map(|r| r.get().to_string()));
        row.push(line.rekening.akun().to_string());
        row
    });
    csv_text(&APBD, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(name: &str) -> Meta {
        Meta {
            name: name.into(),
            title: "APBDes Desa Sukamaju 2025".into(),
            description: "Data demo".into(),
            homepage: Some("https://bojonegorokab.example/desa/3522012001".into()),
            license: ("CC-BY-4.0".into(), "https://creativecommons.org/licenses/by/4.0/".into(), "Creative Commons Attribution 4.0".into()),
            year: 2025,
            csv_url: "https://bojonegorokab.example/anggaran/2025/apbdes.csv".into(),
            created: Some("2025-07-01T00:00:00+07:00".into()),
        }
    }

    /// Every measure and attribute names a column of the schema; names are
    /// valid; the profile parts the validators require are there.
    fn assert_valid(package: &Value) {
        assert_eq!(package["profile"], "fiscal-data-package");
        let resource = &package["resources"][0];
        for key in ["name", "path", "schema", "profile"] {
            assert!(!resource[key].is_null(), "{key}");
        }
        let fields: Vec<&str> = resource["schema"]["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
        let model = &package["model"];
        assert!(!model["measures"].as_object().unwrap().is_empty());
        for (name, m) in model["measures"].as_object().unwrap() {
            assert!(fields.contains(&m["source"].as_str().unwrap()), "{name}");
            assert_eq!(m["currency"], "IDR");
            assert!(["approved", "executed"].contains(&m["phase"].as_str().unwrap()));
        }
        for (name, d) in model["dimensions"].as_object().unwrap() {
            let attributes = d["attributes"].as_object().unwrap();
            for a in attributes.values() {
                assert!(fields.contains(&a["source"].as_str().unwrap()), "{name}");
                for link in ["parent", "labelfor"] {
                    if let Some(target) = a[link].as_str() {
                        assert!(attributes.contains_key(target), "{name}.{link}");
                    }
                }
            }
            assert!(attributes.contains_key(d["primaryKey"].as_str().unwrap()), "{name}");
            if d["dimensionType"] == "classification" {
                assert!(attributes.contains_key("code"), "{name}");
            }
        }
    }

    #[test]
    fn an_apbdes_package_and_its_csv() {
        let package = datapackage(Kind::Apbdes, &meta("apbdes-3522012001-2025")).unwrap();
        assert_valid(&package);
        assert_eq!(package["fiscalPeriod"], json!({"start": "2025-01-01", "end": "2025-12-31"}));
        assert_eq!(package["model"]["measures"]["realisasi_s2"]["phase"], "executed");
        let lines = crate::apbdes::tests_support::lines(
            "
            4.2.1 | Dana Desa | DDS | 1.000.000 | 500.000 |
            2.2.01/5.2.1.01 | Honor kader, \"Posyandu\" | DDS | 900.000 | 400.000 | 100.000
            6.1.1 | SiLPA | | 100.000 | |
            6.2.2 | Penyertaan Modal | | 200.000 | |
            ",
        );
        let list = CodeList::embedded();
        let budget = apbdes::check(&lines, &list, &apbdes::Settings::default()).unwrap();
        let desa = wilayah::Code::parse("35.22.01.2001").unwrap();
        let csv = apbdes_csv(2025, &[(desa, "Sukamaju", &budget)], &list);
        let header = APBDES.iter().map(|c| c.name).collect::<Vec<_>>().join(",");
        assert_eq!(
            csv,
            format!(
                "{header}\n\
                 2025,3522012001,Sukamaju,revenue,pendapatan,4.2.1,,,,Dana Desa,DDS,1000000,500000,\n\
                 2025,3522012001,Sukamaju,expenditure,belanja,5.2.1.01,2,Pelaksanaan Pembangunan Desa,2.2.01,\"Honor kader, \"\"Posyandu\"\"\",DDS,900000,400000,100000\n\
                 2025,3522012001,Sukamaju,revenue,pembiayaan,6.1.1,,,,SiLPA,,100000,,\n\
                 2025,3522012001,Sukamaju,expenditure,pembiayaan,6.2.2,,,,Penyertaan Modal,,200000,,\n"
            )
        );
    }

    #[test]
    fn an_apbd_package_and_its_csv() {
        let package = datapackage(Kind::Apbd, &meta("apbd-3522-2025")).unwrap();
        assert_valid(&package);
        let fields = package["resources"][0]["schema"]["fields"].as_array().unwrap();
        assert_eq!(fields.iter().filter(|f| f["columnType"] == "value").count(), 5);
        let lines = apbd::check(&[apbd::LineInput {
            line: 1,
            kode_opd: "1.02.0.00.0.00.01.0000".into(),
            nama_opd: "Dinas Kesehatan".into(),
            sub_kegiatan: "1.02.02.2.01.0001".into(),
            nama_sub_kegiatan: "Pelayanan Kesehatan".into(),
            rekening: "5.1.01.01.01.0001".into(),
            uraian: "Gaji Pokok PNS".into(),
            pagu: "1.000.000".into(),
            realisasi: ["250.000".into(), String::new(), String::new(), String::new()],
        }])
        .unwrap();
        let csv = apbd_csv(2025, &lines);
        let mut rows = csv.lines();
        assert_eq!(rows.next().unwrap(), APBD.iter().map(|c| c.name).collect::<Vec<_>>().join(","));
        assert_eq!(
            rows.next().unwrap(),
            "2025,1.02.0.00.0.00.01.0000,Dinas Kesehatan,expenditure,1,1.02,1.02.02,1.02.02.2.01,1.02.02.2.01.0001,Pelayanan Kesehatan,5.1.01.01.01.0001,Gaji Pokok PNS,1000000,250000,0,0,0,5"
        );
    }

    #[test]
    fn refuses_a_bad_name() {
        assert_eq!(datapackage(Kind::Apbd, &meta("APBD 2025")), Err(FdpError::BadName));
    }
}
