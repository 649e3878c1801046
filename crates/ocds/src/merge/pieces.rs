//! JSON text cut into pieces that each hold whole top-level values, found
//! without parsing, so that pieces can be parsed on several threads while
//! the releases still come out in input order ([`super::releases_from_pieces`]).
//!
//! Cuts fall only after a newline outside every value and string, so each
//! piece starts at the start of a line and parse errors can be given with
//! their line in the whole input. Only quotes, backslashes and brackets are
//! tracked: invalid text is the parser's business, and at worst leaves the
//! rest of the input in one piece.

use std::io::{self, Read};
use std::ops::Range;

use serde_json::Value;

use crate::json::Json;

/// Size a piece is cut at, once a cut is possible: big enough that handing
/// it to a thread costs nothing next to parsing it, small enough that the
/// few in flight stay small (a parsed value takes several times its text).
const PIECE_BYTES: usize = 512 * 1024;

/// Bytes read at a time.
const READ_BYTES: usize = 256 * 1024;

/// JSON text holding whole top-level values, or the end of the input.
#[derive(Debug)]
pub struct Piece {
    text: Vec<u8>,
    /// Line of the whole input the piece starts on (1-based).
    first_line: usize,
}

/// A parsed [`Piece`]: its releases in order, then what stopped the parse.
#[derive(Debug, Default)]
pub struct PieceReleases {
    pub(crate) releases: Vec<Value>,
    /// serde_json's message, with the line and column in the whole input.
    pub(crate) error: Option<String>,
}

impl Piece {
    /// Parses the piece's values into releases: a release package gives its
    /// `releases`, an array each of its items (recursively), anything else
    /// is taken as a release (the merge checks it).
    #[must_use]
    pub fn parse(&self) -> PieceReleases {
        let parsed = self.parse_json();
        PieceReleases { releases: parsed.releases.iter().map(Json::to_value).collect(), error: parsed.error }
    }

    /// Like [`Piece::parse`], into [`Json`] values that borrow from the piece.
    #[must_use]
    pub fn parse_json(&self) -> PieceJson<'_> {
        let mut parsed = PieceJson::default();
        let mut values = serde_json::Deserializer::from_slice(&self.text).into_iter::<Json>();
        let mut start = 0;
        while let Some(value) = values.next() {
            match value {
                Ok(value) => {
                    let first = parsed.releases.len();
                    unpack(value, &mut parsed.releases);
                    let end = values.byte_offset();
                    parsed.values.push(TopValue { text: start..end, releases: first..parsed.releases.len() });
                    start = end;
                }
                Err(error) => {
                    parsed.error = Some(self.locate(&error));
                    break;
                }
            }
        }
        parsed
    }

    /// The piece's text.
    #[must_use]
    pub fn text(&self) -> &[u8] {
        &self.text
    }

    /// A piece of the given text, as if it started the input.
    #[must_use]
    pub fn from_text(text: Vec<u8>) -> Piece {
        Piece { text, first_line: 1 }
    }

    /// The error's message with its position in the whole input.
    fn locate(&self, error: &serde_json::Error) -> String {
        let message = error.to_string();
        if error.line() == 0 {
            return message;
        }
        let local = format!(" at line {} column {}", error.line(), error.column());
        let reason = message.strip_suffix(&local).unwrap_or(&message);
        format!("{reason} at line {} column {}", self.first_line + error.line() - 1, error.column())
    }
}

/// A parsed [`Piece`] as [`Json`]: its releases in order, then what stopped the parse.
#[derive(Debug, Default)]
pub struct PieceJson<'p> {
    pub releases: Vec<Json<'p>>,
    /// The top-level values read, in order, with the releases each gave.
    pub values: Vec<TopValue>,
    /// serde_json's message, with the line and column in the whole input.
    pub error: Option<String>,
}

/// Where a top-level value of a piece is, and which of its releases it gave.
#[derive(Debug, Clone)]
pub struct TopValue {
    /// Bytes of the piece's text (with the whitespace before it).
    pub text: Range<usize>,
    /// Indexes in [`PieceJson::releases`].
    pub releases: Range<usize>,
}

/// Puts the releases of a top-level value into `out`.
fn unpack<'p>(value: Json<'p>, out: &mut Vec<Json<'p>>) {
    match value {
        Json::Object(mut fields) if fields.iter().any(|(k, v)| k == "releases" && matches!(v, Json::Array(_))) => {
            // Keys are unique in a parsed object: this is the one `releases`.
            if let Some((_, releases)) = fields.iter_mut().find(|(k, _)| k == "releases")
                && let Json::Array(releases) = releases.take()
            {
                out.extend(releases);
            }
        }
        Json::Array(values) => values.into_iter().for_each(|value| unpack(value, out)),
        other => out.push(other),
    }
}

/// Where a scan of JSON text stands between two blocks.
#[derive(Debug, Default)]
struct Scan {
    depth: usize,
    in_string: bool,
    escaped: bool,
}

impl Scan {
    /// Scans `bytes`; returns the offset just after the last newline that
    /// lies outside every value, if there is one.
    fn last_cut(&mut self, bytes: &[u8]) -> Option<usize> {
        let mut cut = None;
        let mut i = 0;
        while i < bytes.len() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                    i += 1;
                    continue;
                }
                // Most of OCDS text is strings: jump to the next quote or backslash.
                let Some(at) = memchr::memchr2(b'"', b'\\', &bytes[i..]) else { return cut };
                i += at;
                if bytes[i] == b'\\' {
                    self.escaped = true;
                } else {
                    self.in_string = false;
                }
                i += 1;
                continue;
            }
            match bytes[i] {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => self.depth = self.depth.saturating_sub(1),
                b'\n' if self.depth == 0 => cut = Some(i + 1),
                _ => {}
            }
            i += 1;
        }
        cut
    }
}

