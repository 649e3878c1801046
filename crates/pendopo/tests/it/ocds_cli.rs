//! `pendopo ocds ...` on real OCDS files, as an analyst runs it.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

const OCDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../ocds/tests/data");

fn pendopo_ocds(args: &[&str], stdin: &[u8]) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pendopo"))
        .arg("ocds")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.success(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

/// The fictional example's six release packages, one a line, newest first
/// (the merge orders by date, not by input order).
fn fictional_packages() -> Vec<u8> {
    let mut out = Vec::new();
    for n in (1..=6).rev() {
        let dir = format!("{OCDS}/sample-data/fictional-example/1.1");
        let name = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.file_name().unwrap().to_str().unwrap().starts_with(&format!("ocds-213czf-000-00001-0{n}")))
            .unwrap();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(name).unwrap()).unwrap();
        out.extend(serde_json::to_vec(&v).unwrap());
        out.push(b'\n');
    }
    out
}

fn record(file: &str) -> Value {
    let text = std::fs::read_to_string(format!("{OCDS}/sample-data/fictional-example/1.1/record/{file}")).unwrap();
    serde_json::from_str::<Value>(&text).unwrap()["records"][0].clone()
}

#[test]
fn compile_gives_the_published_compiled_and_versioned_releases() {
    let input = fictional_packages();
    let (ok, out, err) = pendopo_ocds(&["compile", "-"], &input);
    assert!(ok, "{err}");
    let lines: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1, "one process, one compiled release");
    assert_eq!(lines[0], record("ocds-213czf-000-00001.json")["compiledRelease"]);

    let (ok, out, _) = pendopo_ocds(&["compile", "--versioned", "--package", "-"], &input);
    assert!(ok);
    let package: Value = serde_json::from_str(&out).unwrap();
    for field in ["uri", "publisher", "publishedDate", "version", "records"] {
        assert!(package.get(field).is_some(), "record package has {field}");
    }
    assert_eq!(package["records"][0]["versionedRelease"], record("ocds-213czf-000-00001-withversions.json")["versionedRelease"]);
    assert_eq!(package["records"][0]["releases"].as_array().unwrap().len(), 6);
}

#[test]
fn compile_reports_bad_input_and_writes_nothing_partial() {
    let (ok, out, err) = pendopo_ocds(&["compile", "-"], b"{\"ocid\": 1,");
    assert!(!ok);
    assert!(out.is_empty());
    assert!(err.contains("invalid JSON"), "{err}");
    let (ok, _, err) = pendopo_ocds(&["compile", "-"], br#"{"id": "1", "date": "2024-01-01T00:00:00Z", "tag": ["tender"]}"#);
    assert!(!ok);
    assert!(err.to_lowercase().contains("ocid"), "{err}");
    let (ok, _, err) = pendopo_ocds(&["compile", "/no/such/file.json"], b"");
    assert!(!ok && err.contains("cannot read /no/such/file.json"), "{err}");
}

#[test]
fn flags_match_cardinal_on_its_fixtures() {
    let settings_dir = tempfile::tempdir().unwrap();
    for (case, section) in [("R018", "[R018]\n"), ("R003-threshold-10", "[R003]\nthreshold = 10\n"), ("R024", "[R024]\n")] {
        let settings = settings_dir.path().join(format!("{case}.ini"));
        let text = format!("no_price_comparison_procurement_methods = NPC\n\n[exclusions]\nprocurement_method_details = EXC\n\n{section}");
        std::fs::write(&settings, text).unwrap();
        let input = std::fs::read(format!("{OCDS}/cardinal-fixtures/{case}.jsonl")).unwrap();
        let (ok, out, err) = pendopo_ocds(&["flags", "-s", settings.to_str().unwrap(), "-"], &input);
        assert!(ok, "{case}: {err}");
        let mut got: Value = serde_json::from_str(&out).unwrap();
        let got = got.as_object_mut().unwrap();
        got.remove("Meta");
        got.retain(|_, v| v.as_object().is_some_and(|o| !o.is_empty()));
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(format!("{OCDS}/cardinal-fixtures/{case}.expected")).unwrap()).unwrap();
        assert_eq!(Value::Object(got.clone()), expected, "{case}");
    }
    let bad = settings_dir.path().join("bad.ini");
    std::fs::write(&bad, "[R003]\nthreshold = sepuluh\n").unwrap();
    let (ok, _, err) = pendopo_ocds(&["flags", "-s", bad.to_str().unwrap(), "-"], b"");
    assert!(!ok);
    assert!(err.contains("line 2"), "the settings error names its line: {err}");
}

