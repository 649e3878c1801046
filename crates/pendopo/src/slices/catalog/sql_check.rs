//! What `datastore_search_sql` accepts: one read-only SELECT over datastore
//! tables only, decided on the parsed statement (never by matching text).

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use sqlparser::ast::{Expr, ObjectNamePart, SetExpr, Statement, visit_expressions, visit_relations, visit_statements};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

/// Functions a query may call: aggregates, text, numbers, dates and
/// conditionals; nothing that reads files, sleeps, or touches settings.
const FUNCTIONS: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "lower",
    "upper",
    "length",
    "trim",
    "ltrim",
    "rtrim",
    "substr",
    "substring",
    "replace",
    "round",
    "abs",
    "floor",
    "ceil",
    "ceiling",
    "coalesce",
    "nullif",
    "strftime",
    "date",
    "extract",
    "date_part",
    "concat",
    "cast",
];

/// Why a query is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Parse(String),
    NotOneStatement,
    NotSelect,
    Table(String),
    Function(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Parse(e) => write!(f, "the SQL cannot be parsed: {e}"),
            Refusal::NotOneStatement => f.write_str("give exactly one statement"),
            Refusal::NotSelect => f.write_str("only a read-only SELECT is allowed"),
            Refusal::Table(t) => write!(f, "\"{t}\" is not a datastore table (name tables by resource id, in double quotes)"),
            Refusal::Function(n) => write!(f, "the function {n} is not allowed"),
        }
    }
}

/// The resource ids the query reads, if it may run.
pub fn check(sql: &str) -> Result<BTreeSet<String>, Refusal> {
    let statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).map_err(|e| Refusal::Parse(e.to_string()))?;
    let [statement] = statements.as_slice() else { return Err(Refusal::NotOneStatement) };
    let Statement::Query(query) = statement else { return Err(Refusal::NotSelect) };
    // Nested statements (data-modifying CTEs, INSERT in a set operation) and
    // SELECT ... INTO / FOR UPDATE are writes or locks: refused.
    let mut nested = 0;
    let _ = visit_statements(statement, |_| {
        nested += 1;
        ControlFlow::<()>::Continue(())
    });
    if nested != 1 || !read_only(&query.body) || query.locks.iter().len() > 0 {
        return Err(Refusal::NotSelect);
    }
    let mut tables = BTreeSet::new();
    let relations = visit_relations(statement, |name| {
        let parts: Vec<String> = name
            .0
            .iter()
            .map(|p| match p {
                ObjectNamePart::Identifier(i) => i.value.clone(),
                other => other.to_string(),
            })
            .collect();
        match parts.as_slice() {
            [one] if is_resource_id(one) => {
                tables.insert(one.clone());
                ControlFlow::Continue(())
            }
            _ => ControlFlow::Break(Refusal::Table(parts.join("."))),
        }
    });
    if let ControlFlow::Break(r) = relations {
        return Err(r);
    }
    let functions = visit_expressions(statement, |e| {
        if let Expr::Function(f) = e {
            let name = f.name.to_string().to_lowercase();
            if !FUNCTIONS.contains(&name.as_str()) {
                return ControlFlow::Break(Refusal::Function(name));
            }
        }
        ControlFlow::Continue(())
    });
    if let ControlFlow::Break(r) = functions {
        return Err(r);
    }
    if tables.is_empty() {
        return Err(Refusal::Table(String::new()));
    }
    Ok(tables)
}

fn read_only(body: &SetExpr) -> bool {
    match body {
        SetExpr::Select(s) => s.into.is_none(),
        SetExpr::Query(q) => q.locks.is_empty() && read_only(&q.body),
        SetExpr::SetOperation { left, right, .. } => read_only(left) && read_only(right),
        SetExpr::Values(_) => true,
        _ => false,
    }
}

/// Datastore tables are named by their resource's id (a UUID).
fn is_resource_id(s: &str) -> bool {
    s.len() == 36 && s.chars().enumerate().all(|(i, c)| if [8, 13, 18, 23].contains(&i) { c == '-' } else { c.is_ascii_hexdigit() })
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "01a224b4-f774-724e-8ca2-361f5a8a2aeb";

    fn check_sql(sql: &str, expect: Result<usize, &str>) {
        match (check(sql), expect) {
            (Ok(tables), Ok(n)) => assert_eq!(tables.len(), n, "{sql}"),
            (Err(e), Err(fragment)) => assert!(e.to_string().contains(fragment), "{sql}: {e}"),
            (got, want) => panic!("{sql}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn only_reads_of_datastore_tables_pass() {
        check_sql(&format!(r#"SELECT kecamatan, sum(produksi_ton) FROM "{T}" WHERE luas_panen_ha > 100 GROUP BY kecamatan"#), Ok(1));
        check_sql(&format!(r#"SELECT * FROM "{T}" a JOIN "{T}" b ON a._id = b._id ORDER BY a._id LIMIT 5"#), Ok(1));
        check_sql(&format!(r#"WITH x AS (SELECT * FROM "{T}") SELECT count(*) FROM x"#), Err("not a datastore table"));
        check_sql(&format!(r#"DELETE FROM "{T}""#), Err("read-only SELECT"));
        check_sql(&format!(r#"SELECT 1; DROP TABLE "{T}""#), Err("one statement"));
        check_sql("SELECT * FROM users", Err("not a datastore table"));
        check_sql("SELECT * FROM sqlite_master", Err("not a datastore table"));
        check_sql("SELECT * FROM pg_catalog.pg_tables", Err("not a datastore table"));
        check_sql(&format!(r#"SELECT pg_sleep(10) FROM "{T}""#), Err("pg_sleep"));
        check_sql(&format!(r#"SELECT * INTO copy FROM "{T}""#), Err("read-only"));
        check_sql(&format!(r#"SELECT * FROM "{T}" FOR UPDATE"#), Err("read-only"));
        check_sql("SELEC * FROM x", Err("cannot be parsed"));
        check_sql("SELECT 1", Err("not a datastore table"));
    }
}
