//! CKAN's search syntax, which is Solr's standard (Lucene) query language,
//! as harvesters and other clients write it in `fq` and `q`: `field:value`,
//! quoted phrases, `OR`/`AND`/`NOT` and `+`/`-`, parentheses, prefixes
//! (`pad*`), ranges `[a TO b]`/`{a TO b}` with `*` and `NOW` date math, on
//! CKAN's fields. Parsed here into clauses with Lucene's own meaning (each
//! clause must, should or must not match; see [`add`]), so a query selects
//! what it selects on CKAN; `search.rs` turns them into SQL. Pure: no I/O.

use crate::kernel::msg::Msg;

/// How a clause takes part in its group, as Lucene's `BooleanClause.Occur`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Occur {
    Must,
    Should,
    MustNot,
}

/// One clause: a term or a parenthesised group.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Clause {
    pub occur: Occur,
    pub node: Node,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Node {
    Group(Vec<Clause>),
    Term(Field, Value),
}

/// The fields of CKAN's index that Pendopo answers for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Field {
    /// The words of the dataset (CKAN's default field `text`).
    Text,
    Id,
    Name,
    Title,
    Notes,
    /// The agency's short name.
    Organization,
    /// The agency's id (or short name).
    OwnerOrg,
    Groups,
    Tags,
    ResFormat,
    LicenseId,
    /// CKAN's `active`, `draft` or `deleted`.
    State,
    Private,
    /// Always `dataset` here.
    Type,
    MetadataCreated,
    MetadataModified,
    /// Pendopo's own facet: the year the data is about.
    Year,
    /// A custom field (`extras_<key>` in CKAN's index).
    Extra(String),
}

impl Field {
    fn parse(name: &str) -> Option<Field> {
        Some(match name {
            "text" => Field::Text,
            "id" => Field::Id,
            "name" => Field::Name,
            "title" => Field::Title,
            "notes" => Field::Notes,
            "organization" => Field::Organization,
            "owner_org" => Field::OwnerOrg,
            "groups" => Field::Groups,
            "tags" => Field::Tags,
            "res_format" => Field::ResFormat,
            "license_id" => Field::LicenseId,
            "state" => Field::State,
            "private" => Field::Private,
            "type" | "dataset_type" => Field::Type,
            "metadata_created" => Field::MetadataCreated,
            "metadata_modified" => Field::MetadataModified,
            "year" => Field::Year,
            _ => return name.strip_prefix("extras_").filter(|k| valid_extra(k)).map(|k| Field::Extra(k.to_string())),
        })
    }

    fn is_date(&self) -> bool {
        matches!(self, Field::MetadataCreated | Field::MetadataModified)
    }

    /// Whether a range means something on it (ordered values, not words or flags).
    fn is_ordered(&self) -> bool {
        matches!(self, Field::Id | Field::Name | Field::LicenseId | Field::Year | Field::Extra(_)) || self.is_date()
    }
}

/// Extra keys as the dataset form allows them: no quotes or dots to break a JSON path.
fn valid_extra(key: &str) -> bool {
    !key.is_empty() && key.len() <= 100 && key.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// What a term asks of its field.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// The value (a word, or a quoted phrase).
    Exact(String),
    /// Values starting with this (`pad*`).
    Prefix(String),
    /// Any value at all (`field:*`).
    Any,
    /// Between two bounds, each inclusive (`[ ]`) or not (`{ }`), either open (`*`).
    Range(Option<(Bound, bool)>, Option<(Bound, bool)>),
}

/// A range's bound: text, or (on the date fields) milliseconds since 1970.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Bound {
    Text(String),
    Millis(i64),
}

/// A query that cannot be answered: said as a Search Query Error.
pub type Refused = Msg;

/// Parses `text` with `Text` as the default field; `now_ms` is Solr's `NOW`.
pub fn parse(text: &str, now_ms: i64) -> Result<Vec<Clause>, Refused> {
    let tokens = tokenize(text)?;
    let mut parser = Parser { tokens: &tokens, at: 0, now_ms, depth: 0 };
    let clauses = parser.group(&Field::Text)?;
    match parser.tokens.get(parser.at) {
        None => Ok(clauses),
        Some(t) => Err(Msg::new("ckan.fq_unexpected").arg("token", t.shown())),
    }
}

