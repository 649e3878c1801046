//! Recognising and parsing single cell values.
//!
//! Everything here works on ASCII bytes: every typed value (numbers, dates,
//! booleans) is ASCII, so a cell with any other byte is text whatever the file
//! encoding, and no cell has to be decoded before it is typed.

use crate::Date;

/// The value is a plain integer that fits in `i64`, without a leading zero.
pub(crate) const F_INT: u16 = 1;
/// The value is exactly `0` or `1`.
pub(crate) const F_BOOL01: u16 = 2;
/// A number with a decimal point or an exponent that cannot be a thousands group.
pub(crate) const F_DEC_DOT: u16 = 4;
/// `1.250`, `-12.500`: a decimal point or an Indonesian thousands separator.
pub(crate) const F_DEC_AMBIG: u16 = 8;
/// `1,5`: a decimal comma.
pub(crate) const F_DEC_COMMA: u16 = 16;
/// A calendar date in one of the accepted forms.
pub(crate) const F_DATE: u16 = 32;
/// An ISO 8601 date and time.
pub(crate) const F_TS: u16 = 64;
/// `true`/`false`, `ya`/`tidak`, `yes`/`no` in any case.
pub(crate) const F_BOOL_WORD: u16 = 128;
/// `1,200`: a decimal comma (1.2) or an English thousands separator (1200).
pub(crate) const F_COMMA_AMBIG: u16 = 256;
/// `1.234.567`: Indonesian thousands points, a whole number.
pub(crate) const F_ID_INT: u16 = 512;
/// `1.200,50`: Indonesian thousands points and a decimal comma.
pub(crate) const F_ID_DEC: u16 = 1024;
/// `1,234,567`: English thousands commas, a whole number.
pub(crate) const F_EN_INT: u16 = 2048;
/// `1,200.50`: English thousands commas and a decimal point.
pub(crate) const F_EN_DEC: u16 = 4096;
/// A spreadsheet's number cell with a fraction: a number in any convention.
pub(crate) const F_NUM_CELL: u16 = 8192;

const MS_PER_DAY: i64 = 86_400_000;

/// Says which typed forms a trimmed, non-empty value has (a set of `F_*` flags; 0 means text only).
pub(crate) fn classify(s: &[u8]) -> u16 {
    match s.first() {
        Some(b'0'..=b'9' | b'+' | b'-' | b'.') => classify_number_or_date(s),
        Some(b'a'..=b'z' | b'A'..=b'Z') if parse_bool_word(s).is_some() => F_BOOL_WORD,
        _ => 0,
    }
}

fn count_digits(s: &[u8]) -> usize {
    s.iter().take_while(|b| b.is_ascii_digit()).count()
}

fn classify_number_or_date(s: &[u8]) -> u16 {
    let signed = matches!(s[0], b'+' | b'-');
    let body = if signed { &s[1..] } else { s };
    let int_digits = count_digits(body);
    let rest = &body[int_digits..];
    // A leading zero ("007", "0812...") marks an identifier or a phone number:
    // reading it as a number would lose the zeros, so it stays text.
    let leading_zero = int_digits > 1 && body[0] == b'0';
    let Some(&next) = rest.first() else {
        if int_digits == 0 || leading_zero {
            return 0;
        }
        return match parse_int(s) {
            Some(0 | 1) if !signed => F_INT | F_BOOL01,
            Some(_) => F_INT,
            // Too long for i64: a code, not a quantity; as a float it would lose digits.
            None => 0,
        };
    };
    match next {
        b'-' | b'/' if !signed && int_digits > 0 => {
            if parse_date(s).is_some() {
                F_DATE
            } else if parse_timestamp(s, 0).is_some() {
                F_TS
            } else {
                0
            }
        }
        b'.' | b',' if !leading_zero && int_digits > 0 && rest[1..].iter().any(|b| matches!(b, b'.' | b',')) => classify_grouped(body),
        b'.' | b'e' | b'E' if !leading_zero => {
            let (frac_digits, after) = if next == b'.' {
                let n = count_digits(&rest[1..]);
                (n, &rest[1 + n..])
            } else {
                (0, rest)
            };
            if int_digits + frac_digits == 0 {
                return 0;
            }
            let has_exponent = !after.is_empty();
            if has_exponent && !is_exponent(after) {
                return 0;
            }
            // "1.250" could be 1.25 or Indonesian 1250: say so, the column decides.
            if next == b'.' && !has_exponent && frac_digits == 3 && (1..=3).contains(&int_digits) && body[0] != b'0' {
                F_DEC_AMBIG
            } else {
                F_DEC_DOT
            }
        }
        b',' if !leading_zero && int_digits > 0 => {
            let n = count_digits(&rest[1..]);
            if n == 0 || 1 + n != rest.len() {
                0
            } else if n == 3 && int_digits <= 3 && body[0] != b'0' {
                // "1,200": 1.2 to an Indonesian, 1200 to an English reader.
                F_COMMA_AMBIG
            } else {
                F_DEC_COMMA
            }
        }
        _ => 0,
    }
}

