//! CSV files end to end: detection, both passes, and every way a file is rejected.

use tabular::{
    Cell, ColumnType, CsvReader, Date, Encoding, ErrorKind, HeaderIssue, ImportError, Options, Progress, Schema, Source, analyze_csv,
    analyze_csv_with_progress,
};

use crate::{read_all, rows, text};

fn analyze(bytes: &[u8]) -> Result<Schema, ImportError> {
    analyze_csv(bytes, &Options::default())
}

/// Both passes with the inferred types.
fn load(bytes: &[u8]) -> Vec<Vec<Cell>> {
    let schema = analyze(bytes).unwrap();
    load_with(bytes, &schema).unwrap()
}

fn load_with(bytes: &[u8], schema: &Schema) -> Result<Vec<Vec<Cell>>, ImportError> {
    let mut reader = CsvReader::new(bytes, schema, Some(bytes.len() as u64))?;
    Ok(rows(&read_all(&mut reader, 1000)?))
}

fn dialect(schema: &Schema) -> tabular::Dialect {
    match schema.source {
        Source::Csv(d) => d,
        Source::Sheet { .. } => panic!("not a CSV schema"),
    }
}

fn date(y: i32, m: u32, d: u32) -> Cell {
    Cell::Date(Date::from_ymd(y, m, d).unwrap())
}

#[test]
fn utf8_with_bom() {
    let bytes = b"\xEF\xBB\xBFnama,nilai\nJos\xC3\xA9,1\n";
    let schema = analyze(bytes).unwrap();
    let d = dialect(&schema);
    assert!(d.bom);
    assert_eq!(d.encoding, Encoding::Utf8);
    // The byte order mark is not part of the first name.
    assert_eq!(schema.columns[0].name, "nama");
    assert_eq!(load(bytes), [vec![text("José"), Cell::Int(1)]]);
}

#[test]
fn windows_1252_is_detected_and_decoded() {
    // é is 0xE9, the right single quote 0x92, the euro sign 0x80.
    let bytes = b"nama;ket\nJos\xE9;it\x92s \x80 5\n";
    let schema = analyze(bytes).unwrap();
    assert_eq!(dialect(&schema), tabular::Dialect { encoding: Encoding::Windows1252, delimiter: b';', bom: false });
    assert_eq!(load(bytes), [vec![text("José"), text("it\u{2019}s \u{20AC} 5")]]);
}

#[test]
fn windows_1252_header() {
    let bytes = b"Kecamatan,Jumlah Pend\xF9duk\nA,1\n";
    let schema = analyze(bytes).unwrap();
    assert_eq!(schema.columns[1].name, "Jumlah Pendùduk");
}

#[test]
fn encoding_can_be_forced() {
    // Valid UTF-8 read as Windows-1252 on request: "Ã©" rather than "é".
    let bytes = "a\né\n".as_bytes();
    let options = Options { encoding: Some(Encoding::Windows1252), ..Options::default() };
    let schema = analyze_csv(bytes, &options).unwrap();
    assert_eq!(load_with(bytes, &schema).unwrap(), [vec![text("Ã©")]]);
}

#[test]
fn mixed_encodings_are_rejected() {
    let err = analyze(b"a,b\nJos\xC3\xA9,1\nJos\xE9,2\n").unwrap_err();
    assert_eq!(err.kind, ErrorKind::Encoding);
    assert_eq!(err.line, 3);
    assert_eq!(err.column.as_deref(), Some("a"));
    assert!(err.reason.contains("line 2 is UTF-8"), "{}", err.reason);

    let err = analyze(b"a\nJos\xE9\nJos\xC3\xA9\n").unwrap_err();
    assert_eq!((err.kind, err.line), (ErrorKind::Encoding, 3));

    // A byte order mark promises UTF-8.
    let err = analyze(b"\xEF\xBB\xBFa\nx\ny\xE9\n").unwrap_err();
    assert_eq!((err.kind, err.line), (ErrorKind::Encoding, 3));
    assert!(err.reason.contains("byte order mark"));
}

#[test]
fn bytes_in_no_supported_encoding_are_rejected() {
    let err = analyze(b"a,b\n1,x\x81y\n").unwrap_err();
    assert_eq!(err.kind, ErrorKind::Encoding);
    assert_eq!((err.line, err.column.as_deref()), (2, Some("b")));
    assert!(err.reason.contains("0x81"));

    let err = analyze(b"a,b\n1,x\x00y\n").unwrap_err();
    assert_eq!((err.kind, err.line), (ErrorKind::Encoding, 2));
    assert!(err.reason.contains("NUL"));

    let err = analyze(b"\xFF\xFEa\x00,\x00").unwrap_err();
    assert_eq!(err.kind, ErrorKind::Encoding);
    assert!(err.reason.contains("UTF-16"));
}

