//! The comparison's map by kecamatan: each kecamatan's outline shaded by a
//! measure of its villages (Dana Desa per resident, realisation, the share
//! of desa Maju or Mandiri, the mean transparency score), drawn on the
//! server as SVG.
//!
//! The outlines are a GeoJSON FeatureCollection of the regency's kecamatan
//! (properties `kode` and `nama`, optionally `pusat` as `[lon, lat]`;
//! geometry Polygon or MultiPolygon). Bojonegoro's (35.22) is built in,
//! from cahyadsn/wilayah_boundaries (MIT, see `map/README.md`); any region
//! can put its own at `peta/kecamatan-{code}.geojson` in the file store
//! (`DATA_DIR/files/`), which is read first. Without outlines the page
//! keeps its bar chart.
//!
//! Readable in grayscale: five classes from light to dark (each step
//! darker by luminance, not only by hue), a hatch for "no figures", every
//! kecamatan numbered on the map with the numbers in the table beside it,
//! a title and a description naming each kecamatan's value (the alt text).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::LazyLock;

use serde_json::Value;

/// One kecamatan's outline.
#[derive(Clone, Debug)]
pub struct Shape {
    pub code: String,
    pub name: String,
    /// Where its number is written: `[lon, lat]`.
    pub centre: (f64, f64),
    /// Polygons, each as rings of `(lon, lat)` (the first the outline,
    /// the others holes).
    pub polygons: Vec<Vec<Vec<(f64, f64)>>>,
}

/// The outlines of Bojonegoro's 28 kecamatan, built in.
const BOJONEGORO: &str = include_str!("map/35.22.geojson");

static BUILT_IN: LazyLock<Vec<Shape>> = LazyLock::new(|| parse(BOJONEGORO).expect("the built-in outlines parse"));
/// The same, shared with each page that draws it.
static BUILT: LazyLock<std::sync::Arc<Vec<Shape>>> = LazyLock::new(|| std::sync::Arc::new(BUILT_IN.clone()));

fn ring(v: &Value) -> Option<Vec<(f64, f64)>> {
    v.as_array()?.iter().map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?))).collect()
}

fn polygon(v: &Value) -> Option<Vec<Vec<(f64, f64)>>> {
    v.as_array()?.iter().map(ring).collect()
}

/// Reads a FeatureCollection of kecamatan outlines; the reason when it is
/// not one.
pub fn parse(text: &str) -> Result<Vec<Shape>, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let features = doc["features"].as_array().ok_or("no features: not a FeatureCollection")?;
    let mut out = Vec::with_capacity(features.len());
    for (at, f) in features.iter().enumerate() {
        let props = &f["properties"];
        let code = props["kode"].as_str().or(props["code"].as_str()).ok_or(format!("feature {at}: no kode"))?;
        let name = props["nama"].as_str().or(props["name"].as_str()).unwrap_or(code);
        let g = &f["geometry"];
        let polygons = match g["type"].as_str() {
            Some("Polygon") => vec![polygon(&g["coordinates"]).ok_or(format!("{code}: bad Polygon"))?],
            Some("MultiPolygon") => g["coordinates"]
                .as_array()
                .and_then(|ps| ps.iter().map(polygon).collect::<Option<Vec<_>>>())
                .ok_or(format!("{code}: bad MultiPolygon"))?,
            other => return Err(format!("{code}: geometry {other:?} is not a Polygon or MultiPolygon")),
        };
        if polygons.iter().all(|p| p.first().is_none_or(|r| r.len() < 3)) {
            return Err(format!("{code}: an empty outline"));
        }
        let centre = match props["pusat"].as_array() {
            Some(p) if p.len() == 2 => (p[0].as_f64().unwrap_or_default(), p[1].as_f64().unwrap_or_default()),
            _ => middle(&polygons),
        };
        out.push(Shape { code: code.to_string(), name: name.to_string(), centre, polygons });
    }
    Ok(out)
}

/// The middle of the outlines' box, where no centre is given.
fn middle(polygons: &[Vec<Vec<(f64, f64)>>]) -> (f64, f64) {
    let points = polygons.iter().flat_map(|p| p.first()).flatten();
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for &(x, y) in points {
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
    }
    ((x0 + x1) / 2.0, (y0 + y1) / 2.0)
}

