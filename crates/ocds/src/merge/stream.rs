//! Reading releases from a stream and grouping them by `ocid`.
//!
//! The crate does no I/O of its own: callers hand in a reader (a file, stdin,
//! an HTTP body) and take merged releases out, one contracting process at a
//! time.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, Read};

use serde_json::Value;

use super::pieces::{PieceReleases, read_pieces};
use super::{MergeError, check_release};
use crate::json::Json;

/// Releases from parsed pieces of JSON text, in order: see [`read_releases`]
/// and [`releases_from_pieces`].
pub struct Releases<P> {
    pieces: P,
    /// Releases of the current piece, not yet handed out.
    current: std::vec::IntoIter<Value>,
    /// What stopped the current piece's parse, once its releases are out.
    error: Option<String>,
    /// Releases handed out so far, for error messages.
    count: usize,
    done: bool,
}

/// Reads releases from JSON text: any sequence of top-level JSON values
/// (one per line as JSON Lines, or one pretty-printed document), each of
/// which is a release package (its `releases` are read), a bare release, or
/// an array of packages and releases.
///
/// The text is read and parsed half a megabyte at a time (or one top-level
/// value, when bigger): memory holds that much. Reading stops at the first
/// error. For parsing on several threads, parse the [`super::read_pieces`]
/// yourself and hand them, in order, to [`releases_from_pieces`].
pub fn read_releases<R: Read>(reader: R) -> Releases<impl Iterator<Item = io::Result<PieceReleases>>> {
    releases_from_pieces(read_pieces(reader).map(|piece| piece.map(|piece| piece.parse())))
}

/// The releases of parsed pieces, in the order given; like
/// [`read_releases`], errors carry the number of releases before them.
pub fn releases_from_pieces<P: IntoIterator<Item = io::Result<PieceReleases>>>(pieces: P) -> Releases<P::IntoIter> {
    Releases { pieces: pieces.into_iter(), current: Vec::new().into_iter(), error: None, count: 0, done: false }
}

impl<P: Iterator<Item = io::Result<PieceReleases>>> Iterator for Releases<P> {
    type Item = Result<Value, MergeError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(release) = self.current.next() {
                self.count += 1;
                return Some(Ok(release));
            }
            let index = self.count;
            if let Some(message) = self.error.take() {
                self.done = true;
                return Some(Err(MergeError::Json { index, message }));
            }
            if self.done {
                return None;
            }
            match self.pieces.next() {
                None => self.done = true,
                Some(Ok(piece)) => {
                    self.current = piece.releases.into_iter();
                    self.error = piece.error;
                }
                Some(Err(error)) => {
                    self.done = true;
                    return Some(Err(MergeError::Io { index, message: error.to_string() }));
                }
            }
        }
    }
}

/// The part of a release the merge's check reads (is it an object, its
/// `ocid` and `date`), borrowed: converting the whole release would copy
/// every field of it only to look at two.
fn what_the_check_reads(release: &Value) -> Json<'_> {
    match release.as_object() {
        Some(fields) => Json::Object(
            ["ocid", "date"]
                .into_iter()
                .filter_map(|key| fields.get_key_value(key))
                .map(|(key, value)| (Cow::Borrowed(key.as_str()), Json::from_value(value)))
                .collect(),
        ),
        None => Json::Null,
    }
}

/// How [`group_by_ocid`] finds all releases of one `ocid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// The input is sorted by `ocid` (as `sort` or `ORDER BY ocid` give):
    /// a group is complete when the next `ocid` appears, so memory holds one
    /// group. An `ocid` that sorts before the previous one is an error
    /// ([`MergeError::NotSorted`]) rather than a silently split process.
    Sorted,
    /// Any order: every release is buffered until the input ends, then the
    /// groups are handed out in order of first appearance. Memory holds the
    /// whole input; use it for small or unsorted inputs.
    Buffered,
    /// Runs of consecutive releases of one `ocid`, as they end; an `ocid`
    /// may come back later as another group. Memory holds one group. For
    /// callers that merge runs at once and merge again the few processes
    /// that turn out to be split.
    Runs,
}

