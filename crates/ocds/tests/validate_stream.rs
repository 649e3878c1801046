//! `Validator::validate` streams the package's releases; it must say exactly
//! what validating the whole parsed value says, whatever the input's shape.

use std::fs;
use std::path::Path;

use ocds::validate::{Issue, Report, Validator};
use serde_json::{Value, json};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

/// The report with each severity's issues in one order.
fn sorted(mut report: Report) -> Report {
    let key = |i: &Issue| (i.kind.clone(), i.path.clone(), i.message.clone());
    for list in [&mut report.errors, &mut report.warnings, &mut report.notices] {
        list.sort_by_key(key);
    }
    report
}

fn same_both_ways(validator: &Validator, bytes: &[u8]) -> Report {
    let streamed = sorted(validator.validate(bytes));
    let parsed: Value = serde_json::from_slice(bytes).expect("test input is JSON");
    let whole = sorted(validator.validate_value(&parsed));
    assert_eq!(streamed, whole, "input: {}", String::from_utf8_lossy(&bytes[..bytes.len().min(300)]));
    streamed
}

fn package(releases: Value) -> Value {
    json!({
        "uri": "https://example.com/p.json",
        "publisher": {"name": ""},
        "publishedDate": "2024-01-01",
        "version": "1.1",
        "x_note": {},
        "releases": releases,
    })
}

#[test]
fn streaming_matches_whole_value_validation_on_the_fictional_example() {
    let validator = Validator::ocds_1_1_5();
    let dir = Path::new(DATA).join("sample-data/fictional-example/1.1");
    for name in ["ocds-213czf-000-00001.json", "record/ocds-213czf-000-00001-withversions.json", "record/ocds-213czf-000-00001.json"] {
        let bytes = fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let report = same_both_ways(&validator, &bytes);
        assert!(report.valid, "{name}");
        assert_eq!(report.releases, 6, "{name}");
    }
}

#[test]
fn streaming_matches_whole_value_validation_on_bad_packages() {
    let validator = Validator::ocds_1_1_5();
    let bad_release = json!({"ocid": "x-1", "id": 1, "date": "yesterday", "tag": ["tender", "tender", "bid"], "initiationType": "auction",
        "tender": {"id": "t", "status": "", "value": {"amount": "10", "currency": "IDR"}, "x": []},
        "awards": [{"id": "a", "date": "2024-01-01T00:00:00Z"}],
        "contracts": [{"id": "c", "awardID": "a", "dateSigned": "2023-12-31T00:00:00Z"}]});
    let cases = [
        package(json!([bad_release.clone(), bad_release.clone(), {}])),
        package(json!([])),
        package(json!([1, "two", null])),
        // Not streamable shapes fall back to the whole value.
        package(json!({"not": "an array"})),
        json!({"releases": [bad_release.clone()], "records": []}),
        json!({"records": [{"ocid": "ocds-213czf-1", "releases": [bad_release.clone()]}, {"ocid": "ocds-213czf-1", "releases": []}]}),
        json!({"uri": "https://example.com"}),
        json!([bad_release]),
        json!("package"),
    ];
    for case in cases {
        let bytes = serde_json::to_vec(&case).expect("serializable");
        let report = same_both_ways(&validator, &bytes);
        assert!(!report.valid, "{case}");
    }
}

#[test]
fn streaming_reports_syntax_errors_with_their_position() {
    let validator = Validator::ocds_1_1_5();
    // The error comes after two releases were already streamed.
    let text = "{\"releases\": [{\"ocid\": \"a\"},\n {\"ocid\": \"b\"},\n {\"ocid\": \"c\",]}";
    let report = validator.validate(text.as_bytes());
    assert_eq!(report.errors.len(), 1, "{report:?}");
    let error = &report.errors[0];
    assert_eq!((error.kind.as_str(), error.line, error.column), ("invalid_json", Some(3), Some(15)));
    // Trailing garbage after a complete package is an error too.
    let report = validator.validate(b"{\"releases\": []} x");
    assert_eq!(report.errors[0].kind, "invalid_json");
    // So is a key repeated, which a parsed value would silently collapse:
    // both ways agree on the outcome (the last value wins).
    let twice = br#"{"releases": [], "releases": [{"ocid": "ocds-213czf-1"}]}"#;
    let report = validator.validate(twice);
    assert_eq!(report.releases, 1);
}

/// A reader that hands out a few bytes at a time, as a pipe might.
struct Trickle<'a>(&'a [u8]);

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.0.len()).min(7);
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// The report of `validate_reader`, and how often it opened the input.
fn from_reader(validator: &Validator, bytes: &[u8]) -> (Report, usize) {
    let mut opened = 0;
    let report = validator
        .validate_reader(|| {
            opened += 1;
            Ok(Trickle(bytes))
        })
        .expect("an in-memory reader does not fail");
    (report, opened)
}

