//! Every validation check on hand-made packages: a clean package first (so
//! each later assertion is about the one change made), then one mistake at
//! a time, asserted as a user reads the report: type, path, count, example.

use ocds::validate::{Issue, PackageType, Report, Validator, validate_package};
use serde_json::{Value, json};

/// A small valid release package, with one tender release.
fn package() -> Value {
    json!({
        "uri": "https://lpse.example.go.id/ocds/packages/1.json",
        "publisher": {"name": "LPSE Kabupaten Contoh"},
        "publishedDate": "2024-03-01T00:00:00+07:00",
        "version": "1.1",
        "releases": [release("r1")],
    })
}

fn release(id: &str) -> Value {
    json!({
        "ocid": "ocds-213czf-000-00001",
        "id": id,
        "date": "2024-01-10T09:00:00+07:00",
        "tag": ["tender"],
        "initiationType": "tender",
        "tender": {
            "id": "t1",
            "title": "Pembangunan jalan desa",
            "status": "active",
            "procurementMethod": "open",
            "tenderPeriod": {"startDate": "2024-01-10T09:00:00+07:00", "endDate": "2024-02-10T16:00:00+07:00"}
        }
    })
}

/// A compiled-style release with the whole process, dates in order.
fn full_release() -> Value {
    let mut r = release("r9");
    r["tag"] = json!(["compiled"]);
    r["awards"] = json!([{"id": "a1", "status": "active", "date": "2024-02-20T10:00:00+07:00"}]);
    r["contracts"] = json!([{
        "id": "c1",
        "awardID": "a1",
        "dateSigned": "2024-03-01T10:00:00+07:00",
        "implementation": {"transactions": [{"id": "p1", "date": "2024-04-01T10:00:00+07:00"}]}
    }]);
    r
}

fn validate(package: &Value) -> Report {
    validate_package(&serde_json::to_vec(package).expect("serializable"))
}

/// Validates the package after `change`.
fn check(change: impl FnOnce(&mut Value)) -> Report {
    let mut p = package();
    change(&mut p);
    validate(&p)
}

fn show(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_default()
}

/// The one issue of `kind` at `path`, or a failure showing the report.
fn issue<'r>(report: &'r Report, kind: &str, path: &str) -> &'r Issue {
    report.find(kind, path).unwrap_or_else(|| panic!("no {kind} at {path} in {}", show(report)))
}

#[test]
fn the_clean_packages_have_no_issue_at_all() {
    let report = validate(&package());
    assert!(report.valid);
    assert!(report.errors.is_empty() && report.warnings.is_empty() && report.notices.is_empty(), "{}", show(&report));
    assert_eq!((report.package_type, report.releases, report.ocids), (Some(PackageType::Release), 1, 1));

    let report = check(|p| p["releases"] = json!([full_release()]));
    assert!(report.errors.is_empty() && report.warnings.is_empty() && report.notices.is_empty(), "{}", show(&report));
}

#[test]
fn wrong_type_is_grouped_across_releases() {
    let report = check(|p| {
        p["releases"] = json!((1..=5).map(|i| release(&format!("r{i}"))).collect::<Vec<_>>());
        for r in p["releases"].as_array_mut().into_iter().flatten() {
            r["tender"]["id"] = json!(true);
        }
    });
    assert!(!report.valid);
    let e = issue(&report, "type", "releases/tender/id");
    assert_eq!(e.count, 5);
    assert_eq!(e.examples.len(), 3, "examples are capped");
    assert_eq!(e.examples[1].path, "releases/1/tender/id");
    assert_eq!(e.examples[1].value, Some(json!(true)));
    assert!(e.message.contains("string or integer"), "{}", e.message);
    assert_eq!(report.errors.len(), 1, "{}", show(&report));
}

