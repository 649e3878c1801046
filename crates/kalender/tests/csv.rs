//! CSV import and export of holiday lists.

use kalender::{Column, CsvError, CsvReason, Date, DateError, Holiday, HolidayKind, parse_csv, write_csv};

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

fn error(text: &str) -> CsvError {
    parse_csv(text).unwrap_err()
}

#[test]
fn reads_a_list_with_either_header() {
    let expected = vec![
        Holiday::new(d("2026-03-20"), "Cuti Bersama Idul Fitri", HolidayKind::CollectiveLeave),
        Holiday::new(d("2026-03-21"), "Idul Fitri 1447 H", HolidayKind::National),
        Holiday::new(d("2026-10-14"), "Hari Jadi Kabupaten", HolidayKind::Regional),
    ];
    let body = "2026-03-20,Cuti Bersama Idul Fitri,cuti_bersama\n2026-03-21,Idul Fitri 1447 H,libur_nasional\n2026-10-14,Hari Jadi Kabupaten,libur_daerah\n";
    assert_eq!(parse_csv(&format!("tanggal,nama,jenis\n{body}")), Ok(expected.clone()));
    assert_eq!(parse_csv(&format!("date,name,kind\n{body}")), Ok(expected.clone()));
    assert_eq!(parse_csv(&format!("Tanggal, Nama ,JENIS\n{body}")), Ok(expected));
    assert_eq!(parse_csv("tanggal,nama,jenis"), Ok(vec![]));
}

#[test]
fn tolerates_bom_crlf_blank_lines_and_spaces() {
    let text = "\u{feff}tanggal,nama,jenis\r\n\r\n 2026-05-01 , Hari Buruh ,Libur_Nasional\r\n   \r\n\"2026-06-01\",\"Hari Lahir Pancasila\" ,libur_nasional";
    assert_eq!(
        parse_csv(text),
        Ok(vec![
            Holiday::new(d("2026-05-01"), "Hari Buruh", HolidayKind::National),
            Holiday::new(d("2026-06-01"), "Hari Lahir Pancasila", HolidayKind::National),
        ])
    );
    // Blank lines still count for the line numbers.
    assert_eq!(error("tanggal,nama,jenis\n\n\n2026-05-01,,libur_nasional\n").line, 4);
}

#[test]
fn quoted_fields_keep_commas_quotes_and_line_breaks() {
    let text = "tanggal,nama,jenis\n\
        2026-03-19,\"Hari Suci Nyepi, Tahun Baru Saka 1948\",libur_nasional\n\
        2026-08-19,\"Hari Jadi \"\"Kabupaten Contoh\"\"\",libur_daerah\n\
        2026-12-24,\"Cuti Bersama\nNatal\",cuti_bersama\n\
        2026-12-31,bad date follows,libur_daerah\n\
        2026-02-30,x,libur_daerah\n";
    let err = error(text);
    // The line break inside the quotes moves the later lines down by one.
    assert_eq!(err, CsvError { line: 7, column: Some(Column::Date), reason: CsvReason::InvalidDate(DateError::NoSuchDay) });
    let good: String = text.lines().take(6).map(|l| format!("{l}\n")).collect();
    let list = parse_csv(&good).unwrap();
    assert_eq!(list[0].name, "Hari Suci Nyepi, Tahun Baru Saka 1948");
    assert_eq!(list[1].name, "Hari Jadi \"Kabupaten Contoh\"");
    assert_eq!(list[2].name, "Cuti Bersama\nNatal");
    assert_eq!(list.len(), 4);
}

#[test]
fn errors_name_the_line_the_column_and_the_reason() {
    let header = "tanggal,nama,jenis\n";
    let cases: [(&str, usize, Option<Column>, CsvReason); 9] = [
        ("2026-13-01,x,cuti_bersama", 2, Some(Column::Date), CsvReason::InvalidDate(DateError::NoSuchDay)),
        ("17/08/2026,x,cuti_bersama", 2, Some(Column::Date), CsvReason::InvalidDate(DateError::Format)),
        ("2026-08-17,  ,libur_nasional", 2, Some(Column::Name), CsvReason::EmptyName),
        ("2026-08-17,x,libur", 2, Some(Column::Kind), CsvReason::UnknownKind),
        ("2026-08-17,x", 2, None, CsvReason::FieldCount { found: 2 }),
        ("2026-08-17,x,libur_nasional,extra", 2, None, CsvReason::FieldCount { found: 4 }),
        ("2026-08-17,Hari \"Merdeka\",libur_nasional", 2, Some(Column::Name), CsvReason::MisplacedQuote),
        ("2026-08-17,\"Merdeka\" RI,libur_nasional", 2, Some(Column::Name), CsvReason::MisplacedQuote),
        ("2026-08-17,x,libur_nasional\n2026-08-18,\"unclosed,libur_nasional\n", 3, Some(Column::Name), CsvReason::UnterminatedQuote),
    ];
    for (body, line, column, reason) in cases {
        assert_eq!(error(&format!("{header}{body}")), CsvError { line, column, reason }, "{body:?}");
    }
}

