//! A [`Drawing`] as a one-page PDF 1.4 file, written by hand: a catalogue,
//! one page of the drawing's size, the standard fonts Helvetica and
//! Helvetica-Bold in WinAnsiEncoding (not embedded: PDF readers carry the
//! 14 standard fonts, so a poster is a few kilobytes), one content stream
//! (Flate-compressed) and the document information with the drawing's
//! title and description, so a screen reader and a file list name it.
//!
//! The layout's y runs downward; PDF's runs upward from the bottom left, so
//! each y is turned here (`height - y`), and the layout's scale is one `cm`
//! operator at the start of the page. The output depends only on the
//! drawing: no creation date or random file id, the same bytes every time.

use std::fmt::Write as _;
use std::io::Write as _;

use super::drawing::{Anchor, Drawing, Rgb, Shape, Stroke, Weight, num, text_width, win_ansi};

/// The PDF of `drawing`; `compress` deflates its content stream.
pub fn write(drawing: &Drawing, compress: bool) -> Vec<u8> {
    let content = content(drawing);
    let (stream, filter) = if compress { (deflate(&content), " /Filter /FlateDecode") } else { (content, "") };
    let (w, h) = (num(drawing.page.width), num(drawing.page.height));
    let objects: [Vec<u8>; 7] = [
        format!("<< /Type /Catalog /Pages 2 0 R /Lang {} /ViewerPreferences << /DisplayDocTitle true >> >>", literal(drawing.lang))
            .into_bytes(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w} {h}] /Resources << /Font << /F1 4 0 R /F2 5 0 R >> /ProcSet [/PDF /Text] >> /Contents 6 0 R >>"
        )
        .into_bytes(),
        font("Helvetica"),
        font("Helvetica-Bold"),
        {
            let mut s = format!("<< /Length {}{filter} >>\nstream\n", stream.len()).into_bytes();
            s.extend_from_slice(&stream);
            s.extend_from_slice(b"\nendstream");
            s
        },
        format!(
            "<< /Title {} /Subject {} /Creator (Pendopo) /Producer (Pendopo) >>",
            text_string(&drawing.title),
            text_string(&drawing.desc)
        )
        .into_bytes(),
    ];
    // The second line's bytes above 127 tell file tools the file is binary.
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for o in offsets {
        // Each entry exactly 20 bytes, its end of line " \n".
        let _ = writeln!(table, "{o:010} 00000 n ");
    }
    let _ = write!(table, "trailer\n<< /Size {} /Root 1 0 R /Info 7 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1);
    out.extend_from_slice(table.as_bytes());
    out
}

fn font(name: &str) -> Vec<u8> {
    format!("<< /Type /Font /Subtype /Type1 /BaseFont /{name} /Encoding /WinAnsiEncoding >>").into_bytes()
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::with_capacity(data.len() / 3), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = z.write_all(data);
    z.finish().unwrap_or_default()
}

/// The page's drawing operators.
fn content(d: &Drawing) -> Vec<u8> {
    let (_, vh) = d.view();
    let y = |v: f64| num(vh - v);
    let mut s = String::with_capacity(8 * 1024);
    // The scale with six decimals: two would make an A1 page 0.8 pt too wide.
    let scale = format!("{:.6}", d.scale);
    let scale = scale.trim_end_matches('0').trim_end_matches('.');
    let _ = writeln!(s, "q {scale} 0 0 {scale} 0 0 cm");
    for shape in &d.shapes {
        match shape {
            Shape::Rect { x, y: top, w, h, fill, stroke } => {
                set_paint(&mut s, *fill, *stroke);
                let _ = writeln!(s, "{} {} {} {} re {}", num(*x), y(top + h), num(*w), num(*h), paint_op(*fill, *stroke));
            }
            Shape::Line { x1, y1, x2, y2, stroke } => {
                set_paint(&mut s, None, Some(*stroke));
                let _ = writeln!(s, "{} {} m {} {} l S", num(*x1), y(*y1), num(*x2), y(*y2));
            }
            Shape::Path { points, closed, fill, stroke } => {
                if points.is_empty() {
                    continue;
                }
                set_paint(&mut s, *fill, *stroke);
                for (i, (px, py)) in points.iter().enumerate() {
                    let _ = write!(s, "{} {} {} ", num(*px), y(*py), if i == 0 { "m" } else { "l" });
                }
                let _ = writeln!(s, "{}{}", if *closed { "h " } else { "" }, paint_op(*fill, *stroke));
            }
            Shape::Text(t) => {
                let width = text_width(&t.text, t.size, t.weight);
                let x = match t.anchor {
                    Anchor::Start => t.x,
                    Anchor::Middle => t.x - width / 2.0,
                    Anchor::End => t.x - width,
                };
                let f = if t.weight == Weight::Bold { "F2" } else { "F1" };
                let _ = writeln!(s, "BT /{f} {} Tf {} rg {} {} Td {} Tj ET", num(t.size), rgb(t.color), num(x), y(t.y), literal(&t.text));
            }
        }
    }
    s.push_str("Q\n");
    s.into_bytes()
}

