//! The merge's errors, the rules it derives, and the cases the fixtures do
//! not cover (ordering, `null` over structures, streaming).

use ocds::merge::{Grouping, Kind, MergeError, Merger, Rule, group_by_ocid, read_releases};
use serde_json::{Value, json};

fn release(id: &str, date: &str, fields: Value) -> Value {
    let mut release = json!({"ocid": "ocds-a", "id": id, "date": date, "tag": ["tender"]});
    if let (Some(release), Value::Object(fields)) = (release.as_object_mut(), fields) {
        release.extend(fields);
    }
    release
}

fn compiled(releases: &[Value]) -> Value {
    Merger::ocds_1_1().compiled(releases).expect("merges")
}

fn versioned(releases: &[Value]) -> Value {
    Merger::ocds_1_1().versioned(releases).expect("merges")
}

/// The expected error of merging `releases` (compiled and versioned agree).
fn check_error(releases: &[Value], expected: MergeError) {
    let merger = Merger::ocds_1_1();
    assert_eq!(merger.compiled(releases), Err(expected.clone()));
    assert_eq!(merger.versioned(releases), Err(expected));
}

#[test]
fn errors_name_the_release() {
    let good = release("1", "2020-01-01T00:00:00Z", json!({}));
    check_error(&[], MergeError::NoReleases);
    check_error(&[good.clone(), json!([1])], MergeError::NotAnObject { index: 1 });
    check_error(&[good.clone(), json!({"id": "2", "date": "2020-01-01T00:00:00Z"})], MergeError::MissingOcid { index: 1 });
    check_error(&[json!({"ocid": 5, "date": "2020-01-01T00:00:00Z"})], MergeError::MissingOcid { index: 0 });
    check_error(&[good.clone(), json!({"ocid": "ocds-a", "id": "2"})], MergeError::MissingDate { index: 1, ocid: "ocds-a".into() });
    check_error(&[json!({"ocid": "ocds-a", "date": null})], MergeError::MissingDate { index: 0, ocid: "ocds-a".into() });
    check_error(
        &[good.clone(), json!({"ocid": "ocds-a", "date": "yesterday"})],
        MergeError::InvalidDate { index: 1, ocid: "ocds-a".into(), date: "yesterday".into() },
    );
    check_error(
        &[json!({"ocid": "ocds-a", "date": 20200101})],
        MergeError::InvalidDate { index: 0, ocid: "ocds-a".into(), date: "20200101".into() },
    );
    check_error(
        &[good, json!({"ocid": "ocds-b", "date": "2020-01-01T00:00:00Z"})],
        MergeError::MixedOcids { index: 1, expected: "ocds-a".into(), found: "ocds-b".into() },
    );
    let message = MergeError::InvalidDate { index: 3, ocid: "ocds-a".into(), date: "yesterday".into() }.to_string();
    assert!(message.starts_with("release 3 (ocds-a): `date` yesterday is not an RFC 3339 date-time"), "{message}");
}

#[test]
fn schema_errors_are_reported() {
    let error = |schema: Value| Merger::new(&schema).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error(json!([])).contains("not a JSON object"));
    assert!(error(json!({"properties": {"a": {"$ref": "#/definitions/Missing"}}})).contains("does not resolve"));
    assert!(error(json!({"properties": {"a": {"$ref": "https://example.com/x.json"}}})).contains("points outside the schema"));
    // A schema that refers to itself is walked once, not forever.
    let cyclic = json!({"properties": {"a": {"$ref": "#/definitions/A"}}, "definitions": {"A": {"type": "object", "properties": {"a": {"$ref": "#/definitions/A"}, "b": {"type": "array", "items": {"type": "string"}}}}}});
    let rules = Merger::new(&cyclic).expect("cyclic schema").rules().clone();
    assert_eq!(rules.get("/a/b"), Some(&Rule::WholeList));
    assert_eq!(rules.len(), 1);
}

