//! The NGSI-LD query language (`q`, clause 4.9 of the spec): parsing into an
//! [`Expr`] tree, and testing an entity held in memory against it.
//!
//! Grammar, as read here (`;` binds tighter than `|`, as the clause says;
//! parentheses group, and may nest where the spec's ABNF allows one level):
//!
//! ```text
//! Query    = Or
//! Or       = And *("|" And)
//! And      = Factor *(";" Factor)
//! Factor   = "(" Query ")" / "!" Path / Path [Op Operand]
//! Path     = Name *("." Name) *("[" (Name *("." Name) / "*") "]")
//! Op       = "==" / "!=" / ">=" / ">" / "<=" / "<" / "~=" / "!~="
//! Operand  = Value ".." Value / Value *("," Value) / pattern (after ~=)
//! Value    = "quoted string" / number / true / false / date-time / date / time / URI / bare word
//! ```
//!
//! A dotted path names sub-attributes (`speed.accuracy`), or the attribute's
//! own `observedAt`, `unitCode`, `datasetId`, `createdAt`, `modifiedAt`; a
//! bracketed path walks into a compound value (`sensor.rawdata[airquality.particulate]`)
//! or picks a LanguageProperty's language (`name[id]`, `name[*]`). The
//! linked-entity paths of v1.8 (`sensor{humidity}`) are not read. Unquoted words
//! that are neither numbers, booleans, times nor URIs are read as strings:
//! the ETSI test suite sends `q=category==commercial`.
//!
//! Quoted strings take `\"` and `\\` as escapes and keep any other
//! backslash (a quoted pattern keeps its `\d`). Names are the spec's
//! AttrName (a letter, then letters, digits and `_`), plus `:`, `/`, `#`,
//! `-` and `@` for compact IRIs.
//!
//! The store turns an [`Expr`] into SQL itself (the tree is public and plain);
//! [`Expr::attributes`] lists the attribute names it needs to join.

use std::fmt;

use kalender::civil::{Stamp, parse_rfc3339};
use serde_json::Value as Json;

/// A parsed query: terms joined by AND and OR.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Term(Term),
}

/// One test on one attribute path (two terms are equal whatever their
/// positions in the text).
#[derive(Clone, Debug)]
pub struct Term {
    pub path: AttrPath,
    pub test: Test,
    /// Byte offset of the term's first character in the query text.
    pub at: usize,
}

impl PartialEq for Term {
    fn eq(&self, other: &Term) -> bool {
        self.path == other.path && self.test == other.test
    }
}

/// `attr.sub.sub[member][member]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttrPath {
    /// The attribute's name as written (a short name or an IRI).
    pub attr: String,
    /// Sub-attribute names (or the attribute's own members such as `observedAt`), in order.
    pub sub: Vec<String>,
    /// Members of a compound value, outermost first.
    pub members: Vec<String>,
}

/// What a term asks of the value at its path.
#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    /// `attr`: the attribute exists.
    Exists,
    /// `!attr`: the attribute does not exist.
    NotExists,
    /// `attr==v` (one value or a list: any of them).
    Equal(Vec<Value>),
    /// `attr!=v` (one value or a list: none of them).
    Unequal(Vec<Value>),
    /// `attr==a..b`: within the closed range.
    InRange(Value, Value),
    /// `attr!=a..b`: outside the range.
    NotInRange(Value, Value),
    /// `>`, `>=`, `<`, `<=`.
    Compare(Ordering, Value),
    /// `attr~=pattern`, case-sensitive unless the pattern says `(?i)`.
    Matches(Pattern),
    /// `attr!~=pattern`.
    NotMatches(Pattern),
}

/// The four order comparisons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ordering {
    Greater,
    GreaterEq,
    Less,
    LessEq,
}

impl Ordering {
    /// The operator as written in a query (and in SQL).
    pub fn symbol(self) -> &'static str {
        match self {
            Ordering::Greater => ">",
            Ordering::GreaterEq => ">=",
            Ordering::Less => "<",
            Ordering::LessEq => "<=",
        }
    }

    fn holds(self, o: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            Ordering::Greater => o == Greater,
            Ordering::GreaterEq => o != Less,
            Ordering::Less => o == Less,
            Ordering::LessEq => o != Greater,
        }
    }
}

/// A regular expression of `~=`, kept as written and compiled once.
#[derive(Clone, Debug)]
pub struct Pattern {
    pub source: String,
    regex: regex_lite::Regex,
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        self.source == other.source
    }
}

impl Pattern {
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }
}

/// A literal in a query.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Number(f64),
    /// A quoted string (unescaped), or an unquoted word that is nothing else.
    Text(String),
    Bool(bool),
    /// `2018-12-04T12:00:00Z`, as written and as an instant.
    DateTime(String, Stamp),
    /// `2018-12-04`.
    Date(String),
    /// `12:00:00Z` or `12:00:00`.
    Time(String),
    /// An unquoted URI (`urn:ngsi-ld:Building:1`), compared as a string.
    Uri(String),
}

impl Value {
    /// The value as a JSON string or number, the way stored values look.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) | Value::DateTime(s, _) | Value::Date(s) | Value::Time(s) | Value::Uri(s) => Some(s),
            _ => None,
        }
    }
}

