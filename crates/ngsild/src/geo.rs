//! Geo-queries (`geoQ`, clause 4.10 of the spec) and the GeoJSON geometries
//! they relate.
//!
//! A query is four parameters: `georel` (`near;maxDistance==2000` or
//! `near;minDistance==N`, metres from any reference geometry,
//! `within`, `contains`, `intersects`, `disjoint`, `equals`, `overlaps`),
//! `geometry` (a GeoJSON type name), `coordinates` (that geometry's
//! coordinates as JSON text) and `geoproperty` (default `location`). The
//! relation reads "the entity's geometry *georel* the query's geometry":
//! `within` finds entities inside the query polygon.
//!
//! The in-memory tests work on longitude/latitude as a plane, which is exact
//! enough for a regency (tens of kilometres, far from the poles and the
//! antimeridian); distances are great-circle (haversine) metres. A store
//! with PostGIS or an R*Tree narrows by [`Geometry::bbox`] first and may use
//! these to finish.

use std::fmt;

use serde_json::{Value as Json, json};

/// `[longitude, latitude]` in degrees (an altitude, if given, is dropped).
pub type Position = [f64; 2];

/// The GeoJSON geometry types NGSI-LD queries use (no GeometryCollection).
pub const GEOMETRY_TYPES: &[&str] = &["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"];

/// Mean Earth radius (IUGG), metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A GeoJSON geometry.
#[derive(Clone, Debug, PartialEq)]
pub enum Geometry {
    Point(Position),
    MultiPoint(Vec<Position>),
    LineString(Vec<Position>),
    MultiLineString(Vec<Vec<Position>>),
    /// Outer ring first, then holes; each ring closed (first == last).
    Polygon(Vec<Vec<Position>>),
    MultiPolygon(Vec<Vec<Vec<Position>>>),
}

/// A bounding box in degrees.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BBox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

impl BBox {
    pub fn intersects(&self, other: &BBox) -> bool {
        self.min_lon <= other.max_lon && other.min_lon <= self.max_lon && self.min_lat <= other.max_lat && other.min_lat <= self.max_lat
    }

    pub fn contains(&self, p: Position) -> bool {
        (self.min_lon..=self.max_lon).contains(&p[0]) && (self.min_lat..=self.max_lat).contains(&p[1])
    }

    /// The box grown by `metres` on every side (for a `near` prefilter).
    pub fn grown(&self, metres: f64) -> BBox {
        let dlat = (metres / EARTH_RADIUS_M).to_degrees();
        let lat = self.min_lat.abs().max(self.max_lat.abs()).min(89.0);
        let dlon = dlat / lat.to_radians().cos();
        BBox { min_lon: self.min_lon - dlon, min_lat: self.min_lat - dlat, max_lon: self.max_lon + dlon, max_lat: self.max_lat + dlat }
    }
}

/// Why a `geoQ` or a geometry was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeoReason {
    /// One of `georel`, `geometry`, `coordinates` given without the others.
    Incomplete,
    UnknownGeorel,
    /// `near` without `maxDistance==N` or `minDistance==N`, or N not a positive number.
    BadDistance,
    UnknownGeometry,
    /// `coordinates` is not JSON.
    NotJson,
    /// The coordinates do not have the shape the geometry type needs.
    BadCoordinates,
    /// A longitude outside -180..180 or a latitude outside -90..90.
    OutOfRange,
    /// A polygon ring with fewer than four positions or not closed.
    BadRing,
    /// A line with fewer than two positions.
    ShortLine,
    /// `geoproperty` is empty.
    BadGeoproperty,
}

impl GeoReason {
    /// Stable snake_case code, for the message catalogue.
    pub fn code(self) -> &'static str {
        match self {
            GeoReason::Incomplete => "incomplete",
            GeoReason::UnknownGeorel => "unknown_georel",
            GeoReason::BadDistance => "bad_distance",
            GeoReason::UnknownGeometry => "unknown_geometry",
            GeoReason::NotJson => "not_json",
            GeoReason::BadCoordinates => "bad_coordinates",
            GeoReason::OutOfRange => "out_of_range",
            GeoReason::BadRing => "bad_ring",
            GeoReason::ShortLine => "short_line",
            GeoReason::BadGeoproperty => "bad_geoproperty",
        }
    }
}