/// A number with two or more separators (`body` without its sign, starting
/// with a digit): groups of three split by one mark, optionally followed by
/// the other mark and a fraction (`1.234.567`, `1.200,50`, `1,234,567.5`).
/// Anything else (`1.2.3`, `35.22.01`, `1,2.3`) is text.
fn classify_grouped(body: &[u8]) -> u16 {
    let marks: Vec<usize> = body.iter().enumerate().filter(|(_, b)| matches!(b, b'.' | b',')).map(|(i, _)| i).collect();
    let group = body[marks[0]];
    let last = *marks.last().expect("two marks at least");
    // A fraction after the other mark, or no fraction at all.
    let (int_end, fraction) = if body[last] != group { (last, Some(&body[last + 1..])) } else { (body.len(), None) };
    let int_part = &body[..int_end];
    let mut groups = int_part.split(|&b| b == group);
    let first = groups.next().unwrap_or_default();
    let first_ok = (1..=3).contains(&first.len()) && first[0] != b'0' && first.iter().all(u8::is_ascii_digit);
    let mut rest_ok = true;
    let mut n = 0;
    for g in groups {
        n += 1;
        rest_ok &= g.len() == 3 && g.iter().all(u8::is_ascii_digit);
    }
    let fraction_ok = fraction.is_none_or(|f| !f.is_empty() && f.iter().all(u8::is_ascii_digit));
    if !first_ok || !rest_ok || !fraction_ok || n == 0 {
        return 0;
    }
    match (group, fraction.is_some()) {
        (b'.', false) => F_ID_INT,
        (b'.', true) => F_ID_DEC,
        (_, false) => F_EN_INT,
        (_, true) => F_EN_DEC,
    }
}

/// A number written in one convention as plain text with a decimal point,
/// into `out`: the thousands marks (`.` when `decimal_comma`, else `,`) are
/// dropped where they split groups of three, and the decimal mark becomes a
/// point. Misplaced marks are kept, so the parse that follows fails.
fn plain_number<'a>(s: &[u8], decimal_comma: bool, out: &'a mut [u8; 64]) -> Option<&'a [u8]> {
    let (decimal, group) = if decimal_comma { (b',', b'.') } else { (b'.', b',') };
    if s.len() > out.len() {
        return None;
    }
    let sign = usize::from(matches!(s.first(), Some(b'+' | b'-')));
    let int_end = s.iter().position(|&b| b == decimal || b == b'e' || b == b'E').unwrap_or(s.len());
    let int_part = &s[sign..int_end];
    let mut n = 0;
    let mut push = |b: u8| {
        out[n] = b;
        n += 1;
    };
    s[..sign].iter().for_each(|&b| push(b));
    if int_part.contains(&group) {
        let mut groups = int_part.split(|&b| b == group);
        let first = groups.next()?;
        if first.is_empty() || first.len() > 3 || first[0] == b'0' {
            return None;
        }
        first.iter().for_each(|&b| push(b));
        for g in groups {
            if g.len() != 3 {
                return None;
            }
            g.iter().for_each(|&b| push(b));
        }
    } else {
        int_part.iter().for_each(|&b| push(b));
    }
    for &b in &s[int_end..] {
        push(if b == decimal { b'.' } else { b });
    }
    Some(&out[..n])
}

/// An integer in a column's convention (`1.234.567` when `decimal_comma`, `1,234,567` when not).
pub(crate) fn parse_int_in(s: &[u8], decimal_comma: bool) -> Option<i64> {
    parse_int(plain_number(s, decimal_comma, &mut [0; 64])?)
}

/// A number in a column's convention (`1.200,50` when `decimal_comma`, `1,200.50` when not).
pub(crate) fn parse_num_in(s: &[u8], decimal_comma: bool) -> Option<f64> {
    parse_num(plain_number(s, decimal_comma, &mut [0; 64])?, false)
}

/// `e5`, `E-3`, `e+10`: the whole of `s` must be the exponent.
fn is_exponent(s: &[u8]) -> bool {
    let Some((&e, rest)) = s.split_first() else { return false };
    if e != b'e' && e != b'E' {
        return false;
    }
    let rest = match rest.first() {
        Some(b'+' | b'-') => &rest[1..],
        _ => rest,
    };
    !rest.is_empty() && rest.iter().all(u8::is_ascii_digit)
}

