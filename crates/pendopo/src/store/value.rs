//! The portable values that cross the store boundary.

use std::sync::Arc;

use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Postgres, Sqlite};

use super::StoreError;

/// The type a NULL stands for: PostgreSQL checks the declared type of every
/// argument, so even a NULL has to say what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Float,
    Text,
    Bytes,
}

impl Kind {
    /// The kind of a column from its declared type, on either engine.
    pub(super) fn of_type_name(name: &str) -> Kind {
        let n = name.to_ascii_uppercase();
        if n.contains("INT") || n == "BOOL" || n == "BOOLEAN" {
            Kind::Int
        } else if n.contains("REAL") || n.contains("FLOAT") || n.contains("DOUBLE") {
            Kind::Float
        } else if n.contains("BLOB") || n == "BYTEA" {
            Kind::Bytes
        } else {
            Kind::Text
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null(Kind),
    Int(i64),
    Float(f64),
    Text(String),
    Bytes(Vec<u8>),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null(_))
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Int(v as i64)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v)
    }
}

/// `None` becomes a NULL of the right kind.
impl<T: Into<Value> + Typed> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        match v {
            Some(v) => v.into(),
            None => Value::Null(T::KIND),
        }
    }
}

pub trait Typed {
    const KIND: Kind;
}
impl Typed for i64 {
    const KIND: Kind = Kind::Int;
}
impl Typed for bool {
    const KIND: Kind = Kind::Int;
}
impl Typed for f64 {
    const KIND: Kind = Kind::Float;
}
impl Typed for String {
    const KIND: Kind = Kind::Text;
}
impl Typed for &str {
    const KIND: Kind = Kind::Text;
}
impl Typed for &String {
    const KIND: Kind = Kind::Text;
}

/// A result row: values by position, names shared by all rows of a result.
#[derive(Debug, Clone)]
pub struct Row {
    columns: Arc<[String]>,
    values: Vec<Value>,
}

pub(super) fn columns<'a>(names: impl Iterator<Item = &'a str>) -> Arc<[String]> {
    names.map(str::to_string).collect()
}

impl Row {
    pub(super) fn new(columns: Arc<[String]>, values: Vec<Value>) -> Row {
        Row { columns, values }
    }

    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    pub fn values(&self) -> &[Value] {
        &self.values
    }

    pub fn into_values(self) -> Vec<Value> {
        self.values
    }

    pub fn at<T: FromValue>(&self, i: usize) -> Result<T, StoreError> {
        let name = self.columns.get(i).map(String::as_str).unwrap_or("?");
        let v = self.values.get(i).ok_or_else(|| decode(name, "no such column"))?;
        T::from_value(v).map_err(|reason| decode(name, reason))
    }

    pub fn get<T: FromValue>(&self, name: &str) -> Result<T, StoreError> {
        let i = self.columns.iter().position(|c| c == name).ok_or_else(|| decode(name, "no such column"))?;
        self.at(i)
    }
}

fn decode(column: &str, reason: &str) -> StoreError {
    StoreError::Decode { column: column.to_string(), reason: reason.to_string() }
}

pub trait FromValue: Sized {
    fn from_value(v: &Value) -> Result<Self, &'static str>;
}

impl FromValue for i64 {
    fn from_value(v: &Value) -> Result<Self, &'static str> {
        match v {
            Value::Int(i) => Ok(*i),
            Value::Null(_) => Err("is NULL"),
            _ => Err("is not an integer"),
        }
    }
}

impl FromValue for bool {
    fn from_value(v: &Value) -> Result<Self, &'static str> {
        i64::from_value(v).map(|i| i != 0)
    }
}

impl FromValue for f64 {
    fn from_value(v: &Value) -> Result<Self, &'static str> {
        match v {
            Value::Float(f) => Ok(*f),
            Value::Int(i) => Ok(*i as f64),
            Value::Null(_) => Err("is NULL"),
            _ => Err("is not a number"),
        }
    }
}

impl FromValue for String {
    fn from_value(v: &Value) -> Result<Self, &'static str> {
        match v {
            Value::Text(s) => Ok(s.clone()),
            Value::Null(_) => Err("is NULL"),
            _ => Err("is not text"),
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(v: &Value) -> Result<Self, &'static str> {
        match v {
            Value::Bytes(b) => Ok(b.clone()),
            Value::Null(_) => Err("is NULL"),
            _ => Err("is not bytes"),
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> Result<Self, &'static str> {
        match v {
            Value::Null(_) => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

pub(super) fn bind_sqlite<'q>(q: Query<'q, Sqlite, SqliteArguments>, v: &Value) -> Query<'q, Sqlite, SqliteArguments> {
    match v {
        Value::Null(_) => q.bind(None::<i64>),
        Value::Int(i) => q.bind(*i),
        Value::Float(f) => q.bind(*f),
        Value::Text(s) => q.bind(s.clone()),
        Value::Bytes(b) => q.bind(b.clone()),
    }
}

pub(super) fn bind_pg<'q>(q: Query<'q, Postgres, PgArguments>, v: &Value) -> Query<'q, Postgres, PgArguments> {
    match v {
        Value::Null(Kind::Int) => q.bind(None::<i64>),
        Value::Null(Kind::Float) => q.bind(None::<f64>),
        Value::Null(Kind::Text) => q.bind(None::<String>),
        Value::Null(Kind::Bytes) => q.bind(None::<Vec<u8>>),
        Value::Int(i) => q.bind(*i),
        Value::Float(f) => q.bind(*f),
        Value::Text(s) => q.bind(s.clone()),
        Value::Bytes(b) => q.bind(b.clone()),
    }
}
