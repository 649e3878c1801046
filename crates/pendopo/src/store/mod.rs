//! The store: one concrete type over two engines, SQLite (embedded, WAL) and
//! PostgreSQL (scale-out), chosen at run time from the database URL.
//!
//! Statements are written once with `$1, $2, ...` placeholders, which both
//! engines accept, and carry their arguments as [`Value`]s; rows come back as
//! [`Row`]s of [`Value`]s. Handlers never see which engine runs. Where the
//! dialects really differ a slice asks [`Store::engine`] and picks its SQL.
//!
//! Schema conventions that keep the two engines interchangeable (and `db
//! copy` a plain loop): integers are BIGINT, flags are BIGINT 0/1, times are
//! BIGINT milliseconds since the Unix epoch made in Rust, ids are TEXT
//! (UUIDv7), JSON is TEXT.

mod bulk;
mod group;
mod migrate;
mod value;

use std::borrow::Cow;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{AssertSqlSafe, Column, Postgres, Row as _, Sqlite, TypeInfo, ValueRef};

pub use bulk::{insert_rows, insert_rows_on_conflict};
pub use group::{Merge, WriteFuture};
pub use migrate::{MIGRATIONS_TABLE, Migration};
/// Every migration, the kernel's and the slices', in order.
pub fn migrations() -> Vec<Migration> {
    migrate::all()
}
pub use value::{FromValue, Kind, Row, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write: the caller maps it to a 409.
    #[error("duplicate value: {0}")]
    Duplicate(String),
    #[error("the expected row does not exist")]
    NotFound,
    #[error("column {column}: {reason}")]
    Decode { column: String, reason: String },
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A bounded read ([`Store::fetch_all_bounded`]) ran out of time.
    #[error("the query ran longer than its time limit")]
    TimedOut,
    /// Every connection for bounded reads is taken: try again shortly.
    #[error("too many queries at once")]
    Busy,
    #[error("{0}")]
    Other(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    /// A transaction that read one snapshot ([`Tx::snapshot`]) lost to a
    /// concurrent write of the same rows (SQLSTATE 40001): trying it again succeeds.
    pub fn is_serialization_failure(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(db)) if db.code().as_deref() == Some("40001"))
    }
}

/// A statement and its arguments.
#[derive(Debug, Clone)]
pub struct Sql {
    text: Cow<'static, str>,
    args: Vec<Value>,
    persistent: bool,
}

/// A statement written in the source.
pub fn sql(text: &'static str) -> Sql {
    Sql { text: Cow::Borrowed(text), args: Vec::new(), persistent: true }
}

/// `text` as the inside of a `LIKE` pattern, its wildcards escaped (with
/// `ESCAPE '\'` in the statement): user input matched literally.
pub fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// A statement assembled at run time. Only from identifiers the code itself
/// chose (table and column names of our schema), never from user input: user
/// input always travels as an argument.
pub fn sql_built(text: String) -> Sql {
    Sql { text: Cow::Owned(text), args: Vec::new(), persistent: true }
}

impl Sql {
    pub fn bind(mut self, v: impl Into<Value>) -> Sql {
        self.args.push(v.into());
        self
    }

    pub fn bind_all(mut self, vs: impl IntoIterator<Item = Value>) -> Sql {
        self.args.extend(vs);
        self
    }

    /// Not kept as a prepared statement. For SQL over tables that are
    /// dropped and created again with other column types (the datastore):
    /// a cached statement would remember the old types and misread values.
    pub fn transient(mut self) -> Sql {
        self.persistent = false;
        self
    }

    fn sqlx_text(&self) -> AssertSqlSafe<Cow<'static, str>> {
        AssertSqlSafe(self.text.clone())
    }
}