fn rgb(c: Rgb) -> String {
    let f = |v: u8| num(f64::from(v) / 255.0);
    format!("{} {} {}", f(c.0), f(c.1), f(c.2))
}

fn set_paint(s: &mut String, fill: Option<Rgb>, stroke: Option<Stroke>) {
    if let Some(c) = fill {
        let _ = write!(s, "{} rg ", rgb(c));
    }
    if let Some(st) = stroke {
        let _ = write!(s, "{} RG {} w ", rgb(st.color), num(st.width));
    }
}

fn paint_op(fill: Option<Rgb>, stroke: Option<Stroke>) -> &'static str {
    match (fill.is_some(), stroke.is_some()) {
        (true, true) => "B",
        (true, false) => "f",
        (false, true) => "S",
        (false, false) => "n",
    }
}

/// A literal string in WinAnsiEncoding: `(`, `)` and `\` escaped, bytes
/// above 126 as octal escapes, so the content stream stays ASCII.
fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('(');
    for c in text.chars() {
        match win_ansi(c) {
            b @ (b'(' | b')' | b'\\') => {
                out.push('\\');
                out.push(char::from(b));
            }
            b @ 0x20..=0x7E => out.push(char::from(b)),
            b => {
                let _ = write!(out, "\\{b:03o}");
            }
        }
    }
    out.push(')');
    out
}

/// A text string outside the page (title, subject): UTF-16BE with its byte
/// order mark, as hex, so any name survives whatever its letters.
fn text_string(text: &str) -> String {
    let mut out = String::from("<FEFF");
    for unit in text.encode_utf16() {
        let _ = write!(out, "{unit:04X}");
    }
    out.push('>');
    out
}

/// A reader for the PDFs written here, for tests: it checks the structure
/// (every cross-reference offset points at its object, the stream lengths)
/// and gives back the page size, the texts drawn and the title.
#[cfg(test)]
pub(crate) mod read {
    use std::io::Read as _;

    #[derive(Debug)]
    pub struct Pdf {
        pub media_box: [f64; 4],
        pub texts: Vec<String>,
        pub title: String,
        pub subject: String,
        pub content: String,
    }

    fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
        hay.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| p + from)
    }

    fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
        hay.windows(needle.len()).rposition(|w| w == needle)
    }

    /// The object `n`'s bytes (after `n 0 obj`, up to `endobj`).
    fn object(pdf: &[u8], offsets: &[usize], n: usize) -> Vec<u8> {
        let at = offsets[n - 1];
        let head = format!("{n} 0 obj\n");
        assert!(pdf[at..].starts_with(head.as_bytes()), "xref entry {n} points at {:?}", String::from_utf8_lossy(&pdf[at..at + 12]));
        let start = at + head.len();
        let end = find(pdf, b"\nendobj\n", start).expect("endobj");
        pdf[start..end].to_vec()
    }

    fn utf16_hex(dict: &str, key: &str) -> String {
        let at = dict.find(&format!("{key} <FEFF")).expect(key) + key.len() + 6;
        let hex = &dict[at..at + dict[at..].find('>').expect(">")];
        let units: Vec<u16> = (0..hex.len()).step_by(4).map(|i| u16::from_str_radix(&hex[i..i + 4], 16).expect("hex")).collect();
        String::from_utf16(&units).expect("utf-16")
    }

    /// WinAnsi bytes back to text.
    fn decode(bytes: &[u8]) -> String {
        bytes
            .iter()
            .map(|&b| match b {
                0x80..=0x9F => {
                    "€\u{81}‚ƒ„…†‡ˆ‰Š‹Œ\u{8d}Ž\u{8f}\u{90}‘’“”•–—˜™š›œ\u{9d}žŸ".chars().nth(usize::from(b - 0x80)).unwrap_or('?')
                }
                _ => char::from(b),
            })
            .collect()
    }

    /// The strings shown by `Tj` in a content stream, unescaped.
    fn shown(content: &[u8]) -> Vec<String> {
        let mut texts = Vec::new();
        let mut i = 0;
        while i < content.len() {
            if content[i] != b'(' {
                i += 1;
                continue;
            }
            let mut bytes = Vec::new();
            i += 1;
            while content[i] != b')' {
                if content[i] == b'\\' {
                    if content[i + 1].is_ascii_digit() {
                        let oct = std::str::from_utf8(&content[i + 1..i + 4]).expect("octal");
                        bytes.push(u8::from_str_radix(oct, 8).expect("octal"));
                        i += 4;
                    } else {
                        bytes.push(content[i + 1]);
                        i += 2;
                    }
                } else {
                    bytes.push(content[i]);
                    i += 1;
                }
            }
            i += 1;
            assert!(content[i..].starts_with(b" Tj"), "a string is shown with Tj");
            texts.push(decode(&bytes));
        }
        texts
    }

    pub fn parse(pdf: &[u8]) -> Pdf {
        assert!(pdf.starts_with(b"%PDF-1.4\n"), "PDF header");
        assert!(pdf.ends_with(b"%%EOF\n"), "end of file marker");
        let sx = rfind(pdf, b"startxref\n").expect("startxref") + 10;
        let xref: usize =
            std::str::from_utf8(&pdf[sx..sx + find(pdf, b"\n", sx).expect("eol") - sx]).expect("ascii").parse().expect("offset");
        assert!(pdf[xref..].starts_with(b"xref\n0 "), "startxref points at the xref table");
        let table = std::str::from_utf8(&pdf[xref..]).expect("the table is ASCII");
        let count: usize = table.lines().nth(1).and_then(|l| l.strip_prefix("0 ")).expect("subsection").parse().expect("count");
        let entries_at = xref + table.find("0000000000 65535 f \n").expect("free entry");
        let mut offsets = Vec::new();
        for n in 1..count {
            let e = &pdf[entries_at + 20 * n..entries_at + 20 * (n + 1)];
            assert!(e.ends_with(b" 00000 n \n"), "entry {n} is 20 bytes");
            offsets.push(std::str::from_utf8(&e[..10]).expect("digits").parse::<usize>().expect("offset"));
        }
        let trailer = &table[table.find("trailer").expect("trailer")..];
        assert!(trailer.contains(&format!("/Size {count} ")) && trailer.contains("/Root 1 0 R"));
        let objects: Vec<Vec<u8>> = (1..count).map(|n| object(pdf, &offsets, n)).collect();
        let text = |n: usize| String::from_utf8_lossy(&objects[n - 1]).into_owned();
        assert!(text(1).contains("/Type /Catalog") && text(1).contains("/Pages 2 0 R"));
        let page = text(3);
        let mb = &page[page.find("/MediaBox [").expect("MediaBox") + 11..];
        let nums: Vec<f64> = mb[..mb.find(']').expect("]")].split(' ').map(|v| v.parse().expect("number")).collect();
        let stream = &objects[5];
        let dict = String::from_utf8_lossy(&stream[..find(stream, b">>", 0).expect("dict")]).into_owned();
        let length: usize = dict.split("/Length ").nth(1).and_then(|r| r.split(' ').next()).expect("Length").parse().expect("length");
        let data_at = find(stream, b"stream\n", 0).expect("stream") + 7;
        assert_eq!(&stream[data_at + length..], b"\nendstream", "/Length is the stream's length");
        let raw = &stream[data_at..data_at + length];
        let mut content = Vec::new();
        if dict.contains("/FlateDecode") {
            flate2::read::ZlibDecoder::new(raw).read_to_end(&mut content).expect("inflate");
        } else {
            content = raw.to_vec();
        }
        let info = text(7);
        Pdf {
            media_box: [nums[0], nums[1], nums[2], nums[3]],
            texts: shown(&content),
            title: utf16_hex(&info, "/Title"),
            subject: utf16_hex(&info, "/Subject"),
            content: String::from_utf8(content).expect("ASCII content"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::drawing::{PageSize, Text};

    fn sample() -> Drawing {
        let mut d = Drawing::new(PageSize::A4, 1.0, "APBDes Ngasem Tahun 2026", "Pendapatan Rp 1.000 — belanja (semua)");
        d.rect(28.0, 28.0, 100.0, 10.0, Some(Rgb(0x1b, 0x3a, 0x2f)), Some(Stroke { color: Rgb::BLACK, width: 0.5 }));
        d.line((0.0, 0.0), (10.0, 10.0), Stroke { color: Rgb::BLACK, width: 1.0 });
        d.path(vec![(1.0, 1.0), (5.0, 1.0), (3.0, 4.0)], true, Some(Rgb::BLACK), None);
        for (text, anchor) in [
            ("Kecamatan Ngasem (Bojonegoro)", Anchor::Start),
            ("Dana Desa: Rp 1.234.567.890", Anchor::End),
            ("Pengeluaran \\ é", Anchor::Middle),
        ] {
            d.text(Text { x: 300.0, y: 100.0, size: 11.0, weight: Weight::Regular, anchor, color: Rgb::BLACK, text: text.into() });
        }
        d
    }

    #[test]
    fn the_pdf_is_well_formed_with_every_text_and_the_alt_text() {
        for compress in [true, false] {
            let pdf = read::parse(&write(&sample(), compress));
            assert_eq!(pdf.media_box, [0.0, 0.0, 595.28, 841.89]);
            assert_eq!(pdf.texts, ["Kecamatan Ngasem (Bojonegoro)", "Dana Desa: Rp 1.234.567.890", "Pengeluaran \\ é"]);
            assert_eq!(pdf.title, "APBDes Ngasem Tahun 2026");
            assert_eq!(pdf.subject, "Pendapatan Rp 1.000 — belanja (semua)");
        }
    }

    #[test]
    fn y_is_turned_and_anchors_use_the_measured_width() {
        let pdf = read::parse(&write(&sample(), false));
        // The rectangle's top at y 28 is its bottom at 841.89 - 38 = 803.89 in PDF.
        assert!(pdf.content.contains("0.11 0.23 0.18 rg 0 0 0 RG 0.5 w 28 803.89 100 10 re B"), "{}", pdf.content);
        let end = 300.0 - text_width("Dana Desa: Rp 1.234.567.890", 11.0, Weight::Regular);
        assert!(pdf.content.contains(&format!("{} 741.89 Td (Dana Desa: Rp 1.234.567.890) Tj", num(end))));
        assert!(pdf.content.contains(r"(Pengeluaran \\ \351) Tj"), "non-ASCII as octal WinAnsi");
        assert!(pdf.content.contains("1 840.89 m 5 840.89 l 3 837.89 l h f"));
    }

    #[test]
    fn the_same_drawing_gives_the_same_bytes_and_a1_scales_the_page() {
        assert_eq!(write(&sample(), true), write(&sample(), true));
        let mut big = sample();
        big.page = PageSize::A1;
        big.scale = PageSize::A1.width / PageSize::A4.width;
        let pdf = read::parse(&write(&big, true));
        assert_eq!(pdf.media_box, [0.0, 0.0, 1683.78, 2383.94]);
        assert!(pdf.content.starts_with("q 2.828571 0 0 2.828571 0 0 cm\n"), "{}", &pdf.content[..40]);
    }
}
