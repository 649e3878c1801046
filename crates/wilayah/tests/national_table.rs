//! The embedded table is the national one: the files in `data/` are the
//! idn-area-data 4.0.1 release byte for byte (their SHA-256 is recorded here
//! and in `data/README.md`, so `sha256sum` checks them against upstream), with
//! the counts the regulation gives and known codes and names. Nothing is read
//! from outside the repository.

use sha2::{Digest, Sha256};
use wilayah::{Code, Directory, Level};

/// Each embedded file with its size in bytes and SHA-256, as published in
/// idn-area-data 4.0.1 (`data/`). A changed table must update these.
const FILES: [(&str, &[u8], usize, &str); 4] = [
    ("provinces.csv", include_bytes!("../data/provinces.csv"), 666, "ee9e5b5aaca298c41aef1aa0888285e103856f1414134bbb7afc68b294c9a89d"),
    ("regencies.csv", include_bytes!("../data/regencies.csv"), 14_968, "d5fbd54bb1500bbf5e194ddc94a3806df6e6837a310146dfa646b085bd99c0ae"),
    ("districts.csv", include_bytes!("../data/districts.csv"), 186_385, "982f843613cf36bf474cab7ec46b5ecafc46dfeaad26e4bbadf170a6dae8ebe7"),
    ("villages.csv", include_bytes!("../data/villages.csv"), 2_807_375, "6a8e53fce14d21b514f1f7d1602ceeab4ffbec6df98903e2cad949d8fee94690"),
];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn embedded_table_has_the_national_counts() {
    let dir = Directory::embedded();
    assert_eq!(dir.count_at_depth(1), 38);
    assert_eq!(dir.count_at_depth(2), 514);
    assert_eq!(dir.count_at_depth(3), 7_285);
    assert_eq!(dir.count_at_depth(4), 83_762);
}

#[test]
fn embedded_files_are_the_idn_area_data_release() {
    for (name, bytes, len, sha256) in FILES {
        assert_eq!(bytes.len(), len, "{name}: size");
        assert_eq!(hex(&Sha256::digest(bytes)), sha256, "{name}: SHA-256");
    }
    // Every data row of the files is a region of the table.
    let rows: usize = FILES.iter().map(|(_, bytes, _, _)| bytes.iter().filter(|&&b| b == b'\n').count() - 1).sum();
    assert_eq!(Directory::embedded().len(), rows);
}

#[test]
fn known_codes_have_their_names() {
    let dir = Directory::embedded();
    let name = |code: &str| dir.get(&code.parse::<Code>().unwrap()).unwrap_or_else(|| panic!("{code} missing")).name.clone();
    for (code, expected) in [
        ("11", "Aceh"),
        ("31", "Daerah Khusus Ibukota Jakarta"),
        ("35", "Jawa Timur"),
        ("96", "Papua Barat Daya"),
        ("11.01", "Kabupaten Aceh Selatan"),
        ("31.71", "Kota Administrasi Jakarta Pusat"),
        ("35.22", "Kabupaten Bojonegoro"),
        ("35.78", "Kota Surabaya"),
        ("11.01.01", "Bakongan"),
        ("11.01.01.2001", "Keude Bakongan"),
        ("96.71.10.1004", "Tanjung Kasuari"),
    ] {
        assert_eq!(name(code), expected, "{code}");
    }
    // The 38 provinces since the Papua provinces of 2022.
    let provinces: Vec<String> = dir.provinces().map(|r| r.code.to_string()).collect();
    let expected = "11 12 13 14 15 16 17 18 19 21 31 32 33 34 35 36 51 52 53 61 62 63 64 65 71 72 73 74 75 76 81 82 91 92 93 94 95 96";
    assert_eq!(provinces.join(" "), expected);
    assert!(dir.get(&"35.23".parse().unwrap()).is_some() && dir.get(&"35.22.29".parse().unwrap()).is_none());
}

#[test]
fn bojonegoro_is_as_the_domain_facts_say() {
    let dir = Directory::embedded();
    let bjn: Code = "35.22".parse().unwrap();
    assert_eq!(dir.get(&bjn).unwrap().name, "Kabupaten Bojonegoro");
    assert_eq!(dir.counts(&bjn), [0, 28, 430]);
    let villages: Vec<_> = dir.subtree(&bjn).iter().filter(|r| r.code.depth() == 4).collect();
    let kelurahan: Vec<_> = villages.iter().filter(|r| r.level == Level::Kelurahan).collect();
    assert_eq!((villages.len() - kelurahan.len(), kelurahan.len()), (419, 11));
    let kec_bojonegoro: Code = "35.22.15".parse().unwrap();
    assert!(kelurahan.iter().all(|r| kec_bojonegoro.contains(&r.code)));
    assert_eq!(dir.get(&"35.22.01".parse().unwrap()).unwrap().name, "Ngraho");
}

#[test]
fn search_is_case_and_accent_insensitive_and_scoped() {
    let dir = Directory::embedded();
    let hits = dir.search("regapu'u", None, 5);
    assert_eq!(hits[0].name, "Regapu’u");
    let bjn: Code = "35.22".parse().unwrap();
    let hits = dir.search("KALITIDU", Some(&bjn), 50);
    assert_eq!(hits[0].level, Level::Kecamatan);
    assert!(hits.iter().all(|r| bjn.contains(&r.code)));
    assert_eq!(dir.search("surabaya", None, 1)[0].code.to_string(), "35.78");
}
