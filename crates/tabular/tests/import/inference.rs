//! Type inference, case by case: `check(csv, "expected types")`.

use tabular::{ColumnType, Options, analyze_csv};

/// Analyses `input` and compares the inferred types, written as CKAN names separated by spaces.
#[track_caller]
fn check(input: &str, expected: &str) {
    check_with(input, expected, &Options::default());
}

#[track_caller]
fn check_with(input: &str, expected: &str, options: &Options) {
    let schema = analyze_csv(input.as_bytes(), options).unwrap_or_else(|e| panic!("{input:?}: {e}"));
    let got: Vec<&str> = schema.columns.iter().map(|c| c.inferred.as_str()).collect();
    assert_eq!(got.join(" "), expected, "input: {input:?}");
}

/// (input, expected types): one line per rule of the crate documentation, and its edges.
const CASES: &[(&str, &str)] = &[
    // Integers: sign, spaces around, i64 limits.
    ("a\n1\n-2\n+3\n", "int"),
    ("a,b\n 12 , x \n", "int text"),
    ("a\n9223372036854775807\n-9223372036854775808\n", "int"),
    // Too big for i64, or a leading zero: identifiers, kept as text.
    ("a\n9223372036854775808\n", "text"),
    ("a\n0812345678\n0813\n", "text"),
    ("a\n007\n", "text"),
    ("a\n0\n-0\n", "int"),
    // 0/1 alone are integers; with a word they are booleans.
    ("a\n0\n1\n1\n", "int"),
    ("a\nya\ntidak\n1\n0\n", "bool"),
    ("a\nTrue\nFALSE\n", "bool"),
    ("a\nyes\nNo\n", "bool"),
    ("a\nyes\n2\n", "text"),
    ("a\nbenar\n", "text"),
    // Numbers with separators: the column decides the convention.
    ("a\n1\n2.5\n", "numeric"),
    ("a\n0.250\n", "numeric"),
    ("a\n.5\n-1e-3\n2E5\n", "numeric"),
    ("a\n1.250\n2.5\n", "numeric"),
    ("a\n1234.567\n", "numeric"),
    ("a\n1.250\n12.500\n", "int"),
    ("a\n1.250.000\n", "int"),
    ("a\n35.22.01\n35.22.02\n", "text"),
    ("a\nNaN\n", "text"),
    ("a\ninf\n", "text"),
    ("a\n1.2.3\n", "text"),
    ("a\n1e\n", "text"),
    // Decimal comma, in any delimiter; never mixed with decimal points.
    ("a;b\n1,5;x\n2;y\n", "numeric text"),
    ("a;b\n1,250;1\n", "numeric int"),
    ("a,b\n\"1,5\",x\n", "numeric text"),
    ("a,b\n\"1.200,50\",x\n\"1,200.50\",y\n", "text text"),
    ("a;b\n1,5;1\n2.5;2\n", "text int"),
    ("a;b\n1.250,5;1\n", "numeric int"),
    ("a\tb\n3,25\tx\n", "numeric text"),
    // Dates: ISO, day-first with / or -; real calendar dates only.
    ("a\n2024-01-31\n31/01/2024\n1-2-2024\n29/02/2024\n", "date"),
    ("a\n2024-02-30\n", "text"),
    ("a\n29/02/2023\n", "text"),
    ("a\n01/13/2024\n", "text"),
    ("a\n2024/01/31\n", "text"),
    ("a\n31-01-24\n", "text"),
    // Timestamps: ISO with a time; plain dates may join them.
    ("a\n2024-01-31T10:00:00Z\n2024-02-01\n", "timestamp"),
    ("a\n2024-01-31 10:00\n", "timestamp"),
    ("a\n2024-01-31T10:00:00.123+07:00\n2024-01-31T10:00:00-0300\n2024-01-31t10:00:00+07\n", "timestamp"),
    ("a\n2024-01-31T25:00\n", "text"),
    ("a\n31/01/2024 10:00\n", "text"),
    ("a\n12:30\n", "text"),
    // Empty cells are NULL and do not vote; an all-NULL column is text.
    ("a,b\n1,\n,\n2,\n", "int text"),
    ("a,b,c\n", "text text text"),
    ("a\n-\n5\n", "text"),
    // Tab and semicolon detection with the same rules.
    ("a\tb\n1\tx\n", "int text"),
    ("id;nilai;tgl\n1;2,5;2024-01-01\n2;3;02/01/2024\n", "int numeric date"),
    // Mixed types fall back to text.
    ("a\n1\nx\n", "text"),
    ("a\n2024-01-01\n5\n", "text"),
];

#[test]
fn inference_table() {
    for (input, expected) in CASES {
        check(input, expected);
    }
}

#[test]
fn null_markers_do_not_vote() {
    let options = Options { null_markers: vec!["-".into(), "NA".into()], ..Options::default() };
    check_with("a,b\n-,NA\n5,2.5\n", "int numeric", &options);
}

#[test]
fn ambiguous_thousands_are_flagged() {
    // Column a: only "1.250"-like values, read the Indonesian way; b has 2.5, which proves a decimal point.
    let schema = analyze_csv("a,b\n1.250,2.5\n12.000,1.500\n".as_bytes(), &Options::default()).unwrap();
    assert_eq!(schema.column_types(), [ColumnType::Integer, ColumnType::Numeric]);
    assert!(schema.columns[0].ambiguous_thousands);
    assert!(!schema.columns[1].ambiguous_thousands);
}

#[test]
fn decimal_comma_is_recorded() {
    let schema = analyze_csv("a;b;c\n1,5;2.5;x\n".as_bytes(), &Options::default()).unwrap();
    assert!(schema.columns[0].decimal_comma);
    assert!(!schema.columns[1].decimal_comma);
    assert_eq!(schema.columns[0].non_null, 1);
}

#[test]
fn type_names_match_ckan() {
    let names: Vec<&str> = ColumnType::ALL.iter().map(|t| t.as_str()).collect();
    assert_eq!(names, ["int", "bool", "numeric", "date", "timestamp", "text"]);
    for t in ColumnType::ALL {
        assert_eq!(ColumnType::from_name(t.as_str()), Some(t));
    }
    assert_eq!(ColumnType::from_name("timestamptz"), Some(ColumnType::Timestamp));
    assert_eq!(ColumnType::from_name("jsonb"), None);
}
