//! A page drawn once and written twice: as SVG (shown in the browser, with
//! its alt text) and as PDF (`web::pdf`, for printing). Posters and printable
//! charts are laid out here in points, with the text measured by the widths
//! of the PDF standard font Helvetica, so that a label fitted, wrapped or
//! right-aligned on the page sits the same way in both outputs.
//!
//! Coordinates are points (1/72 inch) from the top left, y downward, as in
//! SVG. A drawing has a page size and a scale: the same layout drawn at
//! scale 1 on A4 is drawn at scale 2.83 on A1, every line and letter
//! 2.83 times larger (what a poster read from across a room needs).
//!
//! The SVG names Helvetica first and then Arial and Liberation Sans, which
//! have Helvetica's widths, so the browser's text takes the width measured
//! here. The PDF uses Helvetica itself (no font embedded, every reader has
//! it), with WinAnsiEncoding: Indonesian is written in Latin letters and
//! needs nothing outside it; a character outside it prints as `?`.

use std::fmt::Write as _;
use std::sync::LazyLock;

/// Points per millimetre.
pub const MM: f64 = 72.0 / 25.4;

/// A page in points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PageSize {
    pub width: f64,
    pub height: f64,
}

impl PageSize {
    /// ISO 216 A4, 210 x 297 mm (595.28 x 841.89 pt).
    pub const A4: PageSize = PageSize { width: 210.0 * MM, height: 297.0 * MM };
    /// ISO 216 A1, 594 x 841 mm (1683.78 x 2383.94 pt).
    pub const A1: PageSize = PageSize { width: 594.0 * MM, height: 841.0 * MM };
}

/// A colour. Charts never tell things apart by colour alone (every bar is
/// labelled), so a grayscale print loses nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub const BLACK: Rgb = Rgb(0, 0, 0);
    pub const WHITE: Rgb = Rgb(255, 255, 255);

    fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weight {
    Regular,
    Bold,
}

/// Where a text's x is: its start, middle or end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stroke {
    pub color: Rgb,
    pub width: f64,
}

/// One line of text; `y` is its baseline.
#[derive(Clone, Debug, PartialEq)]
pub struct Text {
    pub x: f64,
    pub y: f64,
    pub size: f64,
    pub weight: Weight,
    pub anchor: Anchor,
    pub color: Rgb,
    pub text: String,
}

