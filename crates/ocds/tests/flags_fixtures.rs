//! Cardinal 0.0.8's red-flag fixtures: every `NAME.jsonl` with its `NAME.expected`.
//!
//! The settings come from the file name, as the fixtures' README explains; all
//! cases run and every failure is reported at once.

use std::fs;
use std::path::{Path, PathBuf};

use ocds::flags::{Indicators, Settings};
use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/cardinal-fixtures");

/// Settings shared by every fixture (from the README).
const BASE_SETTINGS: &str = "no_price_comparison_procurement_methods = NPC\n\n[exclusions]\nprocurement_method_details = EXC\n";

/// Builds the INI text for a fixture name such as `R003-threshold-10`.
fn settings_for(name: &str) -> String {
    let parts: Vec<String> = name.split('-').map(|p| p.replace('+', "|")).collect();
    let code = &parts[0];
    let mut ini = BASE_SETTINGS.to_owned();
    match parts.len() {
        // `R038` or `R038-tenderer`: the part only names the case.
        1 | 2 => ini.push_str(&format!("\n[{code}]\n")),
        3 => ini.push_str(&format!("\n[{code}]\n{} = {}\n", parts[1], parts[2])),
        _ => {
            ini.push_str(&format!("\n[{code}.{}]\n", parts[1]));
            for pair in parts[2..].chunks(2) {
                ini.push_str(&format!("{} = {}\n", pair[0], pair.get(1).map_or("", String::as_str)));
            }
        }
    }
    ini
}

fn fixtures() -> Vec<(String, PathBuf)> {
    let mut cases: Vec<(String, PathBuf)> = fs::read_dir(FIXTURES)
        .unwrap_or_else(|e| panic!("cannot read {FIXTURES}: {e}"))
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let name = path.file_name()?.to_str()?.strip_suffix(".jsonl")?.to_owned();
            Some((name, path))
        })
        .collect();
    cases.sort();
    cases
}

/// Runs one fixture; `Err` describes the mismatch.
fn check(name: &str, jsonl: &Path) -> Result<(), String> {
    let ini = settings_for(name);
    let settings = Settings::parse(&ini).map_err(|e| format!("settings {ini:?}: {e}"))?;
    let mut indicators = Indicators::new(settings);
    let input = fs::read_to_string(jsonl).map_err(|e| e.to_string())?;
    for (i, line) in input.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let release: Value = serde_json::from_str(line).map_err(|e| format!("line {}: {e}", i + 1))?;
        indicators.add(&release);
    }
    let mut actual = indicators.finish();
    // The expected files hold the group maps only, without `Meta` (and `Maps`).
    let meta = actual.as_object_mut().and_then(|o| o.remove("Meta"));
    if !meta.as_ref().is_some_and(Value::is_object) {
        return Err(format!("`Meta` missing or not an object: {meta:?}"));
    }

    let expected_path = jsonl.with_extension("expected");
    let expected_text = fs::read_to_string(&expected_path).map_err(|e| format!("{}: {e}", expected_path.display()))?;
    let expected: Value = serde_json::from_str(&expected_text).map_err(|e| format!("{}: {e}", expected_path.display()))?;
    if actual == expected { Ok(()) } else { Err(format!("expected {expected}\n      actual   {actual}")) }
}

#[test]
fn every_cardinal_fixture_matches() {
    let cases = fixtures();
    assert!(cases.len() >= 15, "expected the Cardinal fixtures in {FIXTURES}, found {} cases", cases.len());
    let failures: Vec<String> = cases.iter().filter_map(|(name, path)| check(name, path).err().map(|e| format!("{name}: {e}"))).collect();
    assert!(failures.is_empty(), "{} of {} fixtures fail:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn file_names_map_to_settings() {
    assert!(settings_for("R038-tenderer").ends_with("\n[R038]\n"));
    assert!(settings_for("R003-threshold-10").ends_with("\n[R003]\nthreshold = 10\n"));
    assert!(settings_for("R003-procurement_methods-open+selective").ends_with("\nprocurement_methods = open|selective\n"));
    assert!(settings_for("R003-procurement_method_details-x-5-y-10").ends_with("\n[R003.procurement_method_details]\nx = 5\ny = 10\n"));
}

#[test]
fn values_serialize_as_floats() {
    // Cardinal writes every value as a decimal (`1.0`); check the bytes, not only the value.
    let mut indicators = Indicators::new(Settings::parse("[R018]").unwrap());
    indicators.add(&serde_json::json!({"ocid": "a", "tender": {"numberOfTenderers": 1, "procurementMethod": "open"}}));
    let out = indicators.finish();
    assert_eq!(serde_json::to_string(&out["OCID"]).unwrap(), r#"{"a":{"R018":1.0}}"#);
}