/// What the parser was looking for when it stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    /// An attribute name or `(` (a term starts here).
    Term,
    /// An attribute name (after `!`, `.` or `[`).
    AttributeName,
    /// `]` closing a compound member.
    CloseBracket,
    /// `)` closing a group.
    CloseParen,
    /// An operator, `;`, `|`, `)` or the end.
    OperatorOrEnd,
    /// A value after an operator or `,`.
    Value,
    /// The end of a quoted string.
    ClosingQuote,
    /// A range or list is only allowed with `==` and `!=`.
    SingleValue,
    /// A regular expression that compiles.
    ValidPattern,
    /// The query was empty.
    NonEmpty,
    /// Parentheses nested deeper than [`MAX_DEPTH`] (a hostile query must not exhaust the stack).
    ShallowerNesting,
}

/// How deep parentheses may nest.
pub const MAX_DEPTH: usize = 32;

impl Expected {
    /// Stable snake_case code, for the message catalogue.
    pub fn code(self) -> &'static str {
        match self {
            Expected::Term => "term",
            Expected::AttributeName => "attribute_name",
            Expected::CloseBracket => "close_bracket",
            Expected::CloseParen => "close_paren",
            Expected::OperatorOrEnd => "operator_or_end",
            Expected::Value => "value",
            Expected::ClosingQuote => "closing_quote",
            Expected::SingleValue => "single_value",
            Expected::ValidPattern => "valid_pattern",
            Expected::NonEmpty => "non_empty",
            Expected::ShallowerNesting => "shallower_nesting",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Expected::Term => "an attribute name or '('",
            Expected::AttributeName => "an attribute name",
            Expected::CloseBracket => "']'",
            Expected::CloseParen => "')'",
            Expected::OperatorOrEnd => "an operator, ';', '|', ')' or the end",
            Expected::Value => "a value",
            Expected::ClosingQuote => "a closing '\"'",
            Expected::SingleValue => "a single value (ranges and lists need == or !=)",
            Expected::ValidPattern => "a valid regular expression",
            Expected::NonEmpty => "a query",
            Expected::ShallowerNesting => "at most 32 nested parentheses",
        }
    }
}

/// A syntax error: where (a byte offset into the query) and what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryError {
    pub at: usize,
    pub expected: Expected,
    /// The character found there, `None` at the end.
    pub found: Option<char>,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.found {
            Some(c) => write!(f, "q: expected {} at position {}, found '{}'", self.expected.describe(), self.at, c),
            None => write!(f, "q: expected {} at position {}, found the end", self.expected.describe(), self.at),
        }
    }
}

impl std::error::Error for QueryError {}

/// Parses a `q` expression (already percent-decoded).
pub fn parse(text: &str) -> Result<Expr, QueryError> {
    let mut p = Parser { s: text, at: 0, depth: 0 };
    p.skip_ws();
    if p.at == text.len() {
        return Err(p.error(Expected::NonEmpty));
    }
    let expr = p.or()?;
    p.skip_ws();
    if p.at != text.len() {
        return Err(p.error(Expected::OperatorOrEnd));
    }
    Ok(expr)
}

struct Parser<'a> {
    s: &'a str,
    at: usize,
    depth: usize,
}