/// Pieces of the text of a reader: see [`read_pieces`].
pub struct Pieces<R> {
    reader: R,
    scan: Scan,
    /// Text read and not yet handed out; scanned up to `scanned`.
    pending: Vec<u8>,
    scanned: usize,
    /// Where `pending` may be cut.
    cut: Option<usize>,
    /// Line `pending` starts on.
    line: usize,
    done: bool,
}

/// Reads JSON text (any sequence of top-level values, e.g. JSON Lines or
/// one document) as [`Piece`]s of about half a megabyte, each cut after a
/// line that ends between values. A value longer than that is one piece.
pub fn read_pieces<R: Read>(reader: R) -> Pieces<R> {
    let pending = Vec::with_capacity(PIECE_BYTES + 2 * READ_BYTES);
    Pieces { reader, scan: Scan::default(), pending, scanned: 0, cut: None, line: 1, done: false }
}

impl<R: Read> Pieces<R> {
    /// Hands out `pending` up to `end`.
    fn take(&mut self, end: usize) -> Piece {
        // The next piece's buffer is made big enough at once: growing it read by read would copy it and fault in fresh pages.
        let mut rest = Vec::with_capacity(PIECE_BYTES + 2 * READ_BYTES);
        rest.extend_from_slice(&self.pending[end..]);
        self.pending.truncate(end);
        let text = std::mem::replace(&mut self.pending, rest);
        self.scanned -= end;
        self.cut = None;
        let first_line = self.line;
        self.line += memchr::memchr_iter(b'\n', &text).count();
        Piece { text, first_line }
    }

    /// Reads one block; `false` at the end of the input.
    fn fill(&mut self) -> io::Result<bool> {
        let start = self.pending.len();
        self.pending.resize(start + READ_BYTES, 0);
        let read = loop {
            match self.reader.read(&mut self.pending[start..]) {
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                other => break other,
            }
        };
        self.pending.truncate(start + *read.as_ref().unwrap_or(&0));
        let read = read?;
        if let Some(cut) = self.scan.last_cut(&self.pending[self.scanned..]) {
            self.cut = Some(self.scanned + cut);
        }
        self.scanned = self.pending.len();
        Ok(read > 0)
    }
}

impl<R: Read> Iterator for Pieces<R> {
    type Item = io::Result<Piece>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(cut) = self.cut
                && cut >= PIECE_BYTES
            {
                return Some(Ok(self.take(cut)));
            }
            if self.done {
                return (!self.pending.is_empty()).then(|| Ok(self.take(self.pending.len())));
            }
            match self.fill() {
                Ok(more) => self.done = !more,
                Err(error) => {
                    self.done = true;
                    self.pending.clear();
                    self.scanned = 0;
                    return Some(Err(error));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces_of(text: &str, reads: usize) -> Vec<(usize, String)> {
        // A reader that gives a few bytes at a time, to cut across blocks.
        struct Dribble<'a>(&'a [u8], usize);
        impl Read for Dribble<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.1.min(buf.len()).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        read_pieces(Dribble(text.as_bytes(), reads))
            .map(|piece| piece.map(|p| (p.first_line, String::from_utf8(p.text).expect("utf-8"))).expect("read"))
            .collect()
    }

    #[test]
    fn cuts_only_between_values() {
        let tricky = "{\"a\": \"}\\\"\n{\", \"b\": [\n1]}\n";
        let mut scan = Scan::default();
        assert_eq!(scan.last_cut(tricky.as_bytes()), Some(tricky.len()));
        let mut scan = Scan::default();
        assert_eq!(scan.last_cut(&tricky.as_bytes()[..tricky.len() - 1]), None, "the newline in the string and in the array are no cuts");
        // Small inputs are one piece, whatever the reads.
        assert_eq!(pieces_of(tricky, 3), [(1, tricky.to_owned())]);
    }

    #[test]
    fn big_inputs_are_cut_at_line_ends_and_keep_their_lines() {
        let line = format!("{{\"releases\": [{{\"ocid\": \"{}\"}}]}}\n", "x".repeat(1000));
        let text = line.repeat(2 * PIECE_BYTES / line.len() + 10);
        let pieces = pieces_of(&text, 100_000);
        assert!(pieces.len() >= 2, "{} pieces", pieces.len());
        assert_eq!(pieces.iter().map(|(_, t)| t.as_str()).collect::<String>(), text);
        let mut line_number = 1;
        for (first_line, piece) in &pieces {
            assert_eq!(*first_line, line_number);
            assert!(piece.ends_with('\n'));
            line_number += piece.matches('\n').count();
        }
    }

    #[test]
    fn errors_are_placed_in_the_whole_input() {
        let piece = Piece { text: b"{\"releases\": [{\"ocid\": \"a\"}]}\n{\"ocid\": ,}\n".to_vec(), first_line: 41 };
        let parsed = piece.parse();
        assert_eq!(parsed.releases.len(), 1);
        let error = parsed.error.expect("an error");
        assert!(error.ends_with("at line 42 column 10"), "{error}");
    }
}
