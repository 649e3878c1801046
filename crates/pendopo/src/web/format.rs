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
    }
}