#[test]
fn reading_from_a_reader_gives_the_whole_value_report() {
    let validator = Validator::ocds_1_1_5();
    let bad_release = json!({"ocid": "x-1", "id": 1, "date": "yesterday", "tag": ["tender", "bid"], "tender": {"id": "t", "status": ""},
        "awards": [{"id": "a", "date": "2024-01-01T00:00:00Z"}], "contracts": [{"id": "c", "awardID": "a", "dateSigned": "2023-12-31T00:00:00Z"}]});
    let fictional = fs::read(Path::new(DATA).join("sample-data/fictional-example/1.1/ocds-213czf-000-00001.json")).expect("fixture");
    // Many releases, several of them broken and repeated: far more than the checker holds at once.
    let mut many: Vec<Value> = serde_json::from_slice::<Value>(&fictional).expect("json")["releases"].as_array().expect("releases").clone();
    for n in 0..600 {
        let mut release = many[n % 6].clone();
        release["id"] = json!(format!("r-{}", n / 3));
        many.push(release);
    }
    many.push(bad_release.clone());
    let cases = [
        (package(json!(many)), 1),
        (package(json!([bad_release.clone(), bad_release.clone(), {}])), 1),
        (package(json!({"not": "an array"})), 1),
        (json!([bad_release.clone()]), 1),
        (json!("package"), 1),
        // serde_json writes keys in order: `records` then `releases`.
        (json!({"records": [{"ocid": "ocds-213czf-1", "releases": [bad_release.clone()]}], "releases": [bad_release.clone()]}), 1),
    ];
    let mut inputs: Vec<(Vec<u8>, usize)> = cases.iter().map(|(case, opens)| (serde_json::to_vec(case).expect("json"), *opens)).collect();
    // Which items count is only known at the end: read twice.
    inputs.push((format!("{{\"releases\": [{bad_release}], \"records\": []}}").into_bytes(), 2));
    for (bytes, opens) in inputs {
        let (report, opened) = from_reader(&validator, &bytes);
        let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned();
        assert_eq!(opened, opens, "{shown}");
        assert_eq!(sorted(report), same_both_ways(&validator, &bytes), "{shown}");
    }
    let twice = br#"{"releases": [], "releases": [{"ocid": "ocds-213czf-1"}]}"#;
    assert_eq!(from_reader(&validator, twice), (validator.validate(twice), 2));
}

#[test]
fn reading_invalid_json_from_a_reader_says_where() {
    let validator = Validator::ocds_1_1_5();
    let text = "{\"releases\": [{\"ocid\": \"a\"},\n {\"ocid\": \"b\"},\n {\"ocid\": \"c\",]}";
    let (report, _) = from_reader(&validator, text.as_bytes());
    let error = &report.errors[0];
    assert_eq!((error.kind.as_str(), error.line, error.column), ("invalid_json", Some(3), Some(15)));
    assert_eq!(report, validator.validate(text.as_bytes()));
}

#[test]
fn a_failing_reader_is_an_error_not_a_report() {
    struct Broken;
    impl std::io::Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk on fire"))
        }
    }
    let error = Validator::ocds_1_1_5().validate_reader(|| Ok(Broken)).expect_err("the read fails");
    assert!(error.to_string().contains("disk on fire"), "{error}");
}

#[test]
fn releases_grouped_by_ocid_are_checked_one_process_at_a_time_and_others_read_again() {
    let validator = Validator::ocds_1_1_5();
    // Per process: an award, then a contract signed before it, then a repeated release id.
    let process = |ocid: &str| -> Vec<Value> {
        vec![
            json!({"ocid": ocid, "id": "1", "date": "2024-02-01T00:00:00Z", "tag": ["award"], "awards": [{"id": "a", "date": "2024-02-01T00:00:00Z"}]}),
            json!({"ocid": ocid, "id": "2", "date": "2024-02-02T00:00:00Z", "tag": ["contract"],
                "contracts": [{"id": "c", "awardID": "a", "dateSigned": "2024-01-15T00:00:00Z"}]}),
            json!({"ocid": ocid, "id": "2", "date": "2024-02-03T00:00:00Z", "tag": ["contractUpdate"]}),
        ]
    };
    let (a, b) = (process("ocds-213czf-a"), process("ocds-213czf-b"));
    let grouped: Vec<Value> = a.iter().chain(&b).cloned().collect();
    // The last release of `a` comes after `b`'s: `a` comes back.
    let interleaved: Vec<Value> = a[..2].iter().chain(&b).chain(&a[2..]).cloned().collect();
    for (releases, opens) in [(grouped, 1), (interleaved, 2)] {
        let bytes = serde_json::to_vec(&package(json!(releases))).expect("json");
        let (report, opened) = from_reader(&validator, &bytes);
        assert_eq!(opened, opens);
        let whole = same_both_ways(&validator, &bytes);
        assert_eq!(sorted(report), whole);
        assert_eq!((whole.ocids, whole.releases), (2, 6));
        let count = |kind: &str| whole.errors.iter().chain(&whole.warnings).filter(|i| i.kind == kind).map(|i| i.count).sum::<usize>();
        assert_eq!(count("duplicate_release_id"), 2, "one per process");
        assert_eq!(count("date_order"), 2, "one contract signed before its award per process");
    }
}
