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
    if v.fract().abs() < 1e-9 && v.abs() < 1e15 { crate::web::format::thousands(v as i64) } else { format!("{v:.2}").replace('.', ",") }
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

/// Renders `points` (label, value) as a bar or line chart.
pub fn render(kind: Kind, title: &str, y_name: &str, points: &[(String, f64)]) -> String {
    let (w, h, left, bottom, top) = (760.0, 320.0, 80.0, 90.0, 20.0);
    let plot_w = w - left - 10.0;
    let plot_h = h - bottom - top;
    let min = points.iter().map(|p| p.1).fold(0.0f64, f64::min);
    let max = nice_max(points.iter().map(|p| p.1).fold(0.0f64, f64::max));
    let span = if max - min == 0.0 { 1.0 } else { max - min };
    let y = |v: f64| top + plot_h * (1.0 - (v - min) / span);
    let n = points.len().max(1) as f64;
    let step = plot_w / n;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" aria-labelledby="chart-title chart-desc" class="chart"><title id="chart-title">{}</title><desc id="chart-desc">{}</desc>"#,
        escape(title),
        escape(&points.iter().map(|(l, v)| format!("{l}: {}", label(*v))).collect::<Vec<_>>().join("; "))
    );
    for i in 0..=4 {
        let v = min + span * i as f64 / 4.0;
        let yy = y(v);
        let _ = write!(
            svg,
            r##"<line x1="{left}" x2="{}" y1="{yy:.1}" y2="{yy:.1}" stroke="#d0d7de"/><text x="{}" y="{:.1}" font-size="11" text-anchor="end" fill="#333">{}</text>"##,
            w - 10.0,
            left - 6.0,
            yy + 4.0,
            label(v)
        );
    }
    let _ = write!(
        svg,
        r##"<text x="12" y="{:.1}" font-size="12" fill="#333" transform="rotate(-90 12 {:.1})" text-anchor="middle">{}</text>"##,
        top + plot_h / 2.0,
        top + plot_h / 2.0,
        escape(y_name)
    );
    match kind {
        Kind::Bar => {
            for (i, (_, v)) in points.iter().enumerate() {
                let x = left + step * i as f64 + step * 0.15;
                let (y0, y1) = (y(v.max(0.0)), y(v.min(0.0)));
                let _ = write!(
                    svg,
                    r##"<rect x="{x:.1}" y="{y0:.1}" width="{:.1}" height="{:.1}" fill="#0b5394"/>"##,
                    step * 0.7,
                    (y1 - y0).max(0.5)
                );
            }
        }
        Kind::Line => {
            let path: Vec<String> =
                points.iter().enumerate().map(|(i, (_, v))| format!("{:.1},{:.1}", left + step * (i as f64 + 0.5), y(*v))).collect();
            let _ = write!(svg, r##"<polyline points="{}" fill="none" stroke="#0b5394" stroke-width="2"/>"##, path.join(" "));
            for p in &path {
                let (cx, cy) = p.split_once(',').unwrap_or(("0", "0"));
                let _ = write!(svg, r##"<circle cx="{cx}" cy="{cy}" r="3" fill="#0b5394"/>"##);
            }
        }
    }
    for (i, (l, _)) in points.iter().enumerate() {
        let x = left + step * (i as f64 + 0.5);
        let short: String = l.chars().take(16).collect();
        let _ = write!(
            svg,
            r##"<text x="{x:.1}" y="{:.1}" font-size="10" fill="#333" text-anchor="end" transform="rotate(-45 {x:.1} {:.1})">{}</text>"##,
            h - bottom + 14.0,
            h - bottom + 14.0,
            escape(&short)
        );
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
        assert!(svg.contains("<title id=\"chart-title\">Produksi &lt;padi&gt;</title>"));
        assert!(svg.contains("Ngraho: 1.200; Kalitidu: 2.500"), "values as text for screen readers");
        assert!(svg.contains(">5.000</text>"), "axis up to a nice maximum");
        assert_eq!(nice_max(730.0), 1000.0);
        assert_eq!(nice_max(0.0), 1.0);
        let line = render(Kind::Line, "t", "y", &[("a".into(), 1.5), ("b".into(), 2.0)]);
        assert!(line.contains("<polyline"));
        assert_eq!(line.matches("<circle").count(), 2);
    }
}