#[test]
fn missing_required_fields_are_named_by_their_path() {
    let report = check(|p| {
        p.as_object_mut().map(|o| o.remove("publisher"));
        p["releases"][0].as_object_mut().map(|o| o.remove("date"));
    });
    assert_eq!(issue(&report, "required", "publisher").count, 1);
    let e = issue(&report, "required", "releases/date");
    assert_eq!(e.examples[0].path, "releases/0/date");
    assert_eq!(report.errors.len(), 2, "{}", show(&report));
}

#[test]
fn values_outside_a_closed_codelist_are_errors_reported_once() {
    let report = check(|p| {
        p["releases"][0]["tender"]["status"] = json!("ongoing");
        p["releases"][0]["tag"] = json!(["tender", "tenderBegins"]);
    });
    assert!(!report.valid);
    let e = issue(&report, "closed_codelist", "releases/tender/status");
    assert_eq!((e.count, e.examples[0].value.clone()), (1, Some(json!("ongoing"))));
    assert!(e.message.contains("tenderStatus.csv"));
    let e = issue(&report, "closed_codelist", "releases/tag");
    assert_eq!(e.examples[0].path, "releases/0/tag/1");
    // The schema's enum says the same thing: not reported twice.
    assert_eq!(report.issues("enum").count(), 0, "{}", show(&report));
    assert_eq!(report.errors.len(), 2);
}

#[test]
fn a_currency_outside_iso_4217_is_a_closed_codelist_error() {
    let report = check(|p| p["releases"][0]["tender"]["value"] = json!({"amount": 1_500_000_000, "currency": "RP"}));
    assert_eq!(issue(&report, "closed_codelist", "releases/tender/value/currency").count, 1);
    let report = check(|p| p["releases"][0]["tender"]["value"] = json!({"amount": 1_500_000_000, "currency": "IDR"}));
    assert!(report.valid, "{}", show(&report));
}

#[test]
fn values_outside_an_open_codelist_are_notices() {
    let report = check(|p| {
        p["releases"][0]["tender"]["awardCriteria"] = json!("lowestPrice");
        p["releases"][0]["tender"]["submissionMethod"] = json!(["electronicSubmission", "spse"]);
    });
    assert!(report.valid, "{}", show(&report));
    let n = issue(&report, "open_codelist", "releases/tender/awardCriteria");
    assert_eq!(n.examples[0].value, Some(json!("lowestPrice")));
    let n = issue(&report, "open_codelist", "releases/tender/submissionMethod");
    assert_eq!((n.count, n.examples[0].path.as_str()), (1, "releases/0/tender/submissionMethod/1"));
    assert!(report.notices.iter().all(|n| n.kind == "open_codelist"), "{}", show(&report));
}

#[test]
fn additional_fields_are_warnings_at_their_outermost_path() {
    let report = check(|p| {
        p["releases"][0]["tender"]["kodeLelang"] = json!("10012345");
        p["releases"][0]["x_sirup"] = json!({"kodeRup": {"nomor": 42}});
        // Language variants match the schema's patternProperties.
        p["releases"][0]["tender"]["title_en"] = json!("Village road construction");
    });
    assert!(report.valid, "{}", show(&report));
    let w = issue(&report, "additional_field", "releases/tender/kodeLelang");
    assert_eq!((w.count, w.examples[0].value.clone()), (1, Some(json!("10012345"))));
    assert_eq!(issue(&report, "additional_field", "releases/x_sirup").count, 1);
    assert_eq!(report.issues("additional_field").count(), 2, "{}", show(&report));
}

#[test]
fn deprecated_fields_are_warnings_with_the_reason() {
    let report = check(|p| {
        let mut r = full_release();
        r["awards"][0]["amendment"] = json!({"id": "am1", "rationale": "Koreksi"});
        r["contracts"][0]["implementation"]["transactions"][0]["amount"] = json!({"amount": 10, "currency": "IDR"});
        p["releases"] = json!([r]);
    });
    assert!(report.valid, "{}", show(&report));
    let w = issue(&report, "deprecated", "releases/awards/amendment");
    assert!(w.message.contains("1.1") && w.message.contains("amendments"), "{}", w.message);
    assert_eq!(w.examples[0].path, "releases/0/awards/0/amendment");
    assert_eq!(issue(&report, "deprecated", "releases/contracts/implementation/transactions/amount").count, 1);
}

