//! The store: raw messages and their summaries, in SQLite (the default) or
//! PostgreSQL. The ground truth.
//!
//! Every distinct byte sequence ever imported is kept, zstd-compressed, keyed
//! by its sha256 (`raws`). Copies that are the same message (same Message-ID
//! and same [`fingerprint`]: a cross-post, a copy with other Received lines)
//! share one row in `messages`; a Message-ID reused for different content gets
//! a row of its own and is reported. Nothing in a row depends on the order of
//! imports: a message's summary comes from its copy with the smallest sha256,
//! and lists are a set.
//!
//! The search index and the thread tables are derived and can be rebuilt.
//! Writes happen in transactions of many messages; a crash loses at most the
//! open transaction, and re-importing is idempotent, so nothing is lost.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub mod config;
pub mod db;
pub mod pack;
mod pool;
mod raws;
mod schema;
mod series;
mod threads;
mod writer;

pub use self::config::Location;
pub use self::db::DbError;
use self::db::{Db, Param, Row};
pub use self::pool::Pool;
pub use self::raws::Packed;
pub use self::series::{PostingRow, Series, SeriesPatch, SeriesVersion};
pub use self::threads::{RethreadReport, ThreadSummary};
pub use self::writer::{Incoming, Put, PutOutcome, Writer};
pub use crate::thread::{ThreadNode, ThreadView};

use crate::error::{Error, Result};
use crate::message::Message;

/// The schema this build writes. 2: raws may be compressed with a trained
/// dictionary (table `zdicts`), which version 1 cannot read. 3: the derived
/// table `patch_ids` (a version-2 store gains it when opened, and its rows
/// are computed on first use).
pub const SCHEMA_VERSION: i64 = 3;

/// How much of a body [`Store::quoted_text`] reads for a snippet.
pub const QUOTED_SNIPPET_BYTES: usize = 32 * 1024;

/// File name of the database inside the data dir.
pub const DB_FILE: &str = "store.sqlite3";

/// An open store: a connection to its SQLite file or PostgreSQL database.
pub struct Store {
    db: Db,
    /// The SQLite file, or the PostgreSQL URL without its password: where
    /// errors say the store is.
    path: PathBuf,
    /// A PostgreSQL streaming replica (read-only), as found on connecting.
    replica: bool,
}

/// Advisory-lock keys (PostgreSQL): schema creation, and the one importer.
pub(super) const SCHEMA_LOCK: i64 = 0x7768_6f73_6169_6401;

pub(super) const IMPORT_LOCK: i64 = 0x7768_6f73_6169_6402;

/// The channel a PostgreSQL store's importer notifies on every commit that
/// changes what indexes hold.
pub const INDEX_CHANNEL: &str = "whosaid_index";

/// A list: its short name (used in URLs) and its List-Id, if known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListName {
    /// Short name: `linux-kbuild`.
    pub name: String,
    /// The List-Id it came from: `linux-kbuild.vger.kernel.org`.
    pub list_id: Option<String>,
}

impl ListName {
    /// The list of a message: its List-Id's first label, else `fallback`.
    pub fn for_message(list_id: Option<&str>, fallback: &str) -> ListName {
        match list_id {
            Some(id) => {
                let short = id.split('.').next().unwrap_or(id);
                let short = sanitize_list_name(short);
                if short.is_empty() {
                    ListName {
                        name: sanitize_list_name(fallback),
                        list_id: None,
                    }
                } else {
                    ListName {
                        name: short,
                        list_id: Some(id.to_string()),
                    }
                }
            }
            None => ListName {
                name: sanitize_list_name(fallback),
                list_id: None,
            },
        }
    }

    /// A list named by the user.
    pub fn named(name: &str) -> ListName {
        ListName {
            name: sanitize_list_name(name),
            list_id: None,
        }
    }
}