#[test]
fn semicolons_with_decimal_commas() {
    let bytes = "kecamatan;penduduk;luas_km2;rasio\r\nCibinong;363424;43,36;-0,5\r\nBojonggede;287000;28,7;2\r\n".as_bytes();
    let schema = analyze(bytes).unwrap();
    assert_eq!(dialect(&schema).delimiter, b';');
    assert_eq!(schema.column_types(), [ColumnType::Text, ColumnType::Integer, ColumnType::Numeric, ColumnType::Numeric]);
    assert_eq!(
        load(bytes),
        [
            vec![text("Cibinong"), Cell::Int(363_424), Cell::Num(43.36), Cell::Num(-0.5)],
            vec![text("Bojonggede"), Cell::Int(287_000), Cell::Num(28.7), Cell::Num(2.0)],
        ]
    );
}

#[test]
fn every_type_loads() {
    let bytes = "i,n,d,t,b,x\n\
                 -7,2.5,31/01/2024,2024-01-31T10:00:00+07:00,ya,  padded  \n\
                 ,,2024-02-29,2024-01-31,FALSE,\n"
        .as_bytes();
    let schema = analyze(bytes).unwrap();
    assert_eq!(
        schema.column_types(),
        [ColumnType::Integer, ColumnType::Numeric, ColumnType::Date, ColumnType::Timestamp, ColumnType::Boolean, ColumnType::Text]
    );
    let jan31 = 19_753 * 86_400_000;
    assert_eq!(
        load(bytes),
        [
            vec![
                Cell::Int(-7),
                Cell::Num(2.5),
                date(2024, 1, 31),
                Cell::Timestamp(jan31 + 3 * 3_600_000),
                Cell::Bool(true),
                text("  padded  ")
            ],
            vec![Cell::Null, Cell::Null, date(2024, 2, 29), Cell::Timestamp(jan31), Cell::Bool(false), Cell::Null],
        ]
    );
}

#[test]
fn zoneless_timestamps_use_the_configured_offset() {
    let bytes = b"t\n2024-01-31 10:00\n2024-01-31\n";
    let options = Options { naive_offset_minutes: 420, ..Options::default() };
    let schema = analyze_csv(&bytes[..], &options).unwrap();
    let jan31 = 19_753 * 86_400_000;
    assert_eq!(
        load_with(bytes, &schema).unwrap(),
        [vec![Cell::Timestamp(jan31 + 3 * 3_600_000)], vec![Cell::Timestamp(jan31 - 7 * 3_600_000)]]
    );
}

#[test]
fn ragged_row_is_rejected_with_its_line() {
    let err = analyze(b"a,b\n1,2\n3\n4,5\n").unwrap_err();
    assert_eq!(err.kind, ErrorKind::RaggedRow { expected: 2, found: 1 });
    assert_eq!(err.line, 3);
    assert_eq!(err.column, None);
    assert_eq!(err.to_string(), format!("line 3: {}", err.reason));
    assert_eq!(err.kind.code(), "ragged_row");

    // An extra trailing delimiter is a field too: never silently dropped.
    let err = analyze(b"a;b\n1;2;\n").unwrap_err();
    assert_eq!((err.kind, err.line), (ErrorKind::RaggedRow { expected: 2, found: 3 }, 2));
}

#[test]
fn lines_count_newlines_inside_quotes() {
    let err = analyze(b"a,b\n\"x\ny\nz\",2\n3\n").unwrap_err();
    assert_eq!((err.kind, err.line), (ErrorKind::RaggedRow { expected: 2, found: 1 }, 5));
}

#[test]
fn quoted_fields_keep_delimiters_and_newlines() {
    let bytes = b"nama,catatan,nilai\n\"Bogor, Jawa Barat\",\"baris 1\r\nbaris 2\",\"1\"\n\"Kata \"\"kutip\"\"\",,2\n";
    let schema = analyze(bytes).unwrap();
    assert_eq!(dialect(&schema).delimiter, b',');
    assert_eq!(schema.column_types(), [ColumnType::Text, ColumnType::Text, ColumnType::Integer]);
    assert_eq!(
        load(bytes),
        [vec![text("Bogor, Jawa Barat"), text("baris 1\r\nbaris 2"), Cell::Int(1)], vec![text("Kata \"kutip\""), Cell::Null, Cell::Int(2)]]
    );
}

