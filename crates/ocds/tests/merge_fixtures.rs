//! Conformance: every fixture of the reference implementation (ocds-merge)
//! and the standard's fictional example, merged and compared with JSON
//! equality. The fixtures are copied in `tests/data/` (see its README.md).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use ocds::merge::{Grouping, Kind, Merger, Rule, read_releases};
use serde_json::Value;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

fn data(path: &str) -> PathBuf {
    Path::new(DATA).join(path)
}

fn load(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn merger(schema: &str) -> Merger {
    Merger::new(&load(&data(schema))).unwrap_or_else(|e| panic!("{schema}: {e}"))
}

/// One merge to check against an expected output.
struct Case {
    name: String,
    merger: Merger,
    releases: Vec<Value>,
    kind: Kind,
    expected: Value,
}

/// Merges the case and returns why it failed, if it did.
fn check(case: &Case) -> Option<String> {
    match case.merger.merge_kind(&case.releases, case.kind) {
        Ok(actual) if actual == case.expected => None,
        Ok(actual) => Some(format!("{}: differs at {}", case.name, first_difference(&actual, &case.expected, String::new()))),
        Err(error) => Some(format!("{}: error: {error}", case.name)),
    }
}

/// Where two JSON values first differ, to make a failure readable.
fn first_difference(actual: &Value, expected: &Value, at: String) -> String {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => {
            for key in a.keys().chain(e.keys()) {
                match (a.get(key), e.get(key)) {
                    (Some(x), Some(y)) if x == y => {}
                    (Some(x), Some(y)) => return first_difference(x, y, format!("{at}/{key}")),
                    (x, y) => return format!("{at}/{key}: got {x:?}, expected {y:?}"),
                }
            }
            format!("{at}: ?")
        }
        (Value::Array(a), Value::Array(e)) if a.len() == e.len() => {
            for (i, (x, y)) in a.iter().zip(e).enumerate() {
                if x != y {
                    return first_difference(x, y, format!("{at}/{i}"));
                }
            }
            format!("{at}: ?")
        }
        _ => format!("{at}: got {actual}, expected {expected}"),
    }
}

