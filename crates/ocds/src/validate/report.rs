//! The validation report and the collector that groups issues into it.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How many example occurrences an issue keeps: enough to find the
/// problem, bounded so that a million bad values make a small report.
pub const MAX_EXAMPLES: usize = 3;

/// Longest example string kept, in characters.
const MAX_EXAMPLE_CHARS: usize = 200;

/// The outcome of validating one package.
///
/// Serialized as:
///
/// ```json
/// {"valid": false, "package_type": "release", "releases": 6, "ocids": 1,
///  "errors": [{"type": "required", "path": "releases/tender/id",
///              "message": "Required field is missing", "count": 1,
///              "examples": [{"path": "releases/1/tender/id"}]}],
///  "warnings": [], "notices": []}
/// ```
///
/// Paths are lib-cove-ocds style: field names and array indices joined by
/// `/`, no leading slash, `""` for the package itself. An issue's `path`
/// leaves the indices out, so one problem repeated in every release is one
/// issue; its `examples` keep the first [`MAX_EXAMPLES`] full paths (and
/// the offending value, when it is a string, number, boolean or null).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// `true` when there are no errors (warnings and notices do not count).
    pub valid: bool,
    /// `None` when the input is not a JSON object at all.
    pub package_type: Option<PackageType>,
    /// Releases in the package: embedded releases, or for a record package
    /// the entries (embedded or linked) of every record's `releases`.
    pub releases: usize,
    /// Records in a record package; absent for a release package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<usize>,
    /// Distinct `ocid`s among the releases (or the records).
    pub ocids: usize,
    /// Problems that make the data invalid OCDS: schema violations, values
    /// outside closed codelists, repeated release ids, unreadable JSON.
    pub errors: Vec<Issue>,
    /// Valid but likely wrong: deprecated or additional fields, OCID prefix
    /// format, dates out of order.
    pub warnings: Vec<Issue>,
    /// Worth a look: values outside open codelists, empty fields.
    pub notices: Vec<Issue>,
}

/// Which package schema applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageType {
    /// Has `releases` (or neither `releases` nor `records`).
    Release,
    /// Has `records`.
    Record,
}

impl PackageType {
    /// The package field that holds its items: `releases` or `records`.
    pub fn items_field(self) -> &'static str {
        match self {
            PackageType::Release => "releases",
            PackageType::Record => "records",
        }
    }
}

/// One kind of problem at one place, with how often it occurs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    /// Stable snake_case code, e.g. `required`, `closed_codelist`,
    /// `date_order` (listed in the module documentation).
    #[serde(rename = "type")]
    pub kind: String,
    /// Path without array indices, e.g. `releases/tender/status`.
    pub path: String,
    /// What is wrong, in English, without the offending value (which is in
    /// the examples) so that occurrences group together.
    pub message: String,
    /// Occurrences in the package.
    pub count: usize,
    /// The first occurrences, at most [`MAX_EXAMPLES`].
    pub examples: Vec<Example>,
    /// Line (1-based) of an `invalid_json` error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// Column (1-based) of an `invalid_json` error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

/// One occurrence of an issue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    /// Full path with indices, e.g. `releases/3/tender/status`.
    pub path: String,
    /// The offending value when it is a scalar (long strings shortened);
    /// objects and arrays are left out to keep reports small.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

impl Report {
    /// The issues of one `type`, whatever their severity.
    pub fn issues(&self, kind: &str) -> impl Iterator<Item = &Issue> {
        self.errors.iter().chain(&self.warnings).chain(&self.notices).filter(move |i| i.kind == kind)
    }