/// Characters that end an unquoted value (and cannot be in an attribute name).
const STOP: &[char] = &[';', '|', ')', '(', ',', '"', '[', ']', '=', '!', '<', '>', '~'];

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.at..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn error(&self, expected: Expected) -> QueryError {
        QueryError { at: self.at, expected, found: self.peek() }
    }

    fn skip_ws(&mut self) {
        let trimmed = self.rest().trim_start_matches([' ', '\t']);
        self.at = self.s.len() - trimmed.len();
    }

    fn eat(&mut self, token: &str) -> bool {
        if self.rest().starts_with(token) {
            self.at += token.len();
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Expr, QueryError> {
        self.joined("|", Parser::and, Expr::Or)
    }

    fn and(&mut self) -> Result<Expr, QueryError> {
        self.joined(";", Parser::factor, Expr::And)
    }

    /// One or more `item`s separated by `sep`; one alone is itself.
    fn joined(
        &mut self,
        sep: &str,
        item: fn(&mut Self) -> Result<Expr, QueryError>,
        wrap: fn(Vec<Expr>) -> Expr,
    ) -> Result<Expr, QueryError> {
        let mut items = vec![item(self)?];
        loop {
            self.skip_ws();
            if !self.eat(sep) {
                break;
            }
            items.push(item(self)?);
        }
        Ok(if items.len() == 1 { items.pop().unwrap() } else { wrap(items) })
    }

    fn factor(&mut self) -> Result<Expr, QueryError> {
        self.skip_ws();
        let start = self.at;
        if self.eat("(") {
            if self.depth == MAX_DEPTH {
                self.at = start;
                return Err(self.error(Expected::ShallowerNesting));
            }
            self.depth += 1;
            let inner = self.or()?;
            self.depth -= 1;
            self.skip_ws();
            if !self.eat(")") {
                return Err(self.error(Expected::CloseParen));
            }
            return Ok(inner);
        }
        if self.eat("!") {
            self.skip_ws();
            let path = self.path(Expected::AttributeName)?;
            return Ok(Expr::Term(Term { path, test: Test::NotExists, at: start }));
        }
        let path = self.path(Expected::Term)?;
        self.skip_ws();
        let op = ["!~=", "~=", "==", "!=", ">=", "<=", ">", "<"].into_iter().find(|op| self.rest().starts_with(op));
        let Some(op) = op else {
            return Ok(Expr::Term(Term { path, test: Test::Exists, at: start }));
        };
        self.at += op.len();
        self.skip_ws();
        let test = match op {
            "~=" | "!~=" => {
                let pattern = self.pattern()?;
                if op == "~=" { Test::Matches(pattern) } else { Test::NotMatches(pattern) }
            }
            _ => self.operand(op)?,
        };
        Ok(Expr::Term(Term { path, test, at: start }))
    }

    /// A name: a letter, then letters, digits and `_` (the spec's AttrName),
    /// and `:`, `/`, `#`, `-`, `@` so that compact and full IRIs pass too.
    fn name(&mut self, expected: Expected) -> Result<String, QueryError> {
        if !self.peek().is_some_and(char::is_alphabetic) {
            return Err(self.error(expected));
        }
        let len = self
            .rest()
            .find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | ':' | '/' | '#' | '-' | '@')))
            .unwrap_or(self.rest().len());
        let name = self.rest()[..len].to_string();
        self.at += len;
        Ok(name)
    }

    fn path(&mut self, expected: Expected) -> Result<AttrPath, QueryError> {
        let attr = self.name(expected)?;
        let mut path = AttrPath { attr, sub: Vec::new(), members: Vec::new() };
        while self.eat(".") {
            path.sub.push(self.name(Expected::AttributeName)?);
        }
        // The spec's one trailing `[a.b]` (members a, then b); `[a][b]` is read the same.
        while self.eat("[") {
            if self.eat("*") {
                path.members.push("*".into());
            } else {
                path.members.push(self.name(Expected::AttributeName)?);
                while self.eat(".") {
                    path.members.push(self.name(Expected::AttributeName)?);
                }
            }
            if !self.eat("]") {
                return Err(self.error(Expected::CloseBracket));
            }
        }
        Ok(path)
    }

    fn pattern(&mut self) -> Result<Pattern, QueryError> {
        let start = self.at;
        let source = if self.peek() == Some('"') {
            self.quoted()?
        } else {
            // An unquoted pattern runs to the next `;`, `|` or unbalanced `)`.
            let mut depth = 0i32;
            let mut end = self.rest().len();
            for (i, c) in self.rest().char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' if depth == 0 => {
                        end = i;
                        break;
                    }
                    ')' => depth -= 1,
                    ';' | '|' if depth == 0 => {
                        end = i;
                        break;
                    }
                    _ => {}
                }
            }
            let text = self.rest()[..end].to_string();
            self.at += end;
            text
        };
        if source.is_empty() {
            self.at = start;
            return Err(self.error(Expected::ValidPattern));
        }
        // A client's pattern runs against every candidate entity in time
        // proportional to its compiled size: keep that small (64 KiB, not
        // regex-lite's 10 MiB default).
        match regex_lite::RegexBuilder::new(&source).size_limit(1 << 16).build() {
            Ok(regex) => Ok(Pattern { source, regex }),
            Err(_) => {
                self.at = start;
                Err(self.error(Expected::ValidPattern))
            }
        }
    }

    fn operand(&mut self, op: &str) -> Result<Test, QueryError> {
        let first_at = self.at;
        let first = self.value()?;
        if self.eat("..") {
            let second = self.value()?;
            return match op {
                "==" => Ok(Test::InRange(first, second)),
                "!=" => Ok(Test::NotInRange(first, second)),
                _ => {
                    self.at = first_at;
                    Err(self.error(Expected::SingleValue))
                }
            };
        }
        let mut values = vec![first];
        while self.rest().starts_with(',') {
            if op != "==" && op != "!=" {
                return Err(self.error(Expected::SingleValue));
            }
            self.at += 1;
            values.push(self.value()?);
        }
        Ok(match op {
            "==" => Test::Equal(values),
            "!=" => Test::Unequal(values),
            ">" => Test::Compare(Ordering::Greater, values.pop().unwrap()),
            ">=" => Test::Compare(Ordering::GreaterEq, values.pop().unwrap()),
            "<" => Test::Compare(Ordering::Less, values.pop().unwrap()),
            _ => Test::Compare(Ordering::LessEq, values.pop().unwrap()),
        })
    }

    fn quoted(&mut self) -> Result<String, QueryError> {
        self.at += 1;
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.at += i + 1;
                    return Ok(out);
                }
                // `\"` and `\\` are escapes; any other backslash stays, so
                // a quoted pattern keeps its `\d` and `\w`.
                '\\' => match chars.next() {
                    Some((_, e @ ('"' | '\\'))) => out.push(e),
                    Some((_, e)) => {
                        out.push('\\');
                        out.push(e);
                    }
                    None => break,
                },
                c => out.push(c),
            }
        }
        self.at = self.s.len();
        Err(self.error(Expected::ClosingQuote))
    }

    fn value(&mut self) -> Result<Value, QueryError> {
        self.skip_ws();
        if self.peek() == Some('"') {
            return self.quoted().map(Value::Text);
        }
        let rest = self.rest();
        // A word ends at a stop character or at `..` (a range), but `:` and
        // `.` inside it belong to times and URIs.
        let mut end = rest.len();
        for (i, c) in rest.char_indices() {
            if STOP.contains(&c) || c.is_whitespace() || rest[i..].starts_with("..") {
                end = i;
                break;
            }
        }
        if end == 0 {
            return Err(self.error(Expected::Value));
        }
        let word = &rest[..end];
        self.at += end;
        Ok(classify(word))
    }
}

