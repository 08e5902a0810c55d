//! The two SQL engines behind the store: SQLite, embedded (the default), and
//! PostgreSQL, shared by many nodes. Only this module knows their types.
//!
//! The store's SQL is written once, in the subset both engines run
//! identically (`RETURNING`, `ON CONFLICT ... DO UPDATE`, `string_agg`,
//! `CAST(? AS TEXT)` where PostgreSQL must know a parameter's type). For
//! PostgreSQL a statement is translated once and cached: `?N` becomes `$N`,
//! and `INSERT OR IGNORE` becomes `INSERT ... ON CONFLICT DO NOTHING`.
//! Values cross as [`Value`]: integers (booleans are 0/1), text, bytes.
//! Each engine has its schema written out (`store::schema`); a test holds
//! their tables and indexes the same.

use std::collections::HashMap;
use std::sync::Mutex;

mod open;
pub(in crate::store) use open::{create_test_database, drop_test_database};
pub(in crate::store) mod tls;
mod values;

pub use self::values::{FromValue, Param, Row, Value};

/// What an engine said went wrong.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite's error.
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL's error, with its detail when the server gave one.
    #[error("{}", pg_text(.0))]
    Postgres(#[from] postgres::Error),
    /// The URL's TLS settings cannot be used (a bad `sslmode`, an
    /// unreadable `sslrootcert`, ...).
    #[error("{0}")]
    Tls(String),
    /// A column held another type than the store expected.
    #[error("column {column}: expected {expected}, found {found:?}")]
    Type {
        /// Column number.
        column: usize,
        /// The Rust type asked for.
        expected: &'static str,
        /// What the row held.
        found: Value,
    },
}

fn pg_text(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{} ({})", db.message(), db.code().code());
    }
    // The client's own errors keep the reason in their sources ("error
    // performing TLS handshake" alone says nothing of the certificate).
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let more = s.to_string();
        if !text.ends_with(&more) {
            text = format!("{text}: {more}");
        }
        source = s.source();
    }
    if text.contains("UnknownIssuer") {
        text.push_str(" (no CA in sslrootcert signed the server's certificate)");
    }
    text
}

impl DbError {
    /// The disk (or the server's disk) is full.
    pub fn is_disk_full(&self) -> bool {
        match self {
            DbError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.code == rusqlite::ErrorCode::DiskFull
            }
            DbError::Postgres(e) => e.code() == Some(&postgres::error::SqlState::DISK_FULL),
            _ => false,
        }
    }

    /// The SQLite file cannot be written.
    pub fn is_read_only(&self) -> bool {
        matches!(self, DbError::Sqlite(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::ReadOnly)
    }
}

/// A connection to one of the two engines.
pub enum Db {
    /// The embedded default.
    Sqlite(rusqlite::Connection),
    /// A PostgreSQL server (behind a mutex: its client needs `&mut`).
    Postgres(Box<Mutex<Pg>>),
}

/// A PostgreSQL connection and its prepared statements.
pub struct Pg {
    client: postgres::Client,
    statements: HashMap<String, postgres::Statement>,
    listening: bool,
    /// The server refused LISTEN (a streaming replica does): poll.
    poll_only: bool,
}

impl Db {
    /// Connects to the PostgreSQL server at `url`.
    pub fn connect_postgres(url: &str) -> Result<Db, DbError> {
        let client = tls::connect(url)?;
        Ok(Db::Postgres(Box::new(Mutex::new(Pg {
            client,
            statements: HashMap::new(),
            listening: false,
            poll_only: false,
        }))))
    }

    /// True if the connection is gone (PostgreSQL; a SQLite file never is).
    pub fn is_closed(&self) -> bool {
        match self {
            Db::Sqlite(_) => false,
            Db::Postgres(pg) => pg
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .client
                .is_closed(),
        }
    }

