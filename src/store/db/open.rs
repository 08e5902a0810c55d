//! What the two engines do differently beyond SQL: opening and creating a
//! store, locks between importers, cache, checkpoints, size, notices.

use std::path::Path;

use super::{Db, DbError};
use crate::store::schema::{POSTGRES_SCHEMA, SCHEMA};
use crate::store::{SCHEMA_LOCK, SCHEMA_VERSION};

/// How a PostgreSQL store was found.
#[derive(Debug, Clone, Copy)]
pub struct PgState {
    /// A streaming replica: read-only, its primary made the schema.
    pub replica: bool,
    /// The database holds a whosaid store (of any version).
    pub has_store: bool,
}

impl Db {
    /// Opens the SQLite store at `path`, creating it with the schema.
    pub fn open_sqlite(path: &Path) -> Result<Db, DbError> {
        let conn = rusqlite::Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.execute_batch(
            // 32 KiB pages: a leaf page wastes about half a compressed
            // message at its end; at 16 KiB that was 11 MB of 88 on
            // linux-kbuild, at 32 KiB half as much. Applies to new stores.
            "PRAGMA page_size=32768; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
             PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536;",
        )?;
        conn.execute_batch(SCHEMA)?;
        Ok(Db::Sqlite(conn))
    }

    /// Connects to the PostgreSQL store at `url` and creates its schema
    /// unless it is current or the server is a replica.
    pub fn open_postgres(url: &str) -> Result<(Db, PgState), DbError> {
        let db = Db::connect_postgres(url)?;
        // A store of this version has every table: a new connection (the
        // web's pool opens them on demand) need not run the schema.
        let r = db
            .query_row(
                "SELECT pg_is_in_recovery(), to_regclass('meta') IS NOT NULL",
                &[],
            )?
            .expect("a SELECT without FROM returns a row");
        let state = PgState {
            replica: r.get(0)?,
            has_store: r.get(1)?,
        };
        let current = state.has_store
            && db
                .query_row(
                    &format!(
                        "SELECT EXISTS(SELECT 1 FROM meta WHERE key = 'schema_version' AND value = '{SCHEMA_VERSION}')"
                    ),
                    &[],
                )?
                .map_or(Ok(false), |r| r.get(0))?;
        if !state.replica && !current {
            // Nodes started together must not create the tables twice.
            db.begin()?;
            db.query("SELECT pg_advisory_xact_lock(?1)", &[&SCHEMA_LOCK])?;
            db.batch(POSTGRES_SCHEMA)?;
            db.batch("COMMIT")?;
        }
        Ok((db, state))
    }

    /// Takes the lock `key` among every connection to the store for as
    /// long as this one lives (PostgreSQL's advisory lock); false if
    /// another holds it. A SQLite store is locked through its data dir:
    /// always true here.
    pub fn try_lock(&self, key: i64) -> Result<bool, DbError> {
        match self {
            Db::Sqlite(_) => Ok(true),
            Db::Postgres(_) => self
                .query_row("SELECT pg_try_advisory_lock(?1)", &[&key])?
                .map_or(Ok(false), |r| r.get(0)),
        }
    }

    /// Releases [`Db::try_lock`].
    pub fn unlock(&self, key: i64) -> Result<(), DbError> {
        if self.is_postgres() {
            self.query("SELECT pg_advisory_unlock(?1)", &[&key])?;
        }
        Ok(())
    }

    /// Tells the connections listening on `channel` (PostgreSQL's NOTIFY,
    /// delivered at commit). SQLite's followers poll instead.
    pub fn notify(&self, channel: &str) -> Result<(), DbError> {
        if self.is_postgres() {
            self.query("SELECT pg_notify(?1, '')", &[&channel])?;
        }
        Ok(())
    }

    /// Sets SQLite's page cache for this connection, in MiB. PostgreSQL's
    /// cache is the server's: nothing to do.
    pub fn set_cache_mib(&self, mib: u32) -> Result<(), DbError> {
        match self {
            Db::Sqlite(_) => self.batch(&format!("PRAGMA cache_size=-{};", u64::from(mib) * 1024)),
            Db::Postgres(_) => Ok(()),
        }
    }

    /// After an import. SQLite: folds the write-ahead log into the
    /// database file and truncates it, so the data dir's size is the
    /// store's size. PostgreSQL (which manages its own log): refreshes the
    /// planner's statistics, which a first import leaves empty until
    /// autovacuum gets to them (a server started right after one answered
    /// `/r/` lookups 25x slower in the first benchmark run).
    pub fn checkpoint(&self) -> Result<(), DbError> {
        self.batch(match self {
            Db::Sqlite(_) => "PRAGMA wal_checkpoint(TRUNCATE);",
            Db::Postgres(_) => "ANALYZE",
        })
    }

    /// Bytes the store takes: the SQLite file with its journal, or the
    /// PostgreSQL database.
    pub fn size_on_disk(&self) -> Result<u64, DbError> {
        match self {
            Db::Sqlite(c) => {
                let file = c.path().unwrap_or_default();
                Ok(["", "-wal", "-shm"]
                    .iter()
                    .filter_map(|suffix| std::fs::metadata(format!("{file}{suffix}")).ok())
                    .map(|m| m.len())
                    .sum())
            }
            Db::Postgres(_) => Ok(self
                .query_row("SELECT pg_database_size(current_database())", &[])?
                .map_or(Ok(0), |r| r.get::<i64>(0))? as u64),
        }
    }
}

/// Creates the database `name` on `base`'s server for a test data dir
/// `dir` (see `store::config`), first dropping the test databases whose
/// data dirs are gone: each names its dir in its comment, so a suite's
/// server holds only the databases of the data dirs still alive, not all
/// the run ever made (a suite once filled CI's disk so). A database still
/// in use is left for a later call. The dirs are looked for on this
/// machine: the test server is the suite's own.
pub(in crate::store) fn create_test_database(
    base: &str,
    name: &str,
    dir: &Path,
) -> Result<(), DbError> {
    let mut client = super::tls::connect(base)?;
    let rows = client.query(
        "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database \
         WHERE datname LIKE 'whosaid\\_t\\_%'",
        &[],
    )?;
    for row in rows {
        let (old, its_dir): (String, Option<String>) = (row.get(0), row.get(1));
        if its_dir.is_some_and(|d| !Path::new(&d).exists()) {
            let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {old}"));
        }
    }
    // Two statements: CREATE DATABASE refuses the implicit transaction of
    // a multi-statement query. A dir whose path is not UTF-8 is not named,
    // so its database is never taken for an orphan.
    client.batch_execute(&format!("CREATE DATABASE {name}"))?;
    if let Some(dir) = dir.to_str() {
        let comment = dir.replace('\'', "''");
        client.batch_execute(&format!("COMMENT ON DATABASE {name} IS '{comment}'"))?;
    }
    Ok(())
}

/// Drops the test database `name` on `base`'s server.
pub(in crate::store) fn drop_test_database(base: &str, name: &str) -> Result<(), DbError> {
    super::tls::connect(base)?.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))?;
    Ok(())
}
