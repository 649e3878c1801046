//! Rupiah as an integer number of rupiah: budgets are planned and reported in
//! whole rupiah, so every sum and every comparison is exact and a total never
//! drifts from its lines the way float sums do.
//!
//! [`Rupiah::parse`] reads what people type and what spreadsheets hold:
//! `Rp 1.250.000`, `1.250.000,00`, `1250000`, `1,250,000`, `1250000.0`.
//! The rules, in order:
//!
//! 1. Spaces (also no-break spaces) at the ends, an `Rp`/`Rp.`/`IDR` prefix,
//!    one leading minus sign or the accountant's parentheses `(1.250.000)`
//!    (both negative), and the Indonesian `,-` ending (`Rp 1.250.000,-`: no
//!    sen) are taken away; nothing else may be left but digits, `.` and `,`.
//! 2. When both `.` and `,` appear, the one that comes last is the decimal
//!    separator (Indonesian `1.250.000,00`, English `1,250,000.00`).
//! 3. When only one of them appears, more than once, it separates thousands
//!    (`1.250.000`, `1,250,000`).
//! 4. When only one appears, once: followed by exactly three digits it
//!    separates thousands (`1.250` and `1,250` are both 1250, because an
//!    amount never has three decimals of a rupiah); followed by one or two
//!    digits it is the decimal separator (`1250,00`, and `1250000.0` as a
//!    spreadsheet writes a number).
//! 5. Thousands groups must be well formed: 1-3 digits not starting with 0,
//!    then groups of exactly 3 (`1.25.000` and `0,500` are refused rather
//!    than guessed).
//! 6. Decimals must all be zero: a fraction of a rupiah is refused, not
//!    rounded, because a rounded budget line no longer adds up to its source.

use serde::{Serialize, Serializer};
use std::fmt;
use std::iter::Sum;

/// An amount in whole rupiah. `i64` holds ±9.2 × 10^18 rupiah, a million
/// times a regency's yearly budget; sums are checked all the same, so a
/// corrupt file gives an error and never a wrapped total.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rupiah(i64);

/// Why an amount was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MoneyError {
    /// Nothing but spaces (or only `Rp`).
    Empty,
    /// A character that has no place in an amount (letters, `e`, `%`, ...).
    NotANumber,
    /// Thousands separators in the wrong places, or two decimal separators.
    Grouping,
    /// Decimals other than zero: a fraction of a rupiah.
    Fraction,
    /// Too large to hold, or a sum that would overflow.
    Overflow,
}

impl MoneyError {
    /// A stable key for the message catalogue.
    pub fn code(&self) -> &'static str {
        match self {
            MoneyError::Empty => "money_empty",
            MoneyError::NotANumber => "money_not_a_number",
            MoneyError::Grouping => "money_grouping",
            MoneyError::Fraction => "money_fraction",
            MoneyError::Overflow => "money_overflow",
        }
    }
}

impl fmt::Display for MoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MoneyError::Empty => "no amount given",
            MoneyError::NotANumber => "not an amount of rupiah",
            MoneyError::Grouping => "thousands separators in the wrong places",
            MoneyError::Fraction => "a fraction of a rupiah (only ,00 is allowed)",
            MoneyError::Overflow => "amount too large",
        })
    }
}

impl std::error::Error for MoneyError {}

impl Rupiah {
    pub const ZERO: Rupiah = Rupiah(0);