#[test]
fn validate_reports_what_is_wrong_and_exits_non_zero() {
    let good = std::fs::read(format!("{OCDS}/sample-data/fictional-example/1.1/ocds-213czf-000-00001-01-planning.json")).unwrap();
    let (ok, out, err) = pendopo_ocds(&["validate", "-"], &good);
    assert!(ok, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!((report["valid"].as_bool(), report["package_type"].as_str()), (Some(true), Some("release")));

    let mut bad: Value = serde_json::from_slice(&good).unwrap();
    bad["releases"][0]["tag"] = serde_json::json!(["rencana"]);
    bad["releases"][0]["ocid"] = serde_json::json!("bjn-0001");
    let (ok, out, err) = pendopo_ocds(&["validate", "-"], &serde_json::to_vec(&bad).unwrap());
    assert!(!ok);
    assert!(err.contains("not valid"), "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let types: Vec<&str> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .chain(report["warnings"].as_array().unwrap())
        .map(|i| i["type"].as_str().unwrap())
        .collect();
    assert!(types.contains(&"closed_codelist") && types.contains(&"ocid_prefix"), "{types:?}");

    let (ok, out, _) = pendopo_ocds(&["validate", "-"], b"{\"releases\": [1,");
    assert!(!ok);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["errors"][0]["type"], "invalid_json");
    assert!(report["errors"][0]["line"].is_number());
}

#[test]
fn flags_can_add_the_indonesian_ones() {
    let release = serde_json::json!({
        "ocid": "ocds-bjn001-1", "buyer": {"id": "DINAS-A"},
        "tender": {"procurementMethodDetails": "Penunjukan Langsung", "value": {"amount": 100.0}, "tenderPeriod": {"startDate": "2024-01-02T08:00:00+07:00"}},
        "awards": [{"status": "active", "date": "2024-01-10T08:00:00+07:00", "value": {"amount": 101.0}, "suppliers": [{"id": "CV-X"}]}],
        "contracts": [{"value": {"amount": 101.0}, "dateSigned": "2024-12-20T08:00:00+07:00"}]
    });
    let (ok, out, err) = pendopo_ocds(&["flags", "--indonesia", "-"], release.to_string().as_bytes());
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["Indonesia"]["OCID"]["ocds-bjn001-1"]["ID_HPS"], 5, "above the HPS");
    assert_eq!(v["Indonesia"]["OCID"]["ocds-bjn001-1"]["ID_DURASI"], 1, "8 days");
    assert_eq!(v["Indonesia"]["Buyer"]["DINAS-A"]["ID_PENUNJUKAN_LANGSUNG"], 1.0);
    assert_eq!(v["Indonesia"]["Buyer"]["DINAS-A"]["ID_DESEMBER"], serde_json::json!({"2024": 1.0}));
    let (_, plain, _) = pendopo_ocds(&["flags", "-"], release.to_string().as_bytes());
    assert!(serde_json::from_str::<Value>(&plain).unwrap().get("Indonesia").is_none(), "only when asked");

    // The settings file's [indonesia] section turns them on, with its thresholds.
    let dir = tempfile::tempdir().unwrap();
    let ini = dir.path().join("pengaturan.ini");
    std::fs::write(&ini, "[R018]\n[indonesia]\ndecember_share = 1.0\n").unwrap();
    let (ok, out, err) = pendopo_ocds(&["flags", "-s", ini.to_str().unwrap(), "-"], release.to_string().as_bytes());
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["Indonesia"]["Buyer"]["DINAS-A"]["ID_PENUNJUKAN_LANGSUNG"], 1.0);
    assert!(v["Indonesia"]["Buyer"]["DINAS-A"].get("ID_DESEMBER").is_none(), "all in December is not above a share of 1.0");
    std::fs::write(&ini, "[indonesia]\ndecember_share = 30%\n").unwrap();
    let (ok, _, err) = pendopo_ocds(&["flags", "-s", ini.to_str().unwrap(), "-"], release.to_string().as_bytes());
    assert!(!ok && err.contains("settings line 2"), "{err}");
}

/// Releases of `processes` processes, three each, interleaved (so unsorted),
/// one a line: a few megabytes, cut into many pieces.
fn interleaved_releases(processes: usize) -> String {
    let mut lines = String::new();
    for step in 0..3 {
        for p in 0..processes {
            let release = serde_json::json!({
                "ocid": format!("ocds-bjn001-{p:05}"), "id": format!("{p}-{step}"), "date": format!("2024-0{}-01T00:00:00Z", 3 - step),
                "tag": ["tender"], "tender": {"title": format!("Pengadaan {p} langkah {step}"), "value": {"amount": p as f64 * 1.5 + step as f64}},
                "parties": [{"id": format!("P-{}", p % 7), "name": "x".repeat(300), "roles": ["tenderer"]}],
            });
            lines.push_str(&release.to_string());
            lines.push('\n');
        }
    }
    lines
}

/// `pendopo ocds compile FILE` on `input` written to a file: a big input
/// through pipes would fill them both (the sorted merge writes while reading).
fn compile_file(flags: &[&str], input: &str) -> (bool, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("releases.jsonl");
    std::fs::write(&path, input).unwrap();
    let args: Vec<&str> = ["compile"].into_iter().chain(flags.iter().copied()).chain([path.to_str().unwrap()]).collect();
    pendopo_ocds(&args, b"")
}