/// Whether a `q` is only plain words (then it is ranked text search), not
/// the query language.
pub fn is_plain_words(q: &str) -> bool {
    let syntax = |c: char| matches!(c, ':' | '"' | '(' | ')' | '[' | ']' | '{' | '}' | '*' | '?' | '\\' | '^' | '~');
    !q.chars().any(syntax)
        && q.split_whitespace().all(|w| !matches!(w, "AND" | "OR" | "NOT" | "&&" | "||") && !w.starts_with(['+', '-', '!']))
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Not,
    Plus,
    /// A word, with `field:` attached when one was written before it.
    Word {
        field: Option<String>,
        text: String,
        quoted: bool,
    },
    /// `field:(` starts a group in that field.
    FieldGroup(String),
    Range {
        field: Option<String>,
        low: String,
        low_inclusive: bool,
        high: String,
        high_inclusive: bool,
    },
}

impl Token {
    fn shown(&self) -> String {
        match self {
            Token::Open | Token::FieldGroup(_) => "(".into(),
            Token::Close => ")".into(),
            Token::And => "AND".into(),
            Token::Or => "OR".into(),
            Token::Not => "NOT".into(),
            Token::Plus => "+".into(),
            Token::Word { text, .. } => text.clone(),
            Token::Range { low, high, .. } => format!("[{low} TO {high}]"),
        }
    }
}

/// Longest query accepted and deepest nesting: what a client writes is far
/// below either.
const MAX_CHARS: usize = 10_000;
const MAX_DEPTH: usize = 20;

fn tokenize(text: &str) -> Result<Vec<Token>, Refused> {
    if text.chars().count() > MAX_CHARS {
        return Err(Msg::new("ckan.fq_too_long").arg("max", MAX_CHARS));
    }
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        match c {
            '(' => {
                tokens.push(Token::Open);
                i += 1;
            }
            ')' => {
                tokens.push(Token::Close);
                i += 1;
            }
            '+' => {
                tokens.push(Token::Plus);
                i += 1;
            }
            '-' | '!' => {
                tokens.push(Token::Not);
                i += 1;
            }
            '&' | '|' if chars.get(i + 1) == Some(&c) => {
                tokens.push(if c == '&' { Token::And } else { Token::Or });
                i += 2;
            }
            _ => {
                // A field name, if a colon follows it; then its value.
                let (word, next) = read_word(&chars, i)?;
                let field = (chars.get(next) == Some(&':') && !word.is_empty()).then_some(word.clone());
                let value_at = if field.is_some() { next + 1 } else { i };
                let keyword = match word.as_str() {
                    "AND" => Some(Token::And),
                    "OR" => Some(Token::Or),
                    "NOT" => Some(Token::Not),
                    _ => None,
                };
                if let (None, Some(keyword)) = (&field, keyword) {
                    tokens.push(keyword);
                    i = next;
                    continue;
                }
                i = read_value(&chars, value_at, field, &mut tokens)?;
            }
        }
    }
    Ok(tokens)
}

/// A bare word from `i`: up to whitespace, a parenthesis or an unescaped
/// colon; backslash escapes the next character. Returns it and where it ends.
fn read_word(chars: &[char], mut i: usize) -> Result<(String, usize), Refused> {
    let mut word = String::new();
    while let Some(&c) = chars.get(i) {
        match c {
            '\\' => {
                let escaped = chars.get(i + 1).ok_or_else(|| Msg::new("ckan.fq_escape"))?;
                word.push(*escaped);
                i += 2;
                continue;
            }
            c if c.is_whitespace() || c == '(' || c == ')' || c == ':' => break,
            '^' | '~' => return Err(Msg::new("ckan.fq_unsupported").arg("what", c)),
            c => word.push(c),
        }
        i += 1;
    }
    Ok((word, i))
}

/// The value at `i` (after `field:` when there is one): a quoted phrase, a
/// range, `(` opening a group in that field, or a word.
fn read_value(chars: &[char], i: usize, field: Option<String>, tokens: &mut Vec<Token>) -> Result<usize, Refused> {
    match chars.get(i) {
        Some('"') => {
            let mut text = String::new();
            let mut j = i + 1;
            loop {
                match chars.get(j) {
                    None => return Err(Msg::new("ckan.fq_quote")),
                    Some('\\') => {
                        text.push(*chars.get(j + 1).ok_or_else(|| Msg::new("ckan.fq_escape"))?);
                        j += 2;
                    }
                    Some('"') => break,
                    Some(c) => {
                        text.push(*c);
                        j += 1;
                    }
                }
            }
            tokens.push(Token::Word { field, text, quoted: true });
            Ok(j + 1)
        }
        Some(open @ ('[' | '{')) => {
            let low_inclusive = *open == '[';
            let close = chars[i..].iter().position(|c| *c == ']' || *c == '}').map(|p| i + p).ok_or_else(|| Msg::new("ckan.fq_range"))?;
            let inside: String = chars[i + 1..close].iter().collect();
            let parts: Vec<&str> = inside.split(" TO ").map(str::trim).collect();
            let [low, high] = parts[..] else { return Err(Msg::new("ckan.fq_range")) };
            let unquote = |s: &str| s.trim_matches('"').replace('\\', "");
            tokens.push(Token::Range { field, low: unquote(low), low_inclusive, high: unquote(high), high_inclusive: chars[close] == ']' });
            Ok(close + 1)
        }
        Some('(') if field.is_some() => {
            tokens.push(Token::FieldGroup(field.expect("checked")));
            Ok(i + 1)
        }
        _ => {
            let (text, next) = read_word(chars, i)?;
            if text.is_empty() {
                return Err(Msg::new("ckan.fq_shape").arg("text", chars[i.saturating_sub(1)..].iter().take(40).collect::<String>()));
            }
            tokens.push(Token::Word { field, text, quoted: false });
            Ok(next)
        }
    }
}

