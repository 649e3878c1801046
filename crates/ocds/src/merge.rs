//! Compiled and versioned releases: the OCDS merge routine.
//!
//! A [`Merger`] is built once from a release schema (with any extensions
//! already patched in): the schema is walked into a table of [`Rule`]s, so
//! that no field list is hard-coded here. It then merges the releases of one
//! contracting process (one `ocid`):
//!
//! - [`Merger::compiled`]: the latest value of every field, with
//!   `tag: ["compiled"]`, `date` = the latest release date and
//!   `id` = `{ocid}-{date}`;
//! - [`Merger::versioned`]: every field's history as `{releaseID,
//!   releaseDate, releaseTag, value}` entries, appended whenever the value
//!   changes (the `ocid` and the `id` of array objects are not versioned).
//!
//! Releases are sorted by `date` (a stable sort, by instant) before merging.
//! The rules follow the standard's merging specification and, where it is
//! silent, the reference implementation (ocds-merge), whose fixtures the
//! tests run:
//!
//! - objects merge field by field; an empty object does nothing; `null`
//!   removes a field (in a versioned release, it is a version whose value is
//!   `null`);
//! - literals: the latest value wins;
//! - `omitWhenMerged` fields are dropped (and the release's `id`, `date`,
//!   `tag` always are: they become the compiled release's own metadata);
//! - whole-list arrays ([`Rule::WholeList`]) are literals;
//! - other arrays of objects merge by `id`: matching objects merge, others
//!   are appended, an empty array does nothing. Two objects with the same
//!   `id` in one array of one release merge into one (the last wins field by
//!   field) and a [`MergeWarning`] is reported. Objects without `id` (or
//!   with a `null` one) are always appended. `id`s match by their text, so
//!   `1` and `"1"` are one object, which keeps the `id` it first had.
//!
//! Where this crate departs from ocds-merge: a `null` given for a field that
//! holds an object or array of objects removes it from a compiled release (the
//! standard's rule; ocds-merge keeps the old value), and records a `null`
//! version for each field below it in a versioned release. A versioned merge
//! in which a field changes between a literal and an object is refused with
//! [`MergeError::InconsistentType`] rather than producing a malformed result.
//!
//! For many processes at once, [`read_releases`] reads packages or releases
//! from a reader, [`group_by_ocid`] groups them, and
//! [`Merger::merge_stream`] merges each group as it completes. To parse on
//! several threads, cut the input with [`read_pieces`], parse the pieces
//! anywhere ([`Piece::parse`]) and hand the results back in order to
//! [`releases_from_pieces`].

mod date;
mod pieces;
mod rules;
mod stream;
mod tree;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;

use crate::json::{Json, NULL};

pub use pieces::{Piece, PieceJson, PieceReleases, Pieces, TopValue, read_pieces};
pub use rules::Rule;
pub use stream::{Grouping, OcidGroup, OcidGroups, Releases, group_by_ocid, read_releases, releases_from_pieces};

use rules::RuleNode;
use tree::{Merge, Obj, ReleaseMeta, Written};

/// The OCDS 1.1.5 release schema (Apache-2.0, © Open Contracting Partnership;
/// see `crates/ocds/schema/README.md`): the product's default merge schema.
pub const RELEASE_SCHEMA_1_1_5: &str = include_str!("../schema/release-schema-1.1.5.json");

/// Release fields that describe the release itself: never merged as data.
const RELEASE_METADATA: [&str; 4] = ["ocid", "id", "date", "tag"];

/// Merges releases with rules derived once from a release schema.
///
/// Cheap to share: build it at start-up and keep it (it is `Send + Sync`).
#[derive(Debug, Clone)]
pub struct Merger {
    table: BTreeMap<String, Rule>,
    rules: RuleNode,
}

/// Which merged form to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A compiled release ([`Merger::compiled`]).
    Compiled,
    /// A versioned release ([`Merger::versioned`]).
    Versioned,
}

