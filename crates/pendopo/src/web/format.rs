//! Numbers and money as Indonesians write them.

/// `1250000` > `1.250.000`.
pub fn thousands(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if v < 0 {
        out.push('-');
    }
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(ch);
    }
    out
}

/// `1250000` > `Rp 1.250.000`.
pub fn rupiah(v: i64) -> String {
    format!("Rp {}", thousands(v))
}

/// At most `n` characters, cut at a word boundary, with an ellipsis.
pub fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let cut: String = s.chars().take(n).collect();
    let cut = cut.rsplit_once(' ').map(|(head, _)| head).unwrap_or(&cut);
    format!("{}…", cut.trim_end_matches([',', '.', ';', ':']))
}

/// A column's name as a heading when the table gives no label:
/// `luas_panen_ha` > `Luas panen (ha)`, `jumlah_penduduk` > `Jumlah penduduk`.
/// A unit written last (ha, ton, kg, km, m2, rp, persen) goes in brackets.
pub fn column_label(id: &str) -> String {
    const UNITS: &[(&str, &str)] = &[
        ("ha", "ha"),
        ("ton", "ton"),
        ("kg", "kg"),
        ("km", "km"),
        ("m2", "m²"),
        ("m3", "m³"),
        ("rp", "Rp"),
        ("persen", "%"),
        ("pct", "%"),
    ];
    let words: Vec<&str> = id.split(['_', '-', ' ']).filter(|w| !w.is_empty()).collect();
    let (words, unit) = match words.split_last() {
        Some((last, rest)) if !rest.is_empty() => match UNITS.iter().find(|(u, _)| last.eq_ignore_ascii_case(u)) {
            Some((_, shown)) => (rest.to_vec(), Some(*shown)),
            None => (words.clone(), None),
        },
        _ => (words.clone(), None),
    };
    let mut out = words.join(" ");
    if let Some(first) = out.chars().next() {
        out = first.to_uppercase().chain(out.chars().skip(1)).collect();
    }
    if out.is_empty() {
        return id.to_string();
    }
    match unit {
        Some(u) => format!("{out} ({u})"),
        None => out,
    }
}

/// A decimal number as Indonesians write it, with `places` decimals:
/// `63.4` > `63,4`, `16689.0` > `16.689`, `1234.5` > `1.234,5`.
pub fn decimal(v: f64, places: usize) -> String {
    let text = format!("{:.*}", places, v.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut out = thousands(int.parse::<i64>().unwrap_or(0));
    if v < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.insert(0, '-');
    }
    let frac = frac.trim_end_matches('0');
    if !frac.is_empty() {
        out.push(',');
        out.push_str(frac);
    }
    out
}

const MONTHS_ID: [&str; 12] =
    ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"];
const MONTHS_EN: [&str; 12] =
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/// A civil date in words: `3 Desember 2026`, or `3 December 2026` in English.
pub fn date_words(y: i64, m: u8, d: u8, lang: crate::web::ui::Lang) -> String {
    let months = if lang == crate::web::ui::Lang::En { &MONTHS_EN } else { &MONTHS_ID };
    let name = months.get((m as usize).wrapping_sub(1)).copied().unwrap_or("?");
    format!("{d} {name} {y}")
}

/// An ISO date (`2026-12-03`, or the date part of a date-time) in words;
/// anything else is shown as it came.
pub fn iso_date_words(s: &str, lang: crate::web::ui::Lang) -> String {
    let parts: Vec<&str> = s.get(..10).unwrap_or("").split('-').collect();
    match parts[..] {
        [y, m, d] if y.len() == 4 => match (y.parse(), m.parse(), d.parse()) {
            (Ok(y), Ok(m @ 1..=12), Ok(d @ 1..=31)) => date_words(y, m, d, lang),
            _ => s.to_string(),
        },
        _ => s.to_string(),
    }
}

/// A moment in the region's time zone: `6 Desember 2026, 16.27 WIB`
/// (Indonesian writes the time with a dot), `6 December 2026, 16:27 WIB`.
pub fn moment_words(ms: i64, zone: wilayah::TimeZone, lang: crate::web::ui::Lang) -> String {
    let secs = ms.div_euclid(1000) + zone.utc_offset_hours() * 3600;
    let (y, m, d) = kalender::civil::civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    let sep = if lang == crate::web::ui::Lang::En { ':' } else { '.' };
    format!("{}, {:02}{sep}{:02} {}", date_words(y, m, d, lang), rem / 3600, rem % 3600 / 60, zone.abbreviation())
}

