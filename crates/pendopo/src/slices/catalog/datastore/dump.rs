//! CKAN's `/datastore/dump`: a whole table (or a slice of it) as CSV, TSV,
//! JSON or XML, in the layouts CKAN 2.10's datastore writes, `_id` first,
//! streamed page by page so memory stays flat whatever the table's size.
//!
//! The layouts, as CKAN writes them: CSV and TSV are a header row of the
//! column names, then the rows; JSON is `{"fields": [...], "records": [...]}`
//! with each record a list in the fields' order; XML is a `<data>` root with
//! one `<row _id="n">` per row and one element per column, `xsi:nil` for an
//! empty cell. A UTF-8 byte order mark comes first when `bom` is asked for
//! (Excel needs it to read a CSV as UTF-8).

use serde_json::Value as Json;
use tokio::io::AsyncWriteExt;

use super::{Search, Table, ckan_fields, search};
use crate::store::Store;

/// Rows read per statement: large enough to keep the round trips few,
/// small enough that a page is a few megabytes at most.
const PAGE: i64 = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DumpFormat {
    Csv,
    Tsv,
    Json,
    Xml,
}

impl DumpFormat {
    pub fn parse(name: &str) -> Option<DumpFormat> {
        Some(match name {
            "csv" => DumpFormat::Csv,
            "tsv" => DumpFormat::Tsv,
            "json" => DumpFormat::Json,
            "xml" => DumpFormat::Xml,
            _ => return None,
        })
    }

    pub fn extension(self) -> &'static str {
        match self {
            DumpFormat::Csv => "csv",
            DumpFormat::Tsv => "tsv",
            DumpFormat::Json => "json",
            DumpFormat::Xml => "xml",
        }
    }

    /// CKAN's content types for its dump formats.
    pub fn content_type(self) -> &'static str {
        match self {
            DumpFormat::Csv => "text/csv; charset=utf-8",
            DumpFormat::Tsv => "text/tab-separated-values; charset=utf-8",
            DumpFormat::Json => "application/json; charset=utf-8",
            DumpFormat::Xml => "text/xml; charset=utf-8",
        }
    }
}

/// What to dump: rows `offset..offset + limit` in `_id` order.
#[derive(Debug, Clone)]
pub struct Dump {
    pub format: DumpFormat,
    pub offset: i64,
    pub limit: Option<i64>,
    pub bom: bool,
}

/// The dump as a response body, written by a task as it reads the table.
/// The first page goes by `offset`, the rest by `_id` (keyset), so a dump
/// of a million rows costs each page the same.
pub fn dump(store: Store, table: Table, d: Dump) -> axum::body::Body {
    let (mut writer, reader) = tokio::io::duplex(64 * 1024);
    tokio::spawn(async move {
        let mut remaining = d.limit;
        let mut query = Search { limit: 0, offset: d.offset, ..Default::default() };
        let mut shape: Option<Shape> = None;
        loop {
            query.limit = remaining.map_or(PAGE, |r| r.min(PAGE));
            let found = match search(&store, &table, &query).await {
                Ok(f) => f,
                Err(e) => {
                    // The body ends short; JSON and XML readers notice.
                    tracing::error!(error = %e, "datastore dump stopped");
                    return;
                }
            };
            let shape = shape.get_or_insert_with(|| Shape::new(d.format, &found.fields.iter().map(|f| f.id.clone()).collect::<Vec<_>>()));
            let mut bytes = Vec::new();
            if !shape.started {
                shape.start(&mut bytes, &ckan_fields(&found.fields), d.bom);
            }
            for row in &found.records {
                shape.row(&mut bytes, row);
            }
            if writer.write_all(&bytes).await.is_err() {
                return;
            }
            let n = found.records.len() as i64;
            remaining = remaining.map(|r| r - n);
            if n < query.limit || remaining == Some(0) {
                break;
            }
            query.offset = 0;
            query.after_id = found.records.last().and_then(|r| r.first()).and_then(Json::as_i64);
        }
        let mut end = Vec::new();
        if let Some(shape) = &shape {
            shape.end(&mut end);
        }
        let _ = writer.write_all(&end).await;
    });
    axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(reader))
}

/// One format's framing: what comes before, between and after the rows.
struct Shape {
    format: DumpFormat,
    /// XML element names for the columns after `_id`.
    elements: Vec<String>,
    started: bool,
    first_row: bool,
}