impl Merger {
    /// Derives the merge rules from a release schema (a JSON Schema object,
    /// with local `$ref`s only: patch extensions in and keep references
    /// inside the document).
    ///
    /// # Errors
    /// [`MergeError::Schema`] if the schema is not an object, or a `$ref`
    /// does not resolve or points outside the document.
    pub fn new(schema: &Value) -> Result<Merger, MergeError> {
        let table = rules::derive(schema)?;
        let rules = RuleNode::from_table(&table);
        Ok(Merger { table, rules })
    }

    /// A merger for OCDS 1.1 using the embedded 1.1.5 release schema
    /// ([`RELEASE_SCHEMA_1_1_5`]).
    ///
    /// # Panics
    /// Never in practice: the embedded schema is fixed at build time and
    /// tested; a panic would mean the file in the crate was corrupted.
    #[must_use]
    pub fn ocds_1_1() -> Merger {
        // The schema is compiled into the crate and covered by tests: failing here is a build defect, not bad input.
        let schema: Value = serde_json::from_str(RELEASE_SCHEMA_1_1_5).expect("embedded OCDS 1.1.5 release schema is valid JSON");
        Merger::new(&schema).expect("embedded OCDS 1.1.5 release schema yields merge rules")
    }

    /// Overrides (or adds) the rule of one field, given as a JSON pointer
    /// without array indices, e.g. `/awards/suppliers`. This is how the
    /// [`Rule::Append`] and [`Rule::MergeByPosition`] strategies are chosen.
    #[must_use]
    pub fn with_rule(mut self, pointer: &str, rule: Rule) -> Merger {
        self.table.insert(pointer.to_owned(), rule);
        self.rules = RuleNode::from_table(&self.table);
        self
    }

    /// The rules table: JSON pointers without array indices to rules. Fields
    /// not listed follow the default merge for the shape of their value.
    #[must_use]
    pub fn rules(&self) -> &BTreeMap<String, Rule> {
        &self.table
    }

    /// Merges the releases of one `ocid` into a compiled release.
    ///
    /// # Errors
    /// See [`MergeError`]: a release that is not an object, lacks a string
    /// `ocid` or a valid `date`, has another `ocid` than the first release.
    pub fn compiled(&self, releases: &[Value]) -> Result<Value, MergeError> {
        self.compiled_with_warnings(releases).map(|(release, _)| release)
    }

    /// Like [`Merger::compiled`], also returning the warnings (duplicate `id`s).
    ///
    /// # Errors
    /// As [`Merger::compiled`].
    pub fn compiled_with_warnings(&self, releases: &[Value]) -> Result<(Value, Vec<MergeWarning>), MergeError> {
        self.merge_values(releases, Kind::Compiled)
    }

    /// Merges the releases of one `ocid` into a versioned release.
    ///
    /// # Errors
    /// As [`Merger::compiled`], and [`MergeError::InconsistentType`] when a
    /// field is a literal in one release and an object (or array of objects)
    /// in another.
    pub fn versioned(&self, releases: &[Value]) -> Result<Value, MergeError> {
        self.versioned_with_warnings(releases).map(|(release, _)| release)
    }

    /// Like [`Merger::versioned`], also returning the warnings (duplicate `id`s).
    ///
    /// # Errors
    /// As [`Merger::versioned`].
    pub fn versioned_with_warnings(&self, releases: &[Value]) -> Result<(Value, Vec<MergeWarning>), MergeError> {
        self.merge_values(releases, Kind::Versioned)
    }

    /// Merges one contracting process into the given [`Kind`].
    ///
    /// # Errors
    /// As [`Merger::compiled`] and [`Merger::versioned`].
    pub fn merge_kind(&self, releases: &[Value], kind: Kind) -> Result<Value, MergeError> {
        match kind {
            Kind::Compiled => self.compiled(releases),
            Kind::Versioned => self.versioned(releases),
        }
    }

