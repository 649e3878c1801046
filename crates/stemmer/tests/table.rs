//! Data-driven check of the stemmer against `stems.tsv` (word, tab, expected stem).
//!
//! Every row is stemmed and all mismatches are collected before asserting, so a
//! rule change shows its whole effect on the table in one run.

use std::collections::HashSet;

const TABLE: &str = include_str!("stems.tsv");

/// The table is the coverage contract (every prefix, suffix, particle, recoding
/// and disallowed pair); shrinking it below this must be deliberate.
const MIN_ROWS: usize = 120;

/// Stems `word`; returns a description of the mismatch, if any.
fn check(word: &str, expected: &str) -> Option<String> {
    let got = stemmer::stem(word);
    (got != expected).then(|| format!("{word:<24} expected {expected:<14} got {got}"))
}

fn rows() -> Vec<(usize, &'static str, &'static str)> {
    TABLE
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|(i, line)| {
            let (word, expected) = line.split_once('\t').unwrap_or_else(|| panic!("stems.tsv:{}: no tab in {line:?}", i + 1));
            (i + 1, word.trim(), expected.trim())
        })
        .collect()
}

#[test]
fn table_is_well_formed() {
    let rows = rows();
    assert!(rows.len() >= MIN_ROWS, "stems.tsv has {} rows, want at least {MIN_ROWS}", rows.len());
    let mut seen = HashSet::new();
    let dups: Vec<&str> = rows.iter().filter(|(_, w, _)| !seen.insert(*w)).map(|(_, w, _)| *w).collect();
    assert!(dups.is_empty(), "duplicate words in stems.tsv: {dups:?}");
    let empty: Vec<usize> = rows.iter().filter(|(_, w, e)| w.is_empty() || e.is_empty()).map(|(n, ..)| *n).collect();
    assert!(empty.is_empty(), "empty cells on lines {empty:?}");
}

#[test]
fn every_row_stems_as_expected() {
    let rows = rows();
    let failures: Vec<String> =
        rows.iter().filter_map(|(n, word, expected)| check(word, expected).map(|m| format!("line {n}: {m}"))).collect();
    assert!(failures.is_empty(), "{} of {} rows fail:\n{}", failures.len(), rows.len(), failures.join("\n"));
}
