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

/// Each key is defined once over the shared catalogue and all the slices'
/// (a second definition would silently win over the first).
#[test]
fn no_key_is_defined_twice() {
    for (lang, text) in ["id", "en"].into_iter().zip(catalogues()) {
        let mut seen = BTreeSet::new();
        let twice: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim()))
            .filter(|k| !seen.insert(*k))
            .collect();
        assert_eq!(twice, Vec::<&str>::new(), "defined twice in {lang}");
    }
}

/// Keys written literally in templates (`t("...")`, every slice's too) and
/// in the Rust code (string literals under any prefix the catalogues use)
/// are all in the catalogue.
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
    // Every prefix the catalogues use (`dataset.`, `pengadaan.`, a new
    // slice's own): a literal under one of them is a key.
    let prefixes: BTreeSet<String> = id.keys().filter_map(|k| k.split_once('.')).map(|(p, _)| format!("{p}.")).collect();
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    for entry in walk(std::path::Path::new(src)) {
        let text = std::fs::read_to_string(&entry).unwrap();
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
    // Literals under a key prefix that are not keys: CKAN's own parameter
    // and field names, and a host name in an example.
    const NOT_KEYS: &[&str] = &["facet.field", "facet.limit", "resource.package_id", "satudata.bojonegorokab.go.id"];
    let missing: Vec<_> = used.iter().filter(|k| !id.contains_key(*k) && !NOT_KEYS.contains(&k.as_str())).collect();
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
