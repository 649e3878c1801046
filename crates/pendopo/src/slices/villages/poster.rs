//! The village budget as a printable poster, laid out as the *baliho
//! APBDes* Bojonegoro's village halls put up: the title `APBDes <desa>
//! Tahun <year>`, the three totals, then the blocks PENDAPATAN (by source)
//! and BELANJA (by bidang) with a labelled bar for each line, PEMBIAYAAN,
//! the surplus or defisit and the realisation per semester where reported.
//!
//! One layout, drawn in A4 points ([`poster`]); the A1 poster is the same
//! drawing at 2.83 times the size, so the 10 pt type of A4 is 28 pt on A1,
//! readable from a few metres. Every amount is written out in full
//! (`Rp 1.234.567.890`, never rounded: the poster is an account of public
//! money), every bar has its name and share written beside it, and the
//! colours differ in lightness, so a grayscale copy says the same.
//!
//! Nothing runs over the page: names are wrapped, then set smaller, then
//! cut with `…` (only at sizes no longer readable anyway), and should the
//! whole still not fit, the layout is drawn again a little tighter.

use std::io::{Seek, Write};
use std::sync::LazyLock;

use anggaran::Rupiah;
use anggaran::apbdes::{Amounts, CodeList, SumberPendapatan, Totals};

use crate::web::drawing::{Anchor, Drawing, PageSize, Rgb, Shape, Stroke, Text, Weight, fit, text_width};

/// The poster's paper.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    A4,
    A1,
}

impl Size {
    /// `a4` or `a1`, either case.
    pub fn parse(s: &str) -> Option<Size> {
        match s.to_ascii_lowercase().as_str() {
            "a4" => Some(Size::A4),
            "a1" => Some(Size::A1),
            _ => None,
        }
    }

    /// `a4` or `a1`, as in URLs and file names.
    pub fn slug(self) -> &'static str {
        match self {
            Size::A4 => "a4",
            Size::A1 => "a1",
        }
    }

    pub fn page(self) -> PageSize {
        match self {
            Size::A4 => PageSize::A4,
            Size::A1 => PageSize::A1,
        }
    }
}

/// What a poster shows: the village, the budget's version and its figures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PosterData {
    pub desa_name: String,
    /// The desa's code (`35.22.01.2001`).
    pub desa_code: String,
    pub kecamatan: String,
    /// The regency or city as it is called (`Kabupaten Bojonegoro`).
    pub regency: String,
    pub year: i32,
    /// An APBDes Perubahan (amended budget) rather than the first APBDes.
    pub perubahan: bool,
    /// The checked APBDes's totals (`anggaran::apbdes::check`): by source
    /// and by bidang (one not listed is drawn as Rp 0), pembiayaan both
    /// ways, plan and realisation per semester.
    pub figures: Totals,
    /// Which semesters' realisation has been reported (an unreported
    /// semester's zero is not shown as a realisation of Rp 0).
    pub reported: [bool; 2],
    /// The day the budget was published, in words (`3 Desember 2026`,
    /// `web::format::date_words`).
    pub published: String,
    /// The village's page, printed so a reader finds the details.
    pub page_url: String,
}

impl PosterData {
    /// `APBDes` or `APBDes Perubahan`.
    pub fn version_label(&self) -> &'static str {
        if self.perubahan { "APBDes Perubahan" } else { "APBDes" }
    }

    /// `APBDes <desa> Tahun <year>`.
    pub fn title(&self) -> String {
        format!("APBDes {} Tahun {}", self.desa_name, self.year)
    }

    fn source(&self, s: SumberPendapatan) -> Amounts {
        self.figures.by_source.get(&s).copied().unwrap_or_default()
    }

    fn bidang(&self, b: u8) -> Amounts {
        self.figures.by_bidang.get(&b).copied().unwrap_or_default()
    }

    /// Realised in the reported semesters.
    pub fn realised(&self, a: Amounts) -> Rupiah {
        [a.s1, a.s2].into_iter().zip(self.reported).filter(|(_, r)| *r).map(|(v, _)| v).sum()
    }

    /// Pendapatan less belanja (negative: a defisit).
    pub fn surplus(&self) -> Rupiah {
        Rupiah::new(self.figures.pendapatan.plan.get().saturating_sub(self.figures.belanja.plan.get()))
    }

    /// Penerimaan less pengeluaran pembiayaan.
    pub fn pembiayaan_netto(&self) -> Rupiah {
        Rupiah::new(self.figures.penerimaan_pembiayaan.plan.get().saturating_sub(self.figures.pengeluaran_pembiayaan.plan.get()))
    }
}

/// The names of sources and bidang as the code list has them.
static CODES: LazyLock<CodeList> = LazyLock::new(CodeList::embedded);