/// List names appear in URLs: keep letters, digits, `-`, `_` and `.`.
pub(super) fn sanitize_list_name(name: &str) -> String {
    let cleaned: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "-_.".contains(c) {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let cleaned = cleaned.trim_matches(['-', '.']).to_string();
    if cleaned.is_empty() {
        "unlisted".to_string()
    } else {
        cleaned
    }
}

/// The identity of a message across copies: Message-ID, sender, date, subject
/// and decoded text. Copies that differ only in transport headers (Received,
/// List-*, DKIM) or transfer encoding share it.
pub fn fingerprint(message: &Message) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(message.message_id.as_bytes());
    h.update([0]);
    h.update(message.from.email.as_bytes());
    h.update([0]);
    h.update(
        message
            .date
            .map(|d| d.timestamp())
            .unwrap_or(i64::MIN)
            .to_le_bytes(),
    );
    h.update(message.subject.as_bytes());
    h.update([0]);
    for line in message.body.trim_end().lines() {
        h.update(line.trim_end().as_bytes());
        h.update([b'\n']);
    }
    for p in &message.patches {
        h.update([0]);
        h.update(p.text.as_bytes());
    }
    h.finalize().into()
}

/// Counts for `whosaid stats`.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Stats {
    /// Distinct messages.
    pub messages: u64,
    /// Distinct raw copies (at least `messages`).
    pub raw_copies: u64,
    /// Messages under a Message-ID that names more than one message.
    pub reused_message_ids: u64,
    /// Messages that had no Message-ID.
    pub synthetic_ids: u64,
    /// Lists and their message counts.
    pub lists: Vec<(String, u64)>,
    /// Threads (reply trees holding at least one message).
    pub threads: u64,
    /// Referenced messages that are not in the archive.
    pub ghosts: u64,
    /// Distinct sender addresses.
    pub people: u64,
    /// Oldest and newest known dates, RFC 3339.
    pub first_date: Option<String>,
    /// See `first_date`.
    pub last_date: Option<String>,
    /// Messages whose date is unknown.
    pub unknown_dates: u64,
    /// Bytes of raw mail stored (uncompressed).
    pub raw_bytes: u64,
    /// Bytes the store takes on disk (database and its journal).
    pub store_bytes: u64,
}

impl Store {
    /// Opens (creating if needed) the store of `data_dir`: the SQLite file
    /// in it, or the PostgreSQL database its `store.conf` names (see
    /// [`config`]).
    pub fn open(data_dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(data_dir).map_err(|cause| Error::Io {
            path: data_dir.to_path_buf(),
            cause,
        })?;
        match config::location(data_dir)? {
            Location::Sqlite(path) => Store::open_sqlite(path),
            Location::Postgres(url) => Store::open_postgres(&url),
        }
    }

    pub(super) fn open_sqlite(path: PathBuf) -> Result<Store> {
        // SQLite opens a store it cannot write read-only and then says only
        // "unable to open database file" (it cannot make the WAL's
        // shared-memory file); a read-only file system is the common cause
        // worth naming.
        let db = Db::open_sqlite(&path).map_err(|cause| {
            match std::fs::OpenOptions::new().append(true).open(&path) {
                Err(e) if e.kind() == std::io::ErrorKind::ReadOnlyFilesystem => Error::Io {
                    path: path.clone(),
                    cause: e,
                },
                _ => Error::Store {
                    path: path.clone(),
                    cause,
                },
            }
        })?;
        Store::ready(Store {
            db,
            path,
            replica: false,
        })
    }

    pub(super) fn open_postgres(url: &str) -> Result<Store> {
        let path = PathBuf::from(config::redacted(url));
        let (db, state) = Db::open_postgres(url).map_err(|cause| Error::Store {
            path: path.clone(),
            cause,
        })?;
        if state.replica && !state.has_store {
            return Err(Error::Config {
                path,
                detail: "this read replica has no whosaid store yet: open the store on its \
                         primary first (an import or a node there creates it)"
                    .into(),
            });
        }
        Store::ready(Store {
            db,
            path,
            replica: state.replica,
        })
    }