struct Parser<'a> {
    tokens: &'a [Token],
    at: usize,
    now_ms: i64,
    depth: usize,
}

/// The conjunction written before a clause.
#[derive(Clone, Copy, PartialEq)]
enum Conj {
    None,
    And,
    Or,
}

impl Parser<'_> {
    /// Clauses up to a `)` or the end, in `field` unless a term names its own.
    fn group(&mut self, field: &Field) -> Result<Vec<Clause>, Refused> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Msg::new("ckan.fq_depth").arg("max", MAX_DEPTH));
        }
        let mut clauses = Vec::new();
        loop {
            let conj = match self.tokens.get(self.at) {
                Some(Token::And) => Conj::And,
                Some(Token::Or) => Conj::Or,
                _ => Conj::None,
            };
            if conj != Conj::None {
                self.at += 1;
            }
            let modifier = match self.tokens.get(self.at) {
                Some(Token::Not) => Some(Occur::MustNot),
                Some(Token::Plus) => Some(Occur::Must),
                _ => None,
            };
            if modifier.is_some() {
                self.at += 1;
            }
            let node = match self.tokens.get(self.at) {
                None | Some(Token::Close) if conj == Conj::None && modifier.is_none() => break,
                None | Some(Token::Close) => return Err(Msg::new("ckan.fq_dangling")),
                Some(_) => self.primary(field)?,
            };
            add(&mut clauses, conj, modifier, node);
        }
        self.depth -= 1;
        Ok(clauses)
    }

    fn primary(&mut self, field: &Field) -> Result<Node, Refused> {
        let token = self.tokens[self.at].clone();
        self.at += 1;
        match token {
            Token::Open => self.closed_group(field),
            Token::FieldGroup(name) => {
                let field = Field::parse(&name).ok_or_else(|| Msg::new("ckan.fq_field").arg("field", &name))?;
                self.closed_group(&field)
            }
            Token::Word { field: named, text, quoted } => {
                let field = self.field(named, field)?;
                Ok(Node::Term(field.clone(), self.word_value(&field, text, quoted)?))
            }
            Token::Range { field: named, low, low_inclusive, high, high_inclusive } => {
                let field = self.field(named, field)?;
                if !field.is_ordered() {
                    return Err(Msg::new("ckan.fq_unsupported").arg("what", format!("[{low} TO {high}]")));
                }
                let bound = |text: &str, inclusive: bool| -> Result<Option<(Bound, bool)>, Refused> {
                    if text == "*" {
                        return Ok(None);
                    }
                    Ok(Some((self.bound(&field, text)?, inclusive)))
                };
                Ok(Node::Term(field.clone(), Value::Range(bound(&low, low_inclusive)?, bound(&high, high_inclusive)?)))
            }
            other => Err(Msg::new("ckan.fq_unexpected").arg("token", other.shown())),
        }
    }

    fn closed_group(&mut self, field: &Field) -> Result<Node, Refused> {
        let clauses = self.group(field)?;
        match self.tokens.get(self.at) {
            Some(Token::Close) => {
                self.at += 1;
                Ok(Node::Group(clauses))
            }
            _ => Err(Msg::new("ckan.fq_parenthesis")),
        }
    }

    fn field(&self, named: Option<String>, default: &Field) -> Result<Field, Refused> {
        match named {
            Some(name) => Field::parse(&name).ok_or_else(|| Msg::new("ckan.fq_field").arg("field", &name)),
            None => Ok(default.clone()),
        }
    }

    fn word_value(&self, field: &Field, text: String, quoted: bool) -> Result<Value, Refused> {
        if !quoted && text == "*" {
            return Ok(Value::Any);
        }
        if !quoted && text.contains(['*', '?']) {
            let stem = text.strip_suffix('*').filter(|s| !s.contains(['*', '?']) && !s.is_empty());
            return match stem {
                Some(s) if !field.is_date() => Ok(Value::Prefix(s.to_string())),
                _ => Err(Msg::new("ckan.fq_unsupported").arg("what", &text)),
            };
        }
        if field.is_date() {
            // A date-time matches that instant: the range from it to it.
            let at = self.bound(field, &text)?;
            return Ok(Value::Range(Some((at.clone(), true)), Some((at, true))));
        }
        match field {
            Field::Private if !matches!(text.as_str(), "true" | "false") => Err(Msg::new("ckan.fq_boolean").arg("value", &text)),
            _ => Ok(Value::Exact(text)),
        }
    }

    fn bound(&self, field: &Field, text: &str) -> Result<Bound, Refused> {
        if !field.is_date() {
            return Ok(Bound::Text(text.to_string()));
        }
        date_math(text, self.now_ms).map(Bound::Millis).ok_or_else(|| Msg::new("ckan.fq_date").arg("value", text))
    }
}