#[test]
fn a_bad_ocid_prefix_is_a_warning() {
    let report = check(|p| {
        p["releases"] = json!([release("r1"), release("r2")]);
        p["releases"][0]["ocid"] = json!("213czf-000-00001");
        p["releases"][1]["ocid"] = json!("ocds-213czf-000-00002");
    });
    assert!(report.valid);
    let w = issue(&report, "ocid_prefix", "releases/ocid");
    assert_eq!((w.count, w.examples[0].path.as_str()), (1, "releases/0/ocid"));
    assert_eq!(w.examples[0].value, Some(json!("213czf-000-00001")));
    assert_eq!(report.ocids, 2);
}

#[test]
fn a_release_id_repeated_within_an_ocid_is_an_error() {
    let report = check(|p| {
        let mut other_process = release("r1");
        other_process["ocid"] = json!("ocds-213czf-000-00002");
        p["releases"] = json!([release("r1"), release("r2"), release("r1"), other_process]);
    });
    assert!(!report.valid);
    let e = issue(&report, "duplicate_release_id", "releases/id");
    assert_eq!(e.count, 1, "the same id under another ocid is fine");
    assert_eq!((e.examples[0].path.as_str(), e.examples[0].value.clone()), ("releases/2/id", Some(json!("r1"))));
    assert_eq!((report.releases, report.ocids), (4, 2));
    // Identical releases are this error, not a generic uniqueItems one.
    assert_eq!(report.issues("unique_items").count(), 0);
}

#[test]
fn repeated_items_in_other_arrays_break_unique_items() {
    // Objects with ids: the ids must differ (they would merge into one).
    let report = check(|p| {
        p["releases"][0]["tender"]["items"] = json!([{"id": "1", "description": "Semen"}, {"id": "2"}, {"id": 1, "description": "Pasir"}]);
    });
    let e = issue(&report, "duplicate_id", "releases/tender/items");
    assert_eq!((e.count, e.examples[0].path.as_str()), (1, "releases/0/tender/items/2"));
    // Without ids: whole items must differ.
    let report = check(|p| p["releases"][0]["tender"]["items"] = json!([{"description": "Semen"}, {"description": "Semen"}]));
    let e = issue(&report, "unique_items", "releases/tender/items");
    assert_eq!(e.examples[0].path, "releases/0/tender/items/1");
    assert_eq!(report.find("required", "releases/tender/items/id").map(|e| e.count), Some(2));
}

#[test]
fn empty_strings_arrays_and_objects_are_notices() {
    let report = check(|p| {
        p["releases"][0]["tender"]["description"] = json!("");
        p["releases"][0]["tender"]["items"] = json!([]);
        p["releases"][0]["planning"] = json!({});
        p["releases"][0]["x_notes"] = json!({"a": ""});
    });
    assert!(report.valid, "{}", show(&report));
    let messages: Vec<(&str, &str)> = report.issues("empty_field").map(|n| (n.path.as_str(), n.message.as_str())).collect();
    assert!(messages.contains(&("releases/tender/description", "Empty string")), "{messages:?}");
    assert!(messages.contains(&("releases/tender/items", "Empty array")), "{messages:?}");
    assert!(messages.contains(&("releases/planning", "Empty object")), "{messages:?}");
    // Even inside fields the schema does not know.
    assert!(messages.contains(&("releases/x_notes/a", "Empty string")), "{messages:?}");
    assert_eq!(messages.len(), 4);
}

