//! The map stays true (rust-analyzer's tidy tests): every file path that
//! docs/ARCHITECTURE.md names exists, every module says what it is in a
//! `//!` line, and only the places the map names know which engine runs.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for krate in std::fs::read_dir(root().join("crates")).unwrap() {
        let src = krate.unwrap().path().join("src");
        if src.is_dir() {
            rust_files(&src, &mut files);
        }
    }
    files.sort();
    files
}

#[test]
fn every_path_the_architecture_names_exists() {
    let root = root();
    let map = std::fs::read_to_string(root.join("docs/ARCHITECTURE.md")).unwrap();
    // Where the map's short paths are relative to: the repository, the
    // main crate, the tests, the shared migrations and templates, and the folder the current
    // section's heading names (`### crates/pendopo/src/web` holds `ctx.rs`).
    let bases = [
        root.clone(),
        root.join("crates"),
        root.join("crates/pendopo"),
        root.join("crates/pendopo/src"),
        root.join("crates/pendopo/tests/it"),
        root.join("crates/pendopo/migrations"),
        root.join("crates/pendopo/templates"),
    ];
    let exts = [".rs", ".md", ".sql", ".txt", ".html", ".toml", ".py", ".js", ".csv", "/"];
    let mut missing = Vec::new();
    let mut checked = 0;
    let mut section = root.clone();
    for line in map.lines() {
        let tokens: Vec<&str> = line.split('`').skip(1).step_by(2).map(str::trim).collect();
        if line.starts_with('#') {
            if let Some(t) = tokens.first() {
                section = root.join(t);
            }
            continue;
        }
        for token in tokens {
            let is_file = exts.iter().any(|e| token.ends_with(e)) && token.contains(['/', '.']);
            let not_a_file = token.starts_with('/')
                || token.contains(char::is_whitespace)
                || token.contains(['{', '*', '<', '>', ':', '='])
                || token.contains("NNNN");
            if !is_file || not_a_file {
                continue;
            }
            checked += 1;
            if !bases.iter().chain([&section]).any(|b| b.join(token).exists()) {
                missing.push(token.to_string());
            }
        }
    }
    assert!(missing.is_empty(), "docs/ARCHITECTURE.md names paths that do not exist: {missing:?}");
    assert!(checked >= 30, "only {checked} paths found in the map");
}

#[test]
fn every_module_says_what_it_is() {
    let undocumented: Vec<String> = sources()
        .into_iter()
        .filter(|f| !std::fs::read_to_string(f).unwrap().trim_start().starts_with("//!"))
        .map(|f| f.strip_prefix(root()).unwrap().display().to_string())
        .collect();
    assert!(undocumented.is_empty(), "modules without a //! line: {undocumented:?}");
}

/// The map says: only `store/` names an engine, except the full-text index
/// (`catalog/search/`) and the datastore's bulk load (`catalog/datastore/`).
#[test]
fn only_the_places_the_map_names_know_the_engine() {
    let allowed = [
        "crates/pendopo/src/store/",
        "crates/pendopo/src/slices/catalog/search/",
        "crates/pendopo/src/slices/catalog/datastore/",
        "crates/pendopo/src/slices/sensors/geo_index.rs",
    ];
    let knowing: Vec<String> = sources()
        .into_iter()
        .map(|f| f.strip_prefix(root()).unwrap().display().to_string())
        .filter(|f| !allowed.iter().any(|a| f.starts_with(a)))
        .filter(|f| {
            let text = std::fs::read_to_string(root().join(f)).unwrap();
            text.contains("Engine::Sqlite") || text.contains("Engine::Postgres")
        })
        .collect();
    assert!(knowing.is_empty(), "these name an engine but the map does not say so: {knowing:?}");
}
