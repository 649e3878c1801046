//! `pendopo ocds compile` on every core. The caller's thread reads the
//! input and cuts it into pieces between values; each piece goes to the
//! pool, which parses it (borrowing, see [`ocds::json`]), cuts its releases
//! into runs of one `ocid`, and merges and writes each run. The caller then
//! puts the runs back in input order and joins what one piece cannot see:
//! a process cut by a piece's end, or (unsorted input) one that comes back
//! later. So the output is the one a single thread would write.
//!
//! Memory: sorted input holds the pieces and runs in flight; unsorted input
//! holds the input's text and the output (see [`Buffered`]), not the parsed
//! input.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::ops::Range;

use ocds::json::Json;
use ocds::merge::{self, Grouping, Kind, MergeError, Merger, Piece, PieceJson};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::json;

use super::ordered::Pool;
use super::{AnyError, Progress};

/// Pieces (about half a megabyte each) in flight, per worker.
const PIECES_AHEAD_PER_WORKER: usize = 3;
/// Processes merged again at the end, in flight (unsorted input).
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
    let mut writer = Writer { out, package: output.package, written: 0, progress: Progress::new("processes") };
    let keep_every_run = grouping == Grouping::Buffered;
    std::thread::scope(|scope| -> Result<(), AnyError> {
        let pool = Pool::new(scope, workers);
        let work = |piece: io::Result<Piece>| piece.map(|piece| merge_piece(&merger, &piece, output, keep_every_run));
        let pieces = pool.map_ordered(merge::read_pieces(input), workers * PIECES_AHEAD_PER_WORKER, work);
        writer.start()?;
        match grouping {
            Grouping::Sorted | Grouping::Runs => {
                let mut joiner = Joiner { sorted: grouping == Grouping::Sorted, carried: None };
                each_piece(pieces, |piece, before| joiner.piece(piece, before, &merger, output, &mut writer))?;
                if let Some(last) = joiner.carried.take() {
                    writer.write(last.finish(&merger, output))?;
                }
            }
            Grouping::Buffered => {
                let mut buffered = Buffered::default();
                each_piece(pieces, |piece, before| Ok(buffered.piece(piece, before)?))?;
                let redo = |process: Process| process.finish(&merger, output);
                for rendered in pool.map_ordered(buffered.processes, PROCESSES_AHEAD, redo) {
                    writer.write(rendered)?;
                }
            }
        }
        writer.end()
    })?;
    writer.progress.done();
    Ok(())
}

/// Hands each merged piece, in input order, to `take` with the number of
/// releases before it (for the positions in error messages).
fn each_piece(
    pieces: impl Iterator<Item = io::Result<PieceOut>>,
    mut take: impl FnMut(PieceOut, usize) -> Result<(), AnyError>,
) -> Result<(), AnyError> {
    let mut before = 0;
    for piece in pieces {
        let piece = piece.map_err(|e| MergeError::Io { index: before, message: e.to_string() })?;
        let releases = piece.releases;
        take(piece, before)?;
        before += releases;
    }
    Ok(())
}

/// One piece merged by a worker: its runs in order, then what stopped it.
struct PieceOut {
    /// Releases read from the piece (up to the error, if any).
    releases: usize,
    runs: Vec<RunOut>,
    /// The first error, its position counted within the piece.
    error: Option<MergeError>,
}

/// Consecutive releases of one `ocid`, merged and written.
struct RunOut {
    ocid: String,
    /// Position of its first release in the piece.
    first: usize,
    rendered: Result<Vec<u8>, MergeError>,
    /// The releases' text (see [`run_text`]), when the run may have to be merged again.
    text: Option<Vec<u8>>,
}