    /// True for PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self, Db::Postgres(_))
    }

    /// Every row `sql` returns.
    pub fn query(&self, sql: &str, params: &[&dyn Param]) -> Result<Vec<Row>, DbError> {
        match self {
            Db::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let n = stmt.column_count();
                let values: Vec<Value> = params.iter().map(|p| p.value()).collect();
                let mut rows = stmt.query(rusqlite::params_from_iter(values.iter()))?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    let mut row = Vec::with_capacity(n);
                    for i in 0..n {
                        row.push(match r.get_ref(i)? {
                            rusqlite::types::ValueRef::Null => Value::Null,
                            rusqlite::types::ValueRef::Integer(i) => Value::Int(i),
                            rusqlite::types::ValueRef::Real(f) => Value::Int(f as i64),
                            rusqlite::types::ValueRef::Text(t) => {
                                Value::Text(String::from_utf8_lossy(t).into_owned())
                            }
                            rusqlite::types::ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                        });
                    }
                    out.push(Row(row));
                }
                Ok(out)
            }
            Db::Postgres(pg) => {
                let values: Vec<Value> = params.iter().map(|p| p.value()).collect();
                let rows = pg.lock().unwrap_or_else(|e| e.into_inner()).run(
                    sql,
                    &values,
                    |c, stmt, refs| c.query(stmt, refs),
                )?;
                rows.iter()
                    .map(|r| {
                        (0..r.len())
                            .map(|i| r.try_get::<_, Value>(i).map_err(DbError::from))
                            .collect::<Result<Vec<_>, _>>()
                            .map(Row)
                    })
                    .collect()
            }
        }
    }

    /// The first row `sql` returns, if any.
    pub fn query_row(&self, sql: &str, params: &[&dyn Param]) -> Result<Option<Row>, DbError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// Runs a statement; returns the rows it changed.
    pub fn execute(&self, sql: &str, params: &[&dyn Param]) -> Result<u64, DbError> {
        match self {
            Db::Sqlite(c) => {
                let values: Vec<Value> = params.iter().map(|p| p.value()).collect();
                let n = c
                    .prepare_cached(sql)?
                    .execute(rusqlite::params_from_iter(values.iter()))?;
                Ok(n as u64)
            }
            Db::Postgres(pg) => {
                let values: Vec<Value> = params.iter().map(|p| p.value()).collect();
                pg.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .run(sql, &values, |c, stmt, refs| c.execute(stmt, refs))
            }
        }
    }

    /// Runs statements without parameters, as written (no translation).
    pub fn batch(&self, sql: &str) -> Result<(), DbError> {
        match self {
            Db::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Db::Postgres(pg) => {
                let mut pg = pg.lock().unwrap_or_else(|e| e.into_inner());
                Ok(pg.client.batch_execute(sql)?)
            }
        }
    }

    /// Begins a write transaction (SQLite takes its write lock now).
    pub fn begin(&self) -> Result<(), DbError> {
        self.batch(match self {
            Db::Sqlite(_) => "BEGIN IMMEDIATE",
            Db::Postgres(_) => "BEGIN",
        })
    }

    /// Waits up to `timeout` for a notification on `channel` (PostgreSQL's
    /// LISTEN/NOTIFY); true if one came. SQLite has none: sleeps and says
    /// false, and the caller polls.
    pub fn wait_for(&self, channel: &str, timeout: std::time::Duration) -> Result<bool, DbError> {
        match self {
            Db::Sqlite(_) => {
                std::thread::sleep(timeout);
                Ok(false)
            }
            Db::Postgres(pg) => {
                let mut pg = pg.lock().unwrap_or_else(|e| e.into_inner());
                if !pg.listening && !pg.poll_only {
                    match pg.client.batch_execute(&format!("LISTEN {channel}")) {
                        Ok(()) => pg.listening = true,
                        // A hot standby accepts no LISTEN; notifications
                        // are the primary's anyway.
                        Err(e) if e.as_db_error().is_some() => pg.poll_only = true,
                        Err(e) => return Err(e.into()),
                    }
                }
                if pg.poll_only {
                    drop(pg);
                    std::thread::sleep(timeout);
                    return Ok(false);
                }
                let mut got = false;
                let mut notes = pg.client.notifications();
                let mut iter = notes.timeout_iter(timeout);
                while let Some(n) = fallible_iterator::FallibleIterator::next(&mut iter)? {
                    got |= n.channel() == channel;
                    if got {
                        break;
                    }
                }
                Ok(got)
            }
        }
    }
}