    /// Merges one contracting process of parsed [`Json`] releases into the
    /// given [`Kind`], without copying them: the result borrows from them
    /// and is written with serde (e.g. [`serde_json::to_writer`]). This is
    /// what the methods above use, and the fast path for large inputs.
    ///
    /// # Errors
    /// As [`Merger::compiled`] and [`Merger::versioned`].
    pub fn merge_json<'a>(&self, releases: &'a [Json<'a>], kind: Kind) -> Result<Merged<'a>, MergeError> {
        self.merge(releases, kind)
    }

    /// Groups a stream of releases by `ocid` (see [`group_by_ocid`] for the
    /// memory each [`Grouping`] needs) and merges each group as it completes.
    ///
    /// ```
    /// use ocds::merge::{Grouping, Kind, Merger, read_releases};
    /// let input = br#"{"releases": [{"ocid": "ocds-a", "id": "1", "date": "2020-01-01T00:00:00Z", "tender": {"title": "T"}}]}"#;
    /// let merger = Merger::ocds_1_1();
    /// let merged: Vec<_> = merger.merge_stream(read_releases(&input[..]), Grouping::Sorted, Kind::Compiled).collect::<Result<_, _>>().unwrap();
    /// assert_eq!(merged[0]["tender"]["title"], "T");
    /// ```
    pub fn merge_stream<'a, I>(
        &'a self,
        releases: I,
        grouping: Grouping,
        kind: Kind,
    ) -> impl Iterator<Item = Result<Value, MergeError>> + 'a
    where
        I: IntoIterator<Item = Result<Value, MergeError>>,
        I::IntoIter: 'a,
    {
        group_by_ocid(releases, grouping).map(move |group| group.and_then(|group| self.merge_kind(&group.releases, kind)))
    }

    /// The `Value` methods: the releases are borrowed as [`Json`], merged, and the result built as a `Value`.
    fn merge_values(&self, releases: &[Value], kind: Kind) -> Result<(Value, Vec<MergeWarning>), MergeError> {
        let releases: Vec<Json> = releases.iter().map(Json::from_value).collect();
        let merged = self.merge(&releases, kind)?;
        // Only maps with string keys and finite numbers are written: this cannot fail.
        let value = serde_json::to_value(&merged).unwrap_or_else(|e| unreachable!("a merged release is JSON: {e}"));
        Ok((value, merged.warnings))
    }

    fn merge<'a>(&self, releases: &'a [Json<'a>], kind: Kind) -> Result<Merged<'a>, MergeError> {
        let checked = check_releases(releases)?;
        let Some(first) = checked.first() else { return Err(MergeError::NoReleases) };
        let ocid = first.ocid;
        let mut order: Vec<&Checked> = checked.iter().collect();
        // Stable: releases with the same date keep their input order.
        order.sort_by_key(|release| release.instant);

        let mut merge = Merge { kind, release: 0, input_index: 0, ocid, path: Vec::new(), warnings: Vec::new() };
        let mut root = Obj::default();
        let mut meta = Vec::with_capacity(order.len());
        for (position, release) in order.iter().enumerate() {
            merge.release = position;
            merge.input_index = release.index;
            merge.object(&mut root, release.fields, Some(&self.rules), &RELEASE_METADATA)?;
            meta.push(ReleaseMeta { id: release.get("id"), date: release.date, tag: release.get("tag") });
        }
        let compiled = (kind == Kind::Compiled).then(|| {
            // `order` is not empty: `checked` had a first release.
            let latest = order.last().map_or(first.date, |release| release.date);
            (format!("{ocid}-{latest}"), latest)
        });
        Ok(Merged { ocid, compiled, root, meta, warnings: merge.warnings })
    }
}

/// One contracting process merged by [`Merger::merge_json`]: a compiled or
/// versioned release, borrowing from the releases, written by serializing it.
pub struct Merged<'a> {
    ocid: &'a str,
    /// A compiled release's own `id` and `date`.
    compiled: Option<(String, &'a str)>,
    root: Obj<'a>,
    meta: Vec<ReleaseMeta<'a>>,
    /// Duplicate `id`s met on the way.
    pub warnings: Vec<MergeWarning>,
}

impl Serialize for Merged<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some((id, date)) = &self.compiled {
            map.serialize_entry("tag", &["compiled"])?;
            map.serialize_entry("id", id)?;
            map.serialize_entry("date", date)?;
        }
        map.serialize_entry("ocid", self.ocid)?;
        Written { obj: &self.root, meta: &self.meta }.fields(&mut map)?;
        map.end()
    }
}