#[test]
fn compile_on_every_core_writes_what_one_thread_would() {
    let input = interleaved_releases(1200);
    assert!(input.len() > 3 * (512 << 10), "big enough for several pieces: {} bytes", input.len());
    let merger = ocds::merge::Merger::ocds_1_1();
    let expected: Vec<Value> = merger
        .merge_stream(ocds::merge::read_releases(input.as_bytes()), ocds::merge::Grouping::Buffered, ocds::merge::Kind::Compiled)
        .map(Result::unwrap)
        .collect();
    // The CLI writes fields in input order, a `Value` in key order: compare parsed lines.
    let parsed = |out: &str| -> Vec<Value> { out.lines().map(|line| serde_json::from_str(line).unwrap()).collect() };
    let (ok, out, err) = compile_file(&[], &input);
    assert!(ok, "{err}");
    assert_eq!(parsed(&out).len(), 1200);
    assert!(parsed(&out) == expected, "the output differs from the single-threaded merge");

    // Sorted, the same processes come out in the same order.
    let mut lines: Vec<&str> = input.lines().collect();
    lines.sort_by_cached_key(|line| serde_json::from_str::<Value>(line).unwrap()["ocid"].as_str().unwrap().to_owned());
    let (ok, out, err) = compile_file(&["--sorted"], &(lines.join("\n") + "\n"));
    assert!(ok, "{err}");
    assert!(parsed(&out) == expected, "sorted input gives the same output");
    let (ok, _, err) = compile_file(&["--sorted"], &input);
    assert!(!ok && err.contains("not sorted by ocid"), "{err}");

    // A syntax error far into the input is placed by its line in the whole input.
    let mut lines: Vec<String> = input.lines().map(str::to_owned).collect();
    lines[3000].truncate(40);
    let broken = lines.join("\n") + "\n";
    let (ok, _, err) = compile_file(&[], &broken);
    let one_thread = ocds::merge::read_releases(broken.as_bytes()).find_map(Result::err).unwrap().to_string();
    assert!(one_thread.contains("invalid JSON after 3000 releases") && one_thread.contains("line 3002"), "{one_thread}");
    assert!(!ok && err.contains(&one_thread), "{err}");
}

/// Release packages of seven releases each, one a line: a package holds
/// releases of several processes, and a process spans packages and pieces.
fn in_packages(lines: &[&str]) -> String {
    lines.chunks(7).map(|chunk| format!("{{\"uri\": \"https://example.com/p\", \"releases\": [{}]}}\n", chunk.join(","))).collect()
}

#[test]
fn compile_joins_processes_across_packages_and_pieces() {
    let input = interleaved_releases(1200);
    let mut sorted: Vec<&str> = input.lines().collect();
    sorted.sort_by_cached_key(|line| serde_json::from_str::<Value>(line).unwrap()["ocid"].as_str().unwrap().to_owned());
    let merger = ocds::merge::Merger::ocds_1_1();
    let parsed = |out: &str| -> Vec<Value> { out.lines().map(|line| serde_json::from_str(line).unwrap()).collect() };
    for (flags, lines) in [(&[][..], input.lines().collect::<Vec<_>>()), (&["--sorted"][..], sorted)] {
        let packages = in_packages(&lines);
        assert!(packages.len() > 3 * (512 << 10), "several pieces");
        let expected: Vec<Value> = merger
            .merge_stream(ocds::merge::read_releases(packages.as_bytes()), ocds::merge::Grouping::Buffered, ocds::merge::Kind::Compiled)
            .map(Result::unwrap)
            .collect();
        let (ok, out, err) = compile_file(flags, &packages);
        assert!(ok, "{flags:?}: {err}");
        let got = parsed(&out);
        assert_eq!(got.len(), 1200, "{flags:?}: one compiled release per process");
        assert!(got == expected, "{flags:?}: the output differs from the single-threaded merge");
    }
}

#[test]
fn validate_streams_a_file_and_places_its_json_errors() {
    let dir = tempfile::tempdir().unwrap();
    let releases: Vec<Value> = interleaved_releases(1000).lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let package = serde_json::json!({"uri": "https://example.com/p.json", "publishedDate": "2024-01-01T00:00:00Z", "version": "1.1",
        "publisher": {"name": "Demo"}, "releases": releases});
    let text = serde_json::to_string_pretty(&package).unwrap();
    let path = dir.path().join("package.json");
    std::fs::write(&path, &text).unwrap();
    let (_, out, _) = pendopo_ocds(&["validate", path.to_str().unwrap()], b"");
    let report: ocds::validate::Report = serde_json::from_str(&out).unwrap();
    assert_eq!(report.releases, 3000);
    assert_eq!(report, ocds::validate::Validator::ocds_1_1_5().validate(text.as_bytes()), "streamed from the file as from memory");

    // Cut inside the third line of a release: the report says where.
    let broken: String = text.lines().take(40).collect::<Vec<_>>().join("\n") + "\n  ]]";
    std::fs::write(&path, &broken).unwrap();
    let (ok, out, _) = pendopo_ocds(&["validate", path.to_str().unwrap()], b"");
    assert!(!ok);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["errors"][0]["type"], "invalid_json");
    assert_eq!(report["errors"][0]["line"], 41, "{report}");
}
