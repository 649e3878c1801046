//! Package validation: what the OCDS Data Review Tool (lib-cove-ocds)
//! checks, plus date coherence from OCP's Pelican.
//!
//! Build a [`Validator`] once (it compiles the schemas) and call
//! [`Validator::validate`] for each package, or use [`validate_package`],
//! which keeps one OCDS 1.1.5 validator for the process. The bytes are
//! parsed once, as a stream: each release (or record) is parsed, walked
//! against the schema, summarised for the package-level checks and dropped,
//! so memory follows the largest release rather than the file.
//! [`Validator::validate_value`] does the same on an already parsed value.

//! A package with `records` is a record package, anything else a release
//! package. The [`Report`] sorts issues by severity; each issue's `type` is
//! one of these stable codes:
//!
//! | type | severity | what |
//! |---|---|---|
//! | `invalid_json` | error | not JSON; `line` and `column` say where |
//! | `type`, `required`, `enum`, `pattern`, `format`, `min_length`, `max_length`, `min_items`, `max_items`, `min_properties`, `max_properties`, `minimum`, `maximum`, `unique_items`, `one_of`, `additional_properties` | error | JSON Schema (draft-04) violations, against the release or record package schema and, through them, the release and versioned release schemas |
//! | `depth` | error | a value built in code nested deeper than 256 levels (parsed input stops at 128, as `invalid_json`) |
//! | `closed_codelist` | error | a value outside a closed codelist (e.g. `tender.status`); replaces the schema's `enum` error for that field, so one mistake is one error |
//! | `duplicate_release_id` | error | two releases of one `ocid` share an `id` (lib-cove's replacement for `uniqueItems` on `releases`) |
//! | `duplicate_id` | error | two objects of an array whose schema wants unique items share an `id` (lib-cove's reading of `uniqueItems` for arrays of objects with ids) |
//! | `duplicate_ocid` | error | two records of a record package share an `ocid` |
//! | `additional_field` | warning | a field the schema does not define (only the outermost one of an unknown subtree) |
//! | `deprecated` | warning | a field deprecated by the standard, with the standard's reason |
//! | `ocid_prefix` | warning | an `ocid` not of the form `ocds-` + 6 lowercase letters or digits + `-` + local id |
//! | `date_order` | warning | tender period ending before it starts; an award before the tender period starts; a contract signed before its award (matched by `awardID`); a transaction before the contract's signature; a process's first planning release dated after its first tender release |
//! | `open_codelist` | notice | a value outside an open codelist (allowed, but often a typo or a code to map) |
//! | `empty_field` | notice | an empty string, array or object |
//!
//! A package that lists the pagination extension (`ocds_pagination_extension`)
//! in `extensions` is read with its `links` (`next`, `prev`, `all`: URIs);
//! in any other package `links` is an additional field.
//!
//! The date checks look at each contracting process's latest state: the
//! releases of one `ocid` folded in date order (each field's latest value,
//! array objects matched by `id`), a record's `compiledRelease`, or, without
//! one, its embedded releases folded the same way. So a contract signed
//! before an award published in an earlier release is caught, and a date
//! corrected by a later amendment is not reported.

mod checks;
mod codelist;
mod format;
mod report;
mod schema;
mod stream;
mod walk;

use std::sync::OnceLock;

use serde_json::Value;

pub use report::{Example, Issue, MAX_EXAMPLES, PackageType, Report};
pub use schema::SchemaError;

use codelist::Codelist;
use report::Collector;
use schema::{Compiler, NodeId, Schema};
use walk::Walker;

/// The release package schema of OCDS 1.1.5 (Apache-2.0, © Open Contracting
/// Partnership; see `crates/ocds/schema/README.md`).
pub const RELEASE_PACKAGE_SCHEMA_1_1_5: &str = include_str!("../schema/release-package-schema-1.1.5.json");
/// The record package schema of OCDS 1.1.5.
pub const RECORD_PACKAGE_SCHEMA_1_1_5: &str = include_str!("../schema/record-package-schema-1.1.5.json");
/// The versioned release validation schema of OCDS 1.1.5 (for records'
/// `versionedRelease`).
pub const VERSIONED_RELEASE_SCHEMA_1_1_5: &str = include_str!("../schema/versioned-release-validation-schema-1.1.5.json");