/// A refused geo-query: which parameter, why, and for JSON text the byte
/// offset where parsing stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeoError {
    pub param: &'static str,
    pub reason: GeoReason,
    pub at: Option<usize>,
}

impl GeoError {
    fn new(param: &'static str, reason: GeoReason) -> GeoError {
        GeoError { param, reason, at: None }
    }
}

impl fmt::Display for GeoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "geoQ: {} is invalid ({})", self.param, self.reason.code())?;
        if let Some(at) = self.at {
            write!(f, " at position {at}")?;
        }
        Ok(())
    }
}

impl std::error::Error for GeoError {}

/// The spatial relation of a geo-query.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Georel {
    /// Within `maxDistance` metres of the point.
    NearMax(f64),
    /// At least `minDistance` metres from the point.
    NearMin(f64),
    Within,
    Contains,
    Intersects,
    Disjoint,
    Equals,
    Overlaps,
}

impl Georel {
    /// Reads `near;maxDistance==2000`, `within`, ...
    pub fn parse(text: &str) -> Result<Georel, GeoError> {
        let bad = |r| GeoError::new("georel", r);
        let text = text.trim();
        if let Some(rest) = text.strip_prefix("near") {
            let rest = rest.strip_prefix(';').ok_or(bad(GeoReason::BadDistance))?;
            let (max, n) = if let Some(n) = rest.strip_prefix("maxDistance==") {
                (true, n)
            } else if let Some(n) = rest.strip_prefix("minDistance==") {
                (false, n)
            } else {
                return Err(bad(GeoReason::BadDistance));
            };
            let n: f64 = n.parse().map_err(|_| bad(GeoReason::BadDistance))?;
            if !n.is_finite() || n <= 0.0 {
                return Err(bad(GeoReason::BadDistance));
            }
            return Ok(if max { Georel::NearMax(n) } else { Georel::NearMin(n) });
        }
        Ok(match text {
            "within" => Georel::Within,
            "contains" => Georel::Contains,
            "intersects" => Georel::Intersects,
            "disjoint" => Georel::Disjoint,
            "equals" => Georel::Equals,
            "overlaps" => Georel::Overlaps,
            _ => return Err(bad(GeoReason::UnknownGeorel)),
        })
    }

    /// The relation as written in a query.
    pub fn to_text(self) -> String {
        match self {
            Georel::NearMax(n) => format!("near;maxDistance=={n}"),
            Georel::NearMin(n) => format!("near;minDistance=={n}"),
            Georel::Within => "within".into(),
            Georel::Contains => "contains".into(),
            Georel::Intersects => "intersects".into(),
            Georel::Disjoint => "disjoint".into(),
            Georel::Equals => "equals".into(),
            Georel::Overlaps => "overlaps".into(),
        }
    }
}

/// A parsed `geoQ`.
#[derive(Clone, Debug, PartialEq)]
pub struct GeoQuery {
    pub georel: Georel,
    pub geometry: Geometry,
    /// The GeoProperty tested, `location` unless the query names another.
    pub geoproperty: String,
}

impl GeoQuery {
    /// From the query string's parameters (already percent-decoded): none of
    /// the three is no geo-query; some but not all is an error.
    pub fn from_params(
        georel: Option<&str>,
        geometry: Option<&str>,
        coordinates: Option<&str>,
        geoproperty: Option<&str>,
    ) -> Result<Option<GeoQuery>, GeoError> {
        match (georel, geometry, coordinates) {
            (None, None, None) => Ok(None),
            (Some(r), Some(g), Some(c)) => {
                let georel = Georel::parse(r)?;
                let coordinates: Json = serde_json::from_str(c).map_err(|e| GeoError {
                    param: "coordinates",
                    reason: GeoReason::NotJson,
                    at: Some(if e.is_eof() { c.len() } else { byte_offset(c, e.line(), e.column()) }),
                })?;
                Ok(Some(GeoQuery::build(georel, g, &coordinates, geoproperty)?))
            }
            (r, g, _) => {
                let missing = if r.is_none() {
                    "georel"
                } else if g.is_none() {
                    "geometry"
                } else {
                    "coordinates"
                };
                Err(GeoError::new(missing, GeoReason::Incomplete))
            }
        }
    }

