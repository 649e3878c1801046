//! Column type inference: every non-empty value of the column votes by elimination.

use crate::ColumnType;
use crate::value::{F_BOOL_WORD, F_BOOL01, F_DATE, F_DEC_AMBIG, F_DEC_COMMA, F_DEC_DOT, F_INT, F_TS};

const OK_INT: u8 = 1;
const OK_NUM_DOT: u8 = 2;
const OK_NUM_COMMA: u8 = 4;
const OK_DATE: u8 = 8;
const OK_TS: u8 = 16;
const OK_BOOL: u8 = 32;
const OK_ALL: u8 = 63;

/// Which column types a value with these `F_*` flags is compatible with.
fn compatible(flags: u16) -> u8 {
    let mut ok = 0;
    if flags & F_INT != 0 {
        ok |= OK_INT | OK_NUM_DOT | OK_NUM_COMMA;
    }
    if flags & (F_DEC_DOT | F_DEC_AMBIG) != 0 {
        ok |= OK_NUM_DOT;
    }
    if flags & F_DEC_COMMA != 0 {
        ok |= OK_NUM_COMMA;
    }
    if flags & F_DATE != 0 {
        ok |= OK_DATE | OK_TS;
    }
    if flags & F_TS != 0 {
        ok |= OK_TS;
    }
    if flags & (F_BOOL_WORD | F_BOOL01) != 0 {
        ok |= OK_BOOL;
    }
    ok
}

/// The outcome of inference for one column.
pub(crate) struct Decision {
    pub ty: ColumnType,
    pub decimal_comma: bool,
    pub ambiguous_thousands: bool,
}

/// Running inference state of one column.
#[derive(Clone)]
pub(crate) struct Infer {
    ok: u8,
    seen: u16,
    comma_allowed: bool,
    pub non_null: u64,
}

impl Infer {
    /// `decimal_comma_allowed` is false for comma-separated files, where "1,5" cannot be a number.
    pub fn new(decimal_comma_allowed: bool) -> Self {
        let ok = if decimal_comma_allowed { OK_ALL } else { OK_ALL & !OK_NUM_COMMA };
        Infer { ok, seen: 0, comma_allowed: decimal_comma_allowed, non_null: 0 }
    }

    /// True once every typed reading is ruled out: the caller may skip classifying values.
    #[inline]
    pub fn is_text(&self) -> bool {
        self.ok == 0
    }

    /// Records one non-empty value's `F_*` flags.
    #[inline]
    pub fn observe(&mut self, flags: u16) {
        self.non_null += 1;
        self.seen |= flags;
        self.ok &= compatible(flags);
    }

    /// Records a non-empty value already known to be text.
    #[inline]
    pub fn observe_text(&mut self) {
        self.non_null += 1;
        self.ok = 0;
    }

    /// The order of the checks is the precedence of the rules documented on the crate.
    pub fn decide(&self) -> Decision {
        let decimal_comma = self.comma_allowed && self.seen & F_DEC_COMMA != 0 && self.seen & (F_DEC_DOT | F_DEC_AMBIG) == 0;
        let ambiguous_thousands = self.ok & OK_NUM_DOT != 0 && self.seen & F_DEC_AMBIG != 0 && self.seen & F_DEC_DOT == 0;
        let ty = if self.non_null == 0 {
            ColumnType::Text
        } else if self.ok & OK_INT != 0 {
            ColumnType::Integer
        } else if self.ok & OK_BOOL != 0 && self.seen & F_BOOL_WORD != 0 {
            ColumnType::Boolean
        } else if (self.ok & OK_NUM_DOT != 0 && self.seen & F_DEC_DOT != 0) || (self.ok & OK_NUM_COMMA != 0 && self.seen & F_DEC_COMMA != 0)
        {
            ColumnType::Numeric
        } else if self.ok & OK_DATE != 0 {
            ColumnType::Date
        } else if self.ok & OK_TS != 0 {
            ColumnType::Timestamp
        } else {
            ColumnType::Text
        };
        Decision { ty, decimal_comma: decimal_comma && ty != ColumnType::Integer, ambiguous_thousands }
    }
}