/// The codelists of OCDS 1.1.5, by the file names the schema's `codelist`
/// keyword uses.
const CODELISTS_1_1_5: [(&str, &str); 19] = [
    ("awardCriteria.csv", include_str!("../schema/codelists-1.1.5/awardCriteria.csv")),
    ("awardStatus.csv", include_str!("../schema/codelists-1.1.5/awardStatus.csv")),
    ("contractStatus.csv", include_str!("../schema/codelists-1.1.5/contractStatus.csv")),
    ("currency.csv", include_str!("../schema/codelists-1.1.5/currency.csv")),
    ("documentType.csv", include_str!("../schema/codelists-1.1.5/documentType.csv")),
    ("extendedProcurementCategory.csv", include_str!("../schema/codelists-1.1.5/extendedProcurementCategory.csv")),
    ("initiationType.csv", include_str!("../schema/codelists-1.1.5/initiationType.csv")),
    ("itemClassificationScheme.csv", include_str!("../schema/codelists-1.1.5/itemClassificationScheme.csv")),
    ("method.csv", include_str!("../schema/codelists-1.1.5/method.csv")),
    ("milestoneStatus.csv", include_str!("../schema/codelists-1.1.5/milestoneStatus.csv")),
    ("milestoneType.csv", include_str!("../schema/codelists-1.1.5/milestoneType.csv")),
    ("partyRole.csv", include_str!("../schema/codelists-1.1.5/partyRole.csv")),
    ("procurementCategory.csv", include_str!("../schema/codelists-1.1.5/procurementCategory.csv")),
    ("relatedProcess.csv", include_str!("../schema/codelists-1.1.5/relatedProcess.csv")),
    ("relatedProcessScheme.csv", include_str!("../schema/codelists-1.1.5/relatedProcessScheme.csv")),
    ("releaseTag.csv", include_str!("../schema/codelists-1.1.5/releaseTag.csv")),
    ("submissionMethod.csv", include_str!("../schema/codelists-1.1.5/submissionMethod.csv")),
    ("tenderStatus.csv", include_str!("../schema/codelists-1.1.5/tenderStatus.csv")),
    ("unitClassificationScheme.csv", include_str!("../schema/codelists-1.1.5/unitClassificationScheme.csv")),
];

/// Where the package schemas `$ref` the release and versioned schemas.
const RELEASE_SCHEMA_URI: &str = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json";
const VERSIONED_SCHEMA_URI: &str = "https://standard.open-contracting.org/schema/1__1__5/versioned-release-validation-schema.json";

/// Compiled package schemas and codelists. Build once, share freely (it is
/// `Send + Sync`); validating does not mutate it.
#[derive(Debug)]
pub struct Validator {
    pub(crate) schema: Schema,
    pub(crate) codelists: Vec<Codelist>,
    release_package: NodeId,
    record_package: NodeId,
    /// The package schemas with the pagination extension's `links`, for
    /// packages that declare it.
    release_package_paged: NodeId,
    record_package_paged: NodeId,
}

/// The pagination extension, by its repository's name: publishers point
/// at different branches and tags of it (`master`, `v1.1.5`).
const PAGINATION_EXTENSION: &str = "ocds_pagination_extension";

/// The pagination extension's addition to both package schemas: `links`
/// to the next and previous pages (and `all` of them), as URIs.
fn with_pagination(package_schema: &Value) -> Value {
    let uri = serde_json::json!({"type": "string", "format": "uri"});
    let mut patched = package_schema.clone();
    patched["properties"]["links"] = serde_json::json!({
        "title": "Links",
        "description": "Links to other pages of a paged package (the pagination extension).",
        "type": "object",
        "properties": {"next": uri, "prev": uri, "all": {"type": "array", "items": uri}},
    });
    patched
}

/// Whether a package lists the pagination extension in `extensions`.
pub(crate) fn declares_pagination(package: &Value) -> bool {
    package["extensions"].as_array().is_some_and(|list| list.iter().any(|e| e.as_str().is_some_and(|u| u.contains(PAGINATION_EXTENSION))))
}

