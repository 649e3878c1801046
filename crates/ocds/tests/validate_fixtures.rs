//! Validation of real OCDS data: the standard's fictional example (release
//! and record packages, which OCP publishes as valid) and the merge
//! fixtures' releases wrapped in a package. Copied in `tests/data/` (see its
//! README.md).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use ocds::validate::{PackageType, Report, Validator, validate_package};
use serde_json::{Value, json};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

fn data(path: &str) -> PathBuf {
    Path::new(DATA).join(path)
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn describe(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_default()
}

#[test]
fn fictional_release_packages_are_valid() {
    let files = json_files(&data("sample-data/fictional-example/1.1"));
    assert_eq!(files.len(), 7, "six stage packages and the combined one");
    for file in files {
        let report = validate_package(&read(&file));
        let name = file.display();
        assert!(report.valid, "{name}: {}", describe(&report));
        assert!(report.errors.is_empty(), "{name}");
        assert_eq!(report.package_type, Some(PackageType::Release), "{name}");
        assert_eq!(report.ocids, 1, "{name}");
        // Its dates are coherent and it uses no deprecated or unknown field.
        assert!(report.warnings.is_empty(), "{name}: {}", describe(&report));
    }
}

#[test]
fn fictional_combined_package_counts_and_notices() {
    let report = validate_package(&read(&data("sample-data/fictional-example/1.1/ocds-213czf-000-00001.json")));
    assert_eq!((report.releases, report.ocids, report.records), (6, 1, None));
    // The example deliberately uses a code outside the open documentType
    // codelist (an extension's `x_` code): a notice, not an error.
    let notice = report.find("open_codelist", "releases/tender/documents/documentType").expect("open codelist notice");
    assert_eq!(notice.count, 2);
    assert_eq!(notice.examples[0].value, Some(json!("x_consultationDocument")));
    assert_eq!(report.notices.len(), 1, "{}", describe(&report));
}

#[test]
fn fictional_record_packages_are_valid() {
    for name in ["ocds-213czf-000-00001.json", "ocds-213czf-000-00001-withversions.json"] {
        let report = validate_package(&read(&data(&format!("sample-data/fictional-example/1.1/record/{name}"))));
        assert!(report.valid, "{name}: {}", describe(&report));
        assert!(report.warnings.is_empty(), "{name}: {}", describe(&report));
        assert_eq!(report.package_type, Some(PackageType::Record));
        assert_eq!((report.releases, report.records, report.ocids), (6, Some(1), 1), "{name}");
        // The compiled release is validated too: its documentType notice.
        assert!(report.find("open_codelist", "records/compiledRelease/tender/documents/documentType").is_some(), "{name}");
    }
    // The versioned release is checked against the versioned schema.
    let report = validate_package(&read(&data("sample-data/fictional-example/1.1/record/ocds-213czf-000-00001-withversions.json")));
    assert!(report.find("open_codelist", "records/versionedRelease/tender/documents/documentType/value").is_some());
}

#[test]
fn a_broken_fictional_record_is_explained_against_embedded_or_linked_releases() {
    let path = data("sample-data/fictional-example/1.1/record/ocds-213czf-000-00001.json");
    let mut package: Value = serde_json::from_slice(&read(&path)).expect("fixture is JSON");
    // A linked release without its url: explained as a linked release.
    package["records"][0]["releases"][2].as_object_mut().expect("linked release").remove("url");
    let report = validate_package(&serde_json::to_vec(&package).expect("serializable"));
    let missing = report.find("required", "records/releases/url").expect("url required");
    assert_eq!(missing.examples[0].path, "records/0/releases/2/url");
    assert!(report.find("required", "records/releases/ocid").is_none(), "{}", describe(&report));
}

#[test]
fn merge_fixture_releases_wrapped_in_a_package_are_valid() {
    let validator = Validator::ocds_1_1_5();
    let files: Vec<PathBuf> = json_files(&data("merge-fixtures/1.1"))
        .into_iter()
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| !n.contains("-compiled") && !n.contains("-versioned")))
        .collect();
    assert!(files.len() >= 15, "fixtures found: {}", files.len());
    for file in files {
        let name = file.display();
        let releases: Value = serde_json::from_slice(&read(&file)).expect("fixture is JSON");
        let count = releases.as_array().map(Vec::len).expect("a list of releases");
        let ocids: BTreeSet<&str> = releases.as_array().into_iter().flatten().filter_map(|r| r["ocid"].as_str()).collect();
        let package = json!({
            "uri": "https://example.com/packages/1.json",
            "publisher": {"name": "Test"},
            "publishedDate": "2024-01-01T00:00:00Z",
            "version": "1.1",
            "releases": releases,
        });
        let report = validator.validate(&serde_json::to_vec(&package).expect("serializable"));
        assert!(report.valid, "{name}: {}", describe(&report));
        assert_eq!((report.releases, report.ocids), (count, ocids.len()), "{name}");
        // The "empty" fixtures exercise empty arrays and objects: noticed.
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        if stem.starts_with("empty-") || stem.starts_with("single-empty-") {
            assert!(report.issues("empty_field").count() > 0, "{name}: {}", describe(&report));
        }
    }
}

#[test]
fn truncated_packages_report_where_the_json_breaks_and_never_panic() {
    let bytes = read(&data("sample-data/fictional-example/1.1/ocds-213czf-000-00001-04-award.json"));
    for cut in (0..bytes.len()).step_by(97) {
        let report = validate_package(&bytes[..cut]);
        assert!(!report.valid, "cut at {cut}");
        let error = &report.errors[0];
        assert_eq!(error.kind, "invalid_json", "cut at {cut}");
        assert!(error.line.is_some_and(|l| l >= 1) && error.column.is_some(), "cut at {cut}");
    }
}