/// The worker's part: parse, cut into runs, merge and write each run. Keeps
/// the releases' text of the first and last runs (a process may continue in
/// the next piece) or, with `keep_every_run`, of all.
fn merge_piece(merger: &Merger, piece: &Piece, output: Output, keep_every_run: bool) -> PieceOut {
    let parsed = piece.parse_json();
    let mut out = PieceOut { releases: parsed.releases.len(), runs: Vec::new(), error: None };
    let mut ocids = Vec::with_capacity(parsed.releases.len());
    for (index, release) in parsed.releases.iter().enumerate() {
        match merge::release_ocid(release, index) {
            Ok(ocid) => ocids.push(ocid),
            Err(error) => {
                out.error = Some(error);
                break;
            }
        }
    }
    let mut start = 0;
    while start < ocids.len() {
        let end = start + ocids[start..].iter().take_while(|&&ocid| ocid == ocids[start]).count();
        let releases = &parsed.releases[start..end];
        let keep = keep_every_run || start == 0 || end == ocids.len();
        out.runs.push(RunOut {
            ocid: ocids[start].to_owned(),
            first: start,
            rendered: render(merger, ocids[start], releases, output),
            text: keep.then(|| run_text(piece, &parsed, start..end)),
        });
        start = end;
    }
    if out.error.is_none()
        && let Some(message) = parsed.error
    {
        out.error = Some(MergeError::Json { index: parsed.releases.len(), message });
    }
    out
}

/// The text of releases `run` of a piece, to parse again if need be:
/// top-level values that gave only releases of the run are copied as they
/// were read; others (a package of several processes) give the run's
/// releases written again.
fn run_text(piece: &Piece, parsed: &PieceJson, run: Range<usize>) -> Vec<u8> {
    exact(|text| write_run(piece, parsed, run, text))
}

fn write_run(piece: &Piece, parsed: &PieceJson, run: Range<usize>, text: &mut Vec<u8>) {
    let mut next = run.start;
    let first_value = parsed.values.partition_point(|value| value.releases.end <= run.start);
    for value in &parsed.values[first_value..] {
        if next >= run.end {
            break;
        }
        if value.releases.start >= next && value.releases.end <= run.end {
            text.extend_from_slice(&piece.text()[value.text.clone()]);
            text.push(b'\n');
            next = value.releases.end;
            continue;
        }
        let end = value.releases.end.min(run.end);
        for release in &parsed.releases[next..end] {
            // Writing parsed JSON into memory cannot fail.
            serde_json::to_writer(&mut *text, release).unwrap_or_else(|e| unreachable!("parsed JSON writes: {e}"));
            text.push(b'\n');
        }
        next = end;
    }
}

/// What `write` writes, in a vector of its exact size. Kept output is
/// written into a scratch buffer of the thread and then copied: growing each
/// vector as it is written would copy it several times and fault in fresh
/// pages for each copy.
fn exact(write: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    thread_local! {
        static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    SCRATCH.with_borrow_mut(|scratch| {
        scratch.clear();
        write(scratch);
        scratch.as_slice().to_vec()
    })
}

/// Merges one process from the text of its runs, in input order.
fn merge_text(merger: &Merger, ocid: &str, texts: &[Vec<u8>], output: Output) -> Result<Vec<u8>, MergeError> {
    let piece = Piece::from_text(texts.concat());
    let parsed = piece.parse_json();
    // The text was read as JSON once already.
    if let Some(error) = parsed.error {
        unreachable!("kept releases are JSON: {error}");
    }
    render(merger, ocid, &parsed.releases, output)
}

/// One process merged and serialized: a JSON line, or a record of the package.
fn render(merger: &Merger, ocid: &str, releases: &[Json], output: Output) -> Result<Vec<u8>, MergeError> {
    let merged = merger.merge_json(releases, output.kind)?;
    // Writing into memory cannot fail, and a merged release is JSON.
    let json_error = |e: serde_json::Error| unreachable!("a merged release writes: {e}");
    Ok(exact(|text| {
        if output.package {
            let field = if output.kind == Kind::Versioned { "versionedRelease" } else { "compiledRelease" };
            serde_json::to_writer(&mut *text, &Record { ocid, releases, field, merged: &merged }).unwrap_or_else(json_error);
        } else {
            serde_json::to_writer(&mut *text, &merged).unwrap_or_else(json_error);
            text.push(b'\n');
        }
    }))
}

/// A record of the record package.
struct Record<'r, 'a> {
    ocid: &'r str,
    releases: &'r [Json<'a>],
    field: &'static str,
    merged: &'r merge::Merged<'a>,
}

