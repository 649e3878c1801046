//! Reading an SP4N-LAPOR! export (CSV or XLSX, through `tabular`) into
//! rows ready to file, or every row's problem. No database here: the
//! caller hands over the region's services and agencies.
//!
//! Columns are found by their header, compared without case, spaces or
//! punctuation, under the names LAPOR! exports and the regions' own sheets
//! use (see [`COLUMNS`]): the tracking id (`No. Tiket`, `Tracking ID`, ...)
//! and the text (`Isi Laporan`, or at least a `Judul`) are required, the
//! date (`Tanggal Laporan`, ...) too; category, agency (`Instansi`),
//! status and location are optional. Other columns are ignored.
//!
//! A row's service: the category naming a service (its code or name), else
//! the agency naming one of the region's agencies that has exactly one
//! service, else the default service chosen for the import; none of them:
//! the row's problem. Its place: the location as a kecamatan or desa code
//! of the region, or the name of one of its kecamatan; else none.

use std::collections::HashMap;

use tabular::{Cell, ColumnType, Options};

use super::cases::{self, Place};
use super::model::Service;
use crate::kernel::msg::Msg;
use crate::kernel::organizations::Organization;

/// What a column means, and the headers that name it (as [`key`]s).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Field {
    TrackingId,
    Date,
    Title,
    Text,
    Category,
    Agency,
    Status,
    Location,
}

/// The headers each column goes by, as written (compared as [`key`]s).
pub const COLUMNS: [(Field, &[&str]); 8] = [
    (
        Field::TrackingId,
        &[
            "No. Tiket",
            "Nomor Tiket",
            "Tiket",
            "Tracking ID",
            "ID Tracking",
            "No. Laporan",
            "Nomor Laporan",
            "ID Laporan",
            "Kode Laporan",
            "ID",
        ],
    ),
    (
        Field::Date,
        &["Tanggal", "Tanggal Laporan", "Tgl Laporan", "Tanggal Masuk", "Tanggal Dibuat", "Waktu", "Waktu Laporan", "Date", "Created At"],
    ),
    (Field::Title, &["Judul", "Judul Laporan", "Title", "Subject"]),
    (Field::Text, &["Isi", "Isi Laporan", "Laporan", "Uraian", "Deskripsi", "Description", "Text", "Content"]),
    (Field::Category, &["Kategori", "Kategori Laporan", "Category", "Topik", "Topic"]),
    (
        Field::Agency,
        &["Instansi", "Instansi Tujuan", "Instansi Terdisposisi", "Disposisi", "Agency", "Unit Kerja", "OPD", "Perangkat Daerah"],
    ),
    (Field::Status, &["Status", "Status Laporan"]),
    (Field::Location, &["Lokasi", "Location", "Kode Wilayah", "Wilayah", "Kecamatan", "Desa"]),
];

