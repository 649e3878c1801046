//! XLSX and ODS workbooks, generated here as minimal zip archives (calamine
//! only reads), and an XLS file written by xlwt (`fixtures/small.xls`).

use std::io::{Cursor, Write};

use tabular::{Cell, ColumnType, Date, ErrorKind, Options, SheetFormat, SheetSelector, Workbook};

use crate::{read_all, rows, text};

fn zip(files: &[(&str, String)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    // Stored, not deflated: the ODS mimetype entry must be, and it keeps the fixture trivial.
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, body) in files {
        writer.start_file(*name, options).unwrap();
        writer.write_all(body.as_bytes()).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

const MAIN_NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const PKG_REL_NS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";

/// An XLSX cell: `s` inline string, `n` number, `d` date (style 1, numFmt 14), `t` date-time
/// (style 2, numFmt 22), `b` boolean, `e` error.
fn c(r: &str, kind: char, v: &str) -> String {
    match kind {
        's' => format!(r#"<c r="{r}" t="inlineStr"><is><t>{v}</t></is></c>"#),
        'n' => format!(r#"<c r="{r}"><v>{v}</v></c>"#),
        'd' => format!(r#"<c r="{r}" s="1"><v>{v}</v></c>"#),
        't' => format!(r#"<c r="{r}" s="2"><v>{v}</v></c>"#),
        'b' => format!(r#"<c r="{r}" t="b"><v>{v}</v></c>"#),
        'e' => format!(r#"<c r="{r}" t="e"><v>{v}</v></c>"#),
        _ => unreachable!(),
    }
}

fn sheet_xml(rows: &[(u32, Vec<String>)]) -> String {
    let body: String = rows.iter().map(|(r, cells)| format!(r#"<row r="{r}">{}</row>"#, cells.concat())).collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{MAIN_NS}"><sheetData>{body}</sheetData></worksheet>"#
    )
}

fn xlsx() -> Vec<u8> {
    let header: Vec<String> = ["kode", "nama", "jumlah", "rasio", "tanggal", "waktu", "aktif", "ket"]
        .iter()
        .zip('A'..)
        .map(|(h, col)| c(&format!("{col}1"), 's', h))
        .collect();
    let data = sheet_xml(&[
        (1, header),
        (
            2,
            vec![
                c("A2", 'n', "3201"),
                c("B2", 's', "Bogor"),
                c("C2", 'n', "1250"),
                c("D2", 'n', "0.5"),
                c("E2", 'd', "45322"),
                c("F2", 't', "45322.5"),
                c("G2", 'b', "1"),
                c("H2", 'e', "#N/A"),
            ],
        ),
        (
            3,
            vec![
                c("A3", 'n', "3202"),
                c("B3", 's', "Cianjur"),
                c("C3", 'n', "2000"),
                c("D3", 'n', "2"),
                c("F3", 't', "45323"),
                c("G3", 'b', "0"),
                c("H3", 's', "ok"),
            ],
        ),
        (4, vec![c("A4", 's', "  ")]),
        (
            5,
            vec![
                c("A5", 'n', "3203"),
                c("B5", 's', "Bekasi"),
                c("C5", 'n', "7"),
                c("D5", 'n', "1.25"),
                c("E5", 'd', "45323"),
                c("F5", 's', "2024-02-01T08:00:00Z"),
                c("G5", 's', "ya"),
            ],
        ),
    ]);
    let other = sheet_xml(&[(1, vec![c("A1", 's', "x")]), (2, vec![c("A2", 'n', "1")])]);
    xlsx_of(data, other, zip)
}

/// An XLSX of two sheets, packed by `pack`.
fn xlsx_of(data: String, other: String, pack: fn(&[(&str, String)]) -> Vec<u8>) -> Vec<u8> {
    let worksheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml";
    pack(&[
        (
            "[Content_Types].xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="{worksheet_type}"/><Override PartName="/xl/worksheets/sheet2.xml" ContentType="{worksheet_type}"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#
            ),
        ),
        (
            "_rels/.rels",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{PKG_REL_NS}"><Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
            ),
        ),
        (
            "xl/workbook.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/><sheet name="Lain" sheetId="2" r:id="rId2"/></sheets></workbook>"#
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{PKG_REL_NS}"><Relationship Id="rId1" Type="{REL_NS}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{REL_NS}/worksheet" Target="worksheets/sheet2.xml"/><Relationship Id="rId3" Type="{REL_NS}/styles" Target="styles.xml"/></Relationships>"#
            ),
        ),
        (
            "xl/styles.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="{MAIN_NS}"><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="22" applyNumberFormat="1"/></cellXfs></styleSheet>"#
            ),
        ),
        ("xl/worksheets/sheet1.xml", data),
        ("xl/worksheets/sheet2.xml", other),
    ])
}

fn deflated(files: &[(&str, String)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, body) in files {
        writer.start_file(*name, options).unwrap();
        writer.write_all(body.as_bytes()).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// The review's 1.5 KB workbook whose two cells sit at A1 and XFD1048576:
/// laid out as a grid it would take 17 billion cells (22 GB before the
/// kernel stopped the server).
#[test]
fn a_sheet_spanning_the_whole_grid_is_refused_before_it_is_laid_out() {
    let corners = sheet_xml(&[(1, vec![c("A1", 's', "kode")]), (1_048_576, vec![c("XFD1048576", 'n', "1")])]);
    let bytes = xlsx_of(corners, sheet_xml(&[(1, vec![c("A1", 's', "x")])]), deflated);
    assert!(bytes.len() < 3_000, "{} bytes", bytes.len());
    let mut workbook = Workbook::open(&bytes[..]).unwrap();
    let err = workbook.analyze(&SheetSelector::First, &Options::default()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::TooLarge, "{err}");
    assert!(err.reason.contains("1048576 rows and 16384 columns"), "{err}");
    // A real sheet under the bound still reads.
    assert!(workbook.analyze(&SheetSelector::Index(1), &Options::default()).is_ok());
}

/// A small file of a great deal of XML (600 KB of 200 MB in the review) is
/// refused from its zip directory, before anything is inflated.
#[test]
fn a_workbook_that_unpacks_far_beyond_its_size_is_refused_unread() {
    let big = sheet_xml(&[(1, vec![c("A1", 's', "ket")]), (2, vec![c("A2", 's', &"a".repeat(65 << 20))])]);
    assert!(big.len() > 64 << 20);
    let bytes = xlsx_of(big, sheet_xml(&[(1, vec![c("A1", 's', "x")])]), deflated);
    assert!(bytes.len() * 50 < 64 << 20, "packs well: {} bytes", bytes.len());
    let err = Workbook::open(&bytes[..]).err().unwrap();
    assert_eq!(err.kind, ErrorKind::TooLarge, "{err}");
    // The absolute bound applies whatever the packing.
    let small = xlsx();
    let err = Workbook::open_with(&small[..], &Options { max_unpacked_bytes: 1_000, ..Options::default() }).err().unwrap();
    assert_eq!(err.kind, ErrorKind::TooLarge);
}

fn ods() -> Vec<u8> {
    ods_with("")
}

/// The ODS fixture with `extra` (XML rows) after its table's rows.
fn ods_with(extra: &str) -> Vec<u8> {
    let s = |v: &str| format!(r#"<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>"#);
    let f = |v: &str| format!(r#"<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p></table:table-cell>"#);
    let d =
        |v: &str| format!(r#"<table:table-cell office:value-type="date" office:date-value="{v}"><text:p>{v}</text:p></table:table-cell>"#);
    let b = |v: &str| {
        format!(r#"<table:table-cell office:value-type="boolean" office:boolean-value="{v}"><text:p>{v}</text:p></table:table-cell>"#)
    };
    let empty = "<table:table-cell/>".to_string();
    let row = |cells: Vec<String>| format!("<table:table-row>{}</table:table-row>", cells.concat());
    let table = [
        row(vec![s("kode"), s("nilai"), s("tanggal"), s("waktu"), s("aktif"), s("desa")]),
        row(vec![f("1"), f("2.5"), d("2024-01-31"), d("2024-01-31T12:30:00"), b("true"), s("Sukamaju")]),
        row(vec![f("2"), f("3"), empty.clone(), d("2024-02-01"), b("false"), s("0812")]),
        extra.to_string(),
    ]
    .concat();
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Desa">{table}</table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    zip(&[
        ("mimetype", "application/vnd.oasis.opendocument.spreadsheet".to_string()),
        (
            "META-INF/manifest.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#.to_string(),
        ),
        ("content.xml", content),
    ])
}

fn date(y: i32, m: u32, d: u32) -> Date {
    Date::from_ymd(y, m, d).unwrap()
}

const JAN31_MS: i64 = 19_753 * 86_400_000;
const HOUR_MS: i64 = 3_600_000;

#[test]
fn xlsx_first_sheet_is_typed() {
    let bytes = xlsx();
    let mut workbook = Workbook::open(&bytes[..]).unwrap();
    assert_eq!(workbook.format(), SheetFormat::Xlsx);
    assert_eq!(workbook.sheet_names(), ["Data", "Lain"]);
    let schema = workbook.analyze(&SheetSelector::First, &Options::default()).unwrap();
    assert_eq!(
        schema.column_types(),
        [
            ColumnType::Integer,
            ColumnType::Text,
            ColumnType::Integer,
            ColumnType::Numeric,
            ColumnType::Date,
            ColumnType::Timestamp,
            ColumnType::Boolean,
            ColumnType::Text
        ]
    );
    assert_eq!((schema.rows, schema.skipped_blank_rows), (3, 1));
    let mut reader = workbook.reader(&schema).unwrap();
    let batches = read_all(&mut reader, 2).unwrap();
    assert_eq!(
        rows(&batches),
        [
            vec![
                Cell::Int(3201),
                text("Bogor"),
                Cell::Int(1250),
                Cell::Num(0.5),
                Cell::Date(date(2024, 1, 31)),
                Cell::Timestamp(JAN31_MS + 12 * HOUR_MS),
                Cell::Bool(true),
                text("#N/A")
            ],
            vec![
                Cell::Int(3202),
                text("Cianjur"),
                Cell::Int(2000),
                Cell::Num(2.0),
                Cell::Null,
                Cell::Timestamp(JAN31_MS + 24 * HOUR_MS),
                Cell::Bool(false),
                text("ok")
            ],
            vec![
                Cell::Int(3203),
                text("Bekasi"),
                Cell::Int(7),
                Cell::Num(1.25),
                Cell::Date(date(2024, 2, 1)),
                Cell::Timestamp(JAN31_MS + 32 * HOUR_MS),
                Cell::Bool(true),
                Cell::Null
            ],
        ]
    );
    // Lines are the sheet's row numbers: row 4 was blank.
    assert_eq!([batches[0].line(0), batches[0].line(1), batches[1].line(0)], [Some(2), Some(3), Some(5)]);
    let p = reader.progress();
    assert_eq!((p.rows, p.total_rows), (3, Some(3)));
}

#[test]
fn xlsx_sheet_by_name_and_index() {
    let bytes = xlsx();
    let mut workbook = Workbook::open(&bytes[..]).unwrap();
    let schema = workbook.analyze(&SheetSelector::Name("Lain".into()), &Options::default()).unwrap();
    assert_eq!(schema.columns[0].name, "x");
    let by_index = workbook.analyze(&SheetSelector::Index(1), &Options::default()).unwrap();
    assert_eq!(by_index, schema);
    let mut reader = workbook.reader(&schema).unwrap();
    assert_eq!(rows(&read_all(&mut reader, 10).unwrap()), [vec![Cell::Int(1)]]);

    for missing in [SheetSelector::Index(2), SheetSelector::Name("data".into())] {
        let err = workbook.analyze(&missing, &Options::default()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::SheetNotFound);
    }
}

#[test]
fn xlsx_override_then_unparseable_cell() {
    let bytes = xlsx();
    let mut workbook = Workbook::open(&bytes[..]).unwrap();
    let mut schema = workbook.analyze(&SheetSelector::First, &Options::default()).unwrap();
    schema.set_type("rasio", ColumnType::Integer).unwrap();
    let mut reader = workbook.reader(&schema).unwrap();
    let err = read_all(&mut reader, 100).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unparseable { expected: ColumnType::Integer });
    assert_eq!((err.line, err.column.as_deref()), (2, Some("rasio")));
    assert!(err.reason.contains("\"0.5\""), "{}", err.reason);
}

#[test]
fn xlsx_everything_as_text() {
    let bytes = xlsx();
    let mut workbook = Workbook::open(&bytes[..]).unwrap();
    let mut schema = workbook.analyze(&SheetSelector::First, &Options::default()).unwrap();
    for c in &mut schema.columns {
        c.ty = ColumnType::Text;
    }
    let mut reader = workbook.reader(&schema).unwrap();
    let first = rows(&read_all(&mut reader, 100).unwrap()).remove(0);
    assert_eq!(first, ["3201", "Bogor", "1250", "0.5", "2024-01-31", "2024-01-31 12:00:00", "true", "#N/A"].map(text));
}

#[test]
fn ods_is_typed() {
    let bytes = ods();
    let mut workbook = Workbook::open(&bytes[..]).unwrap();
    assert_eq!(workbook.format(), SheetFormat::Ods);
    assert_eq!(workbook.sheet_names(), ["Desa"]);
    let schema = workbook.analyze(&SheetSelector::First, &Options::default()).unwrap();
    assert_eq!(
        schema.column_types(),
        [ColumnType::Integer, ColumnType::Numeric, ColumnType::Date, ColumnType::Timestamp, ColumnType::Boolean, ColumnType::Text]
    );
    let mut reader = workbook.reader(&schema).unwrap();
    assert_eq!(
        rows(&read_all(&mut reader, 100).unwrap()),
        [
            vec![
                Cell::Int(1),
                Cell::Num(2.5),
                Cell::Date(date(2024, 1, 31)),
                Cell::Timestamp(JAN31_MS + 12 * HOUR_MS + 30 * 60_000),
                Cell::Bool(true),
                text("Sukamaju")
            ],
            vec![Cell::Int(2), Cell::Num(3.0), Cell::Null, Cell::Timestamp(JAN31_MS + 24 * HOUR_MS), Cell::Bool(false), text("0812")],
        ]
    );
}

#[test]
fn not_a_workbook() {
    let err = Workbook::open(&b"a,b\n1,2\n"[..]).err().unwrap();
    assert_eq!(err.kind, ErrorKind::Spreadsheet);
    let err = Workbook::open(&b""[..]).err().unwrap();
    assert_eq!(err.kind, ErrorKind::Empty);
    // A truncated workbook is an error, not a panic.
    let bytes = xlsx();
    for cut in [10, bytes.len() / 2, bytes.len() - 10] {
        assert!(Workbook::open(&bytes[..cut]).is_err());
    }
}

#[test]
fn csv_schema_is_refused_by_a_workbook() {
    let bytes = xlsx();
    let mut workbook = Workbook::open(&bytes[..]).unwrap();
    let schema = tabular::analyze_csv(&b"a\n1\n"[..], &Options::default()).unwrap();
    assert_eq!(workbook.reader(&schema).err().unwrap().kind, ErrorKind::SchemaMismatch);
}

/// As LibreOffice saves a sheet: the rest of the grid as one repeated empty
/// row of repeated empty cells. It is read, not refused.
#[test]
fn an_ods_with_the_grid_s_empty_rest_repeated_is_read() {
    let rest = r#"<table:table-row table:number-rows-repeated="1048573"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>"#;
    let bytes = ods_with(rest);
    let mut workbook = Workbook::open(&bytes[..]).unwrap();
    let schema = workbook.analyze(&SheetSelector::First, &Options::default()).unwrap();
    assert_eq!(schema.rows, 2);
}

/// One cell with a value repeated across the whole grid: a few hundred
/// bytes that calamine would lay out as 17 billion cells when opening the
/// file. Refused before that.
#[test]
fn an_ods_repeating_a_value_over_the_grid_is_refused_before_it_is_laid_out() {
    let bomb = r#"<table:table-row table:number-rows-repeated="1048573"><table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1"/></table:table-row>"#;
    let bytes = ods_with(bomb);
    assert!(bytes.len() < 4_000, "{} bytes", bytes.len());
    let err = Workbook::open(&bytes[..]).err().unwrap();
    assert_eq!(err.kind, ErrorKind::TooLarge, "{err}");
    assert!(err.reason.contains("cells together"), "{err}");
    // Below the bound the same repeat is read.
    let few = r#"<table:table-row table:number-rows-repeated="3"><table:table-cell table:number-columns-repeated="6" office:value-type="float" office:value="1"/></table:table-row>"#;
    let mut workbook = Workbook::open(&ods_with(few)[..]).unwrap();
    assert_eq!(workbook.analyze(&SheetSelector::First, &Options::default()).unwrap().rows, 5);
}

const SMALL_XLS: &[u8] = include_bytes!("fixtures/small.xls");

#[test]
fn xls_is_typed() {
    let mut workbook = Workbook::open(SMALL_XLS).unwrap();
    assert_eq!(workbook.format(), SheetFormat::Xls);
    assert_eq!(workbook.sheet_names(), ["Desa", "Kedua"]);
    let schema = workbook.analyze(&SheetSelector::First, &Options::default()).unwrap();
    assert_eq!(schema.column_types(), [ColumnType::Integer, ColumnType::Numeric, ColumnType::Text]);
    let mut reader = workbook.reader(&schema).unwrap();
    assert_eq!(
        rows(&read_all(&mut reader, 100).unwrap()),
        [vec![Cell::Int(1), Cell::Num(2.5), text("Sukamaju")], vec![Cell::Int(2), Cell::Num(3.0), text("Kalitidu")]]
    );
}

/// The XLS fixture with its first sheet's DIMENSIONS record saying it spans
/// `rows` rows of 256 columns.
fn xls_declaring(rows: u32) -> Vec<u8> {
    use std::io::Read;
    let mut file = cfb::CompoundFile::open(Cursor::new(SMALL_XLS.to_vec())).unwrap();
    let mut stream = Vec::new();
    file.open_stream("/Workbook").unwrap().read_to_end(&mut stream).unwrap();
    let mut at = 0;
    let mut patched = false;
    while at + 4 <= stream.len() {
        let typ = u16::from_le_bytes([stream[at], stream[at + 1]]);
        let len = usize::from(u16::from_le_bytes([stream[at + 2], stream[at + 3]]));
        if typ == 0x0200 && !patched {
            let data = &mut stream[at + 4..at + 4 + len];
            data[4..8].copy_from_slice(&rows.to_le_bytes());
            data[10..12].copy_from_slice(&256u16.to_le_bytes());
            patched = true;
        }
        at += 4 + len;
    }
    assert!(patched, "the fixture has a DIMENSIONS record");
    // Version 3 (512-byte sectors), as Excel writes and calamine reads.
    let mut out = cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new())).unwrap();
    out.create_stream("/Workbook").unwrap().write_all(&stream).unwrap();
    out.flush().unwrap();
    out.into_inner().into_inner()
}

/// An XLS whose sheet declares a billion cells: calamine reserves room for
/// all of them when it opens the file (the process would be killed). Refused
/// before that; a declared size under the bound still opens.
#[test]
fn an_xls_declaring_a_huge_sheet_is_refused_before_it_is_opened() {
    let err = Workbook::open(&xls_declaring(4_000_000)[..]).err().unwrap();
    assert_eq!(err.kind, ErrorKind::TooLarge, "{err}");
    assert!(err.reason.contains("1024000001 cells"), "4,000,000 rows of 256 and the second sheet's cell: {err}");
    let fits = Workbook::open(&xls_declaring(100)[..]);
    assert!(fits.is_ok(), "{:?}", fits.err());
}

/// A workbook's read stops past its deadline too.
#[test]
fn a_sheet_read_past_its_deadline_stops() {
    let bytes = xlsx();
    let mut workbook = Workbook::open(&bytes[..]).unwrap();
    let late = Options { deadline: Some(std::time::Instant::now()), ..Options::default() };
    assert_eq!(workbook.analyze(&SheetSelector::First, &late).unwrap_err().kind, ErrorKind::TooSlow);
    let mut schema = workbook.analyze(&SheetSelector::First, &Options::default()).unwrap();
    schema.set_deadline(Some(std::time::Instant::now()));
    let mut reader = workbook.reader(&schema).unwrap();
    assert_eq!(read_all(&mut reader, 100).unwrap_err().kind, ErrorKind::TooSlow);
}

#[test]
fn xlsx_text_cells_with_indonesian_separators_are_numbers() {
    // Typed as text in the sheet (as a walidata pastes them), beside real number cells.
    let header = vec![c("A1", 's', "anggaran"), c("B1", 's', "penduduk"), c("C1", 's', "nilai_en")];
    let data = sheet_xml(&[
        (1, header),
        (2, vec![c("A2", 's', "1.200,50"), c("B2", 's', "12.345"), c("C2", 's', "1,200.50")]),
        (3, vec![c("A3", 'n', "7.5"), c("B3", 'n', "980"), c("C3", 'n', "3")]),
        (4, vec![c("A4", 's', "12.345"), c("B4", 's', "1.234.567"), c("C4", 's', "1,200")]),
    ]);
    let bytes = xlsx_of(data, sheet_xml(&[(1, vec![c("A1", 's', "x")])]), zip);
    let mut workbook = Workbook::open(&bytes[..]).unwrap();
    let schema = workbook.analyze(&SheetSelector::First, &Options::default()).unwrap();
    assert_eq!(schema.column_types(), [ColumnType::Numeric, ColumnType::Integer, ColumnType::Numeric]);
    let mut reader = workbook.reader(&schema).unwrap();
    assert_eq!(
        rows(&read_all(&mut reader, 100).unwrap()),
        [
            vec![Cell::Num(1200.5), Cell::Int(12_345), Cell::Num(1200.5)],
            vec![Cell::Num(7.5), Cell::Int(980), Cell::Num(3.0)],
            vec![Cell::Num(12_345.0), Cell::Int(1_234_567), Cell::Num(1200.0)],
        ]
    );
}