    pub const fn new(rupiah: i64) -> Rupiah {
        Rupiah(rupiah)
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub fn checked_add(self, other: Rupiah) -> Result<Rupiah, MoneyError> {
        self.0.checked_add(other.0).map(Rupiah).ok_or(MoneyError::Overflow)
    }

    pub fn checked_sub(self, other: Rupiah) -> Result<Rupiah, MoneyError> {
        self.0.checked_sub(other.0).map(Rupiah).ok_or(MoneyError::Overflow)
    }

    /// The exact sum, or [`MoneyError::Overflow`].
    pub fn sum<I: IntoIterator<Item = Rupiah>>(amounts: I) -> Result<Rupiah, MoneyError> {
        amounts.into_iter().try_fold(Rupiah::ZERO, Rupiah::checked_add)
    }

    /// `self` as a share of `whole` in basis points (1/100 of a percent),
    /// rounded half away from zero; `None` when `whole` is zero. Realisation
    /// 75.5% is 7550. Computed in i128, so it never overflows.
    pub fn share_bp(self, whole: Rupiah) -> Option<i64> {
        if whole.0 == 0 {
            return None;
        }
        let (n, d) = (self.0 as i128 * 10_000, whole.0 as i128);
        let (n, d) = if d < 0 { (-n, -d) } else { (n, d) };
        let q = if n >= 0 { (2 * n + d) / (2 * d) } else { -((-2 * n + d) / (2 * d)) };
        Some(q as i64)
    }

    /// Reads an amount as people and spreadsheets write it (rules in the
    /// module documentation).
    pub fn parse(input: &str) -> Result<Rupiah, MoneyError> {
        let mut s = input.trim_matches(|c: char| c.is_whitespace());
        let mut negative = false;
        if let Some(inner) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
            negative = true;
            s = inner.trim();
        }
        if let Some(rest) = s.strip_suffix(",-").or_else(|| s.strip_suffix(".-")) {
            s = rest.trim_end();
        }
        if !negative && let Some(rest) = s.strip_prefix('-') {
            negative = true;
            s = rest.trim_start();
        }
        for prefix in ["Rp.", "Rp", "RP.", "RP", "rp.", "rp", "IDR", "idr"] {
            if let Some(rest) = s.strip_prefix(prefix) {
                s = rest.trim_start();
                break;
            }
        }
        if !negative && let Some(rest) = s.strip_prefix('-') {
            negative = true;
            s = rest.trim_start();
        }
        if s.is_empty() {
            return Err(MoneyError::Empty);
        }
        if !s.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',') {
            return Err(MoneyError::NotANumber);
        }
        let (whole, decimals) = split_decimals(s)?;
        if !decimals.bytes().all(|b| b == b'0') {
            return Err(MoneyError::Fraction);
        }
        let mut value: i64 = 0;
        for b in whole.bytes().filter(u8::is_ascii_digit) {
            value = value.checked_mul(10).and_then(|v| v.checked_add((b - b'0') as i64)).ok_or(MoneyError::Overflow)?;
        }
        Ok(Rupiah(if negative { -value } else { value }))
    }

    /// `1.250.000`: Indonesian thousands separators, no currency sign.
    pub fn plain(self) -> String {
        let digits = self.0.unsigned_abs().to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
        if self.0 < 0 {
            out.push('-');
        }
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push('.');
            }
            out.push(c);
        }
        out
    }
}

/// Splits `s` (digits, `.` and `,` only) into its whole part (digits with
/// their thousands separators checked) and its decimals.
fn split_decimals(s: &str) -> Result<(&str, &str), MoneyError> {
    let dots = s.matches('.').count();
    let commas = s.matches(',').count();
    let decimal_at = match (dots, commas) {
        (0, 0) => None,
        (_, 0) | (0, _) => {
            let sep = if dots > 0 { '.' } else { ',' };
            let at = s.rfind(sep).unwrap_or_default();
            let after = s.len() - at - 1;
            if dots + commas > 1 || after == 3 { None } else { Some(at) }
        }
        _ => {
            let at = s.rfind(['.', ',']).unwrap_or_default();
            let sep = &s[at..at + 1];
            if s.matches(sep).count() > 1 {
                return Err(MoneyError::Grouping);
            }
            Some(at)
        }
    };
    let (whole, decimals) = match decimal_at {
        Some(at) => (&s[..at], &s[at + 1..]),
        None => (s, ""),
    };
    if decimal_at.is_some() && (decimals.is_empty() || whole.is_empty()) {
        return Err(MoneyError::Grouping);
    }
    check_groups(whole)?;
    Ok((whole, decimals))
}

fn check_groups(whole: &str) -> Result<(), MoneyError> {
    let mut groups = whole.split(['.', ',']);
    let first = groups.next().unwrap_or_default();
    let grouped = whole.contains(['.', ',']);
    if first.is_empty() || (grouped && (first.len() > 3 || first.starts_with('0'))) {
        return Err(MoneyError::Grouping);
    }
    if groups.any(|g| g.len() != 3) {
        return Err(MoneyError::Grouping);
    }
    Ok(())
}

/// `Rp 1.250.000`, and `-Rp 1.250.000` for a negative amount.
impl fmt::Display for Rupiah {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plain = self.plain();
        match plain.strip_prefix('-') {
            Some(digits) => write!(f, "-Rp {digits}"),
            None => write!(f, "Rp {plain}"),
        }
    }
}

impl std::str::FromStr for Rupiah {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Rupiah, MoneyError> {
        Rupiah::parse(s)
    }
}

/// As a JSON integer (whole rupiah), never a float.
impl Serialize for Rupiah {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.0)
    }
}

