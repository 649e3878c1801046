//! Server-side SVG charts: small, accessible (a title, a description and the
//! values as text), printable, and no JavaScript.

use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bar,
    Line,
}

impl Kind {
    pub fn parse(s: &str) -> Kind {
        if s == "line" { Kind::Line } else { Kind::Bar }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Numbers on axes, Indonesian style: thousands with dots, decimals with a comma.
fn label(v: f64) -> String {
    crate::web::format::decimal(v, 2)
}

/// A "nice" upper bound for the axis: 1, 2 or 5 times a power of ten.
fn nice_max(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(max.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * p >= max {
            return m * p;
        }
    }
    10.0 * p
}

/// Drawn at a phone's width (390 px less the page's margins) and shown at
/// that size, never stretched: text of `FONT` px is that big on a phone.
const WIDTH: f64 = 340.0;
const FONT: f64 = 13.0;
/// Characters of a label per line at `FONT` px across `WIDTH`.
const LINE_CHARS: usize = 44;

/// A label in lines of at most `LINE_CHARS` characters, broken between
/// words (a word longer than a line gets a line of its own): nothing is cut.
fn wrap(label: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in label.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= LINE_CHARS => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// An id for the chart's title and description, unique among the charts of
/// a page (they have different titles).
fn id_of(title: &str) -> String {
    let h = title.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("chart-{:08x}", h >> 32)
}

/// Renders `points` (label, value) as a bar or line chart.
pub fn render(kind: Kind, title: &str, y_name: &str, points: &[(String, f64)]) -> String {
    match kind {
        Kind::Bar => bars(title, y_name, points),
        Kind::Line => line(title, y_name, points),
    }
}

fn open(svg: &mut String, height: f64, title: &str, points: &[(String, f64)]) {
    let id = id_of(title);
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0}" width="{WIDTH}" height="{height:.0}" role="img" aria-labelledby="{id}-t {id}-d" class="chart" font-family="system-ui, sans-serif" font-size="{FONT}"><title id="{id}-t">{}</title><desc id="{id}-d">{}</desc>"#,
        escape(title),
        escape(&points.iter().map(|(l, v)| format!("{l}: {}", label(*v))).collect::<Vec<_>>().join("; "))
    );
}

/// Horizontal bars, one row each: the label above (wrapped, never cut), the
/// bar below with its value written at its end. Long names fit a phone
/// this way, where upright bars would need their labels turned and cut.
fn bars(title: &str, y_name: &str, points: &[(String, f64)]) -> String {
    let line_h = FONT + 3.0;
    let bar_h = 14.0;
    let value_w = 96.0;
    let plot_w = WIDTH - value_w;
    let min = points.iter().map(|p| p.1).fold(0.0f64, f64::min);
    let max = points.iter().map(|p| p.1).fold(0.0f64, f64::max);
    let span = if max - min == 0.0 { 1.0 } else { max - min };
    let zero = plot_w * (-min / span);
    let rows: Vec<Vec<String>> = points.iter().map(|(l, _)| wrap(l)).collect();
    let head = line_h + 6.0;
    let height = head + rows.iter().map(|r| r.len() as f64 * line_h + bar_h + 10.0).sum::<f64>();
    let mut svg = String::new();
    open(&mut svg, height, title, points);
    let _ = write!(svg, r##"<text x="2" y="{FONT}" fill="#333">{}</text>"##, escape(y_name));
    let mut y = head;
    for ((_, v), lines) in points.iter().zip(&rows) {
        for l in lines {
            y += line_h;
            let _ = write!(svg, r##"<text x="2" y="{:.1}" fill="#1a1a1a">{}</text>"##, y - 4.0, escape(l));
        }
        let x0 = zero + plot_w * (v.min(0.0) / span);
        let w = (plot_w * (v.abs() / span)).max(1.0);
        let _ = write!(svg, r##"<rect x="{x0:.1}" y="{y:.1}" width="{w:.1}" height="{bar_h}" fill="#0b5394"/>"##);
        let _ = write!(svg, r##"<text x="{:.1}" y="{:.1}" fill="#1a1a1a">{}</text>"##, zero.max(x0 + w) + 4.0, y + bar_h - 2.0, label(*v));
        y += bar_h + 10.0;
    }
    svg.push_str("</svg>");
    svg
}

/// One part of a [`stacked`] bar: its name (in the legend) and colour.
pub struct Part<'a> {
    pub name: &'a str,
    pub fill: &'a str,
}

/// Horizontal bars split into parts (e.g. red, yellow and blue cases per
/// agency), laid out as [`bars`] are: a legend at the top, per row the label
/// (wrapped) above its bar, the parts' values written after it in the
/// legend's order. Every part's value is also in the description.
pub fn stacked(title: &str, parts: &[Part<'_>], rows: &[(String, Vec<f64>)]) -> String {
    let line_h = FONT + 3.0;
    let bar_h = 14.0;
    let value_w = 96.0;
    let plot_w = WIDTH - value_w;
    let max = rows.iter().map(|(_, v)| v.iter().sum::<f64>()).fold(0.0f64, f64::max).max(1.0);
    let wrapped: Vec<Vec<String>> = rows.iter().map(|(l, _)| wrap(l)).collect();
    let head = line_h * 2.0;
    let height = head + wrapped.iter().map(|r| r.len() as f64 * line_h + bar_h + 10.0).sum::<f64>();
    let described: Vec<(String, f64)> =
        rows.iter().flat_map(|(l, values)| parts.iter().zip(values).map(move |(p, v)| (format!("{l}, {}", p.name), *v))).collect();
    let mut svg = String::new();
    open(&mut svg, height, title, &described);
    let mut x = 2.0;
    for p in parts {
        let _ = write!(
            svg,
            r##"<rect x="{x:.1}" y="3" width="12" height="12" fill="{}"/><text x="{:.1}" y="{FONT}" fill="#1a1a1a">{}</text>"##,
            p.fill,
            x + 16.0,
            escape(p.name)
        );
        x += 16.0 + p.name.chars().count() as f64 * FONT * 0.6 + 12.0;
    }
    let mut y = head;
    for ((_, values), lines) in rows.iter().zip(&wrapped) {
        for l in lines {
            y += line_h;
            let _ = write!(svg, r##"<text x="2" y="{:.1}" fill="#1a1a1a">{}</text>"##, y - 4.0, escape(l));
        }
        let mut x0 = 0.0;
        for (p, v) in parts.iter().zip(values) {
            let w = plot_w * (v.max(0.0) / max);
            if w > 0.0 {
                let _ = write!(svg, r##"<rect x="{x0:.1}" y="{y:.1}" width="{w:.1}" height="{bar_h}" fill="{}"/>"##, p.fill);
            }
            x0 += w;
        }
        let text: Vec<String> = values.iter().map(|v| label(*v)).collect();
        let _ = write!(svg, r##"<text x="{:.1}" y="{:.1}" fill="#1a1a1a">{}</text>"##, x0 + 4.0, y + bar_h - 2.0, text.join("/"));
        y += bar_h + 10.0;
    }
    svg.push_str("</svg>");
    svg
}

/// A line over the points in order, the axis on the left, every label
/// written level and as many of them as fit without touching.
fn line(title: &str, y_name: &str, points: &[(String, f64)]) -> String {
    let (h, left, bottom, top) = (240.0, 56.0, 30.0, 24.0);
    let plot_w = WIDTH - left - 8.0;
    let plot_h = h - bottom - top;
    let min = points.iter().map(|p| p.1).fold(0.0f64, f64::min);
    let max = nice_max(points.iter().map(|p| p.1).fold(0.0f64, f64::max));
    let span = if max - min == 0.0 { 1.0 } else { max - min };
    let y = |v: f64| top + plot_h * (1.0 - (v - min) / span);
    let n = points.len().max(1) as f64;
    let step = plot_w / n;
    let mut svg = String::new();
    open(&mut svg, h, title, points);
    let _ = write!(svg, r##"<text x="2" y="{FONT}" fill="#333">{}</text>"##, escape(y_name));
    for i in 0..=4 {
        let v = min + span * i as f64 / 4.0;
        let yy = y(v);
        let _ = write!(
            svg,
            r##"<line x1="{left}" x2="{}" y1="{yy:.1}" y2="{yy:.1}" stroke="#d0d7de"/><text x="{}" y="{:.1}" text-anchor="end" fill="#333">{}</text>"##,
            WIDTH - 8.0,
            left - 6.0,
            yy + 4.0,
            label(v)
        );
    }
    let path: Vec<(f64, f64)> = points.iter().enumerate().map(|(i, (_, v))| (left + step * (i as f64 + 0.5), y(*v))).collect();
    let joined: Vec<String> = path.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
    let _ = write!(svg, r##"<polyline points="{}" fill="none" stroke="#0b5394" stroke-width="2"/>"##, joined.join(" "));
    for (cx, cy) in &path {
        let _ = write!(svg, r##"<circle cx="{cx:.1}" cy="{cy:.1}" r="3.5" fill="#0b5394"/>"##);
    }
    // Every k-th label, so that labels (about 0.6 em a character) never overlap.
    let widest = points.iter().map(|(l, _)| l.chars().count()).max().unwrap_or(1) as f64 * FONT * 0.6 + 8.0;
    let every = (widest / step).ceil().max(1.0) as usize;
    for (i, (l, _)) in points.iter().enumerate().filter(|(i, _)| i % every == 0) {
        // Kept inside the drawing: a label at either end moves in a little.
        let half = l.chars().count() as f64 * FONT * 0.32 + 2.0;
        let x = path[i].0.clamp(half.min(WIDTH / 2.0), (WIDTH - half).max(WIDTH / 2.0));
        let _ =
            write!(svg, r##"<text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="#333">{}</text>"##, h - bottom + FONT + 6.0, escape(l));
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_a_nice_maximum_and_say_their_values() {
        let svg = render(Kind::Bar, "Produksi <padi>", "ton", &[("Ngraho".into(), 1200.0), ("Kalitidu".into(), 2500.0)]);
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("\">Produksi &lt;padi&gt;</title>"));
        assert!(svg.contains("Ngraho: 1.200; Kalitidu: 2.500"), "values as text for screen readers");
        assert!(svg.contains(">2.500</text>"), "each bar says its value");
        assert!(!svg.contains("font-size=\"1") || svg.contains(&format!("font-size=\"{FONT}\"")));
        // A long name is wrapped, not cut.
        let long = "Dinas Pekerjaan Umum Bina Marga dan Penataan Ruang Kabupaten Bojonegoro";
        let svg = render(Kind::Bar, "t", "y", &[(long.into(), 1.0)]);
        assert!(svg.contains(">Dinas Pekerjaan Umum Bina Marga dan Penataan</text>") && svg.contains(">Ruang Kabupaten Bojonegoro</text>"));
        assert_ne!(id_of("a"), id_of("b"), "two charts on a page have different ids");
        assert_eq!(nice_max(730.0), 1000.0);
        assert_eq!(nice_max(0.0), 1.0);
        let line = render(Kind::Line, "t", "y", &[("a".into(), 1.5), ("b".into(), 2.0)]);
        assert!(line.contains("<polyline"));
        assert_eq!(line.matches("<circle").count(), 2);
    }

    #[test]
    fn stacked_bars_draw_each_part_and_say_every_value() {
        let parts = [Part { name: "Merah", fill: "#b3261e" }, Part { name: "Biru", fill: "#1f5f8b" }];
        let svg = stacked("Warna", &parts, &[("Dinkes".into(), vec![2.0, 3.0]), ("Dishub".into(), vec![0.0, 1.0])]);
        // Two legend squares and three non-empty segments.
        assert_eq!(svg.matches("<rect").count(), 5);
        assert!(svg.contains("Dinkes, Merah: 2; Dinkes, Biru: 3; Dishub, Merah: 0; Dishub, Biru: 1"));
        assert!(svg.contains(">2/3</text>") && svg.contains(">0/1</text>"));
        assert!(svg.contains(&format!("font-size=\"{FONT}\"")));
    }
}