#[test]
fn dates_out_of_order_are_warnings() {
    let dated = |change: &dyn Fn(&mut Value)| {
        let mut r = full_release();
        change(&mut r);
        check(|p| p["releases"] = json!([r]))
    };
    let report = dated(&|r| r["tender"]["tenderPeriod"]["endDate"] = json!("2024-01-01T00:00:00Z"));
    assert_eq!(issue(&report, "date_order", "releases/tender/tenderPeriod/endDate").count, 1);

    let report = dated(&|r| r["awards"][0]["date"] = json!("2024-01-09T00:00:00+07:00"));
    let w = issue(&report, "date_order", "releases/awards/date");
    assert_eq!(w.examples[0].path, "releases/0/awards/0/date");

    let report = dated(&|r| r["contracts"][0]["dateSigned"] = json!("2024-02-19T10:00:00+07:00"));
    assert_eq!(issue(&report, "date_order", "releases/contracts/dateSigned").count, 1);

    // Offsets matter: 09:00 in Jakarta is before 03:00 UTC the same day.
    let report = dated(&|r| r["contracts"][0]["implementation"]["transactions"][0]["date"] = json!("2024-03-01T02:00:00Z"));
    let w = issue(&report, "date_order", "releases/contracts/implementation/transactions/date");
    assert_eq!(w.examples[0].path, "releases/0/contracts/0/implementation/transactions/0/date");
    let report = dated(&|r| r["contracts"][0]["implementation"]["transactions"][0]["date"] = json!("2024-03-01T03:00:00Z"));
    assert_eq!(report.issues("date_order").count(), 0, "{}", show(&report));

    // Planning (SiRUP) published after the tender (SPSE) of the same process.
    let report = check(|p| {
        let mut plan = release("r0");
        plan["tag"] = json!(["planning"]);
        plan["date"] = json!("2024-01-11T00:00:00+07:00");
        p["releases"] = json!([plan, release("r1")]);
    });
    let w = issue(&report, "date_order", "releases/date");
    assert_eq!(w.examples[0].path, "releases/0/date");
    assert!(report.valid, "coherence problems are warnings");
}

#[test]
fn dates_are_checked_across_the_releases_of_a_process() {
    // Each release carries one stage, as SPSE publishes them.
    let stage = |id: &str, date: &str, tag: &str, data: Value| {
        let mut r = json!({"ocid": "ocds-213czf-000-00001", "id": id, "date": date, "tag": [tag], "initiationType": "tender"});
        if let (Some(r), Some(data)) = (r.as_object_mut(), data.as_object()) {
            r.extend(data.clone());
        }
        r
    };
    let tender = stage(
        "r1",
        "2024-01-10T09:00:00+07:00",
        "tender",
        json!({"tender": {"id": "t1", "tenderPeriod": {
        "startDate": "2024-01-10T09:00:00+07:00", "endDate": "2024-01-05T16:00:00+07:00"}}}),
    );
    let amendment = stage(
        "r2",
        "2024-01-11T09:00:00+07:00",
        "tenderAmendment",
        json!({"tender": {"id": "t1", "tenderPeriod": {
        "startDate": "2024-01-10T09:00:00+07:00", "endDate": "2024-02-10T16:00:00+07:00"}}}),
    );
    let award = stage("r3", "2024-02-20T09:00:00+07:00", "award", json!({"awards": [{"id": "a1", "date": "2024-02-20T09:00:00+07:00"}]}));
    let contract = stage(
        "r4",
        "2024-02-21T09:00:00+07:00",
        "contract",
        json!({"contracts": [{"id": "c1", "awardID": "a1",
        "dateSigned": "2024-02-19T09:00:00+07:00"}]}),
    );
    // Given out of date order: the releases are folded by date.
    let report = check(|p| p["releases"] = json!([contract, award, amendment, tender]));
    let w = issue(&report, "date_order", "releases/contracts/dateSigned");
    assert_eq!(w.examples[0].path, "releases/0/contracts/0/dateSigned");
    // The tender period was corrected by the amendment: no warning for it.
    assert!(report.find("date_order", "releases/tender/tenderPeriod/endDate").is_none(), "{}", show(&report));
    assert_eq!(report.issues("date_order").count(), 1, "{}", show(&report));

    // A record without a compiled release: its embedded releases are folded.
    let record = json!({"ocid": "ocds-213czf-000-00001", "releases": [award, contract]});
    let package = json!({"uri": "https://example.com/r.json", "publisher": {"name": "x"},
        "publishedDate": "2024-03-01T00:00:00Z", "version": "1.1", "records": [record]});
    let report = validate(&package);
    assert_eq!(
        issue(&report, "date_order", "records/releases/contracts/dateSigned").examples[0].path,
        "records/0/releases/1/contracts/0/dateSigned"
    );
}