/// A header or name as compared: lower case letters and digits only.
pub fn key(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// One problem of the file: the row (the file's line or sheet row; 0 for
/// the file as a whole), the column as headed in the file, and why.
#[derive(Debug, Clone)]
pub struct Problem {
    pub row: u64,
    pub column: String,
    pub msg: Msg,
}

/// A row ready to file.
#[derive(Debug)]
pub struct Row {
    pub tracking_id: String,
    pub filed_at: i64,
    pub description: String,
    /// Index into the services handed to [`read`].
    pub service: usize,
    pub place: Option<Place>,
}

/// The file's header and rows of cells (each with its line).
type Table = (Vec<String>, Vec<(u64, Vec<Cell>)>);

fn whole_file(e: &tabular::ImportError) -> Problem {
    Problem {
        row: e.line,
        column: e.column.clone().unwrap_or_default(),
        msg: Msg::new("layanan.impor.unreadable").arg("reason", &e.reason),
    }
}

/// Reads a CSV or XLSX file (told apart by content: an XLSX is a zip) into
/// its header and cells: dates and timestamps typed, everything else as
/// written (a tracking id keeps its zeros).
fn table(bytes: &[u8], offset_minutes: i32) -> Result<Table, tabular::ImportError> {
    let options = Options { naive_offset_minutes: offset_minutes, ..Options::default() };
    let as_written = |schema: &mut tabular::Schema| {
        for c in &mut schema.columns {
            if !matches!(c.ty, ColumnType::Date | ColumnType::Timestamp) {
                c.ty = ColumnType::Text;
            }
        }
    };
    let mut rows = Vec::new();
    let header;
    if bytes.starts_with(b"PK\x03\x04") {
        let mut book = tabular::Workbook::open_with(bytes, &options)?;
        let mut schema = book.analyze(&tabular::SheetSelector::First, &options)?;
        as_written(&mut schema);
        header = schema.columns.iter().map(|c| c.original_name.clone()).collect();
        let mut reader = book.reader(&schema)?;
        while let Some(batch) = reader.next_batch(1000)? {
            rows.extend(batch.rows().enumerate().map(|(i, r)| (batch.line(i).unwrap_or(0), r.to_vec())));
        }
    } else {
        let mut schema = tabular::analyze_csv(bytes, &options)?;
        as_written(&mut schema);
        header = schema.columns.iter().map(|c| c.original_name.clone()).collect();
        let mut reader = tabular::CsvReader::new(bytes, &schema, None)?;
        while let Some(batch) = reader.next_batch(1000)? {
            rows.extend(batch.rows().enumerate().map(|(i, r)| (batch.line(i).unwrap_or(0), r.to_vec())));
        }
    }
    Ok((header, rows))
}

fn text(cell: &Cell) -> String {
    match cell {
        Cell::Null => String::new(),
        Cell::Text(t) => t.trim().to_string(),
        Cell::Int(n) => n.to_string(),
        Cell::Num(n) => n.to_string(),
        Cell::Bool(b) => b.to_string(),
        Cell::Date(d) => d.to_string(),
        Cell::Timestamp(ms) => ms.to_string(),
    }
}

/// A date written `YYYY-MM-DD` or `DD/MM/YYYY` (or `DD-MM-YYYY`), maybe
/// with `HH:MM[:SS]` after it, in the region's zone: milliseconds.
fn written_time(text: &str, offset_minutes: i32) -> Option<i64> {
    let (date, time) = text.trim().split_once([' ', 'T']).map_or((text.trim(), ""), |(d, t)| (d, t.trim()));
    let parts: Vec<&str> = date.split(['-', '/', '.']).collect();
    let [a, b, c] = parts[..] else { return None };
    let (y, m, d) = if a.len() == 4 { (a, b, c) } else { (c, b, a) };
    let date = kalender::Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()?;
    let mut seconds = 0i64;
    if !time.is_empty() {
        let t: Vec<i64> = time.split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?;
        let (h, min, s) = match t[..] {
            [h, m] => (h, m, 0),
            [h, m, s] => (h, m, s),
            _ => return None,
        };
        if !(0..24).contains(&h) || !(0..60).contains(&min) || !(0..61).contains(&s) {
            return None;
        }
        seconds = h * 3600 + min * 60 + s;
    }
    Some((date.days_since_epoch() * 86_400 + seconds - i64::from(offset_minutes) * 60) * 1000)
}

fn time_of(cell: &Cell, offset_minutes: i32) -> Option<i64> {
    match cell {
        Cell::Timestamp(ms) => Some(*ms),
        Cell::Date(d) => Some((i64::from(d.days_since_epoch()) * 86_400 - i64::from(offset_minutes) * 60) * 1000),
        Cell::Text(t) => written_time(t, offset_minutes),
        _ => None,
    }
}

/// What [`read`] matches rows against.
pub struct Region<'a> {
    pub code: wilayah::Code,
    pub services: &'a [Service],
    pub agencies: &'a [Organization],
    /// Index into `services`: the import's default service.
    pub default_service: Option<usize>,
    pub offset_minutes: i32,
    /// Now (ms): a date after it is the file's clock, not a report.
    pub now: i64,
}

impl Region<'_> {
    fn service(&self, category: &str, agency: &str) -> Option<usize> {
        let category = key(category);
        let by_category = (!category.is_empty())
            .then(|| self.services.iter().position(|s| key(&s.code) == category || key(&s.name) == category))
            .flatten();
        let agency = key(agency);
        let by_agency = || {
            let org =
                self.agencies.iter().filter(|o| (key(&o.name).len() >= 3 && agency.contains(&key(&o.name))) || key(&o.slug) == agency);
            // The longest name that fits: "Dinas Kesehatan" before "Dinas".
            let org = org.max_by_key(|o| o.name.len())?;
            let mut theirs = self.services.iter().enumerate().filter(|(_, s)| s.agency.id == org.id);
            match (theirs.next(), theirs.next()) {
                (Some((i, _)), None) => Some(i),
                _ => None,
            }
        };
        by_category.or_else(|| (!agency.is_empty()).then(by_agency).flatten()).or(self.default_service)
    }

    fn place(&self, location: &str) -> Option<Place> {
        let location = location.trim();
        if location.is_empty() {
            return None;
        }
        if let Some(p) = Place::within(&self.code, location) {
            return Some(p);
        }
        let wanted = key(location.trim_start_matches("Kec.").trim_start_matches("Kecamatan"));
        wilayah::Directory::embedded()
            .children_of(&self.code)
            .find(|k| wanted.starts_with(&key(&k.name)) && !k.name.is_empty())
            .map(|k| Place { desa_code: None, kecamatan_code: k.code.to_string() })
    }
}

