//! Column type inference: every non-empty value of the column votes by elimination.

use crate::ColumnType;
use crate::value::{
    F_BOOL_WORD, F_BOOL01, F_COMMA_AMBIG, F_DATE, F_DEC_AMBIG, F_DEC_COMMA, F_DEC_DOT, F_EN_DEC, F_EN_INT, F_ID_DEC, F_ID_INT, F_INT,
    F_NUM_CELL, F_TS,
};

/// Plain integers, no separators.
const OK_INT: u8 = 1;
/// Numbers in the English convention: `,` thousands, `.` decimal.
const OK_NUM_EN: u8 = 2;
/// Numbers in the Indonesian convention: `.` thousands, `,` decimal.
const OK_NUM_ID: u8 = 4;
const OK_DATE: u8 = 8;
const OK_TS: u8 = 16;
const OK_BOOL: u8 = 32;
const OK_ALL: u8 = 63;

/// Number forms that are not plain integers: a column of numbers needs one.
const SEPARATED: u16 = F_DEC_DOT | F_DEC_AMBIG | F_DEC_COMMA | F_COMMA_AMBIG | F_ID_INT | F_ID_DEC | F_EN_INT | F_EN_DEC | F_NUM_CELL;
/// Forms that have a fraction when read in the English convention.
const FRACTION_EN: u16 = F_DEC_DOT | F_DEC_AMBIG | F_EN_DEC | F_NUM_CELL;
/// Forms that have a fraction when read in the Indonesian convention.
const FRACTION_ID: u16 = F_DEC_COMMA | F_COMMA_AMBIG | F_ID_DEC | F_NUM_CELL;

/// Which column types a value with these `F_*` flags is compatible with.
fn compatible(flags: u16) -> u8 {
    let mut ok = 0;
    if flags & F_INT != 0 {
        ok |= OK_INT | OK_NUM_EN | OK_NUM_ID;
    }
    if flags & (F_DEC_AMBIG | F_COMMA_AMBIG | F_NUM_CELL) != 0 {
        ok |= OK_NUM_EN | OK_NUM_ID;
    }
    if flags & (F_DEC_DOT | F_EN_INT | F_EN_DEC) != 0 {
        ok |= OK_NUM_EN;
    }
    if flags & (F_DEC_COMMA | F_ID_INT | F_ID_DEC) != 0 {
        ok |= OK_NUM_ID;
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
    pub non_null: u64,
}

impl Infer {
    pub fn new() -> Self {
        Infer { ok: OK_ALL, seen: 0, non_null: 0 }
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
        let text = Decision { ty: ColumnType::Text, decimal_comma: false, ambiguous_thousands: false };
        if self.non_null == 0 {
            return text;
        }
        if self.ok & OK_INT != 0 {
            return Decision { ty: ColumnType::Integer, ..text };
        }
        if self.ok & OK_BOOL != 0 && self.seen & F_BOOL_WORD != 0 {
            return Decision { ty: ColumnType::Boolean, ..text };
        }
        if self.ok & (OK_NUM_EN | OK_NUM_ID) != 0 && self.seen & SEPARATED != 0 {
            // The column's own values decide the convention; when they fit
            // both, the Indonesian one (the region's) is the default.
            let indonesian = self.ok & OK_NUM_ID != 0;
            let both = self.ok & OK_NUM_EN != 0 && indonesian;
            let fraction = if indonesian { FRACTION_ID } else { FRACTION_EN };
            let ty = if self.seen & fraction != 0 { ColumnType::Numeric } else { ColumnType::Integer };
            return Decision { ty, decimal_comma: indonesian, ambiguous_thousands: both && self.seen & (F_DEC_AMBIG | F_COMMA_AMBIG) != 0 };
        }
        if self.ok & OK_DATE != 0 {
            return Decision { ty: ColumnType::Date, ..text };
        }
        if self.ok & OK_TS != 0 {
            return Decision { ty: ColumnType::Timestamp, ..text };
        }
        text
    }
}
