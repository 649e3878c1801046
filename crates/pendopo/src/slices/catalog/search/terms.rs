//! The clauses of a CKAN query (`solr.rs`) as one SQL condition on a
//! dataset `d`, with the values as arguments. A group is what Lucene makes
//! of it: every required clause, none of the negated ones, and (when
//! nothing is required) at least one of the optional ones.

use crate::slices::catalog::solr::{Bound, Clause, Field, Node, Occur, Value};
use crate::store::{Engine, Value as Arg};

/// The SQL condition of `clauses`; `$1` is the tenant.
pub fn condition(clauses: &[Clause], engine: Engine, args: &mut Vec<Arg>) -> String {
    let mut must = Vec::new();
    let mut should = Vec::new();
    let mut not = Vec::new();
    for c in clauses {
        let sql = match &c.node {
            Node::Group(inner) => format!("({})", condition(inner, engine, args)),
            Node::Term(field, value) => term(field, value, engine, args),
        };
        match c.occur {
            Occur::Must => must.push(sql),
            Occur::Should => should.push(sql),
            Occur::MustNot => not.push(format!("NOT ({sql})")),
        }
    }
    // With a required clause the optional ones only rank; a group of
    // negations alone matches everything else (as Solr's filters do).
    if must.is_empty() && !should.is_empty() {
        must.push(format!("({})", should.join(" OR ")));
    }
    must.extend(not);
    if must.is_empty() { "1 = 1".into() } else { must.join(" AND ") }
}

fn arg(args: &mut Vec<Arg>, v: impl Into<Arg>) -> String {
    args.push(v.into());
    format!("${}", args.len())
}

/// `LIKE` text for values starting with `prefix`, its wildcards escaped.
fn starting(prefix: &str) -> String {
    format!("{}%", crate::store::escape_like(prefix))
}

/// A column compared as CKAN's string fields are: exactly, by prefix, any
/// value, or within a range.
fn column(col: &str, value: &Value, args: &mut Vec<Arg>) -> String {
    match value {
        Value::Exact(v) => format!("{col} = {}", arg(args, v.as_str())),
        Value::Prefix(p) => format!("{col} LIKE {} ESCAPE '\\'", arg(args, starting(p))),
        Value::Any => format!("{col} <> ''"),
        Value::Range(low, high) => range(col, low, high, args),
    }
}

fn range(col: &str, low: &Option<(Bound, bool)>, high: &Option<(Bound, bool)>, args: &mut Vec<Arg>) -> String {
    let mut parts = Vec::new();
    for (bound, ops) in [(low, (">=", ">")), (high, ("<=", "<"))] {
        if let Some((b, inclusive)) = bound {
            let op = if *inclusive { ops.0 } else { ops.1 };
            let placeholder = match b {
                Bound::Text(t) => arg(args, t.as_str()),
                Bound::Millis(ms) => arg(args, *ms),
            };
            parts.push(format!("{col} {op} {placeholder}"));
        }
    }
    if parts.is_empty() { "1 = 1".into() } else { parts.join(" AND ") }
}

/// A word or its start somewhere in a text column, case aside.
fn words_in(col: &str, value: &Value, args: &mut Vec<Arg>) -> String {
    match value {
        Value::Exact(v) => format!("lower({col}) LIKE {} ESCAPE '\\'", arg(args, format!("%{}", starting(&v.to_lowercase())))),
        Value::Prefix(p) => format!("(' ' || lower({col})) LIKE {} ESCAPE '\\'", arg(args, format!("% {}", starting(&p.to_lowercase())))),
        Value::Any => "1 = 1".into(),
        // Refused by the parser; nothing matches a range of words.
        Value::Range(..) => "1 = 0".into(),
    }
}

/// Datasets with a related row (`from`: its table, joined to `d`) whose
/// `col` matches the value.
fn related(from: &str, col: &str, value: &Value, args: &mut Vec<Arg>) -> String {
    format!("EXISTS (SELECT 1 FROM {from} AND {})", column(col, value, args))
}

const ORGANIZATION: &str = "organizations o WHERE o.tenant_id = d.tenant_id AND o.id = d.org_id";
const GROUPS: &str = "dataset_groups dg JOIN catalog_groups g ON g.tenant_id = dg.tenant_id AND g.id = dg.group_id
                      WHERE dg.tenant_id = d.tenant_id AND dg.dataset_id = d.id";
const TAGS: &str = "dataset_tags t WHERE t.tenant_id = d.tenant_id AND t.dataset_id = d.id";
const RESOURCES: &str = "resources r WHERE r.tenant_id = d.tenant_id AND r.dataset_id = d.id";