#[derive(Clone)]
enum Pools {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// The database of a deployment. Cheap to clone (pools are shared).
#[derive(Clone)]
pub struct Store {
    pools: Pools,
    /// A second, small pool whose connections cannot write, for queries
    /// written by callers (`datastore_search_sql`): a dropped request can
    /// leave nothing behind on the pool the pages write with, and slow
    /// queries can take at most its few connections.
    reader: Pools,
    /// What "now" is for every row this store writes (`clock`).
    clock: crate::clock::Clock,
    /// The queue to this store's group writer ([`Store::grouped`]).
    group: group::Queue,
}

/// Log pages past which the group writer's commit copies the log into the
/// database itself (SQLite's default is 1,000): the background checkpoint
/// ([`Store::background_checkpoints`]) does that work beside it, and this is
/// a last bound on the log (64 MiB) should that one stop.
const WRITER_CHECKPOINT_PAGES: &str = "16384";

/// A pool of one SQLite connection that stays open, for one task's use.
fn one_connection(options: SqliteConnectOptions) -> sqlx::SqlitePool {
    SqlitePoolOptions::new()
        .max_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .acquire_timeout(Duration::from_secs(10))
        .connect_lazy_with(options)
}

/// Connections of the read-only pool: also how many callers' queries run at once.
const READER_CONNECTIONS: u32 = 2;

/// A transaction on either engine. Dropped without [`Tx::commit`], it rolls back.
pub struct Tx {
    inner: TxInner,
    clock: crate::clock::Clock,
}

enum TxInner {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

/// Pool statistics for `/metrics`.
pub struct PoolStats {
    pub size: u32,
    pub idle: usize,
    pub max: u32,
}

/// A database on this host is reached without TLS unless the URL asks for
/// it: sqlx would otherwise try TLS first (`sslmode=prefer`) and every bulk
/// load would pay for encryption that protects nothing (half the datastore's
/// speed on a local PostgreSQL with `ssl = on`, Debian's default). Another
/// host gets sqlx's default, and `sslmode=require` or `verify-full` when the
/// URL says so.
fn local_without_tls(url: &str, options: PgConnectOptions) -> PgConnectOptions {
    let host = options.get_host();
    let local = matches!(host, "localhost" | "127.0.0.1" | "::1" | "[::1]") || host.starts_with('/');
    if local && !url.contains("sslmode=") { options.ssl_mode(sqlx::postgres::PgSslMode::Disable) } else { options }
}

impl Store {
    /// Opens the database named by `url` (`sqlite://path` or
    /// `postgres://...`) and applies the embedded migrations.
    pub async fn open(url: &str) -> Result<Store> {
        let store = Store::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// The embedded SQLite database inside a data directory.
    pub fn sqlite_url(data_dir: &Path) -> String {
        format!("sqlite://{}", data_dir.join("pendopo.db").display())
    }

    /// Opens without migrating (for `migrate` itself and for `db copy`'s checks).
    pub async fn connect(url: &str) -> Result<Store> {
        let (pools, reader) = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = local_without_tls(url, PgConnectOptions::from_str(url)?);
            let pool =
                PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect_with(options.clone()).await?;
            // Every transaction on these connections is read-only from the start.
            let read_only = options.options([("default_transaction_read_only", "on")]);
            let reader = PgPoolOptions::new()
                .max_connections(READER_CONNECTIONS)
                .acquire_timeout(Duration::from_secs(5))
                .connect_lazy_with(read_only);
            (Pools::Postgres(pool), Pools::Postgres(reader))
        } else if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                // Reads through a memory map share the operating system's page
                // cache between connections instead of copying pages into each
                // connection's small private cache: searches that visit
                // thousands of rows ran about twice as fast. The whole file
                // up to SQLite's own cap (2 GiB): beyond 256 MiB (the broker's
                // 100,000 entities with a year of readings are 750 MB), pages
                // were read again through the 2 MB cache, a quarter of a
                // `near` query's time.
                .pragma("mmap_size", "2147418112")
                // 32 MiB of pages per connection (the default is 2 MiB): a
                // large write transaction's changed pages stay in memory
                // until commit instead of being spilled to the WAL half-way
                // and read back (another seventh of the same batch).
                .pragma("cache_size", "-32768");
            let pool =
                SqlitePoolOptions::new().max_connections(8).acquire_timeout(Duration::from_secs(10)).connect_with(options.clone()).await?;
            // Opened read-only by SQLite itself, and `query_only` on top.
            let read_only = options.read_only(true).create_if_missing(false).pragma("query_only", "ON");
            let reader = SqlitePoolOptions::new()
                .max_connections(READER_CONNECTIONS)
                .acquire_timeout(Duration::from_secs(5))
                .connect_lazy_with(read_only);
            (Pools::Sqlite(pool), Pools::Sqlite(reader))
        } else {
            return Err(StoreError::Other(format!("unsupported database URL '{url}': use sqlite://PATH or postgres://USER@HOST/DB")));
        };
        Ok(Store { pools, reader, clock: crate::clock::Clock::system(), group: group::Queue::default() })
    }

