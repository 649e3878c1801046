//! Codelists: the `Code` column of the standard's codelist CSV files.

use std::collections::HashSet;

/// One codelist, by file name (as the schema's `codelist` keyword names it).
#[derive(Debug, Clone)]
pub(crate) struct Codelist {
    pub(crate) name: Box<str>,
    codes: HashSet<Box<str>>,
}

impl Codelist {
    /// Reads the `Code` column of a codelist CSV (RFC 4180: quoted fields may
    /// hold commas, quotes and line breaks, which the descriptions do).
    /// Returns `None` when there is no `Code` column.
    pub(crate) fn from_csv(name: &str, text: &str) -> Option<Codelist> {
        let mut rows = parse_csv(text).into_iter();
        let header = rows.next()?;
        let column = header.iter().position(|h| h.trim_start_matches('\u{feff}') == "Code")?;
        let codes = rows.filter_map(|row| row.into_iter().nth(column)).filter(|c| !c.is_empty()).map(String::into_boxed_str).collect();
        Some(Codelist { name: name.into(), codes })
    }

    pub(crate) fn contains(&self, code: &str) -> bool {
        self.codes.contains(code)
    }
}

/// Splits CSV text into rows of fields.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            ',' => row.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            _ => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::Codelist;

    #[test]
    fn reads_the_code_column_through_quoted_fields() {
        let csv = "Title,Code,Description\r\nOpen,open,\"Anyone may bid, \"\"really\"\"\nacross lines\"\r\nDirect,direct,x\n";
        let list = Codelist::from_csv("method.csv", csv).unwrap();
        assert!(list.contains("open"));
        assert!(list.contains("direct"));
        assert!(!list.contains("Open"));
        assert!(!list.contains("across lines"));
    }

    #[test]
    fn a_file_without_a_code_column_is_refused() {
        assert!(Codelist::from_csv("x.csv", "Name\nfoo\n").is_none());
    }
}
