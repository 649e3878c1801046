//! Every string of the interface exists in both languages.

use std::collections::BTreeSet;

use pendopo::web::ui::{CATALOG_EN, CATALOG_ID, TEMPLATES, parse_catalog};

#[test]
fn both_catalogues_have_the_same_keys() {
    let id: BTreeSet<String> = parse_catalog(CATALOG_ID).into_keys().collect();
    let en: BTreeSet<String> = parse_catalog(CATALOG_EN).into_keys().collect();
    assert_eq!(id.difference(&en).collect::<Vec<_>>(), Vec::<&String>::new(), "missing in English");
    assert_eq!(en.difference(&id).collect::<Vec<_>>(), Vec::<&String>::new(), "missing in Indonesian");
}

/// Keys written literally in templates (`t("...")`) and in the Rust code
/// (`Msg::new("...")`, `"error.*"` keys) are all in the catalogue.
#[test]
fn every_key_used_is_in_the_catalogue() {
    let id = parse_catalog(CATALOG_ID);
    let mut used = BTreeSet::new();
    for (_, body) in TEMPLATES {
        for marker in ["t(\"", "t('"] {
            for part in body.split(marker).skip(1) {
                let end = part.find(['"', '\'']).unwrap();
                if !part[..end].ends_with('.') {
                    used.insert(part[..end].to_string());
                }
            }
        }
    }
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    for entry in walk(std::path::Path::new(src)) {
        let text = std::fs::read_to_string(&entry).unwrap();
        for prefix in ["error.", "region_code.", "catalog.", "datastore.", "ocds.", "pengadaan."] {
            for part in text.split(&format!("\"{prefix}")).skip(1) {
                let end = part.find('"').unwrap();
                let key = format!("{prefix}{}", &part[..end]);
                if !key.ends_with('.') && !key.ends_with(".html") {
                    used.insert(key);
                }
            }
        }
    }
    let missing: Vec<_> = used.iter().filter(|k| !id.contains_key(*k)).collect();
    assert!(missing.is_empty(), "keys without text: {missing:?}");
    assert!(used.len() > 60, "the scan found the keys ({})", used.len());
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}