impl Serialize for Record<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("ocid", self.ocid)?;
        map.serialize_entry("releases", self.releases)?;
        map.serialize_entry(self.field, self.merged)?;
        map.end()
    }
}

/// A process as far as read: its first run merged, and the text of each
/// run; when it came in more than one, it is merged again from them.
struct Process {
    ocid: String,
    rendered: Result<Vec<u8>, MergeError>,
    texts: Vec<Vec<u8>>,
}

impl Process {
    fn new(run: RunOut) -> Process {
        Process { ocid: run.ocid, rendered: run.rendered, texts: run.text.into_iter().collect() }
    }

    fn finish(self, merger: &Merger, output: Output) -> Result<Vec<u8>, MergeError> {
        if self.texts.len() <= 1 {
            return self.rendered;
        }
        merge_text(merger, &self.ocid, &self.texts, output)
    }
}

/// Sorted input, or runs: joins the run cut by each piece's end to its rest
/// in the next piece, and (sorted) checks the order of the `ocid`s.
struct Joiner {
    sorted: bool,
    /// The last run read: its process may go on in the next piece.
    carried: Option<Process>,
}

impl Joiner {
    fn piece(
        &mut self,
        piece: PieceOut,
        before: usize,
        merger: &Merger,
        output: Output,
        writer: &mut Writer<'_, impl Write>,
    ) -> Result<(), AnyError> {
        for run in piece.runs {
            if let Some(carried) = &mut self.carried {
                if carried.ocid == run.ocid {
                    carried.texts.extend(run.text);
                    continue;
                }
                if self.sorted && run.ocid < carried.ocid {
                    let error = MergeError::NotSorted { index: run.first, ocid: run.ocid, previous: carried.ocid.clone() };
                    return Err(error.after(before).into());
                }
            }
            if let Some(done) = self.carried.replace(Process::new(run)) {
                writer.write(done.finish(merger, output))?;
            }
        }
        match piece.error {
            Some(error) => Err(error.after(before).into()),
            None => Ok(()),
        }
    }
}

/// Unsorted input, without holding it parsed (a parsed value takes several
/// times its text): each run is merged as it comes and its text kept.
/// Processes come out in order of first appearance; a process that came in
/// several runs (the usual input is grouped by `ocid`, so few do) is merged
/// again from its runs' text at the end.
#[derive(Default)]
struct Buffered {
    processes: Vec<Process>,
    positions: HashMap<String, usize>,
}

impl Buffered {
    fn piece(&mut self, piece: PieceOut, before: usize) -> Result<(), MergeError> {
        for run in piece.runs {
            match self.positions.get(&run.ocid) {
                Some(&position) => self.processes[position].texts.extend(run.text),
                None => {
                    self.positions.insert(run.ocid.clone(), self.processes.len());
                    self.processes.push(Process::new(run));
                }
            }
        }
        match piece.error {
            Some(error) => Err(error.after(before)),
            None => Ok(()),
        }
    }
}

/// Writes the merged processes, in a record package or as JSON Lines.
struct Writer<'o, W: Write> {
    out: &'o mut W,
    package: bool,
    written: usize,
    progress: Progress,
}

impl<W: Write> Writer<'_, W> {
    /// The record package's fields before its `records`, written as the records come.
    fn start(&mut self) -> io::Result<()> {
        if !self.package {
            return Ok(());
        }
        let header = json!({
            "uri": "",
            "publisher": {"name": "pendopo ocds compile"},
            "publishedDate": crate::clock::iso_utc(crate::clock::now_ms()) + "Z",
            "version": "1.1",
        });
        let text = header.to_string();
        write!(self.out, "{},\"records\":[", &text[..text.len() - 1])
    }

    fn write(&mut self, rendered: Result<Vec<u8>, MergeError>) -> Result<(), AnyError> {
        let rendered = rendered?;
        if self.package && self.written > 0 {
            self.out.write_all(b",")?;
        }
        self.out.write_all(&rendered)?;
        self.written += 1;
        self.progress.tick();
        Ok(())
    }

    fn end(&mut self) -> Result<(), AnyError> {
        if self.package {
            self.out.write_all(b"]}\n")?;
        }
        self.out.flush()?;
        Ok(())
    }
}