impl Text {
    /// Where the text's left edge is.
    pub fn left(&self) -> f64 {
        let w = text_width(&self.text, self.size, self.weight);
        match self.anchor {
            Anchor::Start => self.x,
            Anchor::Middle => self.x - w / 2.0,
            Anchor::End => self.x - w,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    Rect {
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        fill: Option<Rgb>,
        stroke: Option<Stroke>,
    },
    Line {
        x1: f64,
        y1: f64,
        x2: f64,
        y2: f64,
        stroke: Stroke,
    },
    /// A polyline or polygon through `points`.
    Path {
        points: Vec<(f64, f64)>,
        closed: bool,
        fill: Option<Rgb>,
        stroke: Option<Stroke>,
    },
    Text(Text),
}

impl Shape {
    /// The box the shape covers (left, top, right, bottom) in layout units;
    /// a text's box runs from Helvetica's ascender to its descender.
    pub fn bounds(&self) -> (f64, f64, f64, f64) {
        match self {
            Shape::Rect { x, y, w, h, .. } => (*x, *y, x + w, y + h),
            Shape::Line { x1, y1, x2, y2, .. } => (x1.min(*x2), y1.min(*y2), x1.max(*x2), y1.max(*y2)),
            Shape::Path { points, .. } => points
                .iter()
                .fold((f64::MAX, f64::MAX, f64::MIN, f64::MIN), |(a, b, c, d), (x, y)| (a.min(*x), b.min(*y), c.max(*x), d.max(*y))),
            Shape::Text(t) => {
                let left = t.left();
                (left, t.y - t.size * ASCENDER, left + text_width(&t.text, t.size, t.weight), t.y - t.size * DESCENDER)
            }
        }
    }
}

/// A page of shapes with its alternative text.
#[derive(Clone, Debug, PartialEq)]
pub struct Drawing {
    pub page: PageSize,
    /// Points per layout unit.
    pub scale: f64,
    /// Short name of what is drawn (SVG `<title>`, PDF `/Title`).
    pub title: String,
    /// Everything the drawing says, as text for those who cannot see it
    /// (SVG `<desc>`, PDF `/Subject`).
    pub desc: String,
    /// The language of its text (`id`).
    pub lang: &'static str,
    pub shapes: Vec<Shape>,
}

impl Drawing {
    pub fn new(page: PageSize, scale: f64, title: &str, desc: &str) -> Drawing {
        Drawing { page, scale, title: title.to_string(), desc: desc.to_string(), lang: "id", shapes: Vec::new() }
    }

    /// The page's width and height in layout units.
    pub fn view(&self) -> (f64, f64) {
        (self.page.width / self.scale, self.page.height / self.scale)
    }

    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: Option<Rgb>, stroke: Option<Stroke>) {
        self.shapes.push(Shape::Rect { x, y, w, h, fill, stroke });
    }

    pub fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), stroke: Stroke) {
        self.shapes.push(Shape::Line { x1, y1, x2, y2, stroke });
    }

    pub fn path(&mut self, points: Vec<(f64, f64)>, closed: bool, fill: Option<Rgb>, stroke: Option<Stroke>) {
        self.shapes.push(Shape::Path { points, closed, fill, stroke });
    }

    pub fn text(&mut self, text: Text) {
        self.shapes.push(Shape::Text(text));
    }

    /// Every text, in drawing order.
    pub fn texts(&self) -> impl Iterator<Item = &Text> {
        self.shapes.iter().filter_map(|s| match s {
            Shape::Text(t) => Some(t),
            _ => None,
        })
    }

    /// The drawing as a standalone SVG document (also fit to put inline in
    /// a page): printed at the page's size in millimetres, named for screen
    /// readers by its title and description.
    pub fn to_svg(&self) -> String {
        let (vw, vh) = self.view();
        let mut svg = String::with_capacity(16 * 1024);
        let _ = write!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}mm" height="{}mm" viewBox="0 0 {} {}" role="img" aria-labelledby="drawing-title drawing-desc" lang="{}" font-family="Helvetica, Arial, 'Liberation Sans', sans-serif"><title id="drawing-title">{}</title><desc id="drawing-desc">{}</desc>"#,
            num(self.page.width / MM),
            num(self.page.height / MM),
            num(vw),
            num(vh),
            self.lang,
            escape(&self.title),
            escape(&self.desc)
        );
        for shape in &self.shapes {
            match shape {
                Shape::Rect { x, y, w, h, fill, stroke } => {
                    element(&mut svg, "rect", &[("x", *x), ("y", *y), ("width", *w), ("height", *h)], &paint(*fill, *stroke));
                }
                Shape::Line { x1, y1, x2, y2, stroke } => {
                    element(&mut svg, "line", &[("x1", *x1), ("y1", *y1), ("x2", *x2), ("y2", *y2)], &paint(None, Some(*stroke)));
                }
                Shape::Path { points, closed, fill, stroke } => {
                    let tag = if *closed { "polygon" } else { "polyline" };
                    let pts: Vec<String> = points.iter().map(|(x, y)| format!("{},{}", num(*x), num(*y))).collect();
                    let _ = write!(svg, r#"<{tag} points="{}"{}/>"#, pts.join(" "), paint(*fill, *stroke));
                }
                Shape::Text(t) => {
                    let anchor = match t.anchor {
                        Anchor::Start => "",
                        Anchor::Middle => r#" text-anchor="middle""#,
                        Anchor::End => r#" text-anchor="end""#,
                    };
                    let weight = if t.weight == Weight::Bold { r#" font-weight="bold""# } else { "" };
                    let _ = write!(
                        svg,
                        r#"<text x="{}" y="{}" font-size="{}"{weight}{anchor} fill="{}">{}</text>"#,
                        num(t.x),
                        num(t.y),
                        num(t.size),
                        t.color.hex(),
                        escape(&t.text)
                    );
                }
            }
        }
        svg.push_str("</svg>\n");
        svg
    }

    /// The drawing as a one-page PDF (see `web::pdf`).
    pub fn to_pdf(&self) -> Vec<u8> {
        crate::web::pdf::write(self, true)
    }
}