fn classify(word: &str) -> Value {
    match word {
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        _ => {}
    }
    if word.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+' || c == '.')
        && let Ok(n) = word.parse::<f64>()
        && n.is_finite()
    {
        return Value::Number(n);
    }
    if let Some(stamp) = parse_rfc3339(word) {
        return Value::DateTime(word.to_string(), stamp);
    }
    if crate::time::is_date(word) {
        return Value::Date(word.to_string());
    }
    if crate::time::is_time(word) {
        return Value::Time(word.to_string());
    }
    if crate::entity::is_uri(word) {
        return Value::Uri(word.to_string());
    }
    Value::Text(word.to_string())
}

impl Expr {
    /// The attribute names the query touches, each once, in order of first
    /// use (what a store joins or indexes).
    pub fn attributes(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        self.walk(&mut |t| {
            if !out.contains(&t.path.attr.as_str()) {
                out.push(&t.path.attr);
            }
        });
        out
    }

    /// The query with its attribute and sub-attribute names passed through
    /// `f` (`ctx.expand`, for a store that keeps IRIs); the attribute's own
    /// members (`observedAt`, ...) and compound members are kept.
    pub fn map_names(&self, f: &dyn Fn(&str) -> String) -> Expr {
        match self {
            Expr::And(items) => Expr::And(items.iter().map(|e| e.map_names(f)).collect()),
            Expr::Or(items) => Expr::Or(items.iter().map(|e| e.map_names(f)).collect()),
            Expr::Term(t) => {
                let mut t = t.clone();
                t.path.attr = f(&t.path.attr);
                for s in &mut t.path.sub {
                    if !ATTRIBUTE_MEMBERS.contains(&s.as_str()) {
                        *s = f(s);
                    }
                }
                Expr::Term(t)
            }
        }
    }

    /// Every term, left to right.
    pub fn terms(&self) -> Vec<&Term> {
        let mut out = Vec::new();
        self.walk(&mut |t| out.push(t));
        out
    }

    fn walk<'s>(&'s self, f: &mut impl FnMut(&'s Term)) {
        match self {
            Expr::And(items) | Expr::Or(items) => items.iter().for_each(|e| e.walk(f)),
            Expr::Term(t) => f(t),
        }
    }

    /// Whether an entity (normalised, concise or keyValues JSON, its names
    /// compacted the way the query's names are) satisfies the query.
    pub fn matches(&self, entity: &Json) -> bool {
        match self {
            Expr::And(items) => items.iter().all(|e| e.matches(entity)),
            Expr::Or(items) => items.iter().any(|e| e.matches(entity)),
            Expr::Term(t) => t.matches(entity),
        }
    }
}

/// The query written back as `q` text (one canonical spelling: no spaces,
/// strings quoted, groups in parentheses only where `|` sits inside `;`);
/// it parses back to the same tree.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // An OR inside an AND needs its parentheses; a group of the same
        // kind keeps them, so the text parses back to this very tree.
        let list = |f: &mut fmt::Formatter<'_>, items: &[Expr], sep: &str, inside_and: bool| -> fmt::Result {
            for (i, e) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(sep)?;
                }
                match e {
                    Expr::Or(_) => write!(f, "({e})")?,
                    Expr::And(_) if inside_and => write!(f, "({e})")?,
                    e => write!(f, "{e}")?,
                }
            }
            Ok(())
        };
        match self {
            Expr::And(items) => list(f, items, ";", true),
            Expr::Or(items) => list(f, items, "|", false),
            Expr::Term(t) => write!(f, "{t}"),
        }
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.attr)?;
        for s in &self.sub {
            write!(f, ".{s}")?;
        }
        if !self.members.is_empty() {
            write!(f, "[{}]", self.members.join("."))?;
        }
        Ok(())
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Number(n) => write!(f, "{n}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Text(s) => write!(f, "\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
            Value::DateTime(s, _) | Value::Date(s) | Value::Time(s) | Value::Uri(s) => f.write_str(s),
        }
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let values = |vs: &[Value]| vs.iter().map(Value::to_string).collect::<Vec<_>>().join(",");
        match &self.test {
            Test::Exists => write!(f, "{}", self.path),
            Test::NotExists => write!(f, "!{}", self.path),
            Test::Equal(vs) => write!(f, "{}=={}", self.path, values(vs)),
            Test::Unequal(vs) => write!(f, "{}!={}", self.path, values(vs)),
            Test::InRange(a, b) => write!(f, "{}=={a}..{b}", self.path),
            Test::NotInRange(a, b) => write!(f, "{}!={a}..{b}", self.path),
            Test::Compare(o, v) => write!(f, "{}{}{v}", self.path, o.symbol()),
            Test::Matches(p) => write!(f, "{}~=\"{}\"", self.path, p.source.replace('\\', "\\\\").replace('"', "\\\"")),
            Test::NotMatches(p) => write!(f, "{}!~=\"{}\"", self.path, p.source.replace('\\', "\\\\").replace('"', "\\\"")),
        }
    }
}

