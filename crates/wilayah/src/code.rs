//! Kemendagri region codes: parsed, ordered so a subtree is a contiguous range.

use std::fmt;
use std::str::FromStr;

/// A Kemendagri region code, dotted 2-2-2-4: `35` > `35.22` > `35.22.01` >
/// `35.22.01.2001`. Parsing also takes the undotted form BPS uses
/// (`3522012001`). Codes order so that every region comes right before its
/// descendants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Code {
    // Field order matters: the derived ordering is (province, regency,
    // district, village), and a missing segment is 0, which no real segment
    // is, so ancestors sort first.
    province: u8,
    regency: u8,
    district: u8,
    village: u16,
}

/// The administrative level of a region, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Provinsi,
    Kabupaten,
    Kota,
    Kecamatan,
    Desa,
    Kelurahan,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Provinsi => "provinsi",
            Level::Kabupaten => "kabupaten",
            Level::Kota => "kota",
            Level::Kecamatan => "kecamatan",
            Level::Desa => "desa",
            Level::Kelurahan => "kelurahan",
        }
    }

    /// 1 for provinces down to 4 for villages.
    pub fn depth(self) -> u8 {
        match self {
            Level::Provinsi => 1,
            Level::Kabupaten | Level::Kota => 2,
            Level::Kecamatan => 3,
            Level::Desa | Level::Kelurahan => 4,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a string is not a region code. The message says what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeError {
    input: String,
    reason: &'static str,
}

impl CodeError {
    /// The input, cut to 40 characters.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// A stable name of the reason (`empty`, `characters`, `split`,
    /// `too_long`, `segments`, `width`, `village_width`, `number`, `zero`),
    /// for callers that word the message in another language.
    pub fn reason_code(&self) -> &'static str {
        match self.reason {
            EMPTY => "empty",
            CHARACTERS => "characters",
            SPLIT => "split",
            TOO_LONG => "too_long",
            SEGMENTS => "segments",
            VILLAGE_WIDTH => "village_width",
            WIDTH => "width",
            NUMBER => "number",
            _ => "zero",
        }
    }
}

const EMPTY: &str = "it is empty";
const CHARACTERS: &str = "only digits and dots are allowed";
const SPLIT: &str = "the digits do not split into 2-2-2-4 segments";
const TOO_LONG: &str = "too many digits";
const SEGMENTS: &str = "a code has at most four segments";
const VILLAGE_WIDTH: &str = "the village segment has four digits";
const WIDTH: &str = "the province, regency and district segments have two digits";
const NUMBER: &str = "a segment is not a number";
const ZERO: &str = "no segment is zero";

impl fmt::Display for CodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}' is not a region code: {} (expected e.g. 35, 35.22, 35.22.01 or 35.22.01.2001)", self.input, self.reason)
    }
}

impl std::error::Error for CodeError {}

const WIDTHS: [usize; 4] = [2, 2, 2, 4];

