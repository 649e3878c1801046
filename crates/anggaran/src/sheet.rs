//! Finding the header row of a spreadsheet the application has read into
//! rows of cells: exports put titles, the village's name and blank lines
//! above the table, and name the same column in several ways ("Kode
//! Rekening", "KODE REK.", "Kd_Rincian"), so the header is the first of the
//! top rows that names every required column under one of its aliases.

/// A header name reduced to lowercase words: `Anggaran (Rp)` and
/// `ANGGARAN  RP.` both become `anggaran`, `Kd_Rek` becomes `kd rek`.
pub(crate) fn normalise(name: &str) -> String {
    let spaced: String = name.chars().map(|c| if c.is_alphanumeric() { c.to_ascii_lowercase() } else { ' ' }).collect();
    let mut words: Vec<&str> = spaced.split_whitespace().collect();
    if words.len() > 1 && words.last() == Some(&"rp") {
        words.pop();
    }
    words.join(" ")
}

/// The cell at `column` of `row`, trimmed, or `""` past the row's end.
pub(crate) fn cell(row: &[String], column: usize) -> &str {
    row.get(column).map(|c| c.trim()).unwrap_or("")
}

/// Looks in the first `look` rows for a header naming every `required`
/// field; answers the header's index and, per field of `fields`, its column.
/// When no row qualifies, answers the required fields missing from the row
/// that came closest.
pub(crate) fn find_header<F: Copy + PartialEq>(
    rows: &[Vec<String>],
    fields: &[(F, &[&str])],
    required: &[F],
    look: usize,
) -> Result<(usize, Vec<Option<usize>>), Vec<F>> {
    let mut best: Option<Vec<F>> = None;
    for (at, row) in rows.iter().take(look).enumerate() {
        let names: Vec<String> = row.iter().map(|c| normalise(c)).collect();
        let columns: Vec<Option<usize>> =
            fields.iter().map(|(_, aliases)| names.iter().position(|n| aliases.contains(&n.as_str()))).collect();
        let missing: Vec<F> =
            required.iter().copied().filter(|r| fields.iter().zip(&columns).any(|((f, _), c)| f == r && c.is_none())).collect();
        if missing.is_empty() {
            return Ok((at, columns));
        }
        if best.as_ref().is_none_or(|b| missing.len() < b.len()) {
            best = Some(missing);
        }
    }
    Err(best.unwrap_or_else(|| required.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_are_normalised() {
        assert_eq!(normalise(" Anggaran (Rp) "), "anggaran");
        assert_eq!(normalise("KODE  REK."), "kode rek");
        assert_eq!(normalise("Kd_Rincian"), "kd rincian");
        assert_eq!(normalise("Rp"), "rp");
    }

    #[test]
    fn finds_the_header_below_titles() {
        let rows: Vec<Vec<String>> =
            [vec!["APBDES DESA SUKAMAJU"], vec![""], vec!["Kode Rekening", "Uraian", "Anggaran (Rp)"], vec!["4", "Pendapatan", "1"]]
                .iter()
                .map(|r| r.iter().map(|c| c.to_string()).collect())
                .collect();
        let fields: [(u8, &[&str]); 3] = [(0, &["kode rekening"]), (1, &["uraian"]), (2, &["anggaran", "jumlah"])];
        assert_eq!(find_header(&rows, &fields, &[0, 2], 10), Ok((2, vec![Some(0), Some(1), Some(2)])));
        assert_eq!(find_header(&rows[..2], &fields, &[0, 2], 10), Err(vec![0, 2]));
    }
}