#[test]
fn errors_come_in_file_order_and_nothing_is_returned_on_error() {
    // The bad date on line 3 is reported, not the quote problem on line 4.
    let text = "tanggal,nama,jenis\n2026-01-01,ok,libur_nasional\n2026-02-30,x,cuti_bersama\n2026-03-01,\"open,cuti_bersama\n";
    assert_eq!(error(text).line, 3);
}

#[test]
fn header_problems() {
    assert_eq!(error(""), CsvError { line: 1, column: None, reason: CsvReason::MissingHeader });
    assert_eq!(error("\u{feff}\n \n").reason, CsvReason::MissingHeader);
    assert_eq!(error("2026-08-17,x,libur_nasional\n"), CsvError { line: 1, column: None, reason: CsvReason::BadHeader });
    assert_eq!(error("tanggal,jenis,nama\n").reason, CsvReason::BadHeader);
    assert_eq!(error("\n\ntanggal,nama\n"), CsvError { line: 3, column: None, reason: CsvReason::BadHeader });
}

#[test]
fn duplicate_date_and_kind_is_an_error_but_another_kind_is_not() {
    let text = "tanggal,nama,jenis\n2026-08-17,A,libur_nasional\n2026-08-17,B,libur_daerah\n2026-08-18,C,cuti_bersama\n2026-08-17,D,libur_nasional\n";
    assert_eq!(error(text), CsvError { line: 5, column: Some(Column::Date), reason: CsvReason::Duplicate { first_line: 2 } });
    assert_eq!(parse_csv(&text[..text.len() - "2026-08-17,D,libur_nasional\n".len()]).unwrap().len(), 3);
}

#[test]
fn reasons_have_stable_codes_and_english_display() {
    let err = error("tanggal,nama,jenis\n2026-08-17,x,libur\n");
    assert_eq!(err.reason.code(), "unknown_kind");
    assert_eq!(err.to_string(), "line 2, column kind: kind is not libur_nasional, cuti_bersama or libur_daerah");
    assert_eq!(error("").to_string(), "line 1: the file is empty; expected the header tanggal,nama,jenis");
}

#[test]
fn export_writes_the_import_format() {
    let list = [
        Holiday::new(d("2026-03-19"), "Nyepi, Tahun Baru Saka", HolidayKind::National),
        Holiday::new(d("2026-03-20"), "Cuti Bersama", HolidayKind::CollectiveLeave),
        Holiday::new(d("2026-08-19"), "Hari Jadi \"Kabupaten\"", HolidayKind::Regional),
    ];
    assert_eq!(
        write_csv(&list),
        "tanggal,nama,jenis\n\
         2026-03-19,\"Nyepi, Tahun Baru Saka\",libur_nasional\n\
         2026-03-20,Cuti Bersama,cuti_bersama\n\
         2026-08-19,\"Hari Jadi \"\"Kabupaten\"\"\",libur_daerah\n"
    );
    assert_eq!(write_csv(&[]), "tanggal,nama,jenis\n");
}

#[test]
fn export_then_import_is_lossless() {
    let names = [
        "Tahun Baru Masehi",
        "a, b",
        "\"quoted\"",
        "\"",
        "line\nbreak",
        "crlf\r\nbreak",
        " leading and trailing ",
        "Hari Raya Nyepi – Tahun Baru Saka 1948 ✓",
        "=1+1",
    ];
    let kinds = [HolidayKind::National, HolidayKind::CollectiveLeave, HolidayKind::Regional];
    let list: Vec<Holiday> =
        names.iter().enumerate().map(|(i, name)| Holiday::new(d("2026-01-01").add_days(i as i64 * 7), *name, kinds[i % 3])).collect();
    let text = write_csv(&list);
    assert_eq!(parse_csv(&text), Ok(list.clone()));
    assert_eq!(write_csv(&parse_csv(&text).unwrap()), text);
}