    /// This handle on a connection of its own (SQLite), for the group
    /// writer (`group.rs`), which is then the only user of that connection.
    /// SQLite drops a connection's page cache and unmaps its whole memory map
    /// at the start of every transaction that finds the database changed by
    /// another connection: the writer taking whichever pool connection was
    /// free found every one of them stale (the PATCH profile: a quarter of
    /// the server's time unmapping and faulting pages back in). On its own
    /// connection it sees only its own writes, and both stay warm.
    pub(super) fn on_own_connection(self) -> Store {
        match &self.pools {
            Pools::Sqlite(p) => {
                let own = one_connection(
                    (*p.connect_options())
                        .clone()
                        .pragma("wal_autocheckpoint", WRITER_CHECKPOINT_PAGES)
                        // A multi-row upsert keeps a statement journal of
                        // every page it changes (to undo itself alone),
                        // spilled to a temporary file past 64 KiB: a tenth
                        // of the writer's time was those writes. In memory,
                        // bounded by one write's statements.
                        .pragma("temp_store", "MEMORY")
                        // The log file is cut back to this when it starts
                        // afresh, after a burst of writes let it grow.
                        .pragma("journal_size_limit", "67108864"),
                );
                Store { pools: Pools::Sqlite(own), ..self }
            }
            Pools::Postgres(_) => self,
        }
    }

    /// A task that copies the write-ahead log into the database file after
    /// each of the group writer's commits, on a connection of its own
    /// (SQLite; none on PostgreSQL): a send on the answer starts one, and
    /// the task ends when it is dropped. SQLite's own checkpoint runs in the
    /// committing connection when the log passes its threshold, and waits
    /// there for two fsyncs: the batch upserts spent two fifths of their
    /// time in it. Here it runs beside the writer, whose own checkpoint
    /// (past [`WRITER_CHECKPOINT_PAGES`]) is left only the last commits'
    /// pages and keeps the log bounded: SQLite starts the log afresh only
    /// when a writer begins with every page of it copied, which a checkpoint
    /// running beside the writer does not wait for.
    pub(super) fn background_checkpoints(&self) -> Option<tokio::sync::mpsc::Sender<()>> {
        let Pools::Sqlite(p) = &self.pools else { return None };
        let own = one_connection((*p.connect_options()).clone());
        // One waiting request is enough: commits meanwhile are copied by it.
        let (send, mut wake) = tokio::sync::mpsc::channel::<()>(1);
        tokio::spawn(async move {
            while wake.recv().await.is_some() {
                // PASSIVE: it copies what it can without waiting for anyone. A
                // RESTART past 8,192 pages, tried, held every write behind it
                // (a p99 of 600 ms for single updates).
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&own).await {
                    tracing::warn!("background checkpoint: {e}");
                }
            }
            own.close().await;
        });
        Some(send)
    }

    /// The same database going by `clock` (tests move time with a manual one).
    pub fn with_clock(mut self, clock: crate::clock::Clock) -> Store {
        self.clock = clock;
        // A writer already started goes by the old clock: this handle gets its own.
        self.group = group::Queue::default();
        self
    }

    pub fn clock(&self) -> &crate::clock::Clock {
        &self.clock
    }