/// The releases of one contracting process, in input order.
#[derive(Debug, Clone, PartialEq)]
pub struct OcidGroup {
    /// The shared `ocid`.
    pub ocid: String,
    /// The releases, as read (the merge sorts them by date).
    pub releases: Vec<Value>,
}

/// Groups releases by `ocid`: see [`group_by_ocid`].
pub struct OcidGroups<I> {
    input: I,
    grouping: Grouping,
    /// Position in the input of the next release.
    index: usize,
    /// Sorted and Runs: the group being filled.
    current: Option<OcidGroup>,
    /// Buffered: the groups still to hand out.
    buffered: Option<std::vec::IntoIter<OcidGroup>>,
    failed: bool,
}

/// Groups a stream of releases (e.g. from [`read_releases`]) by `ocid`.
///
/// Each release is checked as it arrives (an object with an `ocid` and a
/// valid `date`), so errors carry its position in the stream. After an error
/// the iterator ends.
pub fn group_by_ocid<I>(releases: I, grouping: Grouping) -> OcidGroups<I::IntoIter>
where
    I: IntoIterator<Item = Result<Value, MergeError>>,
{
    OcidGroups { input: releases.into_iter(), grouping, index: 0, current: None, buffered: None, failed: false }
}

impl<I: Iterator<Item = Result<Value, MergeError>>> OcidGroups<I> {
    /// The next release and its `ocid`, checked.
    fn pull(&mut self) -> Option<Result<(String, Value), MergeError>> {
        let release = match self.input.next()? {
            Ok(release) => release,
            Err(error) => return Some(Err(error)),
        };
        let index = self.index;
        self.index += 1;
        let ocid = match check_release(&what_the_check_reads(&release), index) {
            Ok(checked) => checked.ocid.to_owned(),
            Err(error) => return Some(Err(error)),
        };
        Some(Ok((ocid, release)))
    }

    /// The next run of one `ocid` (for `Sorted`, checked to come after the previous one).
    fn next_run(&mut self) -> Option<Result<OcidGroup, MergeError>> {
        loop {
            let Some(pulled) = self.pull() else { return self.current.take().map(Ok) };
            let (ocid, release) = match pulled {
                Ok(pulled) => pulled,
                Err(error) => return Some(Err(error)),
            };
            match &mut self.current {
                Some(group) if group.ocid == ocid => group.releases.push(release),
                Some(group) if ocid < group.ocid && self.grouping == Grouping::Sorted => {
                    return Some(Err(MergeError::NotSorted { index: self.index - 1, ocid, previous: group.ocid.clone() }));
                }
                _ => {
                    let next = OcidGroup { ocid, releases: vec![release] };
                    if let Some(done) = self.current.replace(next) {
                        return Some(Ok(done));
                    }
                }
            }
        }
    }

    fn next_buffered(&mut self) -> Option<Result<OcidGroup, MergeError>> {
        if self.buffered.is_none() {
            let mut groups: Vec<OcidGroup> = Vec::new();
            let mut positions: HashMap<String, usize> = HashMap::new();
            while let Some(pulled) = self.pull() {
                let (ocid, release) = match pulled {
                    Ok(pulled) => pulled,
                    Err(error) => return Some(Err(error)),
                };
                match positions.get(&ocid) {
                    Some(&position) => groups[position].releases.push(release),
                    None => {
                        positions.insert(ocid.clone(), groups.len());
                        groups.push(OcidGroup { ocid, releases: vec![release] });
                    }
                }
            }
            self.buffered = Some(groups.into_iter());
        }
        self.buffered.as_mut()?.next().map(Ok)
    }
}

impl<I: Iterator<Item = Result<Value, MergeError>>> Iterator for OcidGroups<I> {
    type Item = Result<OcidGroup, MergeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let next = match self.grouping {
            Grouping::Sorted | Grouping::Runs => self.next_run(),
            Grouping::Buffered => self.next_buffered(),
        };
        if matches!(next, Some(Err(_))) {
            self.failed = true;
        }
        next
    }
}