/// Adds a clause as Lucene's classic query parser does, with AND as the
/// default operator (CKAN's): an `AND` makes the clause before it required,
/// an `OR` makes it optional; a clause is required unless an `OR` comes
/// before it or it is negated. So `a OR b` wants either, `a b` both,
/// `a OR b +c` only `c` (with `c` required, the optional clauses only rank),
/// exactly as a CKAN site's Solr reads them.
fn add(clauses: &mut Vec<Clause>, conj: Conj, modifier: Option<Occur>, node: Node) {
    if let Some(previous) = clauses.last_mut()
        && previous.occur != Occur::MustNot
    {
        match conj {
            Conj::And => previous.occur = Occur::Must,
            Conj::Or => previous.occur = Occur::Should,
            Conj::None => {}
        }
    }
    let occur = match modifier {
        Some(Occur::MustNot) => Occur::MustNot,
        Some(_) => Occur::Must,
        None if conj == Conj::Or => Occur::Should,
        None => Occur::Must,
    };
    clauses.push(Clause { occur, node });
}

/// Solr's date math on a date-time: `NOW`, an RFC 3339 instant (a missing
/// zone read as UTC) or a date, then any of `+3DAYS`, `-1MONTH`, `/DAY`.
pub fn date_math(text: &str, now_ms: i64) -> Option<i64> {
    let text = text.trim();
    let millis = |t: kalender::civil::Stamp| t.seconds * 1000 + i64::from(t.nanos / 1_000_000);
    let (mut at, mut rest) = if let Some(rest) = text.strip_prefix("NOW") {
        (now_ms, rest)
    } else if let Some(t) = kalender::civil::parse_rfc3339(text) {
        return Some(millis(t));
    } else if let Some(z) = text.find(['Z', 'z']) {
        // Math after an instant comes after its `Z`, as Solr writes it.
        (millis(kalender::civil::parse_rfc3339(&text[..=z])?), &text[z + 1..])
    } else {
        let date: kalender::Date = text.get(..10)?.parse().ok()?;
        (date.days_since_epoch() * 86_400_000, &text[10..])
    };
    while !rest.is_empty() {
        let op = rest.chars().next()?;
        rest = &rest[1..];
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        let n: i64 = if op == '/' { 1 } else { rest[..digits].parse().ok()? };
        rest = &rest[digits..];
        let unit_len = rest.chars().take_while(char::is_ascii_alphabetic).count();
        let unit = rest[..unit_len].trim_end_matches('S');
        rest = &rest[unit_len..];
        let unit_ms: i64 = match unit {
            "MILLI" | "MILLISECOND" => 1,
            "SECOND" => 1000,
            "MINUTE" => 60_000,
            "HOUR" => 3_600_000,
            "DAY" | "DATE" => 86_400_000,
            "WEEK" => 7 * 86_400_000,
            "MONTH" => 30 * 86_400_000,
            "YEAR" => 365 * 86_400_000,
            _ => return None,
        };
        at = match op {
            '+' => at.checked_add(n.checked_mul(unit_ms)?)?,
            '-' => at.checked_sub(n.checked_mul(unit_ms)?)?,
            '/' => at.div_euclid(unit_ms) * unit_ms,
            _ => return None,
        };
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(field: Field, v: &str) -> Node {
        Node::Term(field, Value::Exact(v.into()))
    }

    fn occurs(q: &str) -> Vec<Occur> {
        parse(q, 0).unwrap().iter().map(|c| c.occur).collect()
    }

    #[test]
    fn clauses_take_lucene_s_meaning() {
        use Occur::*;
        assert_eq!(occurs("organization:a OR organization:b"), [Should, Should]);
        assert_eq!(occurs("organization:a organization:b"), [Must, Must]);
        assert_eq!(occurs("organization:a AND organization:b"), [Must, Must]);
        assert_eq!(occurs("-organization:x -groups:y"), [MustNot, MustNot]);
        assert_eq!(occurs("organization:a OR organization:b metadata_modified:[2026-01-01T00:00:00Z TO *]"), [Should, Should, Must]);
        assert_eq!(occurs("a NOT b"), [Must, MustNot]);
        assert_eq!(occurs("+a b"), [Must, Must]);
    }

    #[test]
    fn fields_values_groups_and_ranges() {
        let q = parse(r#"tags:"jalan rusak" organization:(dishub OR dinkes) name:pad* res_format:*"#, 0).unwrap();
        assert_eq!(q[0].node, term(Field::Tags, "jalan rusak"));
        let Node::Group(orgs) = &q[1].node else { panic!("{q:?}") };
        assert_eq!(
            orgs.iter().map(|c| (&c.node, c.occur)).collect::<Vec<_>>(),
            [(&term(Field::Organization, "dishub"), Occur::Should), (&term(Field::Organization, "dinkes"), Occur::Should)]
        );
        assert_eq!(q[2].node, Node::Term(Field::Name, Value::Prefix("pad".into())));
        assert_eq!(q[3].node, Node::Term(Field::ResFormat, Value::Any));
        let r = parse("metadata_modified:[2026-01-01T00:00:00.123456Z TO NOW] name:{a TO m]", 1_800_000_000_000).unwrap();
        assert_eq!(
            r[0].node,
            Node::Term(
                Field::MetadataModified,
                Value::Range(Some((Bound::Millis(1_767_225_600_123), true)), Some((Bound::Millis(1_800_000_000_000), true)))
            )
        );
        assert_eq!(
            r[1].node,
            Node::Term(Field::Name, Value::Range(Some((Bound::Text("a".into()), false)), Some((Bound::Text("m".into()), true))))
        );
        assert_eq!(parse("extras_sumber:BPS", 0).unwrap()[0].node, term(Field::Extra("sumber".into()), "BPS"));
        assert_eq!(parse("padi jagung", 0).unwrap()[1].node, term(Field::Text, "jagung"));
        assert_eq!(parse(r"id:a\:b", 0).unwrap()[0].node, term(Field::Id, "a:b"));
    }

    #[test]
    fn what_cannot_be_answered_is_refused_with_a_reason() {
        for (q, key) in [
            ("author:budi", "ckan.fq_field"),
            ("tags:\"open", "ckan.fq_quote"),
            ("(tags:a", "ckan.fq_parenthesis"),
            ("tags:a)", "ckan.fq_unexpected"),
            ("tags:a OR", "ckan.fq_dangling"),
            ("title:padi~2", "ckan.fq_unsupported"),
            ("name:p*d", "ckan.fq_unsupported"),
            ("metadata_modified:[kemarin TO *]", "ckan.fq_date"),
            ("metadata_modified:[2026-01-01", "ckan.fq_range"),
            ("private:mungkin", "ckan.fq_boolean"),
            ("title:[a TO b]", "ckan.fq_unsupported"),
        ] {
            assert_eq!(parse(q, 0).unwrap_err().key, key, "{q}");
        }
        let deep = format!("{}tags:a{}", "(".repeat(50), ")".repeat(50));
        assert_eq!(parse(&deep, 0).unwrap_err().key, "ckan.fq_depth");
    }

    #[test]
    fn solr_date_math() {
        let day = 86_400_000;
        let now = 20_000 * day + 5_000;
        assert_eq!(date_math("NOW", now), Some(now));
        assert_eq!(date_math("NOW/DAY", now), Some(20_000 * day));
        assert_eq!(date_math("NOW-7DAYS/DAY", now), Some(19_993 * day));
        assert_eq!(date_math("2026-01-01", 0), Some(20_454 * day));
        assert_eq!(date_math("2026-01-01T00:00:00Z+1DAY", 0), Some(20_455 * day));
        assert_eq!(date_math("2026-01-01T07:00:00+07:00", 0), Some(20_454 * day));
        assert_eq!(date_math("NOW-1FORTNIGHT", now), None);
    }

    #[test]
    fn plain_words_are_told_from_the_language() {
        assert!(is_plain_words("produksi padi 2024"));
        for q in ["name:padi", "padi OR jagung", "pad*", "-padi", "\"padi sawah\"", "(padi)"] {
            assert!(!is_plain_words(q), "{q}");
        }
    }
}