    /// Milliseconds since the epoch by this store's clock.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    pub fn engine(&self) -> Engine {
        match self.pools {
            Pools::Sqlite(_) => Engine::Sqlite,
            Pools::Postgres(_) => Engine::Postgres,
        }
    }

    /// Picks the statement for this engine, where the dialects differ.
    pub fn dialect(&self, sqlite: &'static str, postgres: &'static str) -> Sql {
        match self.engine() {
            Engine::Sqlite => sql(sqlite),
            Engine::Postgres => sql(postgres),
        }
    }

    pub async fn begin(&self) -> Result<Tx> {
        let inner = match &self.pools {
            // IMMEDIATE takes the write lock up front, so two writers wait
            // for each other instead of failing on lock upgrade.
            Pools::Sqlite(p) => TxInner::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Pools::Postgres(p) => TxInner::Postgres(p.begin().await?),
        };
        Ok(Tx { inner, clock: self.clock.clone() })
    }

    pub async fn fetch_all(&self, q: Sql) -> Result<Vec<Row>> {
        match &self.pools {
            Pools::Sqlite(p) => {
                // A statement prepared before another connection changed the
                // schema (a datastore table indexed by a job) can fail once
                // with SQLITE_SCHEMA where a virtual table (the FTS5 index)
                // is involved; prepared again, it runs.
                let mut tries = 0;
                loop {
                    match sqlite_fetch(p, &q).await {
                        Err(e) if tries < 3 && schema_changed(&e) => tries += 1,
                        other => return other,
                    }
                }
            }
            Pools::Postgres(p) => pg_fetch(p, &q).await,
        }
    }

    /// Runs a read that must not write and must stop after `limit`, on the
    /// read-only pool. Each engine enforces both itself: PostgreSQL with
    /// read-only sessions and `statement_timeout`, SQLite with a read-only
    /// connection and a progress handler that interrupts the statement at
    /// the deadline (so a runaway query does not go on in the background).
    /// When every reader connection is busy, the caller waits a little and
    /// then gets [`StoreError::Busy`].
    pub async fn fetch_all_bounded(&self, q: Sql, limit: Duration) -> Result<Vec<Row>> {
        let busy = |e: sqlx::Error| if matches!(e, sqlx::Error::PoolTimedOut) { StoreError::Busy } else { classify(e) };
        match &self.reader {
            Pools::Sqlite(p) => {
                let mut conn = p.acquire().await.map_err(busy)?;
                // Set afresh on every use: a request dropped mid-query leaves
                // its (expired) handler behind, which this replaces.
                let deadline = std::time::Instant::now() + limit;
                conn.lock_handle().await?.set_progress_handler(1000, move || std::time::Instant::now() < deadline);
                sqlite_fetch(&mut *conn, &q).await.map_err(|e| if e.to_string().contains("interrupted") { StoreError::TimedOut } else { e })
            }
            Pools::Postgres(p) => {
                let mut tx = p.begin().await.map_err(busy)?;
                pg_execute(&mut *tx, &sql_built(format!("SET LOCAL statement_timeout = {}", limit.as_millis()))).await?;
                pg_fetch(&mut *tx, &q).await.map_err(|e| if e.to_string().contains("statement timeout") { StoreError::TimedOut } else { e })
            }
        }
    }

    /// The SQL dialect callers' queries are parsed with: the running
    /// engine's, so what is checked is what runs.
    pub fn sql_dialect(&self) -> &'static dyn sqlparser::dialect::Dialect {
        match self.engine() {
            Engine::Sqlite => &sqlparser::dialect::SQLiteDialect {},
            Engine::Postgres => &sqlparser::dialect::PostgreSqlDialect {},
        }
    }

    pub async fn execute(&self, q: Sql) -> Result<u64> {
        match &self.pools {
            Pools::Sqlite(p) => sqlite_execute(p, &q).await,
            Pools::Postgres(p) => pg_execute(p, &q).await,
        }
    }

    /// True when the database takes a write: a write that changes nothing,
    /// rolled back (a database that only answers reads is not healthy).
    pub async fn ping(&self) -> bool {
        let write = async {
            let mut tx = self.begin().await?;
            tx.execute(sql("UPDATE pendopo_migrations SET name = name WHERE version < 0")).await?;
            drop(tx);
            Ok::<_, StoreError>(())
        };
        write.await.is_ok()
    }

    pub fn pool_stats(&self) -> PoolStats {
        match &self.pools {
            Pools::Sqlite(p) => PoolStats { size: p.size(), idle: p.num_idle(), max: p.options().get_max_connections() },
            Pools::Postgres(p) => PoolStats { size: p.size(), idle: p.num_idle(), max: p.options().get_max_connections() },
        }
    }

    /// A consistent copy of the embedded database while it is in use
    /// (`VACUUM INTO`). PostgreSQL deployments back up with `pg_dump`.
    pub async fn backup_sqlite(&self, to: &Path) -> Result<()> {
        match &self.pools {
            Pools::Sqlite(p) => {
                sqlx::query("VACUUM INTO $1").bind(to.display().to_string()).execute(p).await.map_err(classify)?;
                Ok(())
            }
            Pools::Postgres(_) => {
                Err(StoreError::Other("backup copies the embedded SQLite database; for PostgreSQL use pg_dump (see docs/deploy.md)".into()))
            }
        }
    }

    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite(p) => p.close().await,
            Pools::Postgres(p) => p.close().await,
        }
        match &self.reader {
            Pools::Sqlite(p) => p.close().await,
            Pools::Postgres(p) => p.close().await,
        }
    }
}

impl Tx {
    pub async fn fetch_all(&mut self, q: Sql) -> Result<Vec<Row>> {
        match &mut self.inner {
            TxInner::Sqlite(t) => match sqlite_fetch(&mut **t, &q).await {
                Err(e) if stale_schema(&e) => sqlite_fetch(&mut **t, &q).await,
                other => other,
            },
            TxInner::Postgres(t) => pg_fetch(&mut **t, &q).await,
        }
    }