#[test]
fn rules_come_from_the_schema_and_its_extensions() {
    let merger = Merger::ocds_1_1();
    let rules = merger.rules();
    for (pointer, rule) in [
        ("/id", Rule::Omit),
        ("/date", Rule::Omit),
        ("/tag", Rule::Omit),
        ("/parties/additionalIdentifiers", Rule::WholeList),
        ("/buyer/additionalIdentifiers", Rule::WholeList),
        ("/tender/items/additionalClassifications", Rule::WholeList),
        ("/parties/roles", Rule::WholeList),
    ] {
        assert_eq!(rules.get(pointer), Some(&rule), "{pointer}");
    }
    // Arrays of objects with `id` merge by identifier: no rule.
    assert_eq!(rules.get("/awards"), None);
    assert_eq!(rules.get("/awards/suppliers"), None);

    // An extension's fields, patched into the schema, bring their own rules:
    // `type` arrays, `$ref`s, `wholeListMerge`, `omitWhenMerged`, items without `id`.
    let mut schema: Value = serde_json::from_str(ocds::merge::RELEASE_SCHEMA_1_1_5).expect("schema");
    schema["definitions"]["Note"] = json!({"type": "object", "properties": {"text": {"type": "string"}}});
    schema["definitions"]["Tender"]["properties"]["notes"] = json!({"type": ["array", "null"], "items": {"$ref": "#/definitions/Note"}});
    schema["definitions"]["Tender"]["properties"]["lots"] = json!({"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}, "secret": {"type": "string", "omitWhenMerged": true}}}});
    schema["properties"]["bids"] = json!({"$ref": "#/definitions/Bids"});
    schema["definitions"]["Bids"] = json!({"type": "object", "properties": {"details": {"type": "array", "wholeListMerge": true, "items": {"type": "object", "properties": {"id": {"type": "string"}}}}}});
    let extended = Merger::new(&schema).expect("extended schema");
    assert_eq!(extended.rules().get("/tender/notes"), Some(&Rule::WholeList));
    assert_eq!(extended.rules().get("/tender/lots/secret"), Some(&Rule::Omit));
    assert_eq!(extended.rules().get("/bids/details"), Some(&Rule::WholeList));
    assert_eq!(extended.rules().get("/tender/lots"), None);
}

#[test]
fn releases_are_merged_in_date_order() {
    // Out of order, and with an offset: 09:00+07:00 is 02:00Z, before 03:00Z.
    let later = release("2", "2020-01-01T03:00:00Z", json!({"tender": {"title": "later"}}));
    let earlier = release("1", "2020-01-01T09:00:00+07:00", json!({"tender": {"title": "earlier"}}));
    let merged = compiled(&[later.clone(), earlier.clone()]);
    assert_eq!(merged["tender"]["title"], "later");
    assert_eq!(merged["date"], "2020-01-01T03:00:00Z");
    assert_eq!(merged["id"], "ocds-a-2020-01-01T03:00:00Z");
    assert_eq!(merged["tag"], json!(["compiled"]));
    let history = &versioned(&[later, earlier])["tender"]["title"];
    assert_eq!(history[0]["releaseID"], "1");
    assert_eq!(history[1]["releaseID"], "2");

    // Equal dates keep their input order (a stable sort).
    let a = release("a", "2020-01-01T00:00:00Z", json!({"tender": {"title": "a"}}));
    let b = release("b", "2020-01-01T00:00:00Z", json!({"tender": {"title": "b"}}));
    assert_eq!(compiled(&[a.clone(), b.clone()])["tender"]["title"], "b");
    assert_eq!(compiled(&[b, a])["tender"]["title"], "a");
}

#[test]
fn null_removes_fields_and_structures() {
    let first = release(
        "1",
        "2020-01-01T00:00:00Z",
        json!({"tender": {"title": "T", "value": {"amount": 1}}, "awards": [{"id": "1", "title": "A"}]}),
    );
    let second = release("2", "2020-01-02T00:00:00Z", json!({"tender": {"title": null, "value": null}, "awards": null}));
    let merged = compiled(&[first.clone(), second.clone()]);
    assert_eq!(merged.get("awards"), None);
    assert_eq!(merged["tender"], json!({}));

    let history = versioned(&[first, second]);
    let versions = |v: &Value| v.as_array().map(|vs| vs.iter().map(|v| v["value"].clone()).collect::<Vec<_>>()).unwrap_or_default();
    assert_eq!(versions(&history["tender"]["title"]), [json!("T"), Value::Null]);
    assert_eq!(versions(&history["tender"]["value"]["amount"]), [json!(1), Value::Null]);
    assert_eq!(versions(&history["awards"][0]["title"]), [json!("A"), Value::Null]);
    assert_eq!(history["awards"][0]["id"], "1");
}

#[test]
fn identifiers_match_by_text_and_keep_their_first_form() {
    let first = release("1", "2020-01-01T00:00:00Z", json!({"awards": [{"id": 1, "title": "one"}]}));
    let second = release("2", "2020-01-02T00:00:00Z", json!({"awards": [{"id": "1", "status": "active"}, {"title": "no id"}]}));
    assert_eq!(compiled(&[first, second])["awards"], json!([{"id": 1, "title": "one", "status": "active"}, {"title": "no id"}]));
}

#[test]
fn versioned_type_conflicts_are_refused() {
    let first = release("1", "2020-01-01T00:00:00Z", json!({"tender": {"value": {"amount": 1}}}));
    let second = release("2", "2020-01-02T00:00:00Z", json!({"tender": {"value": "n/a"}}));
    assert_eq!(compiled(&[first.clone(), second.clone()])["tender"]["value"], "n/a");
    match Merger::ocds_1_1().versioned(&[first, second]) {
        Err(MergeError::InconsistentType { index: 1, pointer, .. }) => assert_eq!(pointer, "/tender/value"),
        other => panic!("expected a type conflict, got {other:?}"),
    }
    // A field first given as `null` can later hold an object.
    let first = release("1", "2020-01-01T00:00:00Z", json!({"tender": {"value": null}}));
    let second = release("2", "2020-01-02T00:00:00Z", json!({"tender": {"value": {"amount": 2}}}));
    assert_eq!(versioned(&[first, second])["tender"]["value"]["amount"][0]["value"], 2);
}

#[test]
fn streams_packages_lines_and_arrays() {
    let r = |ocid: &str, id: &str| json!({"ocid": ocid, "id": id, "date": "2020-01-01T00:00:00Z", "tender": {"title": id}});
    let input = format!(
        "{}\n{}\n{}\n",
        json!({"uri": "x", "releases": [r("ocds-a", "1"), r("ocds-a", "2")]}),
        r("ocds-b", "3"),
        json!([{"releases": [r("ocds-c", "4")]}, r("ocds-c", "5")]),
    );
    let groups: Vec<_> = group_by_ocid(read_releases(input.as_bytes()), Grouping::Sorted).collect::<Result<_, _>>().expect("groups");
    let summary: Vec<(String, usize)> = groups.iter().map(|g| (g.ocid.clone(), g.releases.len())).collect();
    assert_eq!(summary, [("ocds-a".to_owned(), 2), ("ocds-b".to_owned(), 1), ("ocds-c".to_owned(), 2)]);

    let merger = Merger::ocds_1_1();
    let titles: Vec<Value> = merger
        .merge_stream(read_releases(input.as_bytes()), Grouping::Sorted, Kind::Compiled)
        .map(|m| m.expect("merges")["tender"]["title"].clone())
        .collect();
    assert_eq!(titles, [json!("2"), json!("3"), json!("5")]);

    // One pretty-printed package is read too.
    let pretty = serde_json::to_string_pretty(&json!({"releases": [r("ocds-a", "1")]})).expect("json");
    assert_eq!(read_releases(pretty.as_bytes()).count(), 1);
}

#[test]
fn unsorted_streams_fail_or_are_buffered() {
    let r = |ocid: &str| Ok(json!({"ocid": ocid, "date": "2020-01-01T00:00:00Z"}));
    let unsorted = || vec![r("ocds-b"), r("ocds-a"), r("ocds-b")];
    // The error comes before the `ocds-b` group, which may be incomplete; then nothing.
    let sorted: Vec<_> = group_by_ocid(unsorted(), Grouping::Sorted).collect();
    assert_eq!(sorted, [Err(MergeError::NotSorted { index: 1, ocid: "ocds-a".into(), previous: "ocds-b".into() })]);

    let buffered: Vec<_> = group_by_ocid(unsorted(), Grouping::Buffered).map(|g| g.map(|g| (g.ocid, g.releases.len()))).collect();
    assert_eq!(buffered, [Ok(("ocds-b".to_owned(), 2)), Ok(("ocds-a".to_owned(), 1))]);

    let runs: Vec<_> = group_by_ocid(unsorted(), Grouping::Runs).map(|g| g.map(|g| (g.ocid, g.releases.len()))).collect();
    assert_eq!(runs, [Ok(("ocds-b".to_owned(), 1)), Ok(("ocds-a".to_owned(), 1)), Ok(("ocds-b".to_owned(), 1))]);
}

#[test]
fn stream_errors_carry_the_stream_position() {
    let input = "{\"ocid\": \"ocds-a\", \"date\": \"2020-01-01T00:00:00Z\"}\n{\"ocid\": \"ocds-a\"}\n";
    let results: Vec<_> = group_by_ocid(read_releases(input.as_bytes()), Grouping::Sorted).collect();
    assert_eq!(results, [Err(MergeError::MissingDate { index: 1, ocid: "ocds-a".into() })]);

    let broken = "{\"ocid\": \"ocds-a\", \"date\": \"2020-01-01T00:00:00Z\"}\n{\"ocid\": ";
    let results: Vec<_> = read_releases(broken.as_bytes()).collect();
    assert_eq!(results.len(), 2);
    match &results[1] {
        Err(MergeError::Json { index: 1, message }) => assert!(message.contains("line 2"), "{message}"),
        other => panic!("expected a JSON error, got {other:?}"),
    }
}

#[test]
fn a_merger_is_shared_across_threads() {
    fn shareable<T: Send + Sync + Clone>(_: &T) {}
    let merger = Merger::ocds_1_1();
    shareable(&merger);
    let release = release("1", "2020-01-01T00:00:00Z", json!({"tender": {"title": "T"}}));
    let merged = std::thread::scope(|scope| scope.spawn(|| merger.compiled(std::slice::from_ref(&release))).join());
    assert_eq!(merged.ok().and_then(Result::ok).map(|m| m["tender"]["title"].clone()), Some(json!("T")));
}