fn term(field: &Field, value: &Value, engine: Engine, args: &mut Vec<Arg>) -> String {
    match field {
        Field::Text => text(value, engine, args),
        Field::Id => column("d.id", value, args),
        Field::Name => column("d.name", value, args),
        Field::Title => words_in("d.title", value, args),
        Field::Notes => words_in("d.notes", value, args),
        Field::Organization => related(ORGANIZATION, "o.slug", value, args),
        Field::OwnerOrg => format!("({} OR {})", column("d.org_id", value, args), related(ORGANIZATION, "o.slug", value, args)),
        Field::Groups => related(GROUPS, "g.name", value, args),
        Field::Tags => related(TAGS, "t.tag", value, args),
        Field::ResFormat => {
            let upper = match value {
                Value::Exact(v) => Value::Exact(v.to_uppercase()),
                Value::Prefix(p) => Value::Prefix(p.to_uppercase()),
                other => other.clone(),
            };
            related(RESOURCES, "upper(r.format)", &upper, args)
        }
        Field::LicenseId => column("d.license_id", value, args),
        // CKAN knows active, draft and deleted; Pendopo's review states are all active.
        Field::State => match value {
            Value::Exact(s) if s == "active" => "d.state NOT IN ('draft', 'deleted')".into(),
            Value::Exact(s) if s == "draft" || s == "deleted" => format!("d.state = {}", arg(args, s.as_str())),
            Value::Any => "1 = 1".into(),
            _ => "1 = 0".into(),
        },
        Field::Private => match value {
            Value::Exact(b) => format!("d.private = {}", i64::from(b == "true")),
            _ => "1 = 1".into(),
        },
        Field::Type => match value {
            Value::Exact(t) if t != "dataset" => "1 = 0".into(),
            Value::Prefix(p) if !"dataset".starts_with(p.as_str()) => "1 = 0".into(),
            _ => "1 = 1".into(),
        },
        Field::MetadataCreated => date("d.created_at", value, args),
        Field::MetadataModified => date("d.updated_at", value, args),
        Field::Year => match value {
            Value::Range(low, high) => {
                let number = |b: &Option<(Bound, bool)>| match b {
                    Some((Bound::Text(t), inclusive)) => t.parse::<i64>().ok().map(|n| (Bound::Millis(n), *inclusive)),
                    other => other.clone(),
                };
                range("d.year", &number(low), &number(high), args)
            }
            other => column("CAST(d.year AS TEXT)", other, args),
        },
        // Custom fields are kept as CKAN lists them: [{"key": .., "value": ..}].
        Field::Extra(key) => {
            let key = arg(args, key.as_str());
            let (from, k, v) = match engine {
                Engine::Sqlite => ("json_each(d.extras) e", "json_extract(e.value, '$.key')", "json_extract(e.value, '$.value')"),
                Engine::Postgres => (
                    "jsonb_array_elements(CASE WHEN jsonb_typeof(d.extras::jsonb) = 'array' THEN d.extras::jsonb ELSE '[]'::jsonb END) e",
                    "(e ->> 'key')",
                    "(e ->> 'value')",
                ),
            };
            format!("EXISTS (SELECT 1 FROM {from} WHERE {k} = {key} AND {})", column(v, value, args))
        }
    }
}

/// Millisecond columns: the parser gives their bounds as instants.
fn date(col: &str, value: &Value, args: &mut Vec<Arg>) -> String {
    match value {
        Value::Range(low, high) => range(col, low, high, args),
        _ => "1 = 1".into(),
    }
}

/// The dataset's words, through the full-text index (its stems; a prefix
/// also matches the start of a word of the title).
fn text(value: &Value, engine: Engine, args: &mut Vec<Arg>) -> String {
    let (words, prefix): (Vec<String>, bool) = match value {
        Value::Exact(v) => (stemmer::stems(v).filter(|w| w.chars().all(char::is_alphanumeric)).collect(), false),
        Value::Prefix(p) => (Some(p.to_lowercase()).filter(|w| w.chars().all(char::is_alphanumeric)).into_iter().collect(), true),
        Value::Any => return "1 = 1".into(),
        Value::Range(..) => return "1 = 0".into(),
    };
    if words.is_empty() {
        return "1 = 1".into();
    }
    let matching = match engine {
        Engine::Sqlite => {
            let expr = words.iter().map(|w| format!("\"{w}\"{}", if prefix { "*" } else { "" })).collect::<Vec<_>>().join(" ");
            format!("d.id IN (SELECT dataset_id FROM dataset_search WHERE dataset_search MATCH {} AND tenant_id = $1)", arg(args, expr))
        }
        Engine::Postgres => {
            let expr = words.iter().map(|w| format!("{w}{}", if prefix { ":*" } else { "" })).collect::<Vec<_>>().join(" & ");
            format!(
                "d.id IN (SELECT dataset_id FROM dataset_search WHERE tenant_id = $1 AND body @@ to_tsquery('simple', {}))",
                arg(args, expr)
            )
        }
    };
    if prefix { format!("({matching} OR {})", words_in("d.title", value, args)) } else { matching }
}