#[test]
fn invalid_json_reports_line_and_column() {
    let text = "{\n  \"uri\": \"https://example.com\",\n  \"releases\": [\n}\n";
    let report = validate_package(text.as_bytes());
    assert!(!report.valid);
    assert_eq!(report.package_type, None);
    let e = &report.errors[0];
    assert_eq!((e.kind.as_str(), e.line, e.column), ("invalid_json", Some(4), Some(1)));
    assert!(e.message.contains("line 4 column 1"), "{}", e.message);

    let report = validate_package(b"");
    assert_eq!(report.errors[0].kind, "invalid_json");
    let report = validate_package(&[b'"', 0xff, b'"']);
    assert_eq!(report.errors[0].kind, "invalid_json");
}

#[test]
fn format_pattern_and_length_violations() {
    let report = check(|p| {
        p["releases"][0]["date"] = json!("2024-01-10");
        p["uri"] = json!("packages/1.json");
        p["version"] = json!("1.1.5");
        p["releases"][0]["id"] = json!("");
    });
    assert_eq!(issue(&report, "format", "releases/date").examples[0].value, Some(json!("2024-01-10")));
    assert_eq!(issue(&report, "format", "uri").count, 1);
    assert_eq!(issue(&report, "pattern", "version").count, 1);
    assert_eq!(issue(&report, "min_length", "releases/id").count, 1);
    let report = check(|p| p["releases"] = json!([]));
    assert_eq!(issue(&report, "min_items", "releases").count, 1);
}

#[test]
fn record_packages_are_detected_and_checked() {
    let mut embedded = full_release();
    embedded["id"] = json!("r1");
    let mut twin = full_release();
    twin["id"] = json!("r1");
    twin.as_object_mut().map(|o| o.remove("initiationType"));
    let record = json!({"ocid": "ocds-213czf-000-00001", "releases": [embedded, twin], "compiledRelease": full_release()});
    let package = json!({
        "uri": "https://example.com/records/1.json",
        "publisher": {"name": "Test"},
        "publishedDate": "2024-03-01T00:00:00Z",
        "version": "1.1",
        "records": [record.clone(), record],
    });
    let report = validate(&package);
    assert_eq!((report.package_type, report.records, report.releases, report.ocids), (Some(PackageType::Record), Some(2), 4, 1));
    // Explained as embedded releases (the closest alternative of oneOf).
    assert_eq!(issue(&report, "required", "records/releases/initiationType").count, 2);
    assert!(report.find("required", "records/releases/url").is_none(), "{}", show(&report));
    assert_eq!(issue(&report, "duplicate_release_id", "records/releases/id").count, 2);
    assert_eq!(issue(&report, "duplicate_ocid", "records/ocid").examples[0].path, "records/1/ocid");
}

#[test]
fn anything_that_is_not_a_package_is_reported_not_panicked_on() {
    for input in ["[]", "42", "null", "\"releases\"", "{}", "{\"releases\": {}}", "{\"records\": 1}", "{\"releases\": [1, null, []]}"] {
        let report = validate_package(input.as_bytes());
        assert!(!report.valid, "{input}");
    }
    let report = validate_package(b"[]");
    assert_eq!((report.package_type, report.errors[0].kind.as_str(), report.errors[0].path.as_str()), (None, "type", ""));
    // Deeper than the parser allows: an error, not a stack overflow.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(validate_package(deep.as_bytes()).errors[0].kind, "invalid_json");
    let nested = format!("{{\"releases\": [{{\"x\": {}1{}}}]}}", "[".repeat(120), "]".repeat(120));
    assert!(!validate_package(nested.as_bytes()).valid);
}