#[test]
fn quoted_semicolons_do_not_fool_detection() {
    let bytes = b"a,b\n\"x;y;z\",1\n\"p;q;r\",2\n";
    assert_eq!(dialect(&analyze(bytes).unwrap()).delimiter, b',');
}

#[test]
fn override_then_unparseable_value_is_rejected_with_line_and_column() {
    let bytes = b"kode,jumlah\nA,1\nB,2\nC,3.5\n";
    let mut schema = analyze(bytes).unwrap();
    assert_eq!(schema.columns[1].ty, ColumnType::Numeric);
    schema.set_type("jumlah", ColumnType::Integer).unwrap();
    assert_eq!(schema.columns[1].inferred, ColumnType::Numeric);
    let err = load_with(bytes, &schema).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unparseable { expected: ColumnType::Integer });
    assert_eq!((err.line, err.column.as_deref()), (4, Some("jumlah")));
    assert_eq!(err.reason, "expected an integer but found \"3.5\"");
    assert_eq!(err.to_string(), "line 4, column \"jumlah\": expected an integer but found \"3.5\"");
}

#[test]
fn reader_stops_after_an_error() {
    let bytes = b"a\n1\nx\n2\n";
    let mut schema = analyze(bytes).unwrap();
    schema.set_type("a", ColumnType::Integer).unwrap();
    let mut reader = CsvReader::new(&bytes[..], &schema, None).unwrap();
    assert!(reader.next_batch(10).is_err());
    assert_eq!(reader.next_batch(10), Ok(None));
}

#[test]
fn overrides_widen_and_narrow() {
    // Ambiguous "1.250" is read the Indonesian way (1250); the publisher says numeric: still 1250.
    let bytes = b"a,b,c,d\n1.250,007,1,2024-01-31\n";
    let mut schema = analyze(bytes).unwrap();
    assert_eq!(schema.column_types(), [ColumnType::Integer, ColumnType::Text, ColumnType::Integer, ColumnType::Date]);
    schema.set_type("a", ColumnType::Numeric).unwrap();
    schema.set_type("b", ColumnType::Integer).unwrap();
    schema.set_type("c", ColumnType::Boolean).unwrap();
    schema.set_type("d", ColumnType::Text).unwrap();
    assert_eq!(load_with(bytes, &schema).unwrap(), [vec![Cell::Num(1250.0), Cell::Int(7), Cell::Bool(true), text("2024-01-31")]]);

    let err = schema.set_type("e", ColumnType::Text).unwrap_err();
    assert_eq!(err.kind, ErrorKind::UnknownColumn);
}

#[test]
fn decimal_comma_columns_refuse_points() {
    let bytes = b"a;b\n1,5;x\n2;y\n";
    let mut schema = analyze(bytes).unwrap();
    schema.set_type("b", ColumnType::Numeric).unwrap();
    let err = load_with(bytes, &schema).unwrap_err();
    assert_eq!((err.line, err.column.as_deref()), (2, Some("b")));

    // The same file, with a point where the column uses commas.
    let changed = b"a;b\n1,5;x\n2.5;y\n";
    schema.set_type("b", ColumnType::Text).unwrap();
    let err = load_with(changed, &schema).unwrap_err();
    assert_eq!((err.line, err.column.as_deref()), (3, Some("a")));
    assert!(err.reason.contains("decimal comma"), "{}", err.reason);
}

#[test]
fn empty_files_are_rejected() {
    for bytes in [&b""[..], b"\n\n", b"\xEF\xBB\xBF", b"  \r\n\t\n"] {
        let err = analyze(bytes).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Empty, "{bytes:?}");
        assert_eq!(err.kind.code(), "empty");
    }
}

#[test]
fn header_only_file_has_no_rows() {
    let bytes = b"a,b,c\r\n";
    let schema = analyze(bytes).unwrap();
    assert_eq!(schema.rows, 0);
    assert_eq!(schema.columns.len(), 3);
    let mut reader = CsvReader::new(&bytes[..], &schema, None).unwrap();
    assert_eq!(reader.next_batch(100), Ok(None));
}

#[test]
fn header_names_are_trimmed_and_made_unique() {
    let schema = analyze(b" id ,,id,nama\n1,2,3,4\n").unwrap();
    let names: Vec<&str> = schema.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "column_2", "id_2", "nama"]);
    let issues: Vec<(usize, HeaderIssue)> = schema.header_notes.iter().map(|n| (n.index, n.issue)).collect();
    assert_eq!(issues, [(1, HeaderIssue::Empty), (2, HeaderIssue::Duplicate)]);
    assert_eq!(schema.columns[2].original_name, "id");
}