/// A release that passed the checks, with what the merge needs from it.
pub(crate) struct Checked<'a> {
    index: usize,
    fields: &'a [(Cow<'a, str>, Json<'a>)],
    release: &'a Json<'a>,
    ocid: &'a str,
    date: &'a str,
    instant: date::Instant,
}

impl<'a> Checked<'a> {
    /// A field of the release, `null` when absent.
    fn get(&self, key: &str) -> &'a Json<'a> {
        self.release.get(key).unwrap_or(&NULL)
    }
}

fn check_releases<'a>(releases: &'a [Json<'a>]) -> Result<Vec<Checked<'a>>, MergeError> {
    let mut checked: Vec<Checked<'a>> = Vec::with_capacity(releases.len());
    for (index, release) in releases.iter().enumerate() {
        let release = check_release(release, index)?;
        if let Some(first) = checked.first()
            && first.ocid != release.ocid
        {
            return Err(MergeError::MixedOcids { index, expected: first.ocid.to_owned(), found: release.ocid.to_owned() });
        }
        checked.push(release);
    }
    Ok(checked)
}

/// Checks what merging needs of one release: an object with a string `ocid`
/// and an RFC 3339 `date`; gives the `ocid`. `index` is used in the error.
///
/// # Errors
/// [`MergeError::NotAnObject`], [`MergeError::MissingOcid`],
/// [`MergeError::MissingDate`] or [`MergeError::InvalidDate`].
pub fn release_ocid<'a>(release: &'a Json<'a>, index: usize) -> Result<&'a str, MergeError> {
    check_release(release, index).map(|checked| checked.ocid)
}

/// What [`release_ocid`] checks, with what the merge needs.
pub(crate) fn check_release<'a>(release: &'a Json<'a>, index: usize) -> Result<Checked<'a>, MergeError> {
    let fields = release.as_object().ok_or(MergeError::NotAnObject { index })?;
    let ocid = match release.get("ocid") {
        Some(Json::String(ocid)) if !ocid.is_empty() => ocid.as_ref(),
        _ => return Err(MergeError::MissingOcid { index }),
    };
    let date = match release.get("date") {
        None | Some(Json::Null) => return Err(MergeError::MissingDate { index, ocid: ocid.to_owned() }),
        Some(Json::String(date)) => date.as_ref(),
        Some(other) => return Err(MergeError::InvalidDate { index, ocid: ocid.to_owned(), date: other.to_value().to_string() }),
    };
    let instant = date::parse(date).ok_or_else(|| MergeError::InvalidDate { index, ocid: ocid.to_owned(), date: date.to_owned() })?;
    Ok(Checked { index, fields, release, ocid, date, instant })
}

/// Why releases could not be merged. `index` is the position of the
/// offending release in the slice given to the merge, or in the stream for
/// [`group_by_ocid`] and [`read_releases`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeError {
    /// The schema cannot give merge rules.
    Schema(String),
    /// No releases were given.
    NoReleases,
    /// A release is not a JSON object.
    NotAnObject {
        /// Position of the release.
        index: usize,
    },
    /// A release has no `ocid`, or it is not a non-empty string.
    MissingOcid {
        /// Position of the release.
        index: usize,
    },
    /// A release has no `date` (or it is `null`).
    MissingDate {
        /// Position of the release.
        index: usize,
        /// Its `ocid`.
        ocid: String,
    },
    /// A release's `date` is not an RFC 3339 date-time string.
    InvalidDate {
        /// Position of the release.
        index: usize,
        /// Its `ocid`.
        ocid: String,
        /// The date as given (JSON text if it is not a string).
        date: String,
    },
    /// Releases of different `ocid`s were given to one merge.
    MixedOcids {
        /// Position of the first release with another `ocid`.
        index: usize,
        /// The `ocid` of the first release.
        expected: String,
        /// The other `ocid`.
        found: String,
    },
    /// A field is a literal in one release and an object or array of
    /// objects in another (versioned releases only).
    InconsistentType {
        /// The process.
        ocid: String,
        /// Position of the release where the conflict appears.
        index: usize,
        /// JSON pointer of the field, without array indices.
        pointer: String,
        /// What was found.
        message: String,
    },
    /// [`Grouping::Sorted`] input is not sorted by `ocid`.
    NotSorted {
        /// Position of the release.
        index: usize,
        /// Its `ocid`.
        ocid: String,
        /// The `ocid` before it, which sorts after it.
        previous: String,
    },
    /// The input is not valid JSON (from [`read_releases`]).
    Json {
        /// Number of releases read before the error.
        index: usize,
        /// serde_json's message, with line and column.
        message: String,
    },
    /// Reading the input failed (from [`read_releases`]).
    Io {
        /// Number of releases read before the error.
        index: usize,
        /// The I/O error's message.
        message: String,
    },
}