    /// From a subscription's `geoQ` member (`coordinates` an array, or JSON text).
    pub fn from_json(value: &Json) -> Result<GeoQuery, GeoError> {
        let text = |k: &'static str| value.get(k).and_then(Json::as_str).ok_or(GeoError::new(k, GeoReason::Incomplete));
        let georel = Georel::parse(text("georel")?)?;
        let geometry = text("geometry")?;
        let coordinates = match value.get("coordinates") {
            Some(Json::String(s)) => serde_json::from_str(s).map_err(|_| GeoError::new("coordinates", GeoReason::NotJson))?,
            Some(v) => v.clone(),
            None => return Err(GeoError::new("coordinates", GeoReason::Incomplete)),
        };
        GeoQuery::build(georel, geometry, &coordinates, value.get("geoproperty").and_then(Json::as_str))
    }

    fn build(georel: Georel, geometry: &str, coordinates: &Json, geoproperty: Option<&str>) -> Result<GeoQuery, GeoError> {
        let geometry = Geometry::from_parts(geometry, coordinates)?;
        let geoproperty = match geoproperty.map(str::trim) {
            None => "location".to_string(),
            Some("") => return Err(GeoError::new("geoproperty", GeoReason::BadGeoproperty)),
            Some(p) => p.to_string(),
        };
        Ok(GeoQuery { georel, geometry, geoproperty })
    }

    /// Whether an entity's geometry stands in the query's relation.
    pub fn matches(&self, entity: &Geometry) -> bool {
        let q = &self.geometry;
        match self.georel {
            // Inside the buffer of the reference geometry, or disjoint from it.
            Georel::NearMax(max) => distance(entity, q) <= max,
            Georel::NearMin(min) => distance(entity, q) > min,
            Georel::Within => within(entity, q),
            Georel::Contains => within(q, entity),
            Georel::Intersects => intersects(entity, q),
            Georel::Disjoint => !intersects(entity, q),
            Georel::Equals => entity == q,
            Georel::Overlaps => {
                entity.dimension() == q.dimension()
                    && (entity.dimension() != 1 || lines_share_a_stretch(entity, q))
                    && intersects(entity, q)
                    && !within(entity, q)
                    && !within(q, entity)
            }
        }
    }

    /// Whether an entity (normalised, concise or keyValues JSON) has the
    /// GeoProperty and it stands in the relation; any instance of a
    /// multi-attribute will do.
    pub fn matches_entity(&self, entity: &Json) -> bool {
        let Some(attr) = entity.get(&self.geoproperty) else { return false };
        let instances: Vec<&Json> = match attr {
            Json::Array(items) => items.iter().collect(),
            a => vec![a],
        };
        instances.into_iter().any(|i| {
            let g = i.get("value").unwrap_or(i);
            Geometry::from_geojson(g).is_ok_and(|g| self.matches(&g))
        })
    }
}

/// The byte offset of serde_json's (line, column), both 1-based.
fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    (start + column.saturating_sub(1)).min(text.len())
}

fn position(v: &Json) -> Result<Position, GeoError> {
    let bad = |r| GeoError::new("coordinates", r);
    let items = v.as_array().ok_or(bad(GeoReason::BadCoordinates))?;
    if !(2..=3).contains(&items.len()) {
        return Err(bad(GeoReason::BadCoordinates));
    }
    let lon = items[0].as_f64().ok_or(bad(GeoReason::BadCoordinates))?;
    let lat = items[1].as_f64().ok_or(bad(GeoReason::BadCoordinates))?;
    if items.len() == 3 && !items[2].is_number() {
        return Err(bad(GeoReason::BadCoordinates));
    }
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        return Err(bad(GeoReason::OutOfRange));
    }
    Ok([lon, lat])
}

