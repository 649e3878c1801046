//! A problem found in a budget's lines: what is wrong (a kind with a stable
//! code) and where (line, field, and for spreadsheets the column), shared by
//! the APBDes and APBD checks so the application renders both alike.

use serde::Serialize;

/// A kind of problem with a stable snake_case code for the message catalogue.
pub trait Coded {
    fn code(&self) -> &'static str;
}

/// `line` is none for the budget as a whole; `column` (from 0) is set only
/// when the lines came from spreadsheet rows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem<F, K> {
    pub line: Option<usize>,
    pub field: Option<F>,
    pub column: Option<usize>,
    #[serde(flatten)]
    pub kind: K,
}

impl<F, K: Coded> Problem<F, K> {
    pub(crate) fn at(line: usize, field: F, kind: K) -> Problem<F, K> {
        Problem { line: Some(line), field: Some(field), column: None, kind }
    }

    /// About the whole file or budget, or a line without a field.
    pub(crate) fn whole(line: Option<usize>, kind: K) -> Problem<F, K> {
        Problem { line, field: None, column: None, kind }
    }

    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
}