    pub async fn execute(&mut self, q: Sql) -> Result<u64> {
        match &mut self.inner {
            TxInner::Sqlite(t) => match sqlite_execute(&mut **t, &q).await {
                Err(e) if stale_schema(&e) => sqlite_execute(&mut **t, &q).await,
                other => other,
            },
            TxInner::Postgres(t) => pg_execute(&mut **t, &q).await,
        }
    }

    pub async fn fetch_optional(&mut self, q: Sql) -> Result<Option<Row>> {
        Ok(self.fetch_all(q).await?.into_iter().next())
    }

    pub async fn fetch_one(&mut self, q: Sql) -> Result<Row> {
        self.fetch_optional(q).await?.ok_or(StoreError::NotFound)
    }

    pub async fn fetch_scalar<T: FromValue>(&mut self, q: Sql) -> Result<T> {
        self.fetch_one(q).await?.at(0)
    }

    pub fn engine(&self) -> Engine {
        match self.inner {
            TxInner::Sqlite(_) => Engine::Sqlite,
            TxInner::Postgres(_) => Engine::Postgres,
        }
    }

    /// Milliseconds since the epoch by the store's clock.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Makes transactions that name the same `key` run one after another
    /// (until this one ends), so two that write the same rows in different
    /// orders cannot deadlock. SQLite already runs one writer at a time;
    /// PostgreSQL takes a transaction-scoped advisory lock.
    pub async fn serialize_on(&mut self, key: &str) -> Result<()> {
        if let TxInner::Postgres(t) = &mut self.inner {
            pg_execute(&mut **t, &sql("SELECT pg_advisory_xact_lock(hashtext($1))").bind(key)).await?;
        }
        Ok(())
    }

    /// Makes every statement of this transaction read the same snapshot
    /// (PostgreSQL's REPEATABLE READ: a concurrent write of a row this one
    /// writes fails it, to be tried again). Must be its first statement.
    /// SQLite's transactions already see one state: they write one at a time.
    pub async fn snapshot(&mut self) -> Result<()> {
        if let TxInner::Postgres(t) = &mut self.inner {
            pg_execute(&mut **t, &sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")).await?;
        }
        Ok(())
    }

    pub async fn commit(self) -> Result<()> {
        match self.inner {
            TxInner::Sqlite(t) => t.commit().await,
            TxInner::Postgres(t) => t.commit().await,
        }
        .map_err(classify)
    }

    /// Undoes the transaction now (dropping it does so too, but later).
    pub async fn rollback(self) -> Result<()> {
        match self.inner {
            TxInner::Sqlite(t) => t.rollback().await,
            TxInner::Postgres(t) => t.rollback().await,
        }
        .map_err(classify)
    }
}

impl Store {
    pub async fn fetch_optional(&self, q: Sql) -> Result<Option<Row>> {
        Ok(self.fetch_all(q).await?.into_iter().next())
    }

    pub async fn fetch_one(&self, q: Sql) -> Result<Row> {
        self.fetch_optional(q).await?.ok_or(StoreError::NotFound)
    }