fn positions(v: &Json) -> Result<Vec<Position>, GeoError> {
    v.as_array().ok_or(GeoError::new("coordinates", GeoReason::BadCoordinates))?.iter().map(position).collect()
}

fn line(v: &Json) -> Result<Vec<Position>, GeoError> {
    let l = positions(v)?;
    if l.len() < 2 {
        return Err(GeoError::new("coordinates", GeoReason::ShortLine));
    }
    Ok(l)
}

fn polygon(v: &Json) -> Result<Vec<Vec<Position>>, GeoError> {
    let rings = v.as_array().ok_or(GeoError::new("coordinates", GeoReason::BadCoordinates))?;
    if rings.is_empty() {
        return Err(GeoError::new("coordinates", GeoReason::BadRing));
    }
    rings
        .iter()
        .map(|r| {
            let ring = positions(r)?;
            if ring.len() < 4 || ring.first() != ring.last() {
                return Err(GeoError::new("coordinates", GeoReason::BadRing));
            }
            Ok(ring)
        })
        .collect()
}

fn many<T>(v: &Json, each: fn(&Json) -> Result<T, GeoError>) -> Result<Vec<T>, GeoError> {
    v.as_array().ok_or(GeoError::new("coordinates", GeoReason::BadCoordinates))?.iter().map(each).collect()
}

impl Geometry {
    /// From a type name and its coordinates, checked (shape, ranges, closed rings).
    pub fn from_parts(kind: &str, coordinates: &Json) -> Result<Geometry, GeoError> {
        Ok(match kind {
            "Point" => Geometry::Point(position(coordinates)?),
            "MultiPoint" => Geometry::MultiPoint(positions(coordinates)?),
            "LineString" => Geometry::LineString(line(coordinates)?),
            "MultiLineString" => Geometry::MultiLineString(many(coordinates, line)?),
            "Polygon" => Geometry::Polygon(polygon(coordinates)?),
            "MultiPolygon" => Geometry::MultiPolygon(many(coordinates, polygon)?),
            _ => return Err(GeoError::new("geometry", GeoReason::UnknownGeometry)),
        })
    }