/// Reads the file: every row ready to file, or every problem of every row.
pub fn read(bytes: &[u8], region: &Region<'_>) -> Result<Vec<Row>, Vec<Problem>> {
    let (header, cells) = table(bytes, region.offset_minutes).map_err(|e| vec![whole_file(&e)])?;
    let mut at: HashMap<Field, usize> = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        let k = key(h);
        if let Some((field, _)) = COLUMNS.iter().find(|(_, names)| names.iter().any(|n| key(n) == k)) {
            at.entry(*field).or_insert(i);
        }
    }
    let mut problems = Vec::new();
    for (field, names) in [(Field::TrackingId, "No. Tiket / Tracking ID"), (Field::Date, "Tanggal Laporan")] {
        if !at.contains_key(&field) {
            problems.push(Problem { row: 1, column: names.into(), msg: Msg::new("layanan.impor.column_missing") });
        }
    }
    if !at.contains_key(&Field::Text) && !at.contains_key(&Field::Title) {
        problems.push(Problem { row: 1, column: "Isi Laporan / Judul".into(), msg: Msg::new("layanan.impor.column_missing") });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if cells.is_empty() {
        return Err(vec![Problem { row: 0, column: String::new(), msg: Msg::new("layanan.impor.empty") }]);
    }
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut rows = Vec::new();
    for (line, row) in &cells {
        let get = |f: Field| at.get(&f).map(|i| text(&row[*i])).unwrap_or_default();
        let mut problem = |f: Field, msg: Msg| {
            let column = at.get(&f).map(|i| header[*i].clone()).unwrap_or_default();
            problems.push(Problem { row: *line, column, msg });
        };
        let tracking_id = get(Field::TrackingId);
        if tracking_id.is_empty() || tracking_id.chars().count() > 100 || !crate::kernel::text::is_plain(&tracking_id) {
            problem(Field::TrackingId, Msg::new("layanan.impor.id_invalid"));
        } else if let Some(first) = seen.insert(tracking_id.clone(), *line) {
            problem(Field::TrackingId, Msg::new("layanan.impor.id_twice").arg("id", &tracking_id).arg("row", first));
        }
        let filed_at = time_of(&row[at[&Field::Date]], region.offset_minutes);
        if filed_at.is_none() {
            problem(Field::Date, Msg::new("layanan.impor.date_invalid").arg("value", get(Field::Date)));
        }
        let (title, body) = (get(Field::Title), get(Field::Text));
        let joined = [title, body].into_iter().filter(|t| !t.is_empty()).collect::<Vec<_>>().join("\n\n");
        let description =
            cases::checked_text(&joined).map_err(|m| problem(if at.contains_key(&Field::Text) { Field::Text } else { Field::Title }, m));
        let service = region.service(&get(Field::Category), &get(Field::Agency));
        if service.is_none() {
            let msg = Msg::new("layanan.impor.service_unknown").arg("category", get(Field::Category)).arg("agency", get(Field::Agency));
            problem(if at.contains_key(&Field::Category) { Field::Category } else { Field::Agency }, msg);
        }
        if let (Some(filed_at), Ok(description), Some(service)) = (filed_at, description, service) {
            let place = region.place(&get(Field::Location));
            rows.push(Row { tracking_id, filed_at: filed_at.min(region.now), description, service, place });
        }
    }
    if problems.is_empty() { Ok(rows) } else { Err(problems) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_compared_without_case_or_punctuation() {
        assert_eq!(key("No. Tiket"), "notiket");
        assert_eq!(key(" Tracking-ID "), "trackingid");
        assert_eq!(key("Isi Laporan"), "isilaporan");
    }

    #[test]
    fn written_times_are_in_the_region_zone() {
        // 4 December 2026, 09:00 WIB = 02:00 UTC.
        let nine = 1_796_349_600_000;
        assert_eq!(written_time("2026-12-04 09:00", 420), Some(nine));
        assert_eq!(written_time("04/12/2026 09:00:00", 420), Some(nine));
        assert_eq!(written_time("04-12-2026", 420), Some(nine - 9 * 3_600_000));
        for bad in ["", "kemarin", "31/02/2026", "2026-12-04 25:00", "12/2026"] {
            assert_eq!(written_time(bad, 420), None, "{bad}");
        }
    }
}