impl Validator {
    /// The OCDS 1.1.5 validator, from the schemas and codelists embedded in
    /// this crate.
    ///
    /// # Panics
    ///
    /// Never in practice: the embedded schemas are fixed and compiled by a
    /// unit test, so a broken one fails the build's tests, not a user.
    pub fn ocds_1_1_5() -> Validator {
        let release: Value = serde_json::from_str(crate::merge::RELEASE_SCHEMA_1_1_5).expect("embedded release schema is JSON");
        Validator::new(&release).expect("embedded OCDS 1.1.5 schemas compile")
    }

    /// A validator for a given release schema (e.g. 1.1.5 with extensions
    /// patched in), with the embedded 1.1.5 package and versioned release
    /// schemas and codelists. Codelists the embedded set lacks (from
    /// extensions) are not checked.
    pub fn new(release_schema: &Value) -> Result<Validator, SchemaError> {
        let parse = |name: &str, text: &str| -> Result<Value, SchemaError> {
            serde_json::from_str(text).map_err(|e| SchemaError { location: name.to_owned(), reason: e.to_string() })
        };
        let release_package = parse("release-package-schema", RELEASE_PACKAGE_SCHEMA_1_1_5)?;
        let record_package = parse("record-package-schema", RECORD_PACKAGE_SCHEMA_1_1_5)?;
        let versioned = parse("versioned-release-validation-schema", VERSIONED_RELEASE_SCHEMA_1_1_5)?;
        let codelists: Vec<Codelist> = CODELISTS_1_1_5.iter().filter_map(|(name, text)| Codelist::from_csv(name, text)).collect();

        let (release_paged_schema, record_paged_schema) = (with_pagination(&release_package), with_pagination(&record_package));
        let mut compiler = Compiler::new(&codelists);
        // Registered under the URI the package schemas use, whatever `id`
        // a patched schema carries, so an extended schema slots in.
        compiler.add(RELEASE_SCHEMA_URI, release_schema);
        compiler.add(VERSIONED_SCHEMA_URI, &versioned);
        let release_doc = compiler.add("release-package-schema.json", &release_package);
        let record_doc = compiler.add("record-package-schema.json", &record_package);
        let release_paged_doc = compiler.add("release-package-schema-paged.json", &release_paged_schema);
        let record_paged_doc = compiler.add("record-package-schema-paged.json", &record_paged_schema);
        let release_root = compiler.root(release_doc)?;
        let record_root = compiler.root(record_doc)?;
        let release_paged = compiler.root(release_paged_doc)?;
        let record_paged = compiler.root(record_paged_doc)?;
        let mut schema = compiler.finish();

        // Like lib-cove-ocds, `uniqueItems` on the package's `releases` and
        // `records` is replaced by the ocid/id checks: whole-object equality
        // misses two different releases sharing an id, and is quadratic.
        for (root, field) in [(release_root, "releases"), (record_root, "records"), (release_paged, "releases"), (record_paged, "records")]
        {
            let root = schema.resolve(root);
            if let Some(array) = schema.nodes[root].property(field) {
                let array = schema.resolve(array);
                schema.nodes[array].unique_items = false;
            }
        }
        Ok(Validator {
            schema,
            codelists,
            release_package: release_root,
            record_package: record_root,
            release_package_paged: release_paged,
            record_package_paged: record_paged,
        })
    }

    /// Parses and validates a package. Never panics; unreadable JSON gives a
    /// report with one `invalid_json` error carrying its line and column.
    ///
    /// The package's releases (or records) are parsed and checked one at a
    /// time, so memory follows the largest release rather than the file;
    /// the report is the same as [`Validator::validate_value`]'s, though
    /// issues may be listed in another order.
    pub fn validate(&self, bytes: &[u8]) -> Report {
        let stream = |one_process_at_a_time| -> Result<_, std::convert::Infallible> {
            Ok(stream::validate(self, serde_json::Deserializer::from_slice(bytes), one_process_at_a_time))
        };
        let Ok(outcome) = stream_grouped_first(stream);
        let outcome =
            outcome.unwrap_or_else(|| serde_json::from_slice(bytes).map_or_else(stream::Outcome::Invalid, stream::Outcome::Whole));
        self.report_of(outcome).unwrap_or_else(|e| invalid_json(&e))
    }