/// An integer with an optional sign; leading zeros are accepted here (only inference refuses them).
pub(crate) fn parse_int(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    // Accumulate as a negative number so that i64::MIN parses too.
    let mut acc: i64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        acc = acc.checked_mul(10)?.checked_sub(i64::from(b - b'0'))?;
    }
    if neg { Some(acc) } else { acc.checked_neg() }
}

/// A decimal number: `[sign] digits [sep digits] [e [sign] digits]` where `sep` is `,` when
/// `decimal_comma`, else `.`; at least one mantissa digit. NaN and infinity are refused.
pub(crate) fn parse_num(s: &[u8], decimal_comma: bool) -> Option<f64> {
    let sep = if decimal_comma { b',' } else { b'.' };
    let body = match s.first()? {
        b'+' | b'-' => &s[1..],
        _ => s,
    };
    let int_digits = count_digits(body);
    let mut rest = &body[int_digits..];
    let mut frac_digits = 0;
    if rest.first() == Some(&sep) {
        frac_digits = count_digits(&rest[1..]);
        rest = &rest[1 + frac_digits..];
    }
    if int_digits + frac_digits == 0 || (!rest.is_empty() && !is_exponent(rest)) {
        return None;
    }
    let mut buf = [0u8; 64];
    let text = if decimal_comma {
        // Rust's float parser wants a point; copy to the stack rather than allocate.
        let dst = buf.get_mut(..s.len())?;
        for (d, &b) in dst.iter_mut().zip(s) {
            *d = if b == b',' { b'.' } else { b };
        }
        &*dst
    } else {
        s
    };
    std::str::from_utf8(text).ok()?.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// `true`/`false`, `ya`/`tidak`, `yes`/`no`, any case.
pub(crate) fn parse_bool_word(s: &[u8]) -> Option<bool> {
    const WORDS: [(&[u8], bool); 6] =
        [(b"true", true), (b"false", false), (b"ya", true), (b"tidak", false), (b"yes", true), (b"no", false)];
    WORDS.iter().find(|(w, _)| w.eq_ignore_ascii_case(s)).map(|&(_, v)| v)
}

/// A boolean word or `1`/`0`.
pub(crate) fn parse_bool(s: &[u8]) -> Option<bool> {
    match s {
        b"1" => Some(true),
        b"0" => Some(false),
        _ => parse_bool_word(s),
    }
}

fn digits_value(s: &[u8]) -> Option<u32> {
    if s.is_empty() || s.len() > 9 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u32, |acc, &b| acc * 10 + u32::from(b - b'0')))
}

/// `YYYY-MM-DD`, `DD/MM/YYYY` or `DD-MM-YYYY` (day and month may have one digit in the last two).
/// Day-first only: Indonesian usage, and never guessing month-first keeps it unambiguous.
pub(crate) fn parse_date(s: &[u8]) -> Option<Date> {
    if s.len() == 10 && s[4] == b'-' && s[7] == b'-' {
        return Date::from_ymd(digits_value(&s[..4])? as i32, digits_value(&s[5..7])?, digits_value(&s[8..])?);
    }
    let sep = *s.iter().find(|b| !b.is_ascii_digit())?;
    if sep != b'/' && sep != b'-' {
        return None;
    }
    let mut parts = s.split(|&b| b == sep);
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || d.len() > 2 || m.len() > 2 || y.len() != 4 {
        return None;
    }
    Date::from_ymd(digits_value(y)? as i32, digits_value(m)?, digits_value(d)?)
}