    /// From a GeoJSON geometry object (`{"type": "Point", "coordinates": [..]}`).
    pub fn from_geojson(value: &Json) -> Result<Geometry, GeoError> {
        let kind = value.get("type").and_then(Json::as_str).ok_or(GeoError::new("geometry", GeoReason::UnknownGeometry))?;
        let coordinates = value.get("coordinates").ok_or(GeoError::new("coordinates", GeoReason::Incomplete))?;
        Geometry::from_parts(kind, coordinates)
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Geometry::Point(_) => "Point",
            Geometry::MultiPoint(_) => "MultiPoint",
            Geometry::LineString(_) => "LineString",
            Geometry::MultiLineString(_) => "MultiLineString",
            Geometry::Polygon(_) => "Polygon",
            Geometry::MultiPolygon(_) => "MultiPolygon",
        }
    }

    /// The GeoJSON object.
    pub fn to_geojson(&self) -> Json {
        let coordinates = match self {
            Geometry::Point(p) => json!(p),
            Geometry::MultiPoint(l) | Geometry::LineString(l) => json!(l),
            Geometry::MultiLineString(l) | Geometry::Polygon(l) => json!(l),
            Geometry::MultiPolygon(l) => json!(l),
        };
        json!({"type": self.type_name(), "coordinates": coordinates})
    }

    pub fn as_point(&self) -> Option<Position> {
        match self {
            Geometry::Point(p) => Some(*p),
            _ => None,
        }
    }

    /// 0 for points, 1 for lines, 2 for areas.
    pub fn dimension(&self) -> u8 {
        match self {
            Geometry::Point(_) | Geometry::MultiPoint(_) => 0,
            Geometry::LineString(_) | Geometry::MultiLineString(_) => 1,
            Geometry::Polygon(_) | Geometry::MultiPolygon(_) => 2,
        }
    }

    /// Every vertex.
    pub fn vertices(&self) -> Vec<Position> {
        match self {
            Geometry::Point(p) => vec![*p],
            Geometry::MultiPoint(l) | Geometry::LineString(l) => l.clone(),
            Geometry::MultiLineString(l) | Geometry::Polygon(l) => l.concat(),
            Geometry::MultiPolygon(l) => l.iter().flat_map(|p| p.concat()).collect(),
        }
    }

    /// Every edge of every line and ring.
    fn segments(&self) -> Vec<(Position, Position)> {
        let lines: Vec<&Vec<Position>> = match self {
            Geometry::Point(_) | Geometry::MultiPoint(_) => vec![],
            Geometry::LineString(l) => vec![l],
            Geometry::MultiLineString(l) | Geometry::Polygon(l) => l.iter().collect(),
            Geometry::MultiPolygon(l) => l.iter().flatten().collect(),
        };
        lines.into_iter().flat_map(|l| l.windows(2).map(|w| (w[0], w[1]))).collect()
    }

    fn polygons(&self) -> Vec<&[Vec<Position>]> {
        match self {
            Geometry::Polygon(p) => vec![p.as_slice()],
            Geometry::MultiPolygon(l) => l.iter().map(Vec::as_slice).collect(),
            _ => vec![],
        }
    }

    pub fn bbox(&self) -> BBox {
        let mut b = BBox { min_lon: f64::INFINITY, min_lat: f64::INFINITY, max_lon: f64::NEG_INFINITY, max_lat: f64::NEG_INFINITY };
        for [lon, lat] in self.vertices() {
            b.min_lon = b.min_lon.min(lon);
            b.min_lat = b.min_lat.min(lat);
            b.max_lon = b.max_lon.max(lon);
            b.max_lat = b.max_lat.max(lat);
        }
        b
    }

    /// Whether the point lies in or on the geometry.
    pub fn covers_point(&self, p: Position) -> bool {
        match self {
            Geometry::Point(q) => *q == p,
            Geometry::MultiPoint(l) => l.contains(&p),
            _ => self.segments().iter().any(|&(a, b)| on_segment(p, a, b)) || self.polygons().iter().any(|poly| in_polygon(p, poly)),
        }
    }
}