/// An empty SVG element with its coordinates and paint.
fn element(svg: &mut String, tag: &str, coords: &[(&str, f64)], paint: &str) {
    let _ = write!(svg, "<{tag}");
    for (name, v) in coords {
        let _ = write!(svg, r#" {name}="{}""#, num(*v));
    }
    let _ = write!(svg, "{paint}/>");
}

fn paint(fill: Option<Rgb>, stroke: Option<Stroke>) -> String {
    let mut out = format!(r#" fill="{}""#, fill.map(Rgb::hex).unwrap_or_else(|| "none".into()));
    if let Some(s) = stroke {
        let _ = write!(out, r#" stroke="{}" stroke-width="{}""#, s.color.hex(), num(s.width));
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A coordinate with at most two decimals, trailing zeros dropped: short
/// output, and the same digits every time (`-0` written `0`).
pub fn num(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { &s };
    if s == "-0" { "0".to_string() } else { s.to_string() }
}

// ---- Text measure: Helvetica's metrics (Adobe's AFM files of the PDF
// standard fonts), the advance widths of the WinAnsiEncoding codes in
// `helvetica_widths.txt`.

/// Helvetica's ascender and descender, in em (AFM `Ascender 718`, `Descender -207`).
pub const ASCENDER: f64 = 0.718;
pub const DESCENDER: f64 = -0.207;

/// The widths, from the data file beside this one.
static WIDTHS: LazyLock<[[u16; 224]; 2]> = LazyLock::new(|| {
    let mut tables = [[0u16; 224]; 2];
    let text = include_str!("helvetica_widths.txt");
    for (table, font) in tables.iter_mut().zip(["[Helvetica]", "[Helvetica-Bold]"]) {
        let body = text.split(font).nth(1).expect("the font's table").split('[').next().unwrap_or_default();
        let widths: Vec<u16> = body.split_whitespace().map(|w| w.parse().expect("a width")).collect();
        *table = widths.try_into().expect("224 widths");
    }
    tables
});

/// A character's WinAnsiEncoding code (Windows-1252): Latin-1 as it is,
/// the typographic marks of 0x80-0x9F, a space for a tab or line break,
/// `?` for anything else.
pub fn win_ansi(c: char) -> u8 {
    match c as u32 {
        0x20..=0x7E | 0xA0..=0xFF => c as u8,
        _ => match c {
            '€' => 0x80,
            '‚' => 0x82,
            'ƒ' => 0x83,
            '„' => 0x84,
            '…' => 0x85,
            '†' => 0x86,
            '‡' => 0x87,
            'ˆ' => 0x88,
            '‰' => 0x89,
            'Š' => 0x8A,
            '‹' => 0x8B,
            'Œ' => 0x8C,
            'Ž' => 0x8E,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '˜' => 0x98,
            '™' => 0x99,
            'š' => 0x9A,
            '›' => 0x9B,
            'œ' => 0x9C,
            'ž' => 0x9E,
            'Ÿ' => 0x9F,
            '\t' | '\n' | '\r' => b' ',
            _ => b'?',
        },
    }
}

/// A text's width in layout units at `size`.
pub fn text_width(text: &str, size: f64, weight: Weight) -> f64 {
    let table = &WIDTHS[usize::from(weight == Weight::Bold)];
    let units: u32 = text.chars().map(|c| u32::from(table[usize::from(win_ansi(c) - 0x20)])).sum();
    f64::from(units) * size / 1000.0
}

/// The text in lines no wider than `max`, broken between words; a word
/// wider than a line is broken between letters. Nothing is dropped.
pub fn wrap(text: &str, size: f64, weight: Weight, max: f64) -> Vec<String> {
    let fits = |s: &str| text_width(s, size, weight) <= max;
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        if let Some(line) = lines.last_mut() {
            let joined = format!("{line} {word}");
            if fits(&joined) {
                *line = joined;
                continue;
            }
        }
        let mut rest = word;
        while !fits(rest) {
            // The longest head that fits, at least one character.
            let cut = rest
                .char_indices()
                .skip(1)
                .map(|(i, _)| i)
                .take_while(|&i| fits(&rest[..i]))
                .last()
                .unwrap_or_else(|| rest.chars().next().map_or(rest.len(), char::len_utf8));
            lines.push(rest[..cut].to_string());
            rest = &rest[cut..];
        }
        if !rest.is_empty() {
            lines.push(rest.to_string());
        }
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// Text fitted into at most `max_lines` lines of width `max`: at `size` if
/// it fits, else at the largest size down to `min_size` (by quarter points)
/// at which it fits; at `min_size` the last line ends in `…` where the text
/// still does not fit. Answers the size used and the lines.
pub fn fit(text: &str, weight: Weight, max: f64, max_lines: usize, size: f64, min_size: f64) -> (f64, Vec<String>) {
    let mut s = size;
    loop {
        let lines = wrap(text, s, weight, max);
        if lines.len() <= max_lines {
            return (s, lines);
        }
        if s - 0.25 < min_size {
            let mut lines: Vec<String> = lines.into_iter().take(max_lines.max(1)).collect();
            if let Some(last) = lines.last_mut() {
                while !last.is_empty() && text_width(&format!("{last}…"), s, weight) > max {
                    last.pop();
                }
                last.push('…');
            }
            return (s, lines);
        }
        s -= 0.25;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_are_iso_216_in_points() {
        assert_eq!((num(PageSize::A4.width), num(PageSize::A4.height)), ("595.28".into(), "841.89".into()));
        assert_eq!((num(PageSize::A1.width), num(PageSize::A1.height)), ("1683.78".into(), "2383.94".into()));
    }

    #[test]
    fn text_is_measured_with_helvetica_widths() {
        // "Rp 1.000": R 722, p 556, space 278, 1 556, . 278, 0 556 x3 = 4058.
        assert!((text_width("Rp 1.000", 10.0, Weight::Regular) - 40.58).abs() < 1e-9);
        // Bold "Rp": R 722, p 611.
        assert!((text_width("Rp", 1000.0, Weight::Bold) - 1333.0).abs() < 1e-9);
        // é is in WinAnsi (0xE9, 556); an unknown character is measured as `?`.
        assert_eq!(text_width("é", 1000.0, Weight::Regular), 556.0);
        assert_eq!(text_width("ŋ", 1000.0, Weight::Regular), text_width("?", 1000.0, Weight::Regular));
        assert_eq!(win_ansi('—'), 0x97);
    }

    #[test]
    fn wrap_breaks_between_words_and_inside_too_long_words() {
        let lines = wrap("Penanggulangan Bencana, Keadaan Darurat dan Mendesak", 10.0, Weight::Regular, 120.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| text_width(l, 10.0, Weight::Regular) <= 120.0));
        assert_eq!(lines.join(" "), "Penanggulangan Bencana, Keadaan Darurat dan Mendesak");
        let long = "W".repeat(40);
        let lines = wrap(&long, 10.0, Weight::Bold, 50.0);
        assert!(lines.iter().all(|l| text_width(l, 10.0, Weight::Bold) <= 50.0));
        assert_eq!(lines.concat(), long);
    }

    #[test]
    fn fit_shrinks_then_cuts_with_an_ellipsis() {
        let (size, lines) = fit("Sukorejo", Weight::Bold, 200.0, 1, 24.0, 12.0);
        assert_eq!((size, lines), (24.0, vec!["Sukorejo".to_string()]));
        let name = "Kalianyar Wetan Kidul Lor";
        let (size, lines) = fit(name, Weight::Bold, 200.0, 1, 24.0, 12.0);
        assert!((12.0..24.0).contains(&size) && lines == vec![name.to_string()]);
        assert!(text_width(name, size, Weight::Bold) <= 200.0);
        let (size, lines) = fit(&"Panjang ".repeat(40), Weight::Bold, 200.0, 2, 24.0, 12.0);
        assert_eq!((size, lines.len()), (12.0, 2));
        assert!(lines[1].ends_with('…') && lines.iter().all(|l| text_width(l, size, Weight::Bold) <= 200.0));
    }

    #[test]
    fn svg_carries_title_description_and_escaped_text() {
        let mut d = Drawing::new(PageSize::A4, 1.0, "APBDes <Desa>", "Pendapatan & belanja");
        d.rect(10.0, 10.0, 100.0, 20.0, Some(Rgb(10, 20, 30)), None);
        d.text(Text {
            x: 50.0,
            y: 40.0,
            size: 12.0,
            weight: Weight::Bold,
            anchor: Anchor::End,
            color: Rgb::BLACK,
            text: "Rp 1.000 & \"lain\"".into(),
        });
        let svg = d.to_svg();
        assert!(
            svg.starts_with(
                r#"<svg xmlns="http://www.w3.org/2000/svg" width="210mm" height="297mm" viewBox="0 0 595.28 841.89" role="img""#
            )
        );
        assert!(
            svg.contains(r#"<title id="drawing-title">APBDes &lt;Desa&gt;</title><desc id="drawing-desc">Pendapatan &amp; belanja</desc>"#)
        );
        assert!(svg.contains(r##"<rect x="10" y="10" width="100" height="20" fill="#0a141e"/>"##));
        assert!(svg.contains(r##"font-weight="bold" text-anchor="end" fill="#000000">Rp 1.000 &amp; &quot;lain&quot;</text>"##));
        assert_eq!(svg, d.to_svg(), "the same drawing gives the same bytes");
    }
}