/// A statement's parameters as the PostgreSQL client takes them.
type PgParams<'a> = [&'a (dyn postgres::types::ToSql + Sync)];

impl Pg {
    /// Runs `sql` (prepared once per connection) with `values` through `f`.
    fn run<T>(
        &mut self,
        sql: &str,
        values: &[Value],
        f: impl FnOnce(
            &mut postgres::Client,
            &postgres::Statement,
            &PgParams<'_>,
        ) -> Result<T, postgres::Error>,
    ) -> Result<T, DbError> {
        let stmt = self.prepare(sql)?;
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = values
            .iter()
            .map(|v| v as &(dyn postgres::types::ToSql + Sync))
            .collect();
        Ok(f(&mut self.client, &stmt, &refs)?)
    }

    fn prepare(&mut self, sql: &str) -> Result<postgres::Statement, DbError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let stmt = self.client.prepare(&to_postgres(sql))?;
        self.statements.insert(sql.to_string(), stmt.clone());
        Ok(stmt)
    }
}

/// The store's SQL as PostgreSQL reads it: `?N` (and bare `?`, numbered in
/// order) to `$N`; `INSERT OR IGNORE` to `ON CONFLICT DO NOTHING`. The
/// store's statements hold no `?` inside string literals.
pub fn to_postgres(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut next = 0;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '?' {
            out.push(c);
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            digits.push(*d);
            chars.next();
        }
        if digits.is_empty() {
            next += 1;
            digits = next.to_string();
        }
        out.push('$');
        out.push_str(&digits);
    }
    if let Some(rest) = out.strip_prefix("INSERT OR IGNORE INTO") {
        out = format!("INSERT INTO{rest} ON CONFLICT DO NOTHING");
    }
    out
}

impl postgres::types::ToSql for Value {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use postgres::types::Type;
        match self {
            Value::Null => Ok(postgres::types::IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                _ => i.to_string().to_sql(ty, out),
            },
            // PostgreSQL text cannot hold NUL; the store keeps a visible
            // replacement (raw bytes are kept as they came, in `raws`).
            Value::Text(s) if s.contains('\0') => s.replace('\0', "\u{FFFD}").to_sql(ty, out),
            Value::Text(s) => s.as_str().to_sql(ty, out),
            Value::Blob(b) => b.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

impl<'a> postgres::types::FromSql<'a> for Value {
    fn from_sql(
        ty: &postgres::types::Type,
        raw: &'a [u8],
    ) -> Result<Value, Box<dyn std::error::Error + Sync + Send>> {
        use postgres::types::Type;
        Ok(match *ty {
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Int(i64::from(i32::from_sql(ty, raw)?)),
            Type::INT2 => Value::Int(i64::from(i16::from_sql(ty, raw)?)),
            Type::BOOL => Value::Int(i64::from(bool::from_sql(ty, raw)?)),
            Type::BYTEA => Value::Blob(Vec::<u8>::from_sql(ty, raw)?),
            _ => Value::Text(String::from_sql(ty, raw)?),
        })
    }

    fn from_sql_null(
        _: &postgres::types::Type,
    ) -> Result<Value, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Value::Null)
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(*i),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn translates_placeholders_and_insert_or_ignore() {
        let cases = [
            (
                "SELECT a FROM t WHERE b = ?1 AND c = ?2",
                "SELECT a FROM t WHERE b = $1 AND c = $2",
            ),
            (
                "SELECT a FROM t WHERE b IN (?,?,?)",
                "SELECT a FROM t WHERE b IN ($1,$2,$3)",
            ),
            (
                "INSERT OR IGNORE INTO msg_refs(mid, message) VALUES(?1, ?2)",
                "INSERT INTO msg_refs(mid, message) VALUES($1, $2) ON CONFLICT DO NOTHING",
            ),
            ("SELECT ?10, ?1", "SELECT $10, $1"),
        ];
        for (sqlite, postgres) in cases {
            assert_eq!(super::to_postgres(sqlite), postgres, "{sqlite}");
        }
    }
}