#[test]
fn a_value_nested_deeper_than_any_parse_is_cut_off_not_overflowed() {
    let mut deep = json!("bottom");
    for _ in 0..300 {
        deep = json!([deep]);
    }
    let mut p = package();
    p["releases"][0]["x_deep"] = deep;
    let report = Validator::ocds_1_1_5().validate_value(&p);
    assert_eq!(report.issues("depth").count(), 1, "{}", show(&report));
    // Value's own Drop recurses too: unwind it iteratively.
    let mut value = p["releases"][0]["x_deep"].take();
    while let Value::Array(mut items) = value {
        value = items.pop().unwrap_or(Value::Null);
    }
}

#[test]
fn the_report_serializes_to_the_documented_shape() {
    let report = check(|p| p["releases"][0]["tender"]["status"] = json!("ongoing"));
    let value = serde_json::to_value(&report).expect("serializable");
    assert_eq!(value["valid"], json!(false));
    assert_eq!(value["package_type"], json!("release"));
    assert_eq!((value["releases"].clone(), value["ocids"].clone()), (json!(1), json!(1)));
    assert!(value.get("records").is_none(), "records only for record packages");
    let error = &value["errors"][0];
    assert_eq!(error["type"], json!("closed_codelist"));
    assert_eq!(error["path"], json!("releases/tender/status"));
    assert_eq!(error["count"], json!(1));
    assert_eq!(error["examples"], json!([{"path": "releases/0/tender/status", "value": "ongoing"}]));
    assert!(error.get("line").is_none());
    assert_eq!(value["warnings"], json!([]));
    // It reads back (for API clients written in Rust).
    let back: Report = serde_json::from_value(value).expect("deserializable");
    assert_eq!(back, report);
}

#[test]
fn a_validator_for_an_extended_schema() {
    // An extension's field added to the release schema is no longer
    // "additional".
    let mut schema: Value = serde_json::from_str(ocds::merge::RELEASE_SCHEMA_1_1_5).expect("schema");
    schema["definitions"]["Tender"]["properties"]["kodeLelang"] = json!({"type": ["string", "null"]});
    let validator = Validator::new(&schema).expect("compiles");
    let mut p = package();
    p["releases"][0]["tender"]["kodeLelang"] = json!(10012345);
    let report = validator.validate(&serde_json::to_vec(&p).expect("serializable"));
    assert!(report.find("additional_field", "releases/tender/kodeLelang").is_none());
    assert_eq!(issue(&report, "type", "releases/tender/kodeLelang").count, 1);
    // An unsupported keyword is refused rather than silently ignored.
    schema["definitions"]["Tender"]["not"] = json!({});
    assert!(Validator::new(&schema).is_err());
}

/// A release nested 200 levels deep (the review's crash: the validator
/// panicked and the server answered 500) is an error in the report; the
/// other releases are still checked.
#[test]
fn a_release_nested_too_deeply_is_reported_not_a_crash() {
    let mut deep = json!(1);
    for _ in 0..200 {
        deep = json!([deep]);
    }
    let mut p = package();
    let mut nested = release("r2");
    nested["x"] = deep;
    p["releases"] = json!([nested, release("r3")]);
    let text = serde_json::to_string(&p).unwrap();
    let report = validate_package(text.as_bytes());
    assert!(!report.valid);
    let depth = report.find("depth", "releases").expect("a depth error");
    assert_eq!(depth.count, 1);
    assert_eq!(depth.examples[0].path, "releases/0");
    assert_eq!(report.releases, 1, "the other release is still checked");
}
