//! `pendopo ocds compile` on every core. The caller's thread reads the
//! input, cuts it into pieces between values and groups the releases by
//! `ocid`; the pool parses the pieces, then merges and serializes each
//! process. Both stages hand back results in input order, so the output is
//! the one a single thread would write. With sorted input, memory holds the
//! pieces and processes in flight; unsorted, the input's text and the
//! output (see [`merge_runs`]), not the parsed input.

use std::collections::HashMap;
use std::io::{self, Read, Write};

use ocds::merge::{self, Grouping, Kind, MergeError, Merger, OcidGroup, Piece};
use serde_json::{Value, json};

use super::ordered::Pool;
use super::{AnyError, Progress};

/// Pieces (about half a megabyte each) parsed ahead of the grouping, per worker.
const PIECES_AHEAD_PER_WORKER: usize = 2;
/// Processes merged ahead of the writer: enough to keep the workers busy.
const PROCESSES_AHEAD: usize = 64;

/// What `compile` writes.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub kind: Kind,
    /// One record package rather than one merged release a line.
    pub package: bool,
}

pub fn compile(input: impl Read, grouping: Grouping, output: Output, out: &mut impl Write) -> Result<(), AnyError> {
    let merger = Merger::ocds_1_1();
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut progress = Progress::new("processes");
    std::thread::scope(|scope| -> Result<(), AnyError> {
        let pool = Pool::new(scope, workers);
        let parse = |piece: io::Result<Piece>| piece.map(|piece| piece.parse());
        let parsed = pool.map_ordered(merge::read_pieces(input), workers * PIECES_AHEAD_PER_WORKER, parse);
        let releases = merge::releases_from_pieces(parsed);
        if output.package {
            write_package_header(out)?;
        }
        let mut write = |i: usize, rendered: Result<Vec<u8>, MergeError>| -> Result<(), AnyError> {
            let rendered = rendered?;
            if output.package && i > 0 {
                out.write_all(b",")?;
            }
            out.write_all(&rendered)?;
            progress.tick();
            Ok(())
        };
        match grouping {
            Grouping::Sorted | Grouping::Runs => {
                let render = |group: Result<OcidGroup, MergeError>| group.and_then(|group| render(&merger, group, output));
                let groups = merge::group_by_ocid(releases, grouping);
                pool.map_ordered(groups, PROCESSES_AHEAD, render).enumerate().try_for_each(|(i, rendered)| write(i, rendered))?;
            }
            Grouping::Buffered => {
                let processes = merge_runs(&pool, &merger, releases, output)?;
                let redo = |process: Process| process.merged_whole(&merger, output);
                pool.map_ordered(processes, PROCESSES_AHEAD, redo).enumerate().try_for_each(|(i, rendered)| write(i, rendered))?;
            }
        }
        if output.package {
            out.write_all(b"]}\n")?;
        }
        Ok(())
    })?;
    out.flush()?;
    progress.done();
    Ok(())
}

/// A process of unsorted input: its first run merged, and every run's
/// releases kept as JSON text in case the process comes back.
struct Process {
    ocid: String,
    rendered: Result<Vec<u8>, MergeError>,
    runs: Vec<Vec<u8>>,
}

impl Process {
    /// The process merged from all its releases: its one run's merge, or,
    /// when it came in several runs, all of them merged again in input order.
    fn merged_whole(self, merger: &Merger, output: Output) -> Result<Vec<u8>, MergeError> {
        if self.runs.len() == 1 {
            return self.rendered;
        }
        let mut releases = Vec::new();
        for run in &self.runs {
            // Written by `merge_runs` from parsed values: it parses back.
            releases.extend(serde_json::from_slice::<Vec<Value>>(run).expect("kept runs are JSON arrays"));
        }
        render(merger, OcidGroup { ocid: self.ocid, releases }, output)
    }
}

/// Unsorted input without holding it parsed (a parsed value takes about ten
/// times its text): each run of consecutive releases of one `ocid` is merged
/// as soon as it ends, on the pool, and kept as text. Processes come out
/// in order of first appearance, as [`Grouping::Buffered`] gives them. Input
/// that is in fact grouped by `ocid`, the usual case, is parsed and merged
/// once; a process split over several runs is merged again at the end.
fn merge_runs<'scope>(
    pool: &Pool<'scope>,
    merger: &'scope Merger,
    releases: impl Iterator<Item = Result<Value, MergeError>>,
    output: Output,
) -> Result<Vec<Process>, MergeError> {
    let merge_run = move |run: Result<OcidGroup, MergeError>| {
        run.map(|run| {
            let text = serde_json::to_vec(&run.releases).unwrap_or_else(|e| unreachable!("a JSON value serializes: {e}"));
            let ocid = run.ocid.clone();
            Process { ocid, rendered: render(merger, run, output), runs: vec![text] }
        })
    };
    let mut processes: Vec<Process> = Vec::new();
    let mut positions: HashMap<String, usize> = HashMap::new();
    for run in pool.map_ordered(merge::group_by_ocid(releases, Grouping::Runs), PROCESSES_AHEAD, merge_run) {
        let run = run?;
        match positions.get(&run.ocid) {
            Some(&position) => processes[position].runs.extend(run.runs),
            None => {
                positions.insert(run.ocid.clone(), processes.len());
                processes.push(run);
            }
        }
    }
    Ok(processes)
}

/// One process merged and serialized: a JSON line, or a record of the package.
fn render(merger: &Merger, group: OcidGroup, output: Output) -> Result<Vec<u8>, MergeError> {
    let merged = merger.merge_kind(&group.releases, output.kind)?;
    // Serializing a `Value` into a vector cannot fail.
    let json_error = |e: serde_json::Error| unreachable!("a JSON value serializes: {e}");
    if output.package {
        let field = if output.kind == Kind::Versioned { "versionedRelease" } else { "compiledRelease" };
        let record = json!({ "ocid": group.ocid, "releases": group.releases, field: merged });
        return Ok(serde_json::to_vec(&record).unwrap_or_else(json_error));
    }
    let mut line = serde_json::to_vec(&merged).unwrap_or_else(json_error);
    line.push(b'\n');
    Ok(line)
}

/// The record package's fields before its `records`, written as the records come.
fn write_package_header(out: &mut impl Write) -> io::Result<()> {
    let header = json!({
        "uri": "",
        "publisher": {"name": "pendopo ocds compile"},
        "publishedDate": crate::clock::iso_utc(crate::clock::now_ms()) + "Z",
        "version": "1.1",
    });
    let text = header.to_string();
    write!(out, "{},\"records\":[", &text[..text.len() - 1])
}