impl MergeError {
    /// The error of a release found `before` releases into a longer stream
    /// than the one it was found in: positions in the stream move, positions
    /// within one merge (`MixedOcids`, `InconsistentType`) do not.
    #[must_use]
    pub fn after(self, before: usize) -> MergeError {
        match self {
            MergeError::NotAnObject { index } => MergeError::NotAnObject { index: index + before },
            MergeError::MissingOcid { index } => MergeError::MissingOcid { index: index + before },
            MergeError::MissingDate { index, ocid } => MergeError::MissingDate { index: index + before, ocid },
            MergeError::InvalidDate { index, ocid, date } => MergeError::InvalidDate { index: index + before, ocid, date },
            MergeError::NotSorted { index, ocid, previous } => MergeError::NotSorted { index: index + before, ocid, previous },
            MergeError::Json { index, message } => MergeError::Json { index: index + before, message },
            MergeError::Io { index, message } => MergeError::Io { index: index + before, message },
            other => other,
        }
    }
}

impl fmt::Display for MergeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MergeError::Schema(message) => write!(f, "release schema: {message}"),
            MergeError::NoReleases => write!(f, "no releases to merge"),
            MergeError::NotAnObject { index } => write!(f, "release {index}: not a JSON object"),
            MergeError::MissingOcid { index } => write!(f, "release {index}: missing `ocid` (a non-empty string is required)"),
            MergeError::MissingDate { index, ocid } => write!(f, "release {index} ({ocid}): missing `date`"),
            MergeError::InvalidDate { index, ocid, date } => {
                write!(f, "release {index} ({ocid}): `date` {date} is not an RFC 3339 date-time (e.g. 2024-01-31T09:30:00Z)")
            }
            MergeError::MixedOcids { index, expected, found } => {
                write!(f, "release {index}: `ocid` {found} differs from {expected}; merge one contracting process at a time")
            }
            MergeError::InconsistentType { ocid, index, pointer, message } => {
                write!(f, "release {index} ({ocid}): {pointer}: {message}")
            }
            MergeError::NotSorted { index, ocid, previous } => write!(
                f,
                "release {index}: `ocid` {ocid} comes after {previous}: the input is not sorted by ocid (sort it, or use Grouping::Buffered)"
            ),
            MergeError::Json { index, message } => write!(f, "invalid JSON after {index} releases: {message}"),
            MergeError::Io { index, message } => write!(f, "read error after {index} releases: {message}"),
        }
    }
}

impl std::error::Error for MergeError {}

/// Something merged, but maybe not as the publisher meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeWarning {
    /// Two objects of one array in one release share an `id`: they were
    /// merged into one, later fields winning.
    DuplicateId {
        /// The process.
        ocid: String,
        /// Position of the release (in the slice given to the merge).
        index: usize,
        /// JSON pointer of the array, without indices.
        pointer: String,
        /// The `id` value, as text.
        id: String,
    },
}

impl fmt::Display for MergeWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MergeWarning::DuplicateId { ocid, index, pointer, id } => {
                // Same wording as the reference implementation, with the dotted path it uses.
                let dotted = rules::split_pointer(pointer).join(".");
                write!(f, "Multiple objects have the `id` value '{id}' in the `{dotted}` array (release {index} of {ocid})")
            }
        }
    }
}