impl Code {
    pub fn parse(input: &str) -> Result<Code, CodeError> {
        let err = |reason| CodeError { input: input.chars().take(40).collect(), reason };
        let s = input.trim();
        if s.is_empty() {
            return Err(err(EMPTY));
        }
        if !s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Err(err(CHARACTERS));
        }
        let segments: Vec<&str> = if s.contains('.') {
            s.split('.').collect()
        } else {
            // Undotted (BPS) form: cut by the known widths.
            let mut out = Vec::new();
            let mut rest = s;
            for w in WIDTHS {
                if rest.is_empty() {
                    break;
                }
                if rest.len() < w {
                    return Err(err(SPLIT));
                }
                let (head, tail) = rest.split_at(w);
                out.push(head);
                rest = tail;
            }
            if !rest.is_empty() {
                return Err(err(TOO_LONG));
            }
            out
        };
        if segments.len() > 4 {
            return Err(err(SEGMENTS));
        }
        let mut values = [0u16; 4];
        for (i, seg) in segments.iter().enumerate() {
            if seg.len() != WIDTHS[i] {
                return Err(err(if i == 3 { VILLAGE_WIDTH } else { WIDTH }));
            }
            let v: u16 = seg.parse().map_err(|_| err(NUMBER))?;
            if v == 0 {
                return Err(err(ZERO));
            }
            values[i] = v;
        }
        Ok(Code { province: values[0] as u8, regency: values[1] as u8, district: values[2] as u8, village: values[3] })
    }

    /// How many segments: 1 (province) to 4 (village).
    pub fn depth(&self) -> u8 {
        if self.village != 0 {
            4
        } else if self.district != 0 {
            3
        } else if self.regency != 0 {
            2
        } else {
            1
        }
    }

    /// The level, read from the digits alone: regencies 01-69 are kabupaten,
    /// 71-99 kota; a village whose last segment starts with 1 is a kelurahan,
    /// otherwise (2 desa, 3 desa adat) a desa.
    pub fn level(&self) -> Level {
        match self.depth() {
            1 => Level::Provinsi,
            2 if self.regency >= 70 => Level::Kota,
            2 => Level::Kabupaten,
            3 => Level::Kecamatan,
            _ if self.village / 1000 == 1 => Level::Kelurahan,
            _ => Level::Desa,
        }
    }

    pub fn parent(&self) -> Option<Code> {
        let mut p = *self;
        match self.depth() {
            1 => return None,
            2 => p.regency = 0,
            3 => p.district = 0,
            _ => p.village = 0,
        }
        Some(p)
    }

    /// The ancestors from the province down, excluding this code.
    pub fn ancestors(&self) -> Vec<Code> {
        let mut out = Vec::new();
        let mut cur = self.parent();
        while let Some(c) = cur {
            out.push(c);
            cur = c.parent();
        }
        out.reverse();
        out
    }

    /// True when `other` is this code or lies below it.
    pub fn contains(&self, other: &Code) -> bool {
        let d = self.depth();
        other.depth() >= d
            && self.province == other.province
            && (d < 2 || self.regency == other.regency)
            && (d < 3 || self.district == other.district)
            && (d < 4 || self.village == other.village)
    }

    pub fn province_number(&self) -> u8 {
        self.province
    }

    /// The undotted form used by BPS (`3522012001`).
    pub fn bps(&self) -> String {
        self.to_string().replace('.', "")
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}", self.province)?;
        if self.regency != 0 {
            write!(f, ".{:02}", self.regency)?;
        }
        if self.district != 0 {
            write!(f, ".{:02}", self.district)?;
        }
        if self.village != 0 {
            write!(f, ".{:04}", self.village)?;
        }
        Ok(())
    }
}

impl FromStr for Code {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Code::parse(s)
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Code::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: Result<(&str, Level, Option<&str>), &str>) {
        match (Code::parse(input), expect) {
            (Ok(code), Ok((display, level, parent))) => {
                assert_eq!(code.to_string(), display, "{input}");
                assert_eq!(code.level(), level, "{input}");
                assert_eq!(code.parent().map(|p| p.to_string()).as_deref(), parent, "{input}");
            }
            (Err(e), Err(fragment)) => {
                assert!(e.to_string().contains(fragment), "{input}: {e}");
            }
            (got, want) => panic!("{input}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn parses_every_level() {
        check("35", Ok(("35", Level::Provinsi, None)));
        check("35.22", Ok(("35.22", Level::Kabupaten, Some("35"))));
        check("35.78", Ok(("35.78", Level::Kota, Some("35"))));
        check("35.22.01", Ok(("35.22.01", Level::Kecamatan, Some("35.22"))));
        check("35.22.01.2001", Ok(("35.22.01.2001", Level::Desa, Some("35.22.01"))));
        check("35.22.15.1001", Ok(("35.22.15.1001", Level::Kelurahan, Some("35.22.15"))));
        check("3522151001", Ok(("35.22.15.1001", Level::Kelurahan, Some("35.22.15"))));
        check(" 35.22 ", Ok(("35.22", Level::Kabupaten, Some("35"))));
    }

    #[test]
    fn rejects_malformed_codes_with_a_reason() {
        check("", Err("empty"));
        check("35.2", Err("two digits"));
        check("35.22.01.201", Err("four digits"));
        check("35.22.01.2001.1", Err("at most four"));
        check("35-22", Err("only digits"));
        check("abc", Err("only digits"));
        check("00.22", Err("zero"));
        check("352", Err("2-2-2-4"));
        check("35220120011", Err("too many"));
        check("35..22", Err("two digits"));
    }

    #[test]
    fn orders_ancestors_before_descendants() {
        let mut codes: Vec<Code> = ["35.22.01.2001", "35.22", "35.22.01", "35", "35.21", "36"].iter().map(|s| s.parse().unwrap()).collect();
        codes.sort();
        let shown: Vec<String> = codes.iter().map(|c| c.to_string()).collect();
        assert_eq!(shown, ["35", "35.21", "35.22", "35.22.01", "35.22.01.2001", "36"]);
        let bojonegoro: Code = "35.22".parse().unwrap();
        assert!(bojonegoro.contains(&"35.22.01.2001".parse().unwrap()));
        assert!(!bojonegoro.contains(&"35.21.01".parse().unwrap()));
        assert_eq!(
            Code::parse("35.22.01.2001").unwrap().ancestors().iter().map(|c| c.to_string()).collect::<Vec<_>>(),
            ["35", "35.22", "35.22.01"]
        );
    }
}