/// The outlines of a regency's kecamatan: the region's own file in the
/// file store, else the built-in ones of its regency, else none. A bad
/// file is logged and the built-in (or no) map is used. The flag says
/// whether the outlines are the built-in ones (whose credit the page shows).
pub async fn shapes_for(files: &crate::kernel::files::FileStore, regency: &str) -> Option<(std::sync::Arc<Vec<Shape>>, bool)> {
    if let Ok(path) = files.path(&format!("peta/kecamatan-{regency}.geojson"))
        && let Ok(text) = tokio::fs::read_to_string(&path).await
    {
        match parse(&text) {
            Ok(shapes) if !shapes.is_empty() => return Some((std::sync::Arc::new(shapes), false)),
            Ok(_) => tracing::warn!(regency, "kecamatan outlines file has no features"),
            Err(e) => tracing::warn!(regency, error = %e, "kecamatan outlines file refused"),
        }
    }
    (regency == "35.22").then(|| (BUILT.clone(), true))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Five fills from light to dark: blues whose luminance falls by about
/// a fifth each step, so the order holds in grayscale print.
pub const FILLS: [&str; 5] = ["#eff3ff", "#bdd7e7", "#6baed6", "#2171b5", "#08306b"];
/// Numbers are written dark on the light classes and white on the dark.
const INK: [&str; 5] = ["#1a1a1a", "#1a1a1a", "#1a1a1a", "#ffffff", "#ffffff"];

/// A kecamatan's value and how it is written.
#[derive(Clone, Debug)]
pub struct Figure {
    pub value: f64,
    pub text: String,
}

/// A kecamatan of the map's table: number, code, name, value text and
/// class (none without figures).
pub type MapRow = (usize, String, String, Option<String>, Option<usize>);

/// What the map shows.
pub struct Drawn {
    pub svg: String,
    /// Per class: its lower and upper bound as written; the legend.
    pub classes: Vec<(String, String)>,
    /// Kecamatan in map-number order.
    pub rows: Vec<MapRow>,
}

/// Class bounds: five equal steps between the least and the greatest value.
fn class_of(value: f64, min: f64, max: f64) -> usize {
    if max <= min {
        return 2;
    }
    (((value - min) / (max - min) * 5.0).floor() as usize).min(4)
}

/// Draws the shapes shaded by `values` (by kecamatan code); `format`
/// writes a bound of the legend; `title` and the names make the alt text.
pub fn draw(shapes: &[Shape], values: &BTreeMap<String, Figure>, title: &str, no_data: &str, format: &dyn Fn(f64) -> String) -> Drawn {
    let (w, pad) = (340.0f64, 6.0f64);
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for s in shapes {
        for &(x, y) in s.polygons.iter().flat_map(|p| p.first()).flatten() {
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
        }
    }
    // Equal scale both ways: a degree of longitude shortened by the cosine
    // of the latitude, north up.
    let squash = ((y0 + y1) / 2.0).to_radians().cos().max(0.1);
    let scale = (w - 2.0 * pad) / ((x1 - x0) * squash).max(1e-6);
    let h = ((y1 - y0) * scale + 2.0 * pad).ceil();
    let at = |(x, y): (f64, f64)| (pad + (x - x0) * squash * scale, pad + (y1 - y) * scale);

    let known: Vec<f64> = values.values().map(|v| v.value).collect();
    let min = known.iter().copied().fold(f64::MAX, f64::min);
    let max = known.iter().copied().fold(f64::MIN, f64::max);
    let classes: Vec<(String, String)> = if known.is_empty() {
        Vec::new()
    } else if max <= min {
        vec![(format(min), format(max))]
    } else {
        (0..5).map(|k| (format(min + (max - min) * k as f64 / 5.0), format(min + (max - min) * (k + 1) as f64 / 5.0))).collect()
    };

    let mut order: Vec<&Shape> = shapes.iter().collect();
    order.sort_by(|a, b| a.code.cmp(&b.code));
    let mut rows = Vec::with_capacity(order.len());
    let mut desc = Vec::with_capacity(order.len());
    let mut body = String::new();
    let mut labels = String::new();
    for (n, s) in order.iter().enumerate() {
        let number = n + 1;
        let v = values.get(&s.code);
        let class = v.map(|v| if max <= min { 2 } else { class_of(v.value, min, max) });
        let fill = class.map_or("url(#kosong)", |c| FILLS[c]);
        let mut d = String::new();
        for ring in s.polygons.iter().flatten() {
            for (i, p) in ring.iter().enumerate() {
                let (x, y) = at(*p);
                let _ = write!(d, "{}{x:.1} {y:.1}", if i == 0 { "M" } else { "L" });
            }
            d.push('Z');
        }
        let said = match v {
            Some(v) => format!("{number}. {}: {}", s.name, v.text),
            None => format!("{number}. {}: {no_data}", s.name),
        };
        let _ = write!(
            body,
            r##"<path d="{d}" fill="{fill}" stroke="#ffffff" stroke-width="1" fill-rule="evenodd"><title>{}</title></path>"##,
            escape(&said)
        );
        let (cx, cy) = at(s.centre);
        let ink = class.map_or("#1a1a1a", |c| INK[c]);
        let _ = write!(labels, r##"<text x="{cx:.1}" y="{:.1}" fill="{ink}" text-anchor="middle">{number}</text>"##, cy + 4.0);
        desc.push(said);
        rows.push((number, s.code.clone(), s.name.clone(), v.map(|v| v.text.clone()), class));
    }
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-labelledby="peta-kec-t peta-kec-d" class="chart map" font-family="system-ui, sans-serif" font-size="11" font-weight="bold"><title id="peta-kec-t">{}</title><desc id="peta-kec-d">{}</desc>"##,
        escape(title),
        escape(&desc.join("; "))
    );
    // "No figures": a grey hatch, told apart from every class by its lines.
    svg.push_str(r##"<defs><pattern id="kosong" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#767676" stroke-width="2"/></pattern></defs>"##);
    svg.push_str(&body);
    svg.push_str(&labels);
    svg.push_str("</svg>");
    Drawn { svg, classes, rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bojonegoro_has_its_28_kecamatan() {
        let shapes = &*BUILT_IN;
        assert_eq!(shapes.len(), 28);
        assert_eq!((shapes[0].code.as_str(), shapes[0].name.as_str()), ("35.22.01", "Ngraho"));
        assert!(shapes.iter().any(|s| s.polygons.len() > 1), "Kepohbaru is in parts");
        for s in shapes {
            let (lon, lat) = s.centre;
            assert!((111.3..112.3).contains(&lon) && (-7.5..-6.9).contains(&lat), "{}: {lon} {lat}", s.code);
        }
    }

    #[test]
    fn a_region_file_is_read_and_a_bad_one_named() {
        let one = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"kode":"11.01.01","nama":"Bakongan"},
            "geometry":{"type":"Polygon","coordinates":[[[97.4,2.9],[97.5,2.9],[97.5,3.0],[97.4,2.9]]]}}]}"#;
        let shapes = parse(one).unwrap();
        assert_eq!(shapes[0].name, "Bakongan");
        assert!((shapes[0].centre.0 - 97.45).abs() < 1e-9, "the box's middle without a centre");
        assert!(parse(r#"{"type":"Feature"}"#).unwrap_err().contains("FeatureCollection"));
        let point = one.replace("Polygon", "Point");
        assert!(parse(&point).unwrap_err().contains("11.01.01"));
    }

    #[test]
    fn the_map_shades_five_classes_and_hatches_the_unknown() {
        let shapes = &*BUILT_IN;
        let mut values = BTreeMap::new();
        for (i, s) in shapes.iter().enumerate().skip(1) {
            values.insert(s.code.clone(), Figure { value: i as f64, text: format!("{i}") });
        }
        let drawn = draw(shapes, &values, "Peta", "tanpa data", &|v| format!("{v:.0}"));
        assert_eq!(drawn.classes.len(), 5);
        assert_eq!(drawn.rows.len(), 28);
        assert_eq!(drawn.rows[0].4, None, "Ngraho has no figures");
        assert_eq!(drawn.rows[1].4, Some(0));
        assert_eq!(drawn.rows[27].4, Some(4));
        assert!(drawn.svg.contains("url(#kosong)") && drawn.svg.contains(FILLS[4]));
        assert!(drawn.svg.contains("<desc id=\"peta-kec-d\">1. Ngraho: tanpa data; 2. Tambakrejo: 1;"));
        assert!(drawn.svg.len() < 40_000, "{} bytes", drawn.svg.len());
        // Luminance falls class by class: the order survives grayscale.
        let lum = |hex: &str| {
            let c = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap() as f64;
            0.2126 * c(1) + 0.7152 * c(3) + 0.0722 * c(5)
        };
        for pair in FILLS.windows(2) {
            assert!(lum(pair[0]) - lum(pair[1]) > 25.0, "{pair:?}");
        }
    }
}