    /// The store, once its schema is one this build reads and its
    /// dictionaries are loaded.
    fn ready(store: Store) -> Result<Store> {
        store.check_schema()?;
        store.load_dictionaries()?;
        Ok(store)
    }

    /// True if the store is a PostgreSQL streaming replica (read-only;
    /// asked when the connection was made).
    pub fn is_replica(&self) -> bool {
        self.replica
    }

    /// True if the store is shared by processes on other machines (a
    /// PostgreSQL database): its data dir's lock does not keep out other
    /// importers, and servers follow it by notice.
    pub fn is_shared(&self) -> bool {
        self.db.is_postgres()
    }

    /// Takes the store's importer lock for as long as this connection lives
    /// (or until [`Store::unlock_importer`]): one importer at a time. A
    /// SQLite store is locked through its data dir instead
    /// ([`crate::import::lock_data_dir`]); this is then a no-op.
    pub fn lock_importer(&self) -> Result<()> {
        if self.replica {
            return Err(Error::Config {
                path: self.path.clone(),
                detail: "this store is a read replica: import into its primary".into(),
            });
        }
        if self.db.try_lock(IMPORT_LOCK).map_err(self.err())? {
            Ok(())
        } else {
            Err(Error::StoreLocked(self.path.display().to_string()))
        }
    }

    /// Releases [`Store::lock_importer`].
    pub fn unlock_importer(&self) -> Result<()> {
        self.db.unlock(IMPORT_LOCK).map_err(self.err())
    }

    /// Waits up to `timeout` for an importer's commit (PostgreSQL's
    /// LISTEN/NOTIFY on [`INDEX_CHANNEL`]); true if one was announced. A
    /// SQLite store just sleeps: its followers poll.
    pub fn wait_for_changes(&self, timeout: std::time::Duration) -> Result<bool> {
        self.db.wait_for(INDEX_CHANNEL, timeout).map_err(self.err())
    }

    /// Sets SQLite's page cache for this connection, in MiB (64 by default).
    /// PostgreSQL's cache is the server's: nothing to do.
    pub fn set_cache_mib(&self, mib: u32) -> Result<()> {
        self.db.set_cache_mib(mib).map_err(self.err())
    }

