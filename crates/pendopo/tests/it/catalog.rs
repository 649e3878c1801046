//! Every string of the interface exists in both languages.

use std::collections::BTreeSet;

use pendopo::web::ui::{all_templates, catalogues, parse_catalog};

/// Both languages: the shared catalogue and every slice's own.
#[test]
fn both_catalogues_have_the_same_keys() {
    let [id, en] = catalogues();
    let id: BTreeSet<String> = parse_catalog(&id).into_keys().collect();
    let en: BTreeSet<String> = parse_catalog(&en).into_keys().collect();
    assert_eq!(id.difference(&en).collect::<Vec<_>>(), Vec::<&String>::new(), "missing in English");
    assert_eq!(en.difference(&id).collect::<Vec<_>>(), Vec::<&String>::new(), "missing in Indonesian");
}

/// Keys written literally in templates (`t("...")`, every slice's too) and
/// in the Rust code (string literals under the kernel's prefixes and each
/// slice's name, from `slices::ALL`) are all in the catalogue.
#[test]
fn every_key_used_is_in_the_catalogue() {
    let id = parse_catalog(&catalogues()[0]);
    let mut used = BTreeSet::new();
    for (_, body) in all_templates() {
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
        let slices = pendopo::slices::ALL.iter().map(|s| format!("{}.", s.name));
        let prefixes: Vec<String> =
            ["error.", "region_code.", "datastore.", "ocds.", "nav."].map(String::from).into_iter().chain(slices).collect();
        for prefix in &prefixes {
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