/// A sum that panics on overflow is no use in a server; this one saturates
/// and exists only for totals already known to fit (use [`Rupiah::sum`] on
/// untrusted input).
impl Sum for Rupiah {
    fn sum<I: Iterator<Item = Rupiah>>(iter: I) -> Rupiah {
        Rupiah(iter.fold(0i64, |a, b| a.saturating_add(b.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: Result<i64, MoneyError>) {
        assert_eq!(Rupiah::parse(input).map(Rupiah::get), expect, "{input:?}");
    }

    #[test]
    fn reads_the_forms_people_type() {
        check("Rp 1.250.000", Ok(1_250_000));
        check("Rp1.250.000", Ok(1_250_000));
        check("Rp. 1.250.000,00", Ok(1_250_000));
        check("1.250.000,00", Ok(1_250_000));
        check("1250000", Ok(1_250_000));
        check("1,250,000", Ok(1_250_000));
        check("1,250,000.00", Ok(1_250_000));
        check("IDR 750", Ok(750));
        check("  1.000\u{a0}", Ok(1000));
        check("0", Ok(0));
        check("-Rp 5.000", Ok(-5000));
        check("Rp -5.000", Ok(-5000));
        check("Rp 1.250.000,-", Ok(1_250_000));
        check("Rp. 500.-", Ok(500));
        check("(1.250.000)", Ok(-1_250_000));
        check("(Rp 7.500)", Ok(-7500));
    }

    #[test]
    fn spreadsheet_numbers() {
        check("1250000.0", Ok(1_250_000));
        check("1250000,00", Ok(1_250_000));
        check("1250000.00", Ok(1_250_000));
    }

    #[test]
    fn ambiguous_single_separator_with_three_digits_is_thousands() {
        check("1.250", Ok(1250));
        check("1,250", Ok(1250));
        check("12,500", Ok(12_500));
    }

    #[test]
    fn refuses_fractions_of_a_rupiah() {
        check("1.250.000,50", Err(MoneyError::Fraction));
        check("1250,5", Err(MoneyError::Fraction));
        check("1.25", Err(MoneyError::Fraction));
        check("1,250,000.01", Err(MoneyError::Fraction));
    }

    #[test]
    fn refuses_text_and_bad_grouping() {
        check("", Err(MoneyError::Empty));
        check("Rp", Err(MoneyError::Empty));
        check("satu juta", Err(MoneyError::NotANumber));
        check("1.25E+6", Err(MoneyError::NotANumber));
        check("1 250 000", Err(MoneyError::NotANumber));
        check("Rp 1.250.000 (dua)", Err(MoneyError::NotANumber));
        check("1.25.000", Err(MoneyError::Grouping));
        check("0,500", Err(MoneyError::Grouping));
        check("0.250.000", Err(MoneyError::Grouping));
        check("-(5)", Err(MoneyError::NotANumber));
        check("(-5)", Err(MoneyError::NotANumber));
        check("1250.000.000", Err(MoneyError::Grouping));
        check("1.250,000.00", Err(MoneyError::Grouping));
        check("1.250.000,00,00", Err(MoneyError::Grouping));
        check(",00", Err(MoneyError::Grouping));
        check("1000,", Err(MoneyError::Grouping));
        check("99999999999999999999", Err(MoneyError::Overflow));
    }

    #[test]
    fn formats_in_indonesian_style() {
        assert_eq!(Rupiah::new(1_250_000).to_string(), "Rp 1.250.000");
        assert_eq!(Rupiah::new(999).to_string(), "Rp 999");
        assert_eq!(Rupiah::new(0).to_string(), "Rp 0");
        assert_eq!(Rupiah::new(-7_000_000_000_000).to_string(), "-Rp 7.000.000.000.000");
        assert_eq!(Rupiah::new(1000).plain(), "1.000");
        assert_eq!(Rupiah::new(i64::MIN).to_string(), "-Rp 9.223.372.036.854.775.808");
        // What is printed reads back.
        for v in [0, 5, 1000, 1_250_000, -42_000] {
            assert_eq!(Rupiah::parse(&Rupiah::new(v).to_string()), Ok(Rupiah::new(v)));
        }
    }

    #[test]
    fn sums_are_exact_and_checked() {
        let lines = [Rupiah::new(800_000_000), Rupiah::new(350_000_001), Rupiah::new(-1)];
        assert_eq!(Rupiah::sum(lines), Ok(Rupiah::new(1_150_000_000)));
        assert_eq!(Rupiah::sum([Rupiah::new(i64::MAX), Rupiah::new(1)]), Err(MoneyError::Overflow));
    }

    #[test]
    fn shares_in_basis_points() {
        assert_eq!(Rupiah::new(755).share_bp(Rupiah::new(1000)), Some(7550));
        assert_eq!(Rupiah::new(1).share_bp(Rupiah::new(3)), Some(3333));
        assert_eq!(Rupiah::new(2).share_bp(Rupiah::new(3)), Some(6667));
        assert_eq!(Rupiah::new(5).share_bp(Rupiah::ZERO), None);
        assert_eq!(Rupiah::new(i64::MAX).share_bp(Rupiah::new(i64::MAX)), Some(10_000));
    }
}