/// A datastore cell on a page: numbers with Indonesian separators, except
/// in columns of years and codes (`2024`, not `2.024`).
pub fn cell(v: &serde_json::Value, column: &str) -> String {
    let plain = ["tahun", "year", "kode", "code", "id", "nip", "npwp"]
        .iter()
        .any(|w| column.to_ascii_lowercase().split(['_', '-', ' ']).any(|p| p == *w));
    match v {
        serde_json::Value::Null => "–".into(),
        serde_json::Value::Number(n) if !plain => match n.as_i64() {
            Some(i) => thousands(i),
            None => n.as_f64().map(|f| decimal(f, 2)).unwrap_or_else(|| n.to_string()),
        },
        serde_json::Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

/// A JSON value as a CSV cell: NULL empty, text as is, the rest as JSON.
pub fn cell_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

/// One delimited line (quoted where needed), newline included. A text cell
/// that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab or
/// carriage return first, and not a number) is written after a `'`, which
/// spreadsheets show as text and do not run.
pub fn csv_line<S: AsRef<[u8]>>(fields: impl IntoIterator<Item = S>, delimiter: u8) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().delimiter(delimiter).has_headers(false).from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = w.write_record(fields.into_iter().map(|f| defuse(f.as_ref()).into_owned()));
    w.into_inner().unwrap_or_default()
}

fn defuse(cell: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let formula = matches!(cell.first(), Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r'));
    let number = std::str::from_utf8(cell).is_ok_and(|s| s.parse::<f64>().is_ok());
    if formula && !number {
        let mut out = Vec::with_capacity(cell.len() + 1);
        out.push(b'\'');
        out.extend_from_slice(cell);
        std::borrow::Cow::Owned(out)
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uses_indonesian_separators() {
        assert_eq!(rupiah(1_250_000), "Rp 1.250.000");
        assert_eq!(thousands(83_762), "83.762");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(-1_000), "-1.000");
        assert_eq!(thousands(0), "0");
        assert_eq!(truncate("Luas panen padi sawah", 12), "Luas panen…");
        assert_eq!(truncate("pendek", 12), "pendek");
        assert_eq!(csv_line(["Kalitidu", "a, \"b\""], b','), b"Kalitidu,\"a, \"\"b\"\"\"\n".to_vec());
        // Formulas are defused; numbers, negative ones too, are not.
        assert_eq!(
            csv_line(["=HYPERLINK(\"x\")", "-12.5", "@SUM(A1)", "+1"], b','),
            b"\"'=HYPERLINK(\"\"x\"\")\",-12.5,'@SUM(A1),+1\n".to_vec()
        );
        assert_eq!(cell_text(&serde_json::json!(null)), "");
        assert_eq!(column_label("luas_panen_ha"), "Luas panen (ha)");
        assert_eq!(column_label("jumlah_penduduk"), "Jumlah penduduk");
        assert_eq!(column_label("ha"), "Ha");
        assert_eq!(column_label("__"), "__");
        assert_eq!(decimal(63.4, 1), "63,4");
        assert_eq!(decimal(16689.0, 1), "16.689");
        assert_eq!(decimal(1234.56, 2), "1.234,56");
        assert_eq!(decimal(-0.04, 1), "0");
        assert_eq!(decimal(-2.5, 1), "-2,5");
        use crate::web::ui::Lang;
        assert_eq!(iso_date_words("2026-12-03", Lang::Id), "3 Desember 2026");
        assert_eq!(iso_date_words("2026-12-03T10:00:00+07:00", Lang::En), "3 December 2026");
        assert_eq!(iso_date_words("kemarin", Lang::Id), "kemarin");
        // 2026-11-28T23:30:00Z is the 29th in Bojonegoro.
        assert_eq!(moment_words(1_795_908_600_000, wilayah::TimeZone::Wib, Lang::Id), "29 November 2026, 06.30 WIB");
        assert_eq!(moment_words(1_795_908_600_000, wilayah::TimeZone::Wib, Lang::En), "29 November 2026, 06:30 WIB");
        assert_eq!(cell(&serde_json::json!(16689), "jumlah"), "16.689");
        assert_eq!(cell(&serde_json::json!(63.4), "persen"), "63,4");
        assert_eq!(cell(&serde_json::json!(2024), "tahun"), "2024");
        assert_eq!(cell(&serde_json::json!(null), "x"), "–");
    }
}