fn source_name(s: SumberPendapatan) -> String {
    CODES.akun(s.akun()).map(|e| e.name.clone()).unwrap_or_else(|| s.akun().to_string())
}

/// `1. Penyelenggaraan Pemerintahan Desa`.
fn bidang_name(b: u8) -> String {
    let name = CODES.bidang(&b.to_string()).map(|e| e.name.clone()).unwrap_or_default();
    format!("{b}. {name}")
}

/// `48,1%`: a share in basis points to one decimal, Indonesian style.
fn percent(bp: Option<i64>) -> String {
    match bp {
        None => "-".into(),
        Some(bp) => {
            let tenths = if bp >= 0 { (bp + 5) / 10 } else { (bp - 5) / 10 };
            let sign = if tenths < 0 { "-" } else { "" };
            format!("{sign}{},{}%", tenths.abs() / 10, tenths.abs() % 10)
        }
    }
}

/// The surplus or defisit in words, never by a sign alone.
fn surplus_words(v: Rupiah) -> String {
    match v.get() {
        0 => "Seimbang (Rp 0)".into(),
        n if n > 0 => format!("Surplus {v}"),
        n => format!("Defisit {}", Rupiah::new(n.saturating_neg())),
    }
}

fn semester(i: usize) -> &'static str {
    ["Semester I", "Semester II"][i]
}

/// The poster's description for screen readers: every figure it shows.
pub fn alt_text(data: &PosterData) -> String {
    let (p, b) = (data.figures.pendapatan, data.figures.belanja);
    let sources: Vec<String> = SumberPendapatan::ALL.iter().map(|s| format!("{} {}", source_name(*s), data.source(*s).plan)).collect();
    let bidang: Vec<String> =
        (1..=5).map(|i| format!("bidang {} {}", bidang_name(i).replacen(". ", " ", 1), data.bidang(i).plan)).collect();
    let mut out = format!(
        "Poster {} Desa {}, Kecamatan {}, {}, tahun anggaran {}. Pendapatan {}: {}. Belanja {}: {}. Pembiayaan: penerimaan {}, pengeluaran {}, netto {}. {}.",
        data.version_label(),
        data.desa_name,
        data.kecamatan,
        data.regency,
        data.year,
        p.plan,
        sources.join("; "),
        b.plan,
        bidang.join("; "),
        data.figures.penerimaan_pembiayaan.plan,
        data.figures.pengeluaran_pembiayaan.plan,
        data.pembiayaan_netto(),
        surplus_words(data.surplus())
    );
    for i in (0..2).filter(|i| data.reported[*i]) {
        let (ps, bs) = if i == 0 { (p.s1, b.s1) } else { (p.s2, b.s2) };
        out.push_str(&format!(" Realisasi {}: pendapatan {ps}, belanja {bs}.", semester(i)));
    }
    if !data.reported.contains(&true) {
        out.push_str(" Realisasi belum dilaporkan.");
    }
    out.push_str(&format!(" Diterbitkan {}. {}", data.published, data.page_url));
    out
}

/// The file name of a poster: `apbdes-35.22.01.2001-2026-a4.pdf`
/// (`apbdes-p-…` for a Perubahan).
pub fn file_name(data: &PosterData, size: Size, ext: &str) -> String {
    let code: String = data.desa_code.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '.').collect();
    let kind = if data.perubahan { "apbdes-p" } else { "apbdes" };
    format!("{kind}-{code}-{}-{}.{ext}", data.year, size.slug())
}

/// The poster, ready for `to_svg` and `to_pdf`.
pub fn poster(data: &PosterData, size: Size) -> Drawing {
    let page = size.page();
    let mut d = Drawing::new(page, page.width / PageSize::A4.width, &data.title(), &alt_text(data));
    // The largest type that fits: from 1.3 times the base sizes (a usual
    // village fills the page with it), tighter step by step; below 1.0 only
    // for absurd names (and a test of them).
    let mut k = 1.3;
    loop {
        let (shapes, fits) = Layout::draw(data, k);
        if fits || k <= 0.5 {
            d.shapes = shapes;
            return d;
        }
        k -= 0.05;
    }
}

// ---- The layout, in A4 points.

const W: f64 = 595.275_590_551_181_1;
const H: f64 = 841.889_763_779_527_6;
const M: f64 = 28.0;
const CW: f64 = W - 2.0 * M;
const GAP: f64 = 18.0;
const COL: f64 = (CW - GAP) / 2.0;