    /// Like [`Validator::validate`], reading the package from `open()`, so
    /// that a package bigger than memory can be checked: only the release
    /// being checked (and a few parsed ahead) and small per-release keys
    /// (ids, dates) are held. Buffer the reader (e.g. `std::io::BufReader`):
    /// it is read in small pieces.
    ///
    /// Releases grouped by `ocid` (as publishers write them) are checked
    /// one process at a time, so memory holds one process, not the file.
    ///
    /// `open` gives the package from its start. It is called a second time
    /// for a release package whose processes are not grouped (one comes
    /// back after another began): it is then read again keeping a small
    /// summary of every process. And for a package whose `releases` or
    /// `records` appear twice (or `records` after `releases`): which one
    /// counts depends on the whole document, which is then parsed into memory.
    ///
    /// # Errors
    /// An error of `open` or of the reader; invalid JSON is a report.
    pub fn validate_reader<R: std::io::Read>(&self, mut open: impl FnMut() -> std::io::Result<R>) -> std::io::Result<Report> {
        let outcome = stream_grouped_first(|one_process_at_a_time| -> std::io::Result<_> {
            Ok(stream::validate(self, serde_json::Deserializer::from_reader(open()?), one_process_at_a_time))
        })?;
        let outcome = match outcome {
            Some(outcome) => outcome,
            None => serde_json::from_reader(open()?).map_or_else(stream::Outcome::Invalid, stream::Outcome::Whole),
        };
        match self.report_of(outcome) {
            Err(e) if e.is_io() => Err(e.into()),
            result => Ok(result.unwrap_or_else(|e| invalid_json(&e))),
        }
    }

    /// The report of a finished stream; `Err` for invalid JSON or a failed read.
    fn report_of(&self, outcome: stream::Outcome) -> Result<Report, serde_json::Error> {
        match outcome {
            stream::Outcome::Done { package_type, out, counts } => Ok(report(Some(package_type), out, Some(counts))),
            stream::Outcome::Whole(package) => Ok(self.validate_value(&package)),
            stream::Outcome::Invalid(e) => Err(e),
            // Only ever asked for once, and then answered by a second stream.
            stream::Outcome::Again => unreachable!("a stream that keeps every process never asks to be run again"),
        }
    }

    /// Validates an already parsed package.
    pub fn validate_value(&self, package: &Value) -> Report {
        let package_type = match package {
            Value::Object(map) if map.contains_key("records") => Some(PackageType::Record),
            Value::Object(_) => Some(PackageType::Release),
            _ => None,
        };
        let root = self.package_root(package_type.unwrap_or(PackageType::Release), package);
        let mut out = Collector::default();
        let mut walker = Walker { schema: &self.schema, codelists: &self.codelists, path: Vec::new(), present_at_root: None };
        walker.walk(root, package, None, &mut out);
        let counts = package_type.map(|kind| checks::check_package(package, kind, &mut out));
        report(package_type, out, counts)
    }

    /// The schema to walk a package's own fields with: with `links` when the
    /// package declares the pagination extension.
    pub(crate) fn package_root(&self, package_type: PackageType, package: &Value) -> NodeId {
        match (package_type, declares_pagination(package)) {
            (PackageType::Release, false) => self.release_package,
            (PackageType::Record, false) => self.record_package,
            (PackageType::Release, true) => self.release_package_paged,
            (PackageType::Record, true) => self.record_package_paged,
        }
    }

    /// The package schema's root node.
    pub(crate) fn root(&self, package_type: PackageType) -> NodeId {
        match package_type {
            PackageType::Release => self.release_package,
            PackageType::Record => self.record_package,
        }
    }

    /// The (array, item) nodes of the package's `releases` or `records`,
    /// when they are plain enough to be walked one item at a time.
    pub(crate) fn stream_plan(&self, package_type: PackageType) -> Option<(NodeId, NodeId)> {
        let schema = &self.schema;
        let root = &schema.nodes[schema.resolve(self.root(package_type))];
        let array = schema.resolve(root.property(package_type.items_field())?);
        let node = &schema.nodes[array];
        let plain = node.one_of.is_empty() && node.any_of.is_empty() && node.all_of.is_empty() && !node.unique_items;
        let allows_array = node.types.is_none_or(|t| t.allows(&Value::Array(Vec::new())));
        if plain && allows_array { node.items.map(|items| (array, items)) } else { None }
    }
}

