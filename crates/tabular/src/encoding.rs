//! UTF-8 or Windows-1252, decided while reading.
//!
//! Spreadsheet programs on Indonesian Windows machines still save "CSV" as
//! Windows-1252; everything else sends UTF-8. The two are told apart by
//! whether the bytes are valid UTF-8, which needs the whole file: the first
//! non-ASCII record decides, and a later record that disagrees rejects the
//! file as mixed rather than silently garbling half of it.

use crate::Encoding;

/// Windows-1252 0x80..=0x9F; the five undefined bytes are `None` (rejected as a bad encoding).
const W1252_80_9F: [Option<char>; 32] = [
    Some('\u{20AC}'),
    None,
    Some('\u{201A}'),
    Some('\u{0192}'),
    Some('\u{201E}'),
    Some('\u{2026}'),
    Some('\u{2020}'),
    Some('\u{2021}'),
    Some('\u{02C6}'),
    Some('\u{2030}'),
    Some('\u{0160}'),
    Some('\u{2039}'),
    Some('\u{0152}'),
    None,
    Some('\u{017D}'),
    None,
    None,
    Some('\u{2018}'),
    Some('\u{2019}'),
    Some('\u{201C}'),
    Some('\u{201D}'),
    Some('\u{2022}'),
    Some('\u{2013}'),
    Some('\u{2014}'),
    Some('\u{02DC}'),
    Some('\u{2122}'),
    Some('\u{0161}'),
    Some('\u{203A}'),
    Some('\u{0153}'),
    None,
    Some('\u{017E}'),
    Some('\u{0178}'),
];

/// Appends Windows-1252 `bytes` to `out`. Undefined bytes (already rejected by the detector)
/// become U+FFFD so that this never fails.
pub(crate) fn decode_1252_into(bytes: &[u8], out: &mut String) {
    out.reserve(bytes.len());
    for &b in bytes {
        let c = match b {
            0x80..=0x9F => W1252_80_9F[usize::from(b - 0x80)].unwrap_or('\u{FFFD}'),
            // Latin-1 and ASCII map to the code point of the same number.
            _ => char::from(b),
        };
        out.push(c);
    }
}

/// The first byte of `bytes` that Windows-1252 does not define.
fn undefined_1252(bytes: &[u8]) -> Option<u8> {
    bytes.iter().copied().find(|&b| (0x80..=0x9F).contains(&b) && W1252_80_9F[usize::from(b - 0x80)].is_none())
}

/// Why a record was refused: which field (if known) and the reason.
pub(crate) struct EncodingProblem {
    pub field: Option<usize>,
    pub reason: String,
}

/// Watches every record and decides the encoding of the file.
pub(crate) struct Detector {
    forced: bool,
    decided: Option<(Encoding, Evidence)>,
}

#[derive(Clone, Copy)]
enum Evidence {
    Bom,
    Forced,
    Line(u64),
}

impl Detector {
    pub fn new(forced: Option<Encoding>, bom: bool) -> Self {
        match (forced, bom) {
            (Some(e), _) => Detector { forced: true, decided: Some((e, Evidence::Forced)) },
            (None, true) => Detector { forced: false, decided: Some((Encoding::Utf8, Evidence::Bom)) },
            (None, false) => Detector { forced: false, decided: None },
        }
    }

    /// The encoding so far: UTF-8 until a record proves otherwise (an ASCII file is both).
    pub fn encoding(&self) -> Encoding {
        self.decided.map_or(Encoding::Utf8, |(e, _)| e)
    }

    /// Checks one record, given as its fields. `all` is the fields' bytes back to back.
    pub fn observe(&mut self, all: &[u8], fields: &csv::ByteRecord, line: u64) -> Result<(), EncodingProblem> {
        if all.is_ascii() && !all.contains(&0) {
            return Ok(());
        }
        let field_of = |bad: &dyn Fn(&[u8]) -> bool| fields.iter().position(bad);
        if all.contains(&0) {
            return Err(EncodingProblem {
                field: field_of(&|f| f.contains(&0)),
                reason: "contains a NUL byte: this is a binary file, not CSV text".into(),
            });
        }
        let utf8 = std::str::from_utf8(all).is_ok();
        match self.decided {
            None if utf8 => self.decided = Some((Encoding::Utf8, Evidence::Line(line))),
            None => {
                if let Some(b) = undefined_1252(all) {
                    return Err(EncodingProblem {
                        field: field_of(&|f| undefined_1252(f).is_some()),
                        reason: format!("byte 0x{b:02X} is neither UTF-8 nor Windows-1252; save the file as UTF-8"),
                    });
                }
                self.decided = Some((Encoding::Windows1252, Evidence::Line(line)));
            }
            Some((Encoding::Utf8, evidence)) if !utf8 => {
                let why = match evidence {
                    Evidence::Bom => "the file starts with a UTF-8 byte order mark".to_string(),
                    Evidence::Forced => "UTF-8 was chosen for this file".to_string(),
                    Evidence::Line(l) => format!("line {l} is UTF-8, so the file mixes encodings"),
                };
                return Err(EncodingProblem {
                    field: field_of(&|f| std::str::from_utf8(f).is_err()),
                    reason: format!("text is not valid UTF-8 but {why}; save the whole file as UTF-8"),
                });
            }
            Some((Encoding::Utf8, _)) => {}
            Some((Encoding::Windows1252, evidence)) => {
                if let Some(b) = undefined_1252(all) {
                    return Err(EncodingProblem {
                        field: field_of(&|f| undefined_1252(f).is_some()),
                        reason: format!("byte 0x{b:02X} is not defined in Windows-1252; save the file as UTF-8"),
                    });
                }
                if let (false, true, Evidence::Line(l)) = (self.forced, utf8, evidence) {
                    return Err(EncodingProblem {
                        field: None,
                        reason: format!("text is UTF-8 but line {l} is Windows-1252: the file mixes encodings; save it as UTF-8"),
                    });
                }
            }
        }
        Ok(())
    }
}

/// Decodes one field. UTF-8 was validated record by record, so a failure here means the
/// input changed between checks; it is replaced rather than trusted.
pub(crate) fn decode_into(bytes: &[u8], encoding: Encoding, out: &mut String) {
    match encoding {
        Encoding::Utf8 => out.push_str(&String::from_utf8_lossy(bytes)),
        Encoding::Windows1252 => decode_1252_into(bytes, out),
    }
}