const INK: Rgb = Rgb(0x1a, 0x1a, 0x1a);
const MUTED: Rgb = Rgb(0x4d, 0x4d, 0x4d);
const HEAD: Rgb = Rgb(0x14, 0x3d, 0x2b);
const HEAD_SOFT: Rgb = Rgb(0xd4, 0xe6, 0xdb);
/// Pendapatan green and belanja brown: different hues, and far apart in
/// lightness from the light track behind them.
const PEND: Rgb = Rgb(0x1f, 0x6f, 0x4a);
const BEL: Rgb = Rgb(0x8a, 0x43, 0x00);
const NETTO: Rgb = Rgb(0x55, 0x55, 0x55);
const TRACK: Rgb = Rgb(0xe3, 0xe3, 0xe3);
const BOX: Rgb = Rgb(0xf3, 0xf3, 0xf1);

/// How a text is set: its size and the least it may shrink to (both before
/// the layout's tightness), weight, anchor and colour.
#[derive(Clone, Copy)]
struct Style {
    size: f64,
    min: f64,
    weight: Weight,
    anchor: Anchor,
    color: Rgb,
}

const fn style(size: f64, min: f64, weight: Weight, color: Rgb) -> Style {
    Style { size, min, weight, anchor: Anchor::Start, color }
}

/// Figures at the right edge of a column (their size is given where drawn).
const BOLD_RIGHT: Style = style(10.0, 10.0, Weight::Bold, INK).end();

impl Style {
    const fn end(self) -> Style {
        Style { anchor: Anchor::End, ..self }
    }
}

struct Layout {
    shapes: Vec<Shape>,
    /// The tightness: 1.0 normally, less when a name needs the room.
    k: f64,
}

impl Layout {
    fn draw(data: &PosterData, k: f64) -> (Vec<Shape>, bool) {
        let mut l = Layout { shapes: Vec::new(), k };
        let mut y = l.header(data);
        y = l.summary(data, y + l.s(14.0));
        y = l.surplus(data, y + l.s(10.0));
        y += l.s(16.0);
        let pend = data.figures.pendapatan.plan;
        let sources: Vec<(String, Rupiah)> = SumberPendapatan::ALL.iter().map(|s| (source_name(*s), data.source(*s).plan)).collect();
        let left = l.block(M, y, "PENDAPATAN", PEND, &sources, ("Jumlah Pendapatan", pend));
        let bel = data.figures.belanja.plan;
        let bidang: Vec<(String, Rupiah)> = (1..=5).map(|b| (bidang_name(b), data.bidang(b).plan)).collect();
        let right = l.block(M + COL + GAP, y, "BELANJA", BEL, &bidang, ("Jumlah Belanja", bel));
        y = left.max(right) + l.s(16.0);
        let left = l.pembiayaan(data, M, y);
        let right = l.realisasi(data, M + COL + GAP, y);
        let bottom = left.max(right);
        let footer_top = l.footer(data);
        let fits = bottom + l.s(8.0) <= footer_top;
        (l.shapes, fits)
    }

    fn s(&self, v: f64) -> f64 {
        v * self.k
    }

    /// One line at its actual `size` (the style gives weight, anchor, colour).
    fn text(&mut self, x: f64, y: f64, size: f64, st: Style, text: &str) {
        let Style { weight, anchor, color, .. } = st;
        self.shapes.push(Shape::Text(Text { x, y, size, weight, anchor, color, text: text.to_string() }));
    }

    fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: Option<Rgb>, stroke: Option<Stroke>) {
        self.shapes.push(Shape::Rect { x, y, w, h, fill, stroke });
    }

    fn rule(&mut self, x: f64, y: f64, w: f64, color: Rgb, width: f64) {
        self.shapes.push(Shape::Line { x1: x, y1: y, x2: x + w, y2: y, stroke: Stroke { color, width } });
    }

    /// Text fitted to `max` wide in at most `max_lines` lines from `top`;
    /// answers the y below it.
    fn para(&mut self, x: f64, top: f64, max: f64, max_lines: usize, st: Style, text: &str) -> f64 {
        let (size, lines) = fit(text, st.weight, max, max_lines, self.s(st.size), self.s(st.min));
        let mut y = top;
        for line in lines {
            self.text(x, y + size * 0.93, size, st, &line);
            y += size * 1.2;
        }
        y
    }

    /// A label and an amount on one line (the amount bold, right-aligned),
    /// or the amount on its own line when both do not fit; answers the y
    /// below.
    fn label_amount(&mut self, x: f64, top: f64, width: f64, st: Style, (label, amount): (&str, &str)) -> f64 {
        let s = self.s(st.size);
        let amount_style = style(st.size, st.size * 0.5, Weight::Bold, st.color).end();
        let room = width - text_width(amount, s, Weight::Bold).min(width) - s;
        if text_width(label, s, st.weight) <= room {
            self.text(x, top + s * 0.93, s, st, label);
            self.para(x + width, top, width, 1, amount_style, amount)
        } else {
            let y = self.para(x, top, width, 3, style(st.size, st.size * 0.7, st.weight, st.color), label);
            self.para(x + width, y, width, 1, amount_style, amount)
        }
    }

    fn header(&mut self, data: &PosterData) -> f64 {
        // Drawn after its text is laid out, so the band fits the text: the
        // band goes first in the list, under the text.
        let band_at = self.shapes.len();
        let mut y = M * 0.8;
        let kicker = format!("INFOGRAFIS {} TAHUN ANGGARAN {}", data.version_label().to_uppercase(), data.year);
        y = self.para(M, y, CW, 1, style(10.5, 6.0, Weight::Bold, HEAD_SOFT), &kicker);
        // The title on one line if it takes no more than a quarter off its
        // size, else wrapped (a long name reads better large on two lines).
        let title = data.title();
        let one_line = style(30.0, 22.5, Weight::Bold, Rgb::WHITE);
        let lines = if fit(&title, Weight::Bold, CW, 1, self.s(30.0), self.s(22.5)).1[0] == title { 1 } else { 3 };
        let st = if lines == 1 { one_line } else { style(30.0, 14.0, Weight::Bold, Rgb::WHITE) };
        y = self.para(M, y + self.s(4.0), CW, lines, st, &title);
        let place = format!("Desa {}, Kecamatan {}, {} · Kode desa {}", data.desa_name, data.kecamatan, data.regency, data.desa_code);
        y = self.para(M, y + self.s(4.0), CW, 3, style(11.5, 7.0, Weight::Regular, HEAD_SOFT), &place);
        y += self.s(14.0);
        self.shapes.insert(band_at, Shape::Rect { x: 0.0, y: 0.0, w: W, h: y, fill: Some(HEAD), stroke: None });
        y
    }

    /// Three boxes: the totals of pendapatan, belanja and pembiayaan netto.
    fn summary(&mut self, data: &PosterData, top: f64) -> f64 {
        let bw = (CW - 2.0 * 10.0) / 3.0;
        let h = self.s(64.0);
        let (p, b) = (data.figures.pendapatan, data.figures.belanja);
        let realised = |a: Amounts| {
            if data.reported.contains(&true) {
                format!("Realisasi {}", percent(data.realised(a).share_bp(a.plan)))
            } else {
                "Realisasi belum dilaporkan".into()
            }
        };
        let boxes = [
            ("PENDAPATAN", p.plan, PEND, realised(p)),
            ("BELANJA", b.plan, BEL, realised(b)),
            ("PEMBIAYAAN NETTO", data.pembiayaan_netto(), NETTO, "Penerimaan - pengeluaran".to_string()),
        ];
        for (i, (label, amount, color, note)) in boxes.into_iter().enumerate() {
            let x = M + i as f64 * (bw + 10.0);
            self.rect(x, top, bw, h, Some(BOX), None);
            self.rect(x, top, self.s(5.0), h, Some(color), None);
            let inner = x + self.s(12.0);
            let w = bw - self.s(18.0);
            let mut y = self.para(inner, top + self.s(8.0), w, 1, style(9.5, 6.0, Weight::Bold, MUTED), label);
            y = self.para(inner, y + self.s(3.0), w, 1, style(15.0, 7.0, Weight::Bold, INK), &amount.to_string());
            self.para(inner, y + self.s(3.0), w, 1, style(8.5, 6.0, Weight::Regular, MUTED), &note);
        }
        top + h
    }

    fn surplus(&mut self, data: &PosterData, top: f64) -> f64 {
        let h = self.s(30.0);
        self.rect(M, top, CW, h, None, Some(Stroke { color: INK, width: self.s(1.0) }));
        let pad = self.s(10.0);
        self.label_amount(
            M + pad,
            top + self.s(8.5),
            CW - 2.0 * pad,
            style(11.0, 11.0, Weight::Bold, INK),
            ("SURPLUS / (DEFISIT) ANGGARAN", &surplus_words(data.surplus())),
        );
        top + h
    }

    fn heading(&mut self, x: f64, top: f64, width: f64, label: &str, color: Rgb) -> f64 {
        let y = self.para(x, top, width, 1, style(13.0, 8.0, Weight::Bold, INK), label);
        self.rule(x, y + self.s(1.5), width, color, self.s(2.5));
        y + self.s(9.0)
    }

    /// A block of lines, each its name and share above a bar as long as its
    /// share with the amount at its end, then the total.
    fn block(&mut self, x: f64, top: f64, title: &str, color: Rgb, rows: &[(String, Rupiah)], (total_label, total): (&str, Rupiah)) -> f64 {
        let mut y = self.heading(x, top, COL, title, color);
        let amounts: Vec<String> = rows.iter().map(|(_, a)| a.to_string()).collect();
        // One amount size for the block, so the amounts line up.
        let mut amount_size = self.s(10.0);
        while amount_size > self.s(5.0) && amounts.iter().any(|a| text_width(a, amount_size, Weight::Bold) > COL * 0.5) {
            amount_size -= 0.25;
        }
        let amount_w = amounts.iter().map(|a| text_width(a, amount_size, Weight::Bold)).fold(0.0, f64::max);
        let pct_w = text_width("100,0%", self.s(9.5), Weight::Bold);
        let track = COL - amount_w - self.s(8.0);
        let bar_h = self.s(9.0);
        for ((name, amount), text) in rows.iter().zip(&amounts) {
            let share = amount.share_bp(total);
            self.text(x + COL, y + self.s(9.5) * 0.93, self.s(9.5), BOLD_RIGHT, &percent(share));
            y = self.para(x, y, COL - pct_w - self.s(6.0), 3, style(9.5, 7.0, Weight::Regular, INK), name);
            let bar_top = y + self.s(1.0);
            self.rect(x, bar_top, track, bar_h, Some(TRACK), None);
            let fraction = (share.unwrap_or(0) as f64 / 10_000.0).clamp(0.0, 1.0);
            if fraction > 0.0 {
                self.rect(x, bar_top, (track * fraction).max(self.s(1.0)), bar_h, Some(color), None);
            }
            self.text(x + COL, bar_top + bar_h - self.s(1.0), amount_size, BOLD_RIGHT, text);
            y = bar_top + bar_h + self.s(8.0);
        }
        self.rule(x, y, COL, INK, self.s(1.0));
        self.label_amount(x, y + self.s(5.0), COL, style(10.5, 10.5, Weight::Bold, INK), (total_label, &total.to_string()))
    }

    fn pembiayaan(&mut self, data: &PosterData, x: f64, top: f64) -> f64 {
        let mut y = self.heading(x, top, COL, "PEMBIAYAAN", NETTO);
        let rows = [
            ("Penerimaan Pembiayaan", data.figures.penerimaan_pembiayaan.plan),
            ("Pengeluaran Pembiayaan", data.figures.pengeluaran_pembiayaan.plan),
        ];
        for (label, amount) in rows {
            y = self.label_amount(x, y, COL, style(9.5, 9.5, Weight::Regular, INK), (label, &amount.to_string())) + self.s(5.0);
        }
        self.rule(x, y, COL, INK, self.s(1.0));
        self.label_amount(
            x,
            y + self.s(5.0),
            COL,
            style(10.5, 10.5, Weight::Bold, INK),
            ("Pembiayaan Netto", &data.pembiayaan_netto().to_string()),
        )
    }

    /// Realisation of pendapatan and belanja: each reported semester, and
    /// a bar of the budget (outlined) filled as far as realised.
    fn realisasi(&mut self, data: &PosterData, x: f64, top: f64) -> f64 {
        let mut y = self.heading(x, top, COL, "REALISASI", INK);
        if !data.reported.contains(&true) {
            return self.para(x, y, COL, 3, style(9.5, 7.0, Weight::Regular, MUTED), "Realisasi belum dilaporkan.");
        }
        for (label, a, color) in [("Pendapatan", data.figures.pendapatan, PEND), ("Belanja", data.figures.belanja, BEL)] {
            y = self.para(x, y, COL, 1, style(10.0, 7.0, Weight::Bold, INK), label);
            for i in (0..2).filter(|i| data.reported[*i]) {
                let v = if i == 0 { a.s1 } else { a.s2 };
                y = self.label_amount(x, y + self.s(1.0), COL, style(9.5, 9.5, Weight::Regular, INK), (semester(i), &v.to_string()));
            }
            let bar_top = y + self.s(3.0);
            let bar_h = self.s(9.0);
            let share = data.realised(a).share_bp(a.plan);
            let fraction = (share.unwrap_or(0) as f64 / 10_000.0).clamp(0.0, 1.0);
            self.rect(x, bar_top, COL, bar_h, None, Some(Stroke { color: INK, width: self.s(0.75) }));
            if fraction > 0.0 {
                self.rect(x, bar_top, COL * fraction, bar_h, Some(color), None);
            }
            let above = if data.realised(a) > a.plan { ", melebihi anggaran" } else { "" };
            let note = format!("{} dari anggaran {}{above}", percent(share), a.plan);
            y = self.para(x, bar_top + bar_h + self.s(2.0), COL, 2, style(8.5, 6.0, Weight::Regular, MUTED), &note) + self.s(6.0);
        }
        y
    }

    /// The footer at the bottom of the page; answers its top.
    fn footer(&mut self, data: &PosterData) -> f64 {
        let lines = [
            format!("Diterbitkan {}. Angka dalam rupiah penuh sesuai {} yang ditetapkan.", data.published, data.version_label()),
            format!("Dari Pendopo, data terbuka pemerintah daerah: {}", data.page_url),
        ];
        // Laid out from a trial position to learn its height, then moved.
        let start = self.shapes.len();
        let mut y = 0.0;
        for line in &lines {
            y = self.para(M, y, CW, 2, style(8.5, 6.0, Weight::Regular, MUTED), line);
        }
        let top = H - M * 0.8 - y;
        for shape in &mut self.shapes[start..] {
            if let Shape::Text(t) = shape {
                t.y += top;
            }
        }
        self.rule(M, top - self.s(6.0), CW, MUTED, self.s(0.5));
        top - self.s(6.0)
    }
}