/// Members of an attribute that are not sub-attributes but readable by path.
const ATTRIBUTE_MEMBERS: &[&str] = &["observedAt", "unitCode", "datasetId", "createdAt", "modifiedAt"];

/// A value a term is tested against, and whether it is a Relationship's
/// object (which only `==` and `!=` can match).
struct Target<'a> {
    value: &'a Json,
    object: bool,
}

impl Term {
    /// Whether the entity satisfies this term, with the spec's rules: a
    /// multi-attribute and an array value match if any member does; values
    /// of different types never compare (so they are unequal); a
    /// Relationship matches only `==` and `!=`; patterns match strings only.
    pub fn matches(&self, entity: &Json) -> bool {
        let mut targets = Vec::new();
        // `id`, `type`, `createdAt` and `modifiedAt` are read like attributes.
        if let Some(attr) = entity.get(&self.path.attr) {
            collect(attr, &self.path.sub, &self.path.members, &mut targets);
        }
        let any = |f: &dyn Fn(&Json) -> bool| {
            targets.iter().any(|t| match t.value {
                Json::Array(items) => items.iter().any(f),
                v => f(v),
            })
        };
        let ordered = || targets.iter().all(|t| !t.object);
        match &self.test {
            Test::Exists => !targets.is_empty(),
            Test::NotExists => targets.is_empty(),
            Test::Equal(values) => any(&|l| values.iter().any(|v| equal(l, v))),
            Test::Unequal(values) => !targets.is_empty() && !any(&|l| values.iter().any(|v| equal(l, v))),
            Test::InRange(a, b) => ordered() && any(&|l| in_range(l, a, b)),
            Test::NotInRange(a, b) => !targets.is_empty() && ordered() && !any(&|l| in_range(l, a, b)),
            Test::Compare(o, v) => ordered() && any(&|l| compare(l, v).is_some_and(|c| o.holds(c))),
            Test::Matches(p) => ordered() && any(&|l| l.as_str().is_some_and(|s| p.is_match(s))),
            Test::NotMatches(p) => ordered() && any(&Json::is_string) && !any(&|l| l.as_str().is_some_and(|s| p.is_match(s))),
        }
    }
}

fn collect<'a>(attr: &'a Json, sub: &[String], members: &[String], out: &mut Vec<Target<'a>>) {
    if let Json::Array(instances) = attr
        && !instances.is_empty()
        && instances.iter().all(|i| i.is_object() && ["type", "value", "object", "languageMap"].iter().any(|k| i.get(k).is_some()))
    {
        for i in instances {
            collect(i, sub, members, out);
        }
        return;
    }
    if let Some((first, rest)) = sub.split_first() {
        match attr.get(first) {
            // `speed.observedAt` names the member itself; nothing lies below it.
            Some(inner) if ATTRIBUTE_MEMBERS.contains(&first.as_str()) && !inner.is_object() => {
                out.extend((rest.is_empty() && members.is_empty()).then_some(Target { value: inner, object: false }));
            }
            Some(inner) => collect(inner, rest, members, out),
            None => {}
        }
        return;
    }
    let Json::Object(map) = attr else {
        // keyValues: the attribute is its value.
        out.extend(member(attr, members).map(|value| Target { value, object: false }));
        return;
    };
    // A ListProperty's members and a VocabProperty's terms compare like a
    // value array's (any member); a JsonProperty's `json` is a compound value.
    if let Some(v) = map.get("value").or_else(|| map.get("valueList")).or_else(|| map.get("vocab")).or_else(|| map.get("json")) {
        out.extend(member(v, members).map(|value| Target { value, object: false }));
    } else if let Some(Json::Array(list)) = map.get("objectList") {
        // A ListRelationship matches like a Relationship whose object is any of its ids.
        if members.is_empty() {
            out.extend(list.iter().map(|i| Target { value: i.get("object").unwrap_or(i), object: true }));
        }
    } else if let Some(v) = map.get("object") {
        out.extend(members.is_empty().then_some(Target { value: v, object: true }));
    } else if let Some(Json::Object(langs)) = map.get("languageMap") {
        // `name[id]` picks a language, `name[*]` or `name` any of them.
        match members {
            [] => out.extend(langs.values().map(|value| Target { value, object: false })),
            [lang] if lang == "*" => out.extend(langs.values().map(|value| Target { value, object: false })),
            [lang] => out.extend(langs.get(lang).map(|value| Target { value, object: false })),
            _ => {}
        }
    } else {
        // keyValues: a compound value (or a geometry) is the value itself.
        out.extend(member(attr, members).map(|value| Target { value, object: false }));
    }
}

/// The member a bracketed path names within a compound value, if defined.
fn member<'a>(value: &'a Json, members: &[String]) -> Option<&'a Json> {
    members.iter().try_fold(value, |cur, m| cur.get(m)).filter(|v| !v.is_null())
}

/// A string read as an instant when both sides are RFC 3339 date-times
/// (the spec orders dates and times temporally).
fn instants(a: &str, b: &str) -> Option<(Stamp, Stamp)> {
    Some((parse_rfc3339(a)?, parse_rfc3339(b)?))
}