    /// The database file (for PostgreSQL, its URL without the password).
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(super) fn err(&self) -> impl Fn(DbError) -> Error + '_ {
        |cause| Error::Store {
            path: self.path.clone(),
            cause,
        }
    }

    pub(super) fn query(&self, sql: &str, params: &[&dyn Param]) -> Result<Vec<Row>> {
        self.db.query(sql, params).map_err(self.err())
    }

    pub(super) fn query_row(&self, sql: &str, params: &[&dyn Param]) -> Result<Option<Row>> {
        self.db.query_row(sql, params).map_err(self.err())
    }

    /// Column 0 of the first row, if there is one.
    pub(super) fn query_one<T: db::FromValue>(
        &self,
        sql: &str,
        params: &[&dyn Param],
    ) -> Result<Option<T>> {
        match self.query_row(sql, params)? {
            Some(r) => r.get(0).map(Some).map_err(self.err()),
            None => Ok(None),
        }
    }

    /// Column 0 of every row.
    pub(super) fn query_column<T: db::FromValue>(
        &self,
        sql: &str,
        params: &[&dyn Param],
    ) -> Result<Vec<T>> {
        self.query(sql, params)?
            .iter()
            .map(|r| r.get(0).map_err(self.err()))
            .collect()
    }

    pub(super) fn execute(&self, sql: &str, params: &[&dyn Param]) -> Result<u64> {
        self.db.execute(sql, params).map_err(self.err())
    }

    /// Called after an import: folds SQLite's log into its file, or
    /// refreshes PostgreSQL's statistics (see [`Db::checkpoint`]).
    pub fn checkpoint(&self) -> Result<()> {
        self.db.checkpoint().map_err(self.err())
    }

    /// The highest index sequence in the store.
    pub fn max_index_seq(&self) -> Result<i64> {
        Ok(self
            .query_one("SELECT coalesce(max(index_seq), 0) FROM messages", &[])?
            .unwrap_or(0))
    }

    /// Rows changed after index sequence `seq`, oldest change first, at most
    /// `limit`: (row, its sequence).
    pub fn changed_since(&self, seq: i64, limit: usize) -> Result<Vec<(i64, i64)>> {
        self.query(
            "SELECT id, index_seq FROM messages WHERE index_seq > ?1 ORDER BY index_seq LIMIT ?2",
            &[&seq, &(limit as i64)],
        )?
        .iter()
        .map(|r| Ok((r.get(0).map_err(self.err())?, r.get(1).map_err(self.err())?)))
        .collect()
    }

    /// The lists the message in `row` was seen in, sorted.
    pub fn lists_of(&self, row: i64) -> Result<Vec<String>> {
        // Sorted here: with ORDER BY, SQLite re-prepares this statement on
        // every new binding (17% of a search page's CPU, one call per hit).
        let mut lists: Vec<String> =
            self.query_column("SELECT list FROM message_lists WHERE message = ?1", &[&row])?;
        lists.sort_unstable();
        Ok(lists)
    }

    /// The thread root of each row (None for a row not threaded yet).
    pub fn thread_root_of(&self, row: i64) -> Result<Option<String>> {
        Ok(self
            .query_one::<Option<String>>("SELECT thread_root FROM messages WHERE id = ?1", &[&row])?
            .flatten())
    }

    /// Number of distinct messages.
    pub fn message_count(&self) -> Result<u64> {
        Ok(self
            .query_one::<i64>("SELECT count(*) FROM messages", &[])?
            .unwrap_or(0) as u64)
    }

    /// Counts for `whosaid stats`.
    pub fn stats(&self) -> Result<Stats> {
        let one = |sql: &str| -> Result<u64> {
            Ok(self
                .query_one::<Option<i64>>(sql, &[])?
                .flatten()
                .unwrap_or(0) as u64)
        };
        let mut stats = Stats {
            messages: one("SELECT count(*) FROM messages")?,
            raw_copies: one("SELECT count(*) FROM raws")?,
            reused_message_ids: one("SELECT count(*) FROM messages WHERE msgid IN
                    (SELECT msgid FROM messages GROUP BY msgid HAVING count(*) > 1)")?,
            synthetic_ids: one("SELECT count(*) FROM messages WHERE synthetic != 0")?,
            people: one("SELECT count(DISTINCT from_email) FROM messages WHERE from_email != ''")?,
            unknown_dates: one("SELECT count(*) FROM messages WHERE date IS NULL")?,
            raw_bytes: one("SELECT CAST(sum(size) AS BIGINT) FROM raws")?,
            threads: one("SELECT count(DISTINCT thread_root) FROM messages")?,
            ghosts: one("SELECT count(*) FROM ghosts")?,
            ..Stats::default()
        };
        stats.lists = self.lists_by_name()?;
        let r = self.query_row("SELECT min(date), max(date) FROM messages", &[])?;
        let (first, last): (Option<i64>, Option<i64>) = match r {
            Some(r) => (r.get(0).map_err(self.err())?, r.get(1).map_err(self.err())?),
            None => (None, None),
        };
        let fmt = |t: i64| {
            chrono::DateTime::from_timestamp(t, 0)
                .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        };
        stats.first_date = first.and_then(fmt);
        stats.last_date = last.and_then(fmt);
        stats.store_bytes = self.db.size_on_disk().map_err(self.err())?;
        Ok(stats)
    }

    /// Every list with its message count, by name.
    pub(super) fn lists_by_name(&self) -> Result<Vec<(String, u64)>> {
        self.query(
            "SELECT list, count(*) FROM message_lists GROUP BY list ORDER BY list",
            &[],
        )?
        .iter()
        .map(|r| {
            Ok((
                r.get(0).map_err(self.err())?,
                r.get::<i64>(1).map_err(self.err())? as u64,
            ))
        })
        .collect()
    }
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
