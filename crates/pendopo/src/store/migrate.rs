//! Embedded migrations, one list per engine, applied in order at start.
//! A landed migration is never edited: a change is a new file.

use super::{Engine, Result, Store, StoreError, sql};

pub const MIGRATIONS_TABLE: &str = "pendopo_migrations";

/// One migration: its number (unique over the kernel and every slice), its
/// name, and its SQL for each engine.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

impl Migration {
    /// One SQL text both engines run (the rule since 0007): `NNNN_name.sql`
    /// in the folder of its slice (or the kernel's `migrations/`).
    pub const fn shared(version: i64, name: &'static str, sql: &'static str) -> Migration {
        Migration { version, name, sqlite: sql, postgres: sql }
    }

    /// A migration whose SQL differs between the engines (the older ones,
    /// from before the rule of one shared file).
    pub const fn per_engine(version: i64, name: &'static str, sqlite: &'static str, postgres: &'static str) -> Migration {
        Migration { version, name, sqlite, postgres }
    }
}

/// The kernel's own migrations (`migrations/`); each slice declares its own
/// in its folder (`Slice::migrations`).
const MIGRATIONS: &[Migration] = &[
    Migration::per_engine(
        1,
        "0001_kernel",
        include_str!("../../migrations/0001_kernel.sqlite.sql"),
        include_str!("../../migrations/0001_kernel.postgres.sql"),
    ),
    Migration::shared(7, "0007_jobs", include_str!("../../migrations/0007_jobs.sql")),
    Migration::shared(10, "0010_service_leases", include_str!("../../migrations/0010_service_leases.sql")),
];

/// Every migration, the kernel's and the slices', in order of version.
pub fn all() -> Vec<Migration> {
    let mut all: Vec<Migration> = MIGRATIONS.iter().copied().chain(crate::slices::migrations()).collect();
    all.sort_by_key(|m| m.version);
    all
}

impl Store {
    /// Applies the migrations this database has not seen, all in one
    /// transaction. Two servers starting together wait for each other: on
    /// PostgreSQL through a transaction-scoped advisory lock, on SQLite
    /// through the write lock `BEGIN IMMEDIATE` takes.
    pub async fn migrate(&self) -> Result<Vec<i64>> {
        let mut tx = self.begin().await?;
        if tx.engine() == Engine::Postgres {
            tx.execute(sql("SELECT pg_advisory_xact_lock(7362)")).await?;
        }
        tx.execute(sql("CREATE TABLE IF NOT EXISTS pendopo_migrations (
                version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"))
            .await?;
        let done: Vec<i64> = tx
            .fetch_all(sql("SELECT version FROM pendopo_migrations ORDER BY version"))
            .await?
            .iter()
            .map(|r| r.at(0))
            .collect::<Result<_>>()?;
        if let Some(&newest) = done.last() {
            let known = all().last().map(|m| m.version).unwrap_or(0);
            if newest > known {
                return Err(StoreError::Other(format!(
                    "the database has migration {newest}, newer than this binary knows ({known}): run a newer pendopo"
                )));
            }
        }
        let mut applied = Vec::new();
        for m in all().iter().filter(|m| !done.contains(&m.version)) {
            let script = match tx.engine() {
                Engine::Sqlite => m.sqlite,
                Engine::Postgres => m.postgres,
            };
            for statement in script.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
                tx.execute(super::sql_built(statement.to_string())).await?;
            }
            tx.execute(
                sql("INSERT INTO pendopo_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
                    .bind(m.version)
                    .bind(m.name)
                    .bind(tx.now_ms()),
            )
            .await?;
            tracing::info!(version = m.version, name = m.name, "applied migration");
            applied.push(m.version);
        }
        tx.commit().await?;
        Ok(applied)
    }
}