/// Great-circle distance in metres between two positions (haversine).
pub fn haversine(a: Position, b: Position) -> f64 {
    let (lat1, lat2) = (a[1].to_radians(), b[1].to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b[0] - a[0]).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// Whether `p` is inside the polygon (outer ring, then holes), boundary included.
pub fn point_in_polygon(p: Position, rings: &[Vec<Position>]) -> bool {
    rings.iter().flat_map(|r| r.windows(2)).any(|w| on_segment(p, w[0], w[1])) || in_polygon(p, rings)
}

/// Even-odd ray casting over the outer ring and its holes.
fn in_polygon(p: Position, rings: &[Vec<Position>]) -> bool {
    let crossings = |ring: &Vec<Position>| {
        let mut inside = false;
        for w in ring.windows(2) {
            let ([x1, y1], [x2, y2]) = (w[0], w[1]);
            if (y1 > p[1]) != (y2 > p[1]) && p[0] < (x2 - x1) * (p[1] - y1) / (y2 - y1) + x1 {
                inside = !inside;
            }
        }
        inside
    };
    match rings.split_first() {
        Some((outer, holes)) => crossings(outer) && !holes.iter().any(crossings),
        None => false,
    }
}

const EPS: f64 = 1e-12;

fn cross(o: Position, a: Position, b: Position) -> f64 {
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
}

fn on_segment(p: Position, a: Position, b: Position) -> bool {
    cross(a, b, p).abs() <= EPS * (1.0 + (b[0] - a[0]).abs() + (b[1] - a[1]).abs())
        && p[0] >= a[0].min(b[0]) - EPS
        && p[0] <= a[0].max(b[0]) + EPS
        && p[1] >= a[1].min(b[1]) - EPS
        && p[1] <= a[1].max(b[1]) + EPS
}

/// Whether segments ab and cd share a point; `proper` asks for a crossing
/// inside both (not a touch at an end).
fn segments_meet(a: Position, b: Position, c: Position, d: Position, proper: bool) -> bool {
    let (d1, d2, d3, d4) = (cross(c, d, a), cross(c, d, b), cross(a, b, c), cross(a, b, d));
    let crossing = ((d1 > EPS && d2 < -EPS) || (d1 < -EPS && d2 > EPS)) && ((d3 > EPS && d4 < -EPS) || (d3 < -EPS && d4 > EPS));
    if proper {
        return crossing;
    }
    crossing || on_segment(a, c, d) || on_segment(b, c, d) || on_segment(c, a, b) || on_segment(d, a, b)
}

/// Whether the two geometries share at least one point.
pub fn intersects(a: &Geometry, b: &Geometry) -> bool {
    if !a.bbox().intersects(&b.bbox()) {
        return false;
    }
    if a.vertices().iter().any(|&p| b.covers_point(p)) || b.vertices().iter().any(|&p| a.covers_point(p)) {
        return true;
    }
    let sb = b.segments();
    a.segments().iter().any(|&(p, q)| sb.iter().any(|&(r, s)| segments_meet(p, q, r, s, false)))
}

/// Whether two lines run together for a stretch (collinear edges that share
/// more than a point), what `overlaps` needs of lines beyond crossing.
fn lines_share_a_stretch(a: &Geometry, b: &Geometry) -> bool {
    let sb = b.segments();
    a.segments().iter().any(|&(p, q)| {
        sb.iter().any(|&(r, s)| {
            let collinear = cross(r, s, p).abs() <= EPS && cross(r, s, q).abs() <= EPS;
            let inner = [p, q]
                .into_iter()
                .filter(|&x| on_segment(x, r, s))
                .chain([r, s].into_iter().filter(|&x| on_segment(x, p, q)))
                .collect::<Vec<_>>();
            collinear && inner.iter().any(|x| inner.iter().any(|y| x != y))
        })
    })
}

/// Whether `a` lies inside `b` (every vertex of `a` in or on `b`, and no edge
/// of `a` crossing `b`'s boundary).
pub fn within(a: &Geometry, b: &Geometry) -> bool {
    if !a.vertices().iter().all(|&p| b.covers_point(p)) {
        return false;
    }
    if b.dimension() < 2 {
        return b.dimension() >= a.dimension();
    }
    let sb = b.segments();
    !a.segments().iter().any(|&(p, q)| sb.iter().any(|&(r, s)| segments_meet(p, q, r, s, true)))
}

/// Shortest distance in metres between two geometries: 0 if they meet,
/// else the least distance from a vertex of one to the other (where the
/// nearest points of two shapes that do not meet always lie).
pub fn distance(a: &Geometry, b: &Geometry) -> f64 {
    if let Some(p) = a.as_point() {
        return distance_to(p, b);
    }
    if intersects(a, b) {
        return 0.0;
    }
    let one = a.vertices().into_iter().map(|p| distance_to(p, b));
    let other = b.vertices().into_iter().map(|p| distance_to(p, a));
    one.chain(other).fold(f64::INFINITY, f64::min)
}

/// Shortest distance in metres from a point to a geometry (0 inside an area
/// or on a line), the nearest point on each edge found in a local
/// equirectangular projection around `p`.
pub fn distance_to(p: Position, g: &Geometry) -> f64 {
    if g.covers_point(p) {
        return 0.0;
    }
    let k = p[1].to_radians().cos();
    let mut best = g.vertices().into_iter().map(|v| haversine(p, v)).fold(f64::INFINITY, f64::min);
    for (a, b) in g.segments() {
        let (ax, ay, bx, by) = ((a[0] - p[0]) * k, a[1] - p[1], (b[0] - p[0]) * k, b[1] - p[1]);
        let (dx, dy) = (bx - ax, by - ay);
        let len = dx * dx + dy * dy;
        if len > 0.0 {
            let t = (-(ax * dx + ay * dy) / len).clamp(0.0, 1.0);
            let nearest = [p[0] + (ax + t * dx) / k, p[1] + ay + t * dy];
            best = best.min(haversine(p, nearest));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(georel: &str, geometry: &str, coordinates: &str) -> Result<GeoQuery, GeoError> {
        GeoQuery::from_params(Some(georel), Some(geometry), Some(coordinates), None).map(Option::unwrap)
    }

    /// Bojonegoro's town square and a box around the town.
    const ALUN_ALUN: Position = [111.8816, -7.1502];
    const TOWN: &str = "[[[111.85,-7.18],[111.92,-7.18],[111.92,-7.12],[111.85,-7.12],[111.85,-7.18]]]";

    #[test]
    fn parses_the_parameters() {
        let g = q("near;maxDistance==2000", "Point", "[111.8816,-7.1502]").unwrap();
        assert_eq!(g.georel, Georel::NearMax(2000.0));
        assert_eq!(g.geometry, Geometry::Point(ALUN_ALUN));
        assert_eq!(g.geoproperty, "location");
        assert_eq!(Georel::parse("near;minDistance==5").unwrap(), Georel::NearMin(5.0));
        assert_eq!(q("within", "Polygon", TOWN).unwrap().georel, Georel::Within);
        let with_prop = GeoQuery::from_params(Some("intersects"), Some("Point"), Some("[1,2]"), Some("observationSpace")).unwrap().unwrap();
        assert_eq!(with_prop.geoproperty, "observationSpace");
        assert_eq!(GeoQuery::from_params(None, None, None, None), Ok(None));
        let sub = GeoQuery::from_json(&json!({"georel": "within", "geometry": "Polygon", "coordinates": TOWN})).unwrap();
        assert_eq!(sub.geometry.type_name(), "Polygon");
        assert_eq!(Georel::NearMax(2000.0).to_text(), "near;maxDistance==2000");
    }

    #[test]
    fn refuses_clearly() {
        let reason = |r: Result<GeoQuery, GeoError>| r.unwrap_err().reason;
        assert_eq!(reason(q("near", "Point", "[1,2]")), GeoReason::BadDistance);
        assert_eq!(reason(q("near;maxDistance==-1", "Point", "[1,2]")), GeoReason::BadDistance);
        assert_eq!(reason(q("near;minDistance==0", "Point", "[1,2]")), GeoReason::BadDistance);
        assert_eq!(reason(q("around", "Point", "[1,2]")), GeoReason::UnknownGeorel);
        assert_eq!(reason(q("within", "Circle", "[1,2]")), GeoReason::UnknownGeometry);
        assert_eq!(reason(q("within", "Point", "[1]")), GeoReason::BadCoordinates);
        assert_eq!(reason(q("within", "Point", "[200,2]")), GeoReason::OutOfRange);
        assert_eq!(reason(q("within", "Polygon", "[[[0,0],[1,0],[1,1],[0,1]]]")), GeoReason::BadRing);
        assert_eq!(reason(q("within", "LineString", "[[0,0]]")), GeoReason::ShortLine);
        let e = q("within", "Point", "[1, 2").unwrap_err();
        assert_eq!((e.param, e.reason, e.at), ("coordinates", GeoReason::NotJson, Some(5)));
        let e = GeoQuery::from_params(Some("within"), None, Some("[1,2]"), None).unwrap_err();
        assert_eq!((e.param, e.reason), ("geometry", GeoReason::Incomplete));
        assert_eq!(e.to_string(), "geoQ: geometry is invalid (incomplete)");
    }

    #[test]
    fn distances() {
        // One degree of latitude is about 111.2 km.
        let d = haversine([0.0, 0.0], [0.0, 1.0]);
        assert!((d - 111_195.0).abs() < 10.0, "{d}");
        // Bojonegoro to Cepu, about 33 km.
        let d = haversine(ALUN_ALUN, [111.5936, -7.1493]);
        assert!((31_000.0..33_000.0).contains(&d), "{d}");
        let line = Geometry::LineString(vec![[0.0, -1.0], [0.0, 1.0]]);
        let d = distance_to([0.01, 0.0], &line);
        assert!((d - 1_112.0).abs() < 2.0, "{d}");
        assert_eq!(distance_to([111.9, -7.15], &Geometry::Polygon(polygon(&serde_json::from_str(TOWN).unwrap()).unwrap())), 0.0);
    }

    #[test]
    fn relations() {
        let town = q("within", "Polygon", TOWN).unwrap();
        let square = Geometry::Point(ALUN_ALUN);
        let cepu = Geometry::Point([111.5936, -7.1493]);
        assert!(town.matches(&square));
        assert!(!town.matches(&cepu));
        let near = q("near;maxDistance==5000", "Point", "[111.8816,-7.1502]").unwrap();
        assert!(near.matches(&Geometry::Point([111.9, -7.16])));
        assert!(!near.matches(&cepu));
        let far = q("near;minDistance==5000", "Point", "[111.8816,-7.1502]").unwrap();
        assert!(far.matches(&cepu));
        // Near a polygon: within 5 km of the town's box, wherever in it.
        let near_town = q("near;maxDistance==5000", "Polygon", TOWN).unwrap();
        assert!(near_town.matches(&Geometry::Point([111.95, -7.15])));
        assert!(!near_town.matches(&cepu));
        let cepu_road = Geometry::LineString(vec![[111.55, -7.15], [111.60, -7.15]]);
        let d = distance(&cepu_road, &town.geometry);
        assert!((27_400.0..27_700.0).contains(&d), "{d}");
        // A road crossing the town's box intersects it without a vertex inside.
        let road = Geometry::LineString(vec![[111.80, -7.15], [111.95, -7.15]]);
        assert!(q("intersects", "Polygon", TOWN).unwrap().matches(&road));
        assert!(!q("within", "Polygon", TOWN).unwrap().matches(&road));
        assert!(!q("overlaps", "LineString", "[[111.9,-7.2],[111.9,-7.1]]").unwrap().matches(&road));
        assert!(q("overlaps", "LineString", "[[111.9,-7.15],[112.0,-7.15]]").unwrap().matches(&road));
        assert!(q("disjoint", "Polygon", TOWN).unwrap().matches(&cepu));
        assert!(q("contains", "Point", "[111.8816,-7.1502]").unwrap().matches(&town.geometry));
        assert!(q("equals", "Point", "[111.8816,-7.1502]").unwrap().matches(&square));
        // Two boxes that half overlap.
        let east =
            Geometry::from_parts("Polygon", &json!([[[111.9, -7.18], [112.0, -7.18], [112.0, -7.12], [111.9, -7.12], [111.9, -7.18]]]))
                .unwrap();
        assert!(q("overlaps", "Polygon", TOWN).unwrap().matches(&east));
        // A hole is outside.
        let holed = Geometry::from_parts(
            "Polygon",
            &json!([[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]], [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]]),
        )
        .unwrap();
        assert!(holed.covers_point([1.0, 1.0]));
        assert!(!holed.covers_point([5.0, 5.0]));
        assert!(holed.covers_point([10.0, 5.0]));
        assert_eq!(holed.bbox(), BBox { min_lon: 0.0, min_lat: 0.0, max_lon: 10.0, max_lat: 10.0 });
        assert!(holed.bbox().grown(1000.0).contains([-0.005, 0.0]));
    }

    #[test]
    fn tests_entities() {
        let near = q("near;maxDistance==5000", "Point", "[111.8816,-7.1502]").unwrap();
        let normalised = json!({"id": "urn:x:1", "type": "WaterObserved", "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [111.88, -7.15]}}});
        let key_values = json!({"id": "urn:x:1", "type": "WaterObserved", "location": {"type": "Point", "coordinates": [111.88, -7.15]}});
        assert!(near.matches_entity(&normalised));
        assert!(near.matches_entity(&key_values));
        assert!(!near.matches_entity(&json!({"id": "urn:x:2", "type": "T"})));
        assert_eq!(Geometry::from_geojson(&normalised["location"]["value"]).unwrap().to_geojson(), normalised["location"]["value"]);
    }
}