/// Writes posters into one ZIP (each file deflated, dated 1980-01-01 as
/// ZIP's epoch, so the same posters give the same bytes); answers the
/// writer. For a download of all villages' posters.
pub fn zip_all<W: Write + Seek>(out: W, posters: impl IntoIterator<Item = (String, Vec<u8>)>) -> zip::result::ZipResult<W> {
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::DEFAULT)
        .unix_permissions(0o644);
    let mut zip = zip::ZipWriter::new(out);
    for (name, bytes) in posters {
        zip.start_file(name, options)?;
        zip.write_all(&bytes)?;
    }
    zip.finish()
}

/// [`zip_all`] into memory.
pub fn zip_bytes(posters: impl IntoIterator<Item = (String, Vec<u8>)>) -> zip::result::ZipResult<Vec<u8>> {
    Ok(zip_all(std::io::Cursor::new(Vec::new()), posters)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::pdf::read;
    use SumberPendapatan::*;
    use std::collections::BTreeMap;

    fn a(plan: i64, s1: i64, s2: i64) -> Amounts {
        Amounts { plan: Rupiah::new(plan), s1: Rupiah::new(s1), s2: Rupiah::new(s2) }
    }

    /// Totals as `anggaran::apbdes::check` makes them: each group the sum
    /// of its parts.
    fn figures(sources: BTreeMap<SumberPendapatan, Amounts>, bidang: BTreeMap<u8, Amounts>, pen: Amounts, peng: Amounts) -> Totals {
        let sum = |parts: Vec<Amounts>| Amounts {
            plan: parts.iter().map(|p| p.plan).sum(),
            s1: parts.iter().map(|p| p.s1).sum(),
            s2: parts.iter().map(|p| p.s2).sum(),
        };
        Totals {
            pendapatan: sum(sources.values().copied().collect()),
            belanja: sum(bidang.values().copied().collect()),
            penerimaan_pembiayaan: pen,
            pengeluaran_pembiayaan: peng,
            by_source: sources,
            by_bidang: bidang,
            ..Totals::default()
        }
    }

    /// The totals again after a test changed a source or a bidang.
    fn refigure(data: &mut PosterData) {
        let f = &data.figures;
        data.figures = figures(f.by_source.clone(), f.by_bidang.clone(), f.penerimaan_pembiayaan, f.pengeluaran_pembiayaan);
    }

    fn sample() -> PosterData {
        PosterData {
            desa_name: "Ngumpakdalem".into(),
            desa_code: "35.22.12.2005".into(),
            kecamatan: "Dander".into(),
            regency: "Kabupaten Bojonegoro".into(),
            year: 2026,
            perubahan: false,
            figures: figures(
                BTreeMap::from([
                    (DanaDesa, a(1_021_453_200, 600_000_000, 400_000_000)),
                    (Add, a(512_000_007, 256_000_000, 0)),
                    (Pades, a(35_500_000, 10_000_000, 0)),
                    (BagiHasil, a(48_250_000, 20_000_000, 0)),
                    (BantuanKabupaten, a(150_000_000, 0, 0)),
                ]),
                BTreeMap::from([
                    (1, a(620_000_000, 300_000_000, 0)),
                    (2, a(890_000_000, 250_000_000, 0)),
                    (3, a(95_000_000, 40_000_000, 0)),
                    (4, a(140_203_207, 60_000_000, 0)),
                    (5, a(50_000_000, 0, 0)),
                ]),
                a(30_000_000, 30_000_000, 0),
                a(2_000_000, 0, 0),
            ),
            reported: [true, false],
            published: "3 Desember 2026".into(),
            page_url: "https://bojonegoro.pendopo.id/desa/35.22.12.2005".into(),
        }
    }

    /// The texts of an SVG, unescaped, in order.
    fn svg_texts(svg: &str) -> Vec<String> {
        svg.split("<text ")
            .skip(1)
            .map(|t| {
                let body = &t[t.find('>').expect(">") + 1..t.find("</text>").expect("</text>")];
                body.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&")
            })
            .collect()
    }

    fn texts(d: &Drawing) -> Vec<String> {
        d.texts().map(|t| t.text.clone()).collect()
    }

    #[test]
    fn the_poster_pdf_is_well_formed_on_a4_and_a1() {
        for (size, media) in [(Size::A4, [0.0, 0.0, 595.28, 841.89]), (Size::A1, [0.0, 0.0, 1683.78, 2383.94])] {
            let d = poster(&sample(), size);
            let pdf = read::parse(&d.to_pdf());
            assert_eq!(pdf.media_box, media);
            assert_eq!(pdf.title, "APBDes Ngumpakdalem Tahun 2026");
            assert_eq!(pdf.subject, alt_text(&sample()));
            assert_eq!(pdf.texts, texts(&d), "every text of the drawing is shown in the PDF");
            for heading in [
                "APBDes Ngumpakdalem Tahun 2026",
                "PENDAPATAN",
                "BELANJA",
                "PEMBIAYAAN",
                "REALISASI",
                "INFOGRAFIS APBDES TAHUN ANGGARAN 2026",
            ] {
                assert!(pdf.texts.iter().any(|t| t == heading), "{heading}");
            }
        }
        assert_eq!(file_name(&sample(), Size::A1, "pdf"), "apbdes-35.22.12.2005-2026-a1.pdf");
    }

    #[test]
    fn amounts_are_printed_in_full_indonesian_style() {
        let d = poster(&sample(), Size::A4);
        let all = texts(&d);
        for expected in [
            "Rp 1.021.453.200",
            "Rp 512.000.007",
            "Rp 0",
            // Totals: exact sums of the lines.
            "Rp 1.767.203.207",
            "Rp 1.795.203.207",
            "Defisit Rp 28.000.000",
            "Rp 28.000.000",
            "Rp 30.000.000",
            "Rp 2.000.000",
            // Dana Desa's share of pendapatan: 1,021,453,200 / 1,767,203,207 = 57.8%.
            "57,8%",
            "Semester I",
            "Alokasi Dana Desa",
            "1. Penyelenggaraan Pemerintahan Desa",
        ] {
            assert!(all.iter().any(|t| t == expected), "{expected} in {all:?}");
        }
        assert!(!all.iter().any(|t| t == "Semester II"), "an unreported semester is not shown");
        // Realised pendapatan 886,000,000 of 1,767,203,207: 50.1% (semester
        // II is not reported: its 400,000,000 on Dana Desa does not count).
        assert!(all.iter().any(|t| t == "50,1% dari anggaran Rp 1.767.203.207"), "{all:?}");
        let mut none = sample();
        none.reported = [false, false];
        let all = texts(&poster(&none, Size::A4));
        assert!(all.iter().any(|t| t == "Realisasi belum dilaporkan."));
        let mut surplus = sample();
        surplus.figures.by_source.insert(LainLain, a(40_000_000, 0, 0));
        refigure(&mut surplus);
        assert!(texts(&poster(&surplus, Size::A4)).iter().any(|t| t == "Surplus Rp 12.000.000"));
        assert_eq!(percent(Some(-1234)), "-12,3%");
        assert_eq!(surplus_words(Rupiah::new(5)), "Surplus Rp 5");
    }

    #[test]
    fn the_svg_says_the_same_texts_and_the_alt_text() {
        for size in [Size::A4, Size::A1] {
            let d = poster(&sample(), size);
            let svg = d.to_svg();
            assert_eq!(svg_texts(&svg), texts(&d));
            assert!(svg.contains("<title id=\"drawing-title\">APBDes Ngumpakdalem Tahun 2026</title>"));
            assert!(svg.contains(&format!("<desc id=\"drawing-desc\">{}</desc>", alt_text(&sample()))));
            assert!(svg.contains(if size == Size::A4 { "width=\"210mm\" height=\"297mm\"" } else { "width=\"594mm\" height=\"841mm\"" }));
        }
        let alt = alt_text(&sample());
        assert!(
            alt.contains("Dana Desa Rp 1.021.453.200")
                && alt.contains("Realisasi Semester I: pendapatan Rp 886.000.000, belanja Rp 650.000.000."),
            "{alt}"
        );
    }

    /// Every shape inside the page, every text inside the margins, and no
    /// two texts on top of each other.
    fn assert_fits(d: &Drawing) {
        let (w, h) = d.view();
        let eps = 0.01;
        for shape in &d.shapes {
            let (x0, y0, x1, y1) = shape.bounds();
            assert!(x0 >= -eps && y0 >= -eps && x1 <= w + eps && y1 <= h + eps, "{shape:?} off the page");
        }
        type Boxed<'a> = (&'a Text, (f64, f64, f64, f64));
        let boxes: Vec<Boxed> = d.shapes.iter().filter_map(|s| if let Shape::Text(t) = s { Some((t, s.bounds())) } else { None }).collect();
        for (t, (x0, _, x1, _)) in &boxes {
            assert!(*x0 >= M - eps && *x1 <= W - M + eps, "{t:?} outside the margins ({x0}..{x1})");
        }
        for (i, (a, ba)) in boxes.iter().enumerate() {
            for (b, bb) in &boxes[i + 1..] {
                let overlap = ba.0 < bb.2 - eps && bb.0 < ba.2 - eps && ba.1 < bb.3 - eps && bb.1 < ba.3 - eps;
                assert!(!overlap, "{:?} overlaps {:?}", a.text, b.text);
            }
        }
    }

    #[test]
    fn long_names_and_huge_amounts_never_run_over_the_page() {
        for size in [Size::A4, Size::A1] {
            assert_fits(&poster(&sample(), size));
            let d = poster(&sample(), size);
            let title = d.texts().find(|t| t.text == "APBDes Ngumpakdalem Tahun 2026").expect("title on one line");
            assert!(title.size >= 30.0, "a usual name on one line, large: {}", title.size);
            let mut long = sample();
            long.desa_name = "Kedungprimpen Wetan Sumberarum Tambakrejo Ngumpakdalem".into();
            long.kecamatan = "Kepohbaru Sukosewu Margomulyo Gondang".into();
            long.perubahan = true;
            long.reported = [true, true];
            assert_fits(&poster(&long, size));
            let mut absurd = long.clone();
            absurd.desa_name = "Sumberarum".repeat(30);
            absurd.regency = "Kabupaten ".repeat(20);
            absurd.page_url = format!("https://bojonegoro.pendopo.id/desa/{}", "x".repeat(300));
            for amounts in absurd.figures.by_source.values_mut().chain(absurd.figures.by_bidang.values_mut()) {
                *amounts = a(999_999_999_999_999, 999_999_999_999_999, 999_999_999_999_999);
            }
            refigure(&mut absurd);
            assert_fits(&poster(&absurd, size));
        }
    }

    /// WCAG's contrast ratio, from relative luminance: lightness alone, so
    /// what holds here holds on a grayscale print.
    fn contrast(a: Rgb, b: Rgb) -> f64 {
        let lum = |c: Rgb| {
            let ch = |v: u8| {
                let v = f64::from(v) / 255.0;
                if v <= 0.03928 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
            };
            0.2126 * ch(c.0) + 0.7152 * ch(c.1) + 0.0722 * ch(c.2)
        };
        let (x, y) = (lum(a), lum(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    #[test]
    fn the_colours_hold_in_grayscale() {
        // Text: 4.5:1 at least (WCAG AA), the header's too.
        for (text, ground) in [(INK, Rgb::WHITE), (INK, BOX), (MUTED, Rgb::WHITE), (MUTED, BOX), (Rgb::WHITE, HEAD), (HEAD_SOFT, HEAD)] {
            assert!(contrast(text, ground) >= 4.5, "{text:?} on {ground:?}: {}", contrast(text, ground));
        }
        // Bars against their track and the page: 3:1 (WCAG's non-text contrast).
        for bar in [PEND, BEL, NETTO] {
            assert!(contrast(bar, TRACK) >= 3.0 && contrast(bar, Rgb::WHITE) >= 3.0, "{bar:?}");
        }
    }

    #[test]
    fn the_same_data_gives_the_same_bytes() {
        let (one, two) = (poster(&sample(), Size::A4), poster(&sample(), Size::A4));
        assert_eq!(one.to_pdf(), two.to_pdf());
        assert_eq!(one.to_svg(), two.to_svg());
        // The A1 poster is the A4 layout, larger.
        assert_eq!(poster(&sample(), Size::A1).shapes, one.shapes);
    }

    #[test]
    fn the_zip_holds_every_poster_by_name() {
        let files: Vec<(String, Vec<u8>)> = ["35.22.12.2005", "35.22.12.2006"]
            .iter()
            .map(|code| {
                let mut data = sample();
                data.desa_code = code.to_string();
                (file_name(&data, Size::A4, "pdf"), poster(&data, Size::A4).to_pdf())
            })
            .collect();
        let bytes = zip_bytes(files.clone()).expect("zip");
        assert_eq!(bytes, zip_bytes(files.clone()).expect("zip"), "the same posters give the same ZIP");
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP");
        assert_eq!(archive.len(), 2);
        for (name, pdf) in files {
            let mut entry = archive.by_name(&name).expect("the poster by its name");
            let mut back = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut back).expect("inflate");
            assert_eq!(back, pdf);
        }
    }
}