    pub async fn fetch_scalar<T: FromValue>(&self, q: Sql) -> Result<T> {
        self.fetch_one(q).await?.at(0)
    }
}

/// SQLite's SQLITE_SCHEMA (17): the schema changed under a prepared statement.
fn schema_changed(e: &StoreError) -> bool {
    matches!(e, StoreError::Database(sqlx::Error::Database(db)) if db.code().as_deref() == Some("17"))
}

/// SQLite: a pool connection whose copy of the schema is older than a table
/// can fail to prepare the first statement naming it ("no such table") in
/// a transaction, where SQLite does not prepare again by itself; the failed
/// prepare reloads the schema, and the statement runs the second time. Seen
/// after `db copy` rebuilt datastore tables on the target: the boxes'
/// rebuild that followed failed in about one run of three
/// (`datastore::datastore_create_upsert_delete_through_the_api`). A
/// statement that failed to prepare changed nothing, so trying it again
/// inside the transaction is safe.
fn stale_schema(e: &StoreError) -> bool {
    matches!(e, StoreError::Database(sqlx::Error::Database(db)) if db.message().starts_with("no such table"))
}

/// Unique violations become [`StoreError::Duplicate`], whatever the engine.
fn classify(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
    {
        return StoreError::Duplicate(db.message().to_string());
    }
    StoreError::Database(e)
}

async fn sqlite_fetch<'e, E: sqlx::Executor<'e, Database = Sqlite>>(e: E, q: &Sql) -> Result<Vec<Row>> {
    let mut query = sqlx::query(q.sqlx_text()).persistent(q.persistent);
    for a in &q.args {
        query = value::bind_sqlite(query, a);
    }
    let rows = query.fetch_all(e).await.map_err(classify)?;
    let Some(first) = rows.first() else { return Ok(Vec::new()) };
    let columns = value::columns(first.columns().iter().map(|c| c.name()));
    rows.iter().map(|r| sqlite_row(r, &columns)).collect()
}

fn sqlite_row(row: &SqliteRow, columns: &std::sync::Arc<[String]>) -> Result<Row> {
    let mut values = Vec::with_capacity(columns.len());
    for i in 0..columns.len() {
        let raw = row.try_get_raw(i)?;
        let v = if raw.is_null() {
            Value::Null(Kind::of_type_name(row.columns()[i].type_info().name()))
        } else {
            match raw.type_info().name() {
                "INTEGER" | "BOOLEAN" => Value::Int(row.try_get(i)?),
                "REAL" => Value::Float(row.try_get(i)?),
                "BLOB" => Value::Bytes(row.try_get(i)?),
                _ => Value::Text(row.try_get(i)?),
            }
        };
        values.push(v);
    }
    Ok(Row::new(columns.clone(), values))
}

async fn sqlite_execute<'e, E: sqlx::Executor<'e, Database = Sqlite>>(e: E, q: &Sql) -> Result<u64> {
    let mut query = sqlx::query(q.sqlx_text()).persistent(q.persistent);
    for a in &q.args {
        query = value::bind_sqlite(query, a);
    }
    Ok(query.execute(e).await.map_err(classify)?.rows_affected())
}

async fn pg_fetch<'e, E: sqlx::Executor<'e, Database = Postgres>>(e: E, q: &Sql) -> Result<Vec<Row>> {
    let mut query = sqlx::query(q.sqlx_text()).persistent(q.persistent);
    for a in &q.args {
        query = value::bind_pg(query, a);
    }
    let rows = query.fetch_all(e).await.map_err(classify)?;
    let Some(first) = rows.first() else { return Ok(Vec::new()) };
    let columns = value::columns(first.columns().iter().map(|c| c.name()));
    rows.iter().map(|r| pg_row(r, &columns)).collect()
}

fn pg_row(row: &PgRow, columns: &std::sync::Arc<[String]>) -> Result<Row> {
    let mut values = Vec::with_capacity(columns.len());
    for (i, col) in row.columns().iter().enumerate() {
        let raw = row.try_get_raw(i)?;
        let v = if raw.is_null() {
            Value::Null(Kind::of_type_name(col.type_info().name()))
        } else {
            match col.type_info().name() {
                "INT8" => Value::Int(row.try_get(i)?),
                "INT4" => Value::Int(row.try_get::<i32, _>(i)? as i64),
                "INT2" => Value::Int(row.try_get::<i16, _>(i)? as i64),
                "BOOL" => Value::Int(row.try_get::<bool, _>(i)? as i64),
                "FLOAT8" => Value::Float(row.try_get(i)?),
                "FLOAT4" => Value::Float(row.try_get::<f32, _>(i)? as f64),
                "BYTEA" => Value::Bytes(row.try_get(i)?),
                // Aggregates (sum of BIGINT) come back as NUMERIC: as a float
                // when it is one exactly enough, else as its decimal text.
                "NUMERIC" => {
                    let d: rust_decimal::Decimal = row.try_get(i)?;
                    let text = d.normalize().to_string();
                    match text.parse::<i64>() {
                        Ok(n) => Value::Int(n),
                        Err(_) => text.parse::<f64>().map(Value::Float).unwrap_or(Value::Text(text)),
                    }
                }
                "TEXT" | "VARCHAR" | "NAME" | "BPCHAR" => Value::Text(row.try_get(i)?),
                other => {
                    return Err(StoreError::Decode {
                        column: col.name().to_string(),
                        reason: format!("type {other} is outside the portable schema"),
                    });
                }
            }
        };
        values.push(v);
    }
    Ok(Row::new(columns.clone(), values))
}

async fn pg_execute<'e, E: sqlx::Executor<'e, Database = Postgres>>(e: E, q: &Sql) -> Result<u64> {
    let mut query = sqlx::query(q.sqlx_text()).persistent(q.persistent);
    for a in &q.args {
        query = value::bind_pg(query, a);
    }
    Ok(query.execute(e).await.map_err(classify)?.rows_affected())
}