#[test]
fn blank_rows_are_skipped_and_counted() {
    let bytes = b"a,b\n1,2\n,\n\n 3 , 4 \n";
    let schema = analyze(bytes).unwrap();
    assert_eq!(schema.rows, 2);
    assert!(schema.skipped_blank_rows >= 1);
    assert_eq!(load(bytes), [vec![Cell::Int(1), Cell::Int(2)], vec![Cell::Int(3), Cell::Int(4)]]);
}

#[test]
fn too_many_columns() {
    let options = Options { max_columns: 3, ..Options::default() };
    let err = analyze_csv(&b"a,b,c,d\n1,2,3,4\n"[..], &options).unwrap_err();
    assert_eq!(err.kind, ErrorKind::TooManyColumns { limit: 3, found: 4 });
    assert_eq!(err.line, 1);
}

#[test]
fn batches_carry_lines_and_progress() {
    let bytes = b"a\n1\n2\n\"3\n\"\n4\n5\n";
    let mut schema = analyze(bytes).unwrap();
    schema.set_type("a", ColumnType::Text).unwrap();
    let mut reader = CsvReader::new(&bytes[..], &schema, Some(bytes.len() as u64)).unwrap();
    let batches = read_all(&mut reader, 2).unwrap();
    let sizes: Vec<usize> = batches.iter().map(|b| b.len()).collect();
    assert_eq!(sizes, [2, 2, 1]);
    let lines: Vec<u64> = batches.iter().flat_map(|b| (0..b.len()).map(|i| b.line(i).unwrap())).collect();
    assert_eq!(lines, [2, 3, 4, 6, 7]);
    assert_eq!(batches[1].row(0), Some(&[text("3\n")][..]));
    let p = reader.progress();
    assert_eq!((p.rows, p.total_rows, p.bytes_read, p.total_bytes), (5, Some(5), bytes.len() as u64, Some(bytes.len() as u64)));
    assert_eq!(p.fraction(), Some(1.0));
}

#[test]
fn analysis_reports_progress() {
    let mut bytes = b"n\n".to_vec();
    for i in 0..40_000 {
        bytes.extend_from_slice(format!("{i}\n").as_bytes());
    }
    let mut seen: Vec<Progress> = Vec::new();
    let schema = analyze_csv_with_progress(&bytes[..], &Options::default(), Some(bytes.len() as u64), &mut |p| seen.push(p)).unwrap();
    assert_eq!(schema.rows, 40_000);
    assert!(seen.len() >= 3, "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0].rows < w[1].rows && w[0].bytes_read <= w[1].bytes_read));
    let last = seen.last().unwrap();
    assert_eq!((last.rows, last.bytes_read, last.total_rows), (40_000, bytes.len() as u64, Some(40_000)));
}

#[test]
fn second_pass_checks_it_reads_the_same_file() {
    let schema = analyze(b"a,b\n1,2\n").unwrap();
    let err = CsvReader::new(&b"a,c\n1,2\n"[..], &schema, None).err().unwrap();
    assert_eq!(err.kind, ErrorKind::SchemaMismatch);
    // A file that changed under the reader is still checked row by row.
    let err = load_with(b"a,b\n1,2\n3\n", &schema).unwrap_err();
    assert_eq!((err.kind, err.line), (ErrorKind::RaggedRow { expected: 2, found: 1 }, 3));
}

#[test]
fn explicit_delimiter_wins() {
    let options = Options { delimiter: Some(b';'), ..Options::default() };
    let schema = analyze_csv(&b"a,b\n1,2\n"[..], &options).unwrap();
    assert_eq!(schema.columns.len(), 1);
    assert_eq!(schema.columns[0].name, "a,b");
}

#[test]
fn big_sample_cut_mid_record_still_detects() {
    // More than the detection sample, with a quoted newline right at the cut.
    let mut bytes = b"a;b;c\n".to_vec();
    while bytes.len() < 70_000 {
        bytes.extend_from_slice(b"\"x\ny\";1,5;2024-01-01\n");
    }
    let schema = analyze(&bytes).unwrap();
    assert_eq!(dialect(&schema).delimiter, b';');
    assert_eq!(schema.column_types(), [ColumnType::Text, ColumnType::Numeric, ColumnType::Date]);
    let loaded = load(&bytes);
    assert_eq!(loaded.len() as u64, schema.rows);
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A cheap deterministic fuzz: mutate a valid file byte by byte.
    let base = b"id;nilai;tgl;t;b\n1;2,5;2024-01-01;2024-01-01T10:00Z;ya\n\"2\";-3;31/12/2024;2024-01-01 10:00:00.5+07:00;tidak\n";
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..3000 {
        let mut bytes = base.to_vec();
        for _ in 0..3 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let i = (state % bytes.len() as u64) as usize;
            bytes[i] = (state >> 32) as u8;
        }
        if let Ok(schema) = analyze(&bytes) {
            let _ = load_with(&bytes, &schema);
        }
    }
}