fn json_files(folder: &Path) -> BTreeSet<String> {
    fs::read_dir(folder)
        .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
        .map(|entry| entry.expect("directory entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect()
}

/// The cases of one ocds-merge fixture folder: every `X.json` holding an
/// array of releases, against `X-compiled.json` and `X-versioned.json`, and
/// `X-append.json` / `X-by-position.json` (ocds-merge's rule-override tests:
/// the releases merged twice over with that rule on `/nested/array`).
/// Returns the cases and the files they use.
fn folder_cases(folder: &str, schemas: &[(&str, Merger)]) -> (Vec<Case>, BTreeSet<String>) {
    let dir = data(folder);
    let files = json_files(&dir);
    let mut cases = Vec::new();
    let mut used = BTreeSet::new();
    for file in &files {
        let Value::Array(releases) = load(&dir.join(file)) else { continue };
        let base = file.trim_end_matches(".json");
        used.insert(file.clone());
        for (suffix, kind) in [("compiled", Kind::Compiled), ("versioned", Kind::Versioned)] {
            let expected = format!("{base}-{suffix}.json");
            if files.contains(&expected) {
                used.insert(expected.clone());
                for (schema, merger) in schemas {
                    cases.push(Case {
                        name: format!("{folder}/{expected} [{schema}]"),
                        merger: merger.clone(),
                        releases: releases.clone(),
                        kind,
                        expected: load(&dir.join(&expected)),
                    });
                }
            }
        }
        for (suffix, rule) in [("append", Rule::Append), ("by-position", Rule::MergeByPosition)] {
            let expected = format!("{base}-{suffix}.json");
            if files.contains(&expected) {
                used.insert(expected.clone());
                let twice: Vec<Value> = releases.iter().chain(&releases).cloned().collect();
                for (schema, merger) in schemas {
                    cases.push(Case {
                        name: format!("{folder}/{expected} [{schema}, {rule:?} on /nested/array, releases twice]"),
                        merger: merger.clone().with_rule("/nested/array", rule),
                        releases: twice.clone(),
                        kind: Kind::Compiled,
                        expected: load(&dir.join(&expected)),
                    });
                }
            }
        }
    }
    (cases, used)
}

fn sample_cases() -> Vec<Case> {
    let package = load(&data("sample-data/fictional-example/1.1/ocds-213czf-000-00001.json"));
    let releases = package["releases"].as_array().cloned().unwrap_or_default();
    assert_eq!(releases.len(), 6, "the fictional example has six releases");
    let record = load(&data("sample-data/fictional-example/1.1/record/ocds-213czf-000-00001-withversions.json"));
    let plain = load(&data("sample-data/fictional-example/1.1/record/ocds-213czf-000-00001.json"));
    let mut cases = Vec::new();
    for (schema, merger) in [("embedded 1.1.5", Merger::ocds_1_1()), ("1__1__4", merger("merge-fixtures/release-schema-1__1__4.json"))] {
        for (name, kind, expected) in [
            ("record compiledRelease", Kind::Compiled, &plain["records"][0]["compiledRelease"]),
            ("record-withversions compiledRelease", Kind::Compiled, &record["records"][0]["compiledRelease"]),
            ("record-withversions versionedRelease", Kind::Versioned, &record["records"][0]["versionedRelease"]),
        ] {
            cases.push(Case {
                name: format!("sample-data/fictional-example {name} [{schema}]"),
                merger: merger.clone(),
                releases: releases.clone(),
                kind,
                expected: expected.clone(),
            });
        }
    }
    cases
}

#[test]
fn every_fixture_merges_as_expected() {
    let mut cases = Vec::new();
    let mut unused = Vec::new();
    let folders: [(&str, Vec<(&str, Merger)>); 3] = [
        (
            "merge-fixtures/1.1",
            vec![("1__1__4", merger("merge-fixtures/release-schema-1__1__4.json")), ("embedded 1.1.5", Merger::ocds_1_1())],
        ),
        ("merge-fixtures/1.0", vec![("1__0__3", merger("merge-fixtures/release-schema-1__0__3.json"))]),
        ("merge-fixtures/schema", vec![("schema.json", merger("merge-fixtures/schema.json"))]),
    ];
    for (folder, schemas) in &folders {
        let (folder_cases, used) = folder_cases(folder, schemas);
        assert!(!folder_cases.is_empty(), "{folder}: no cases found");
        unused.extend(json_files(&data(folder)).difference(&used).map(|file| format!("{folder}/{file}")));
        cases.extend(folder_cases);
    }
    cases.extend(sample_cases());

    let failures: Vec<String> = cases.iter().filter_map(check).collect();
    let total = cases.len();
    for folder in ["merge-fixtures/1.1", "merge-fixtures/1.0", "merge-fixtures/schema", "sample-data"] {
        let count = |names: &mut dyn Iterator<Item = &String>| names.filter(|name| name.starts_with(folder)).count();
        let all = count(&mut cases.iter().map(|case| &case.name));
        eprintln!("{folder}: {} of {all} cases pass", all - count(&mut failures.iter()));
    }
    assert!(unused.is_empty(), "fixture files no case uses: {unused:#?}");
    assert!(failures.is_empty(), "{} of {total} fixture cases fail:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn duplicate_ids_warn_once_per_duplicate() {
    let releases = load(&data("merge-fixtures/schema/identifier-merge-duplicate-id.json"));
    let releases = releases.as_array().expect("an array of releases");
    let (_, warnings) = merger("merge-fixtures/schema.json").compiled_with_warnings(releases).expect("merges");
    // Field order within an object is not significant in JSON: compare as a set.
    let messages: BTreeSet<String> = warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        BTreeSet::from([
            "Multiple objects have the `id` value '1' in the `nested.identifierMerge` array (release 0 of ocds-213czf-1)".to_owned(),
            "Multiple objects have the `id` value '1' in the `nested.array` array (release 0 of ocds-213czf-1)".to_owned(),
        ])
    );
}

#[test]
fn the_example_streams_from_its_release_packages() {
    // The six single-release packages, one per line, in reverse date order:
    // the merge must sort them, and the stream must group them.
    let folder = data("sample-data/fictional-example/1.1");
    let mut names: Vec<String> = json_files(&folder).into_iter().filter(|name| name.contains("-00001-0")).collect();
    names.sort();
    names.reverse();
    assert_eq!(names.len(), 6);
    let lines: Vec<String> = names.iter().map(|name| load(&folder.join(name)).to_string()).collect();
    let input = lines.join("\n");
    let merger = Merger::ocds_1_1();
    let merged: Vec<Value> =
        merger.merge_stream(read_releases(input.as_bytes()), Grouping::Sorted, Kind::Compiled).collect::<Result<_, _>>().expect("merges");
    let record = load(&data("sample-data/fictional-example/1.1/record/ocds-213czf-000-00001.json"));
    assert_eq!(merged, [record["records"][0]["compiledRelease"].clone()]);
}

#[test]
fn check_reports_a_difference() {
    let dir = data("merge-fixtures/1.1");
    let releases = load(&dir.join("simple.json")).as_array().cloned().unwrap_or_default();
    let mut expected = load(&dir.join("simple-compiled.json"));
    let case = |expected: &Value| Case {
        name: "simple".into(),
        merger: Merger::ocds_1_1(),
        releases: releases.clone(),
        kind: Kind::Compiled,
        expected: expected.clone(),
    };
    assert_eq!(check(&case(&expected)), None);
    expected["tender"]["procurementMethod"] = "selective".into();
    let failure = check(&case(&expected)).unwrap_or_default();
    assert!(failure.starts_with("simple: differs at /tender/procurementMethod"), "{failure}");
}
