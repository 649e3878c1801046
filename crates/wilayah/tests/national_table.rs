//! The embedded table is the national one: checked against the shared data
//! files and the counts the regulation gives.

use std::path::PathBuf;

use wilayah::{Code, Directory, Level};

fn shared(file: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/wilayah").join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
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
fn embedded_table_equals_the_shared_files() {
    let shared =
        Directory::from_csv(&shared("provinces.csv"), &shared("regencies.csv"), &shared("districts.csv"), &shared("villages.csv")).unwrap();
    let embedded = Directory::embedded();
    assert_eq!(shared.len(), embedded.len());
    assert!(shared.iter().zip(embedded.iter()).all(|(a, b)| a == b));
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