fn equal(leaf: &Json, v: &Value) -> bool {
    compare(leaf, v) == Some(std::cmp::Ordering::Equal)
}

fn compare(leaf: &Json, v: &Value) -> Option<std::cmp::Ordering> {
    match (leaf, v) {
        (Json::Number(n), Value::Number(x)) => n.as_f64()?.partial_cmp(x),
        (Json::Bool(b), Value::Bool(x)) => Some(b.cmp(x)),
        (Json::String(s), Value::DateTime(_, stamp)) => Some(parse_rfc3339(s)?.cmp(stamp)),
        (Json::String(s), v) => {
            let t = v.as_text()?;
            Some(match instants(s, t) {
                Some((a, b)) => a.cmp(&b),
                None => s.as_str().cmp(t),
            })
        }
        _ => None,
    }
}

fn in_range(leaf: &Json, a: &Value, b: &Value) -> bool {
    compare(leaf, a).is_some_and(|o| o != std::cmp::Ordering::Less) && compare(leaf, b).is_some_and(|o| o != std::cmp::Ordering::Greater)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn term(q: &str) -> Term {
        match parse(q).unwrap() {
            Expr::Term(t) => t,
            e => panic!("not a term: {e:?}"),
        }
    }

    #[test]
    fn operators_and_values() {
        assert_eq!(term("speed>25").test, Test::Compare(Ordering::Greater, Value::Number(25.0)));
        assert_eq!(term("speed>=2.5e1").test, Test::Compare(Ordering::GreaterEq, Value::Number(25.0)));
        assert_eq!(term("speed<=-3").test, Test::Compare(Ordering::LessEq, Value::Number(-3.0)));
        assert_eq!(term("speed!=10").test, Test::Unequal(vec![Value::Number(10.0)]));
        assert_eq!(term("speed==10..40").test, Test::InRange(Value::Number(10.0), Value::Number(40.0)));
        assert_eq!(term("route==\"550\",\"551\"").test, Test::Equal(vec![Value::Text("550".into()), Value::Text("551".into())]));
        assert_eq!(term("isParked==true").test, Test::Equal(vec![Value::Bool(true)]));
        assert_eq!(term("category==commercial").test, Test::Equal(vec![Value::Text("commercial".into())]));
        assert_eq!(term("ref==urn:ngsi-ld:Building:1").test, Test::Equal(vec![Value::Uri("urn:ngsi-ld:Building:1".into())]));
        assert_eq!(term("day==2018-12-04").test, Test::Equal(vec![Value::Date("2018-12-04".into())]));
        assert_eq!(term("at==12:00:00Z").test, Test::Equal(vec![Value::Time("12:00:00Z".into())]));
        assert!(matches!(term("modifiedAt>\"2020-01-01T00:00:00Z\"").test, Test::Compare(Ordering::Greater, Value::Text(_))));
        assert!(matches!(term("observedAt>2020-01-01T00:00:00Z").test, Test::Compare(_, Value::DateTime(..))));
        assert!(matches!(
            term("t==2020-01-01T00:00:00Z..2020-02-01T00:00:00.5Z").test,
            Test::InRange(Value::DateTime(..), Value::DateTime(..))
        ));
        assert_eq!(term("name==\"a \\\"q\\\" b\"").test, Test::Equal(vec![Value::Text("a \"q\" b".into())]));
        assert!(matches!(term("name~=\"(?i)eiffel.*\"").test, Test::Matches(_)));
        let Test::Matches(p) = term("code~=\"^\\d{4}$\"").test else { panic!() };
        assert!(p.is_match("2024") && !p.is_match("20x4"));
        assert!(matches!(term("name!~=^Tower").test, Test::NotMatches(_)));
    }

    #[test]
    fn paths() {
        let t = term("speed.accuracy[upper][x]==1");
        assert_eq!(t.path.attr, "speed");
        assert_eq!(t.path.sub, ["accuracy"]);
        assert_eq!(t.path.members, ["upper", "x"]);
        assert_eq!(term("address[city]==\"Bojonegoro\"").path.members, ["city"]);
        assert_eq!(term("!heading").test, Test::NotExists);
        assert_eq!(term("speed").test, Test::Exists);
    }

    #[test]
    fn precedence_and_groups() {
        // The spec's example shape: `;` before `|`.
        let e = parse("!heading;speed>25|brand==\"Mercedes\"").unwrap();
        let Expr::Or(items) = &e else { panic!("{e:?}") };
        assert!(matches!(&items[0], Expr::And(a) if a.len() == 2));
        let e = parse("(a==1|b==2);c").unwrap();
        let Expr::And(items) = &e else { panic!("{e:?}") };
        assert!(matches!(&items[0], Expr::Or(_)));
        assert_eq!(e.attributes(), ["a", "b", "c"]);
        assert_eq!(e.terms()[2].at, 12);
    }

    #[test]
    fn written_back() {
        for q in [
            "!heading;speed>25|brandName==\"Mercedes\"",
            "(a==1|b==2);c",
            "((speed>50|rpm>3000);brandName==\"Mercedes\")",
            "sensor.rawdata[airquality.particulate]==40",
            "name==\"a \\\"q\\\" b\",\"c\"",
            "t==2020-01-01T00:00:00Z..2020-02-01T00:00:00Z",
            "ref!=urn:ngsi-ld:Building:1;ok==true;day<2024-01-01",
            "name~=\"(?i)^eif\\\\w+\"",
            "x!~=abc",
        ] {
            let e = parse(q).unwrap();
            assert_eq!(parse(&e.to_string()).unwrap(), e, "{q} -> {e}");
        }
        assert_eq!(parse("( a == 1 | b ) ; c").unwrap().to_string(), "(a==1|b);c");
    }

    #[test]
    fn errors_name_the_position() {
        let err = |q: &str| parse(q).unwrap_err();
        assert_eq!(err(""), QueryError { at: 0, expected: Expected::NonEmpty, found: None });
        assert_eq!(err("speed>"), QueryError { at: 6, expected: Expected::Value, found: None });
        assert_eq!(err("speed>25;"), QueryError { at: 9, expected: Expected::Term, found: None });
        assert_eq!(err("(speed>25"), QueryError { at: 9, expected: Expected::CloseParen, found: None });
        assert_eq!(err("speed>25)").at, 8);
        assert_eq!(err("name==\"Eiffel").expected, Expected::ClosingQuote);
        assert_eq!(err("speed>1..5"), QueryError { at: 6, expected: Expected::SingleValue, found: Some('1') });
        assert_eq!(err("speed<1,2").expected, Expected::SingleValue);
        assert_eq!(err("a[b==1"), QueryError { at: 3, expected: Expected::CloseBracket, found: Some('=') });
        assert_eq!(err("name~=\"(\"").expected, Expected::ValidPattern);
        assert_eq!(err("name~=(a{100}){100}").expected, Expected::ValidPattern);
        assert_eq!(err("a==1 b==2").at, 5);
        assert_eq!(err("a=1").expected, Expected::OperatorOrEnd);
        let deep = format!("{}a{}", "(".repeat(40), ")".repeat(40));
        assert_eq!(err(&deep), QueryError { at: 32, expected: Expected::ShallowerNesting, found: Some('(') });
        assert!(parse(&format!("{}a{}", "(".repeat(32), ")".repeat(32))).is_ok());
        assert_eq!(err("1a==1"), QueryError { at: 0, expected: Expected::Term, found: Some('1') });
        assert_eq!(err("a\\b").at, 1);
        assert_eq!(err("!_x").expected, Expected::AttributeName);
        // The spec asks for short names; compact IRIs pass too (a full IRI's dots would read as sub-attributes).
        assert!(parse("ngsi-ld:location;suhu_udara;curahHujan>1").is_ok());
        assert_eq!(err(";").to_string(), "q: expected an attribute name or '(' at position 0, found ';'");
    }

    /// Random texts over the grammar's characters (and a multi-byte one):
    /// the parser never panics, an error's position is a character boundary
    /// within the text, and what parses is written back to the same tree.
    #[test]
    fn never_panics() {
        const ALPHABET: &[&str] = &[
            "a",
            "b.c",
            "d[e.f]",
            "g[*]",
            "1",
            "-2.5",
            "\"x\"",
            "\"y\\\"\"",
            "true",
            "2020-01-01T00:00:00Z",
            "urn:a:b",
            "12:00:00Z",
            ".",
            "..",
            "=",
            "==",
            "!",
            "!=",
            "~=",
            "!~=",
            ">",
            ">=",
            "<",
            ";",
            "|",
            "(",
            ")",
            "[",
            "]",
            ",",
            "\"",
            "\\",
            " ",
            "é",
            ":",
            "*",
            "-",
        ];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let entity = json!({"a": {"type": "Property", "value": 1}, "b": "x"});
        for _ in 0..20_000 {
            let mut q = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            for k in 0..(seed % 10) {
                q.push_str(ALPHABET[((seed >> (k * 6)) % ALPHABET.len() as u64) as usize]);
            }
            match parse(&q) {
                Ok(e) => {
                    e.matches(&entity);
                    assert_eq!(parse(&e.to_string()).as_ref(), Ok(&e), "{q:?} written {e}");
                }
                Err(err) => assert!(err.at <= q.len() && q.is_char_boundary(err.at), "{q:?} {err:?}"),
            }
        }
    }

    fn vehicle() -> Json {
        json!({
            "id": "urn:ngsi-ld:Vehicle:A4567",
            "type": "Vehicle",
            "brandName": {"type": "Property", "value": "Mercedes"},
            "speed": [
                {"type": "Property", "value": 55, "observedAt": "2024-01-01T10:00:00Z",
                 "accuracy": {"type": "Property", "value": 0.9}},
                {"type": "Property", "value": 12, "datasetId": "urn:ngsi-ld:Dataset:gps"}
            ],
            "isParked": {"type": "Relationship", "object": "urn:ngsi-ld:OffStreetParking:Downtown1"},
            "address": {"type": "Property", "value": {"city": "Bojonegoro", "zip": 62111}},
            "tags": {"type": "Property", "value": ["a", "b"]},
            "name": {"type": "LanguageProperty", "languageMap": {"id": "Mobil", "en": "Car"}}
        })
    }

    #[test]
    fn evaluation_over_normalised_entities() {
        let e = vehicle();
        let yes = |q: &str| assert!(parse(q).unwrap().matches(&e), "{q} should match");
        let no = |q: &str| assert!(!parse(q).unwrap().matches(&e), "{q} should not match");
        yes("speed>50");
        yes("speed==12");
        yes("speed==10..20");
        no("speed>60");
        no("speed!=55");
        yes("speed.accuracy>0.5");
        yes("speed.observedAt>2023-12-31T00:00:00Z");
        yes("brandName==\"Mercedes\"");
        yes("brandName~=(?i)^merc");
        no("brandName!~=Merc");
        yes("isParked==urn:ngsi-ld:OffStreetParking:Downtown1");
        yes("address[city]==\"Bojonegoro\"");
        yes("address[zip]>=62000");
        no("address[street]");
        yes("tags==\"b\"");
        yes("name==\"Car\"");
        yes("!heading;speed>25|brandName==\"x\"");
        no("heading|brandName==\"x\"");
        yes("(heading|brandName==\"Mercedes\");speed");
        yes("id==urn:ngsi-ld:Vehicle:A4567");
    }

    /// The examples of clause 4.9 and the rules that follow them.
    #[test]
    fn the_specs_examples() {
        let reading = json!({
            "id": "urn:ngsi-ld:particulatemeasurement:345",
            "type": "ParticulateMeasurement",
            "sensor": {"type": "Property", "value": 40,
                "rawdata": {"type": "Property", "value": {"airquality": {"particulate": 40, "PM20": 85}}}},
            "temperature": {"type": "Property", "value": 22, "observedAt": "2017-12-24T12:00:00Z"},
            "capacity": {"type": "Property", "value": 50},
            "isParked": {"type": "Relationship", "object": "urn:ngsi-ld:OffStreetParking:Downtown1"},
            "color": {"type": "LanguageProperty", "languageMap": {"fr": "rouge", "en": "red", "de": "rot"}},
            "modifiedAt": "2024-05-01T10:00:00Z"
        });
        let yes = |q: &str| assert!(parse(q).unwrap().matches(&reading), "{q} should match");
        let no = |q: &str| assert!(!parse(q).unwrap().matches(&reading), "{q} should not match");
        yes("sensor.rawdata[airquality.particulate]==40");
        yes("sensor.rawdata[airquality][PM20]>80");
        no("sensor.rawdata[airquality.missing]");
        yes("(temperature>=20;temperature<=25)|capacity<=10");
        yes("temperature.observedAt>=2017-12-24T12:00:00Z");
        yes("isParked==\"urn:ngsi-ld:OffStreetParking:Downtown1\"");
        yes("isParked!=\"urn:ngsi-ld:OffStreetParking:Other\"");
        // A Relationship answers only == and !=.
        no("isParked>\"a\"");
        no("isParked~=Downtown");
        yes("color[en]==\"red\"");
        yes("color[*]==\"rot\"");
        no("color[fr]==\"red\"");
        yes("color[fr]!=\"red\"");
        // Different types never compare: unequal, and not ordered.
        yes("capacity!=\"50\"");
        no("capacity>\"1\"");
        no("capacity!~=x");
        // Dates and times compare as instants, quoted or not.
        yes("modifiedAt>\"2024-05-01T16:00:00+07:00\"");
        no("modifiedAt>2024-05-01T17:00:01+07:00");
    }

    #[test]
    fn names_map_through_a_context() {
        let e = parse("temperature.observedAt>0;address[city]==x").unwrap().map_names(&|n| crate::context::core().expand(n));
        let terms = e.terms();
        assert_eq!(terms[0].path.attr, "https://uri.etsi.org/ngsi-ld/default-context/temperature");
        assert_eq!(terms[0].path.sub, ["observedAt"]);
        assert_eq!(terms[1].path.members, ["city"]);
    }

    #[test]
    fn evaluation_over_key_values() {
        let e = json!({"id": "urn:x:1", "type": "T", "speed": 30, "address": {"city": "Tuban"}, "ok": false});
        assert!(parse("speed>25;address[city]==Tuban;ok==false").unwrap().matches(&e));
        assert!(!parse("speed<25").unwrap().matches(&e));
    }

    #[test]
    fn lists_vocab_and_json_attributes() {
        let e = json!({
            "id": "urn:x:1", "type": "T",
            "depths": {"type": "ListProperty", "valueList": [1.2, 3.4]},
            "route": {"type": "ListRelationship", "objectList": [{"object": "urn:ngsi-ld:Road:1"}, "urn:ngsi-ld:Road:2"]},
            "category": {"type": "VocabProperty", "vocab": "https://example.org/commercial"},
            "raw": {"type": "JsonProperty", "json": {"a": {"b": 7}}}
        });
        let hit = |q: &str| parse(q).unwrap().matches(&e);
        assert!(hit("depths==3.4"), "any member of a valueList");
        assert!(hit("depths>3"));
        assert!(!hit("depths==2"));
        assert!(hit("route==\"urn:ngsi-ld:Road:1\""), "any id of an objectList");
        assert!(hit("route==\"urn:ngsi-ld:Road:2\""));
        assert!(!hit("route>\"urn:a\""), "an objectList is ordered like a Relationship: not at all");
        assert!(hit("category==\"https://example.org/commercial\""));
        assert!(hit("raw[a.b]==7"), "a JsonProperty's json is a compound value");
        assert!(hit("raw"));
    }
}