/// Past its deadline a read stops with `too_slow`, in either pass, at the
/// line it had reached; before it, the same file reads whole.
#[test]
fn a_read_past_its_deadline_stops() {
    let mut csv = String::from("kode,nilai\n");
    for i in 0..40_000 {
        csv.push_str(&format!("{i},{}\n", i * 2));
    }
    let late = Options { deadline: Some(std::time::Instant::now()), ..Options::default() };
    let err = analyze_csv(csv.as_bytes(), &late).unwrap_err();
    assert_eq!((err.kind.code(), err.line), ("too_slow", 16_385), "checked every 16,384 rows: {err}");

    let on_time = Options { deadline: Some(std::time::Instant::now() + std::time::Duration::from_secs(600)), ..Options::default() };
    let mut schema = analyze_csv(csv.as_bytes(), &on_time).unwrap();
    assert_eq!(schema.rows, 40_000);
    assert_eq!(load_with(csv.as_bytes(), &schema).unwrap().len(), 40_000);
    // The second pass keeps the schema's deadline.
    schema.set_deadline(Some(std::time::Instant::now()));
    assert_eq!(load_with(csv.as_bytes(), &schema).unwrap_err().kind, ErrorKind::TooSlow);
}

#[test]
fn indonesian_separators_stay_numbers() {
    let bytes = include_bytes!("fixtures/realisasi_apbdes.csv");
    let schema = analyze(bytes).unwrap();
    use ColumnType::{Integer, Numeric, Text};
    assert_eq!(schema.column_types(), [Text, Integer, Numeric, Numeric, Integer, Numeric]);
    let by_name = |n: &str| schema.columns.iter().find(|c| c.name == n).unwrap();
    assert!(by_name("realisasi_rp").decimal_comma && !by_name("realisasi_rp").ambiguous_thousands);
    assert!(by_name("jumlah_kk").ambiguous_thousands, "1.234 and 2.045 fit both conventions: the Indonesian one by default");
    assert_eq!(
        load(bytes),
        [
            vec![text("Ngraho"), Cell::Int(1_200_000_000), Cell::Num(1_150_250_000.5), Cell::Num(95.85), Cell::Int(1234), Cell::Num(12.5)],
            vec![text("Tambakrejo"), Cell::Int(850_000_000), Cell::Num(812_000_000.0), Cell::Num(95.53), Cell::Int(987), Cell::Num(8.25)],
            vec![
                text("Kalitidu"),
                Cell::Int(1_000_000_000),
                Cell::Num(1_000_000_000.0),
                Cell::Num(100.0),
                Cell::Int(2045),
                Cell::Num(15.0)
            ],
        ]
    );
}

#[test]
fn english_separators_are_read_when_the_column_proves_them() {
    let bytes = b"nilai,kode\n\"1,200.50\",35.22.01\n\"1,200\",35.22.02\n3.5,35.22.03\n";
    assert_eq!(
        load(bytes),
        [vec![Cell::Num(1200.5), text("35.22.01")], vec![Cell::Num(1200.0), text("35.22.02")], vec![Cell::Num(3.5), text("35.22.03")]]
    );
}

#[test]
fn a_column_mixing_conventions_stays_text() {
    let bytes = b"nilai\n\"1.200,50\"\n\"1,200.50\"\n";
    let schema = analyze(bytes).unwrap();
    assert_eq!(schema.column_types(), [ColumnType::Text]);
    assert_eq!(load(bytes), [vec![text("1.200,50")], vec![text("1,200.50")]], "kept as written, not misread");
    // The publisher may still ask for numbers: a value that does not fit is refused, with its line.
    let mut schema = schema;
    schema.set_type("nilai", ColumnType::Numeric).unwrap();
    let err = load_with(bytes, &schema).unwrap_err();
    assert_eq!((err.line, err.column.as_deref()), (2, Some("nilai")));
}