/// Streams the package one process at a time and, if a process came back
/// after it was checked, once more keeping every process: `stream` reads the
/// package from its start each time it is called.
fn stream_grouped_first<E>(mut stream: impl FnMut(bool) -> Result<Option<stream::Outcome>, E>) -> Result<Option<stream::Outcome>, E> {
    match stream(true)? {
        Some(stream::Outcome::Again) => stream(false),
        other => Ok(other),
    }
}

fn report(package_type: Option<PackageType>, out: Collector, counts: Option<checks::Counts>) -> Report {
    let (errors, warnings, notices) = out.finish();
    Report {
        valid: errors.is_empty(),
        package_type,
        releases: counts.as_ref().map_or(0, |c| c.releases),
        records: counts.as_ref().and_then(|c| c.records),
        ocids: counts.as_ref().map_or(0, |c| c.ocids),
        errors,
        warnings,
        notices,
    }
}

fn invalid_json(e: &serde_json::Error) -> Report {
    Report {
        valid: false,
        package_type: None,
        releases: 0,
        records: None,
        ocids: 0,
        errors: vec![Issue {
            kind: "invalid_json".to_owned(),
            path: String::new(),
            message: format!("Invalid JSON: {e}"),
            count: 1,
            examples: Vec::new(),
            line: Some(e.line()),
            column: Some(e.column()),
        }],
        warnings: Vec::new(),
        notices: Vec::new(),
    }
}

/// Validates a package with the OCDS 1.1.5 validator, compiled on first use
/// and kept for the life of the process.
pub fn validate_package(bytes: &[u8]) -> Report {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR.get_or_init(Validator::ocds_1_1_5).validate(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_known_when_the_pagination_extension_is_declared() {
        let mut page = serde_json::json!({
            "uri": "https://satudata.example.id/ocds/releases?since=2026-12-01",
            "version": "1.1",
            "publishedDate": "2026-12-06T10:00:00Z",
            "publisher": {"name": "Kabupaten Contoh"},
            "releases": [{"ocid": "ocds-pd3522-1", "id": "1", "date": "2026-12-01T00:00:00Z", "tag": ["planning"], "initiationType": "tender"}],
            "links": {"next": "https://satudata.example.id/ocds/releases?cursor=1", "prev": "not a uri"},
        });
        let kinds = |report: &Report| report.errors.iter().chain(&report.warnings).map(|i| i.kind.clone()).collect::<Vec<_>>();
        let report = validate_package(page.to_string().as_bytes());
        assert!(kinds(&report).contains(&"additional_field".to_string()), "undeclared: {report:?}");
        page["extensions"] = serde_json::json!([
            "https://raw.githubusercontent.com/open-contracting-extensions/ocds_pagination_extension/master/extension.json"
        ]);
        let report = validate_package(page.to_string().as_bytes());
        assert!(!kinds(&report).contains(&"additional_field".to_string()), "{report:?}");
        assert!(
            !report.valid && report.errors.iter().any(|e| e.kind == "format" && e.path.contains("links")),
            "links are checked: {report:?}"
        );
        page["links"]["prev"] = serde_json::json!("https://satudata.example.id/ocds/releases?cursor=0");
        let report = validate_package(page.to_string().as_bytes());
        assert!(report.valid, "{report:?}");
        assert_eq!(report, Validator::ocds_1_1_5().validate_value(&page), "the streamed and the parsed paths agree");
    }

    #[test]
    fn embedded_schemas_and_codelists_compile() {
        let validator = Validator::ocds_1_1_5();
        assert_eq!(validator.codelists.len(), CODELISTS_1_1_5.len(), "every codelist CSV has a Code column");
        assert!(validator.codelists.iter().any(|c| &*c.name == "currency.csv" && c.contains("IDR")));
    }

    #[test]
    fn validator_is_shareable() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Validator>();
    }
}
