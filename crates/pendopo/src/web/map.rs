//! A map without tiles: places as points in an SVG, scaled to fit, each a
//! link. It costs a few kilobytes and no JavaScript on a cheap phone; the
//! page links each place to OpenStreetMap for the streets around it.

use std::fmt::Write as _;

#[derive(Clone)]
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

/// A point: a blue circle, or when marked a red triangle (a shape as well
/// as a colour, for readers who do not tell red from blue). A labelled point
/// is a link named by its label (and "flagged" when marked) for screen
/// readers; an unlabelled one (a big map, kept small) is left out of the
/// reading and tab order, its page giving the list of the same processes.
fn point(p: &Place, x: f64, y: f64, marked_name: &str) -> String {
    let shape = format!("<use href=\"#{}\" x=\"{x:.0}\" y=\"{y:.0}\"/>", if p.marked { "pf" } else { "pp" });
    if p.label.is_empty() {
        return format!("<a href=\"{}\" tabindex=\"-1\">{shape}</a>", escape(&p.href));
    }
    let name = if p.marked { format!("{} ({marked_name})", p.label) } else { p.label.clone() };
    format!("<a href=\"{}\" aria-label=\"{}\"><title>{}</title>{shape}</a>", escape(&p.href), escape(&name), escape(&name))
}

/// The two shapes every point refers to (a few bytes a point on a big map).
const SHAPES: &str = concat!(
    "<defs><circle id=\"pp\" r=\"5\" fill=\"#1f5f8b\" stroke=\"#fff\"/>",
    "<path id=\"pf\" d=\"M0 -7l6.5 11h-13z\" fill=\"#b3261e\" stroke=\"#fff\"/></defs>"
);

/// The points on a plain background, north up, equal scale on both axes
/// (one degree of longitude is shortened by the cosine of the latitude),
/// drawn about a phone's width (shown at 480 px, smaller on a phone, where
/// a point is still 8 px across).
pub fn render(title: &str, places: &[Place]) -> String {
    render_marked(title, places, "")
}

/// [`render`], with the word a screen reader says after a marked point's name.
pub fn render_marked(title: &str, places: &[Place], marked_name: &str) -> String {
    let (w, h, pad) = (480.0, 340.0, 12.0);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-labelledby=\"map-title\" class=\"map\"><title id=\"map-title\">{}</title><rect width=\"{w}\" height=\"{h}\" fill=\"#eef3ee\"/>",
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
        // Flagged points last, so that none hides under an unflagged one.
        let mut order: Vec<&Place> = places.iter().collect();
        order.sort_by_key(|p| p.marked);
        svg.push_str(SHAPES);
        // Unnamed points (a big map) are left out of what a screen reader
        // reads; the page links the same processes as a list.
        let unnamed = places.iter().all(|p| p.label.is_empty());
        if unnamed {
            svg.push_str("<g aria-hidden=\"true\">");
        }
        for p in order {
            let x = off_x + (p.lon - min_lon) * squash * scale;
            let y = off_y + (max_lat - p.lat) * scale;
            let _ = write!(svg, "{}", point(p, x, y, marked_name));
        }
        if unnamed {
            svg.push_str("</g>");
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
        assert_eq!(svg.matches("<use href=\"#pp\"").count(), 1, "the unflagged point is a circle");
        assert_eq!(svg.matches("<use href=\"#pf\"").count(), 1, "the flagged one a triangle");
        assert!(svg.contains("A &amp; B") && svg.contains("href=\"/pengadaan/c\"") && svg.contains("#b3261e"));
        let named = render_marked("Peta", &places, "bertanda bahaya");
        assert!(named.contains("aria-label=\"C (bertanda bahaya)\"") && named.contains("aria-label=\"A &amp; B\""));
        let quiet = render("Peta", &[Place { label: String::new(), ..places[0].clone() }]);
        assert!(
            quiet.contains("<g aria-hidden=\"true\"><a href=\"/pengadaan/a\" tabindex=\"-1\">"),
            "unnamed points are left out of the reading order"
        );
        for cap in svg.split(" x=\"").skip(1) {
            let x: f64 = cap.split('"').next().unwrap().parse().unwrap();
            assert!((0.0..=480.0).contains(&x));
        }
        assert!(render("Kosong", &[]).contains("<title id=\"map-title\">Kosong</title>"));
        assert_eq!(parse_place(" ", ""), Ok(None));
        assert_eq!(parse_place("-7,15", "111.88"), Ok(Some((-7.15, 111.88))));
        assert_eq!(parse_place("-7.15", ""), Err(InvalidPlace));
        assert_eq!(parse_place("95", "111"), Err(InvalidPlace));
    }
}
