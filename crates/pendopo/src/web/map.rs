//! A map without tiles: places as points in an SVG, scaled to fit, each a
//! link. It costs a few kilobytes and no JavaScript on a cheap phone; the
//! page links each place to OpenStreetMap for the streets around it.

use std::fmt::Write as _;

pub struct Place {
    pub lat: f64,
    pub lon: f64,
    pub label: String,
    pub href: String,
    /// Drawn in the warning colour (e.g. a process with red flags).
    pub marked: bool,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The points on a plain background, north up, equal scale on both axes
/// (one degree of longitude is shortened by the cosine of the latitude).
pub fn render(title: &str, places: &[Place]) -> String {
    let (w, h, pad) = (760.0, 420.0, 16.0);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-labelledby=\"map-title\" class=\"map\"><title id=\"map-title\">{}</title><rect width=\"{w}\" height=\"{h}\" fill=\"#eef3ee\"/>",
        escape(title)
    );
    if !places.is_empty() {
        let (mut min_lat, mut max_lat, mut min_lon, mut max_lon) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for p in places {
            min_lat = min_lat.min(p.lat);
            max_lat = max_lat.max(p.lat);
            min_lon = min_lon.min(p.lon);
            max_lon = max_lon.max(p.lon);
        }
        let squash = ((min_lat + max_lat) / 2.0).to_radians().cos().max(0.1);
        let span_x = ((max_lon - min_lon) * squash).max(0.01);
        let span_y = (max_lat - min_lat).max(0.01);
        let scale = ((w - 2.0 * pad) / span_x).min((h - 2.0 * pad) / span_y);
        let (off_x, off_y) = ((w - span_x * scale) / 2.0, (h - span_y * scale) / 2.0);
        for p in places {
            let x = off_x + (p.lon - min_lon) * squash * scale;
            let y = off_y + (max_lat - p.lat) * scale;
            let colour = if p.marked { "#b3261e" } else { "#1f5f8b" };
            // Unlabelled points (a big map) skip the tooltip to stay small.
            let tip = if p.label.is_empty() { String::new() } else { format!("<title>{}</title>", escape(&p.label)) };
            let _ = write!(
                svg,
                "<a href=\"{}\"><circle cx=\"{x:.0}\" cy=\"{y:.0}\" r=\"5\" fill=\"{colour}\">{tip}</circle></a>",
                escape(&p.href)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// A place that is not one: a field missing, not a number, or out of range.
#[derive(Debug, PartialEq, Eq)]
pub struct InvalidPlace;

/// A place typed into a form: both fields empty is no place; otherwise a
/// latitude and a longitude in range (a decimal comma is accepted).
pub fn parse_place(lat: &str, lon: &str) -> Result<Option<(f64, f64)>, InvalidPlace> {
    let (lat, lon) = (lat.trim(), lon.trim());
    if lat.is_empty() && lon.is_empty() {
        return Ok(None);
    }
    match (lat.replace(',', ".").parse::<f64>(), lon.replace(',', ".").parse::<f64>()) {
        (Ok(a), Ok(b)) if (-90.0..=90.0).contains(&a) && (-180.0..=180.0).contains(&b) => Ok(Some((a, b))),
        _ => Err(InvalidPlace),
    }
}

/// OpenStreetMap at a point, for the streets the SVG leaves out.
pub fn osm_link(lat: f64, lon: f64) -> String {
    format!("https://www.openstreetmap.org/?mlat={lat:.5}&mlon={lon:.5}#map=16/{lat:.5}/{lon:.5}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_fit_and_link() {
        let places = [
            Place { lat: -7.1, lon: 111.8, label: "A & B".into(), href: "/pengadaan/a".into(), marked: false },
            Place { lat: -7.3, lon: 112.0, label: "C".into(), href: "/pengadaan/c".into(), marked: true },
        ];
        let svg = render("Peta", &places);
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains("A &amp; B") && svg.contains("href=\"/pengadaan/c\"") && svg.contains("#b3261e"));
        for cap in svg.split("cx=\"").skip(1) {
            let x: f64 = cap.split('"').next().unwrap().parse().unwrap();
            assert!((0.0..=760.0).contains(&x));
        }
        assert!(render("Kosong", &[]).contains("<title id=\"map-title\">Kosong</title>"));
        assert_eq!(parse_place(" ", ""), Ok(None));
        assert_eq!(parse_place("-7,15", "111.88"), Ok(Some((-7.15, 111.88))));
        assert_eq!(parse_place("-7.15", ""), Err(InvalidPlace));
        assert_eq!(parse_place("95", "111"), Err(InvalidPlace));
    }
}