/// ISO 8601 date and time: `YYYY-MM-DD` then `T` or a space, `HH:MM[:SS[.fff]]`, then optionally
/// `Z` or an offset `±HH[[:]MM]`. Without a zone the time is read at `naive_offset_minutes` east of
/// UTC. Returns milliseconds since 1970-01-01T00:00Z.
pub(crate) fn parse_timestamp(s: &[u8], naive_offset_minutes: i32) -> Option<i64> {
    if s.len() < 16 || !matches!(s[10], b'T' | b't' | b' ') {
        return None;
    }
    let date = parse_date(&s[..10]).filter(|_| s[4] == b'-')?;
    let t = &s[11..];
    if t.len() < 5 || t[2] != b':' {
        return None;
    }
    let hour = digits_value(&t[..2])?;
    let minute = digits_value(&t[3..5])?;
    let mut rest = &t[5..];
    let mut second = 0;
    let mut millis = 0;
    if rest.first() == Some(&b':') {
        second = digits_value(rest.get(1..3)?)?;
        rest = &rest[3..];
        if matches!(rest.first(), Some(b'.' | b',')) {
            let n = count_digits(&rest[1..]);
            if n == 0 {
                return None;
            }
            // Keep milliseconds; finer digits are truncated (datastore timestamps are ms).
            for (i, &b) in rest[1..1 + n].iter().take(3).enumerate() {
                millis += u32::from(b - b'0') * [100, 10, 1][i];
            }
            rest = &rest[1 + n..];
        }
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let offset_minutes = match rest {
        [] => i64::from(naive_offset_minutes),
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), zone @ ..] => {
            let (h, m) = match zone {
                [a, b] => (digits_value(&[*a, *b])?, 0),
                [a, b, c, d] => (digits_value(&[*a, *b])?, digits_value(&[*c, *d])?),
                [a, b, b':', c, d] => (digits_value(&[*a, *b])?, digits_value(&[*c, *d])?),
                _ => return None,
            };
            if h > 14 || m > 59 {
                return None;
            }
            let total = i64::from(h * 60 + m);
            if *sign == b'-' { -total } else { total }
        }
        _ => return None,
    };
    let day_ms = ((i64::from(hour) * 60 + i64::from(minute)) * 60 + i64::from(second)) * 1000 + i64::from(millis);
    Some(i64::from(date.days_since_epoch()) * MS_PER_DAY + day_ms - offset_minutes * 60_000)
}

/// Midnight of `date` at `naive_offset_minutes` east of UTC, in ms since the epoch.
pub(crate) fn date_to_timestamp(date: Date, naive_offset_minutes: i32) -> i64 {
    i64::from(date.days_since_epoch()) * MS_PER_DAY - i64::from(naive_offset_minutes) * 60_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_int(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_int(b"9223372036854775808"), None);
        assert_eq!(parse_num(b"1,5", true), Some(1.5));
        assert_eq!(parse_num(b"1.5", true), None);
        assert_eq!(parse_num(b"inf", false), None);
        assert_eq!(parse_num(b"5.", false), Some(5.0));
        assert_eq!(parse_num(b".5", false), Some(0.5));
        assert_eq!(parse_num(b"+1,5", true), Some(1.5));
        assert_eq!(parse_num(b",", true), None);
        assert_eq!(parse_num(b"-2.5e3", false), Some(-2500.0));
        assert_eq!(classify(b"1.250"), F_DEC_AMBIG);
        assert_eq!(classify(b"0.250"), F_DEC_DOT);
        assert_eq!(classify(b"007"), 0);
        assert_eq!(classify(b"1,200"), F_COMMA_AMBIG);
        assert_eq!(classify(b"0,250"), F_DEC_COMMA);
        assert_eq!(classify(b"1.234.567"), F_ID_INT);
        assert_eq!(classify(b"-1.200,50"), F_ID_DEC);
        assert_eq!(classify(b"1,234,567"), F_EN_INT);
        assert_eq!(classify(b"1,200.50"), F_EN_DEC);
        for text in [&b"35.22.01"[..], b"1.2.3", b"1,2.3", b"1.200,", b"01.200,5", b"1.2000,5", b"1.200.50"] {
            assert_eq!(classify(text), 0, "{}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn numbers_in_a_convention() {
        assert_eq!(parse_num_in(b"1.200,50", true), Some(1200.5));
        assert_eq!(parse_num_in(b"-12.345.678,9", true), Some(-12_345_678.9));
        assert_eq!(parse_num_in(b"1,200", true), Some(1.2));
        assert_eq!(parse_num_in(b"1,200.50", false), Some(1200.5));
        assert_eq!(parse_num_in(b"1.250", false), Some(1.25));
        assert_eq!(parse_int_in(b"1.234.567", true), Some(1_234_567));
        assert_eq!(parse_int_in(b"1,200", false), Some(1200));
        assert_eq!(parse_int_in(b"12.345", true), Some(12_345));
        assert_eq!(parse_num_in(b"2.5", true), None, "a point where the column's decimal is a comma");
        assert_eq!(parse_num_in(b"1.20,5", true), None);
        assert_eq!(parse_int_in(b"007", false), Some(7));
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp(b"1970-01-01T07:00:00+07:00", 0), Some(0));
        assert_eq!(parse_timestamp(b"1970-01-01 00:00:00.123Z", 0), Some(123));
        assert_eq!(parse_timestamp(b"1970-01-01T07:00", 420), Some(0));
        assert_eq!(parse_timestamp(b"1970-01-01T24:00", 0), None);
    }
}