    /// The issue of `kind` at `path` (index-free), if any.
    pub fn find(&self, kind: &str, path: &str) -> Option<&Issue> {
        self.issues(kind).find(|i| i.path == path)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Severity {
    Error,
    Warning,
    Notice,
}

/// Groups issues by (severity, type, path, message), in first-seen order.
#[derive(Debug, Default)]
pub(crate) struct Collector {
    issues: Vec<(Severity, &'static str, Issue)>,
    index: HashMap<(Severity, &'static str, String, String), usize>,
    pub(crate) error_count: usize,
}

impl Collector {
    /// Records one occurrence. `full_path` is only called while the issue
    /// still has room for examples, so common issues cost no path building.
    pub(crate) fn add(
        &mut self,
        severity: Severity,
        kind: &'static str,
        path: String,
        message: String,
        full_path: impl FnOnce() -> String,
        value: Option<&Value>,
    ) {
        if severity == Severity::Error {
            self.error_count += 1;
        }
        let key = (severity, kind, path, message);
        let slot = match self.index.get(&key) {
            Some(&slot) => slot,
            None => {
                let (severity, kind, path, message) = key.clone();
                let issue = Issue { kind: kind.to_owned(), path, message, count: 0, examples: Vec::new(), line: None, column: None };
                self.issues.push((severity, kind, issue));
                self.index.insert(key, self.issues.len() - 1);
                self.issues.len() - 1
            }
        };
        let issue = &mut self.issues[slot].2;
        issue.count += 1;
        if issue.examples.len() < MAX_EXAMPLES {
            issue.examples.push(Example { path: full_path(), value: value.and_then(example_value) });
        }
    }

    /// Adds an issue that is already grouped (from a trial walk).
    fn absorb(&mut self, severity: Severity, kind: &'static str, issue: Issue) {
        if severity == Severity::Error {
            self.error_count += issue.count;
        }
        let key = (severity, kind, issue.path.clone(), issue.message.clone());
        match self.index.get(&key) {
            Some(&slot) => {
                let mine = &mut self.issues[slot].2;
                mine.count += issue.count;
                let room = MAX_EXAMPLES.saturating_sub(mine.examples.len());
                mine.examples.extend(issue.examples.into_iter().take(room));
            }
            None => {
                self.issues.push((severity, kind, issue));
                self.index.insert(key, self.issues.len() - 1);
            }
        }
    }

    /// Moves everything another collector gathered into this one.
    pub(crate) fn merge(&mut self, other: Collector) {
        for (severity, kind, issue) in other.issues {
            self.absorb(severity, kind, issue);
        }
    }

    /// Splits into (errors, warnings, notices).
    pub(crate) fn finish(self) -> (Vec<Issue>, Vec<Issue>, Vec<Issue>) {
        let (mut errors, mut warnings, mut notices) = (Vec::new(), Vec::new(), Vec::new());
        for (severity, _, issue) in self.issues {
            match severity {
                Severity::Error => errors.push(issue),
                Severity::Warning => warnings.push(issue),
                Severity::Notice => notices.push(issue),
            }
        }
        (errors, warnings, notices)
    }
}

/// A scalar value as an example; long strings are cut at a character
/// boundary so one huge field cannot bloat the report.
fn example_value(value: &Value) -> Option<Value> {
    match value {
        Value::String(s) if s.chars().count() > MAX_EXAMPLE_CHARS => {
            Some(Value::String(s.chars().take(MAX_EXAMPLE_CHARS).chain(std::iter::once('…')).collect()))
        }
        Value::Object(_) | Value::Array(_) => None,
        other => Some(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn occurrences_group_and_keep_three_examples() {
        let mut c = Collector::default();
        for i in 0..5 {
            c.add(Severity::Error, "type", "releases/id".into(), "m".into(), || format!("releases/{i}/id"), Some(&json!(i)));
        }
        c.add(Severity::Notice, "empty_field", "releases/id".into(), "m".into(), || "x".into(), None);
        assert_eq!(c.error_count, 5);
        let (errors, warnings, notices) = c.finish();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].count, 5);
        assert_eq!(errors[0].examples.len(), 3);
        assert_eq!(errors[0].examples[2].value, Some(json!(2)));
        assert!(warnings.is_empty());
        assert_eq!(notices.len(), 1);
    }

    #[test]
    fn merging_adds_counts_and_caps_examples() {
        let mut a = Collector::default();
        let mut b = Collector::default();
        for c in [&mut a, &mut b] {
            c.add(Severity::Error, "required", "id".into(), "m".into(), || "id".into(), None);
            c.add(Severity::Error, "required", "id".into(), "m".into(), || "id".into(), None);
        }
        a.merge(b);
        assert_eq!(a.error_count, 4);
        let (errors, _, _) = a.finish();
        assert_eq!((errors[0].count, errors[0].examples.len(), errors[0].kind.as_str()), (4, 3, "required"));
    }

    #[test]
    fn long_strings_are_shortened_in_examples() {
        let long = "x".repeat(1000);
        let Some(Value::String(s)) = example_value(&json!(long)) else { panic!("a string example") };
        assert_eq!(s.chars().count(), MAX_EXAMPLE_CHARS + 1);
        assert_eq!(example_value(&json!({"a": 1})), None);
    }
}