impl Shape {
    fn new(format: DumpFormat, names: &[String]) -> Shape {
        let mut elements: Vec<String> = Vec::new();
        for name in names.iter().skip(1) {
            let base = xml_name(name);
            let mut unique = base.clone();
            let mut n = 0;
            while elements.contains(&unique) {
                unique = format!("{base}_{n}");
                n += 1;
            }
            elements.push(unique);
        }
        Shape { format, elements, started: false, first_row: true }
    }

    fn start(&mut self, out: &mut Vec<u8>, fields: &[Json], bom: bool) {
        self.started = true;
        if bom {
            out.extend_from_slice("\u{feff}".as_bytes());
        }
        let names = fields.iter().map(|f| f["id"].as_str().unwrap_or_default());
        match self.format {
            DumpFormat::Csv => out.extend(crate::web::format::csv_line(names, b',')),
            DumpFormat::Tsv => out.extend(crate::web::format::csv_line(names, b'\t')),
            DumpFormat::Json => {
                out.extend_from_slice(b"{\n  \"fields\": ");
                out.extend(serde_json::to_vec(fields).unwrap_or_default());
                out.extend_from_slice(b",\n  \"records\": [");
            }
            DumpFormat::Xml => out.extend_from_slice(b"<data xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n"),
        }
    }

    fn row(&mut self, out: &mut Vec<u8>, row: &[Json]) {
        use crate::web::format::{cell_text, csv_line};
        match self.format {
            DumpFormat::Csv => out.extend(csv_line(row.iter().map(cell_text), b',')),
            DumpFormat::Tsv => out.extend(csv_line(row.iter().map(cell_text), b'\t')),
            DumpFormat::Json => {
                out.extend_from_slice(if self.first_row { b"\n    " } else { b",\n    " });
                out.extend(serde_json::to_vec(row).unwrap_or_default());
            }
            DumpFormat::Xml => {
                let id = row.first().map(cell_text).unwrap_or_default();
                out.extend_from_slice(format!("<row _id=\"{}\">", xml_text(&id)).as_bytes());
                for (name, v) in self.elements.iter().zip(row.iter().skip(1)) {
                    if v.is_null() {
                        out.extend_from_slice(format!("<{name} xsi:nil=\"true\" />").as_bytes());
                    } else {
                        out.extend_from_slice(format!("<{name}>{}</{name}>", xml_text(&cell_text(v))).as_bytes());
                    }
                }
                out.extend_from_slice(b"</row>\n");
            }
        }
        self.first_row = false;
    }

    fn end(&self, out: &mut Vec<u8>) {
        match self.format {
            DumpFormat::Csv | DumpFormat::Tsv => {}
            DumpFormat::Json => out.extend_from_slice(b"\n]}\n"),
            DumpFormat::Xml => out.extend_from_slice(b"</data>\n"),
        }
    }
}

/// Text as XML character data or attribute value: escaped, and without the
/// control characters XML 1.0 cannot carry at all.
fn xml_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// A column name as an XML element name. CKAN uses the name as it is, which
/// breaks the document for a name with a space (common in uploaded
/// sheets); here spaces become `_`, other characters a name cannot hold are
/// dropped, and a name that would start with a digit, `.`, `-` or `xml`
/// (reserved) gets a leading `_`.
fn xml_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .filter_map(|c| match c {
            c if c.is_whitespace() => Some('_'),
            c if c.is_alphanumeric() || matches!(c, '_' | '-' | '.') => Some(c),
            _ => None,
        })
        .collect();
    let bad_start = out.chars().next().is_none_or(|c| !(c.is_alphabetic() || c == '_'));
    if bad_start || out.to_ascii_lowercase().starts_with("xml") {
        out.insert(0, '_');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_become_valid_element_names() {
        assert_eq!(xml_name("luas panen (ha)"), "luas_panen_ha");
        assert_eq!(xml_name("2024"), "_2024");
        assert_eq!(xml_name("XMLdata"), "_XMLdata");
        assert_eq!(xml_name(""), "_");
        assert_eq!(xml_name("kecamatan"), "kecamatan");
        let shape = Shape::new(DumpFormat::Xml, &["_id".into(), "a b".into(), "a_b".into()]);
        assert_eq!(shape.elements, ["a_b", "a_b_0"]);
        assert_eq!(xml_text("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
    }
}
