//! The store: raw messages and their summaries in SQLite. The ground truth.
//!
//! Every distinct byte sequence ever imported is kept, zstd-compressed, keyed
//! by its sha256 (`raws`). Copies that are the same message (same Message-ID
//! and same [`fingerprint`]: a cross-post, a copy with other Received lines)
//! share one row in `messages`; a Message-ID reused for different content gets
//! a row of its own and is reported. Nothing in a row depends on the order of
//! imports: a message's summary comes from its copy with the smallest sha256,
//! and lists are a set.
//!
//! The search index (later) and thread tables are derived and can be rebuilt.
//! Writes happen in transactions of many messages; a crash loses at most the
//! open transaction, and re-importing is idempotent, so nothing is lost.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

pub mod pack;
mod series;
mod threads;

pub use self::series::{Series, SeriesPatch, SeriesVersion};
pub use self::threads::{RethreadReport, ThreadNode, ThreadSummary, ThreadView};

use crate::error::{Error, Result};
use crate::message::Message;

/// The schema this build writes. 2: raws may be compressed with a trained
/// dictionary (table `zdicts`), which version 1 cannot read.
pub const SCHEMA_VERSION: i64 = 2;

/// How much of a body [`Store::quoted_text`] reads for a snippet.
pub const QUOTED_SNIPPET_BYTES: usize = 32 * 1024;

/// File name of the database inside the data dir.
pub const DB_FILE: &str = "store.sqlite3";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages(
    id INTEGER PRIMARY KEY,
    msgid TEXT NOT NULL,
    fingerprint BLOB NOT NULL,
    synthetic INTEGER NOT NULL,
    date INTEGER,
    tz_offset INTEGER,
    from_name TEXT NOT NULL,
    from_email TEXT NOT NULL,
    subject TEXT NOT NULL,
    in_reply_to TEXT NOT NULL,
    refs TEXT NOT NULL,
    canonical_sha BLOB NOT NULL,
    subject_base TEXT NOT NULL,
    is_patch INTEGER NOT NULL,
    is_reply INTEGER NOT NULL,
    patch_version INTEGER NOT NULL,
    patch_index INTEGER,
    patch_total INTEGER,
    has_diff INTEGER NOT NULL,
    change_id TEXT,
    author_name TEXT NOT NULL,
    author_email TEXT NOT NULL,
    thread_root TEXT,
    parent_message INTEGER,
    parent_ghost TEXT,
    threaded INTEGER NOT NULL DEFAULT 0,
    index_seq INTEGER NOT NULL DEFAULT 0,
    UNIQUE(msgid, fingerprint)
);
CREATE INDEX IF NOT EXISTS messages_index_seq ON messages(index_seq);
CREATE INDEX IF NOT EXISTS messages_date ON messages(date);
CREATE INDEX IF NOT EXISTS messages_thread ON messages(thread_root);
CREATE INDEX IF NOT EXISTS messages_unthreaded ON messages(id) WHERE threaded = 0;
CREATE INDEX IF NOT EXISTS messages_series ON messages(from_email, subject_base) WHERE is_patch != 0;
CREATE INDEX IF NOT EXISTS messages_change_id ON messages(change_id) WHERE change_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS msg_refs(
    mid TEXT NOT NULL,
    message INTEGER NOT NULL REFERENCES messages(id),
    PRIMARY KEY(mid, message)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ghosts(
    mid TEXT PRIMARY KEY,
    root TEXT NOT NULL,
    parent_message INTEGER,
    parent_ghost TEXT
);
CREATE INDEX IF NOT EXISTS ghosts_root ON ghosts(root);
CREATE TABLE IF NOT EXISTS raws(
    id INTEGER PRIMARY KEY,
    sha256 BLOB NOT NULL UNIQUE,
    message INTEGER NOT NULL REFERENCES messages(id),
    size INTEGER NOT NULL,
    zraw BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS raws_message ON raws(message);
CREATE TABLE IF NOT EXISTS lists(name TEXT PRIMARY KEY, list_id TEXT);
CREATE TABLE IF NOT EXISTS zdicts(id INTEGER PRIMARY KEY, dict BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS message_lists(
    message INTEGER NOT NULL REFERENCES messages(id),
    list TEXT NOT NULL REFERENCES lists(name),
    PRIMARY KEY(message, list)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS message_lists_list ON message_lists(list);
";

/// An open store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// Connections to one store for many threads: a SQLite connection serves
/// one thread at a time, and opening one per request costs more than most
/// requests. Keeps up to 16 idle connections.
pub struct Pool {
    data_dir: PathBuf,
    idle: std::sync::Mutex<Vec<Store>>,
}

impl Pool {
    /// A pool over the store in `data_dir`, starting with `first` if given.
    pub fn new(data_dir: &Path, first: Option<Store>) -> Pool {
        Pool {
            data_dir: data_dir.to_path_buf(),
            idle: std::sync::Mutex::new(first.into_iter().collect()),
        }
    }

    /// Runs `f` with a connection from the pool (opened if none is idle).
    pub fn with<T>(&self, f: impl FnOnce(&Store) -> Result<T>) -> Result<T> {
        let idle = self.idle.lock().expect("store pool").pop();
        let store = match idle {
            Some(s) => s,
            None => Store::open(&self.data_dir)?,
        };
        let out = f(&store);
        let mut idle = self.idle.lock().expect("store pool");
        if idle.len() < 16 {
            idle.push(store);
        }
        out
    }
}

/// A stored copy, still compressed: its sha256 and zstd bytes.
pub struct Packed {
    sha256: Vec<u8>,
    zraw: Vec<u8>,
}

impl Packed {
    /// The message bytes, checked against their sha256. Needs no connection,
    /// so many copies can be unpacked on many threads.
    pub fn unpack(&self, store_path: &Path) -> Result<Vec<u8>> {
        unzip_checked(store_path, &self.sha256, &self.zraw)
    }
}

/// Decompresses a stored copy and checks it against its sha256.
fn unzip_checked(path: &Path, sha: &[u8], zraw: &[u8]) -> Result<Vec<u8>> {
    let raw = pack::unpack(zraw).map_err(|detail| Error::Corrupt {
        path: path.to_path_buf(),
        sha256: hex(sha),
        detail,
    })?;
    if Sha256::digest(&raw).as_slice() != sha {
        return Err(Error::Corrupt {
            path: path.to_path_buf(),
            sha256: hex(sha),
            detail: "checksum mismatch".into(),
        });
    }
    Ok(raw)
}

/// What [`Writer::put`] did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// A message not seen before.
    New,
    /// A new copy (other bytes) of a message already stored.
    NewCopy,
    /// These exact bytes were already stored.
    Duplicate,
    /// A new message under a Message-ID that already names other content.
    ReusedId,
}

/// A message ready to be stored: computed by the import workers so the
/// writer only writes.
#[derive(Debug)]
pub struct Incoming {
    /// sha256 of the raw bytes.
    pub sha256: [u8; 32],
    /// The identity of the message across copies; see [`fingerprint`].
    pub fingerprint: [u8; 32],
    /// Size of the raw bytes.
    pub size: usize,
    /// The raw bytes, zstd-compressed.
    pub zraw: Vec<u8>,
    /// The parsed message.
    pub message: Message,
    /// Its place in a patch series.
    pub facts: crate::series::PatchFacts,
    /// The list it was imported into.
    pub list: ListName,
    /// What the search index holds about it.
    pub doc: crate::index::IndexDoc,
}

/// What [`Writer::put`] did, in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Put {
    /// New, new copy, duplicate or reused id.
    pub outcome: PutOutcome,
    /// The message's store row.
    pub row: i64,
    /// The message's searchable content or lists changed: the index must
    /// learn of it.
    pub changed: bool,
    /// The copy just put is the message's canonical copy (its content is what
    /// the index should hold).
    pub canonical: bool,
}

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
fn sanitize_list_name(name: &str) -> String {
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
    /// Opens (creating if needed) the store in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(data_dir).map_err(|cause| Error::Io {
            path: data_dir.to_path_buf(),
            cause,
        })?;
        let path = data_dir.join(DB_FILE);
        // SQLite opens a store it cannot write read-only and then says only
        // "unable to open database file" (it cannot make the WAL's
        // shared-memory file); a read-only file system is the common cause
        // worth naming.
        let err = |cause| match std::fs::OpenOptions::new().append(true).open(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::ReadOnlyFilesystem => Error::Io {
                path: path.clone(),
                cause: e,
            },
            _ => Error::Store {
                path: path.clone(),
                cause,
            },
        };
        let conn = Connection::open(&path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(err)?;
        conn.execute_batch(
            // 32 KiB pages: a leaf page wastes about half a compressed
            // message at its end; at 16 KiB that was 11 MB of 88 on
            // linux-kbuild, at 32 KiB half as much. Applies to new stores.
            "PRAGMA page_size=32768; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
             PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536;",
        )
        .map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        let found: Option<String> = conn
            .query_row(
                "SELECT value FROM meta WHERE key='schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(err)?;
        match found.and_then(|v| v.parse::<i64>().ok()) {
            Some(v) if v > SCHEMA_VERSION => {
                return Err(Error::SchemaTooNew {
                    path,
                    found: v,
                    supported: SCHEMA_VERSION,
                });
            }
            Some(_) => {}
            None => {
                conn.execute(
                    "INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', ?1)",
                    [SCHEMA_VERSION.to_string()],
                )
                .map_err(err)?;
            }
        }
        let store = Store { conn, path };
        store.load_dictionaries()?;
        Ok(store)
    }

    /// Registers every compression dictionary the store holds.
    fn load_dictionaries(&self) -> Result<()> {
        let dicts: Vec<Vec<u8>> = self
            .conn
            .prepare("SELECT dict FROM zdicts")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(self.err())?;
        for dict in dicts {
            pack::register(&dict);
        }
        Ok(())
    }

    /// Makes sure `zraw` can be unpacked: an import in another process may
    /// have trained a dictionary since this store was opened.
    fn know_dictionaries(&self, zraw: &[u8]) -> Result<()> {
        if pack::knows(zraw) {
            Ok(())
        } else {
            self.load_dictionaries()
        }
    }

    /// The dictionary new raws are compressed with, if the store has one.
    pub fn dictionary(&self) -> Result<Option<Vec<u8>>> {
        self.conn
            .query_row("SELECT dict FROM zdicts ORDER BY rowid LIMIT 1", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(self.err())
    }

    /// Keeps a trained dictionary (see [`pack::train`]), committed before
    /// any raw compressed with it, so every stored raw can be read back.
    pub fn add_dictionary(&self, dict: &[u8]) -> Result<()> {
        let id = pack::dictionary_id(dict).ok_or_else(|| Error::Corrupt {
            path: self.path.clone(),
            sha256: String::new(),
            detail: "a dictionary without a zstd dictionary id".into(),
        })?;
        let w = self.writer()?;
        w.tx.execute(
            "INSERT OR IGNORE INTO zdicts(id, dict) VALUES(?1, ?2)",
            params![i64::from(id), dict],
        )
        .map_err(self.err())?;
        w.tx.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', ?1)",
            [SCHEMA_VERSION.to_string()],
        )
        .map_err(self.err())?;
        w.commit()?;
        pack::register(dict);
        Ok(())
    }

    /// Sets SQLite's page cache for this connection, in MiB (64 by default).
    pub fn set_cache_mib(&self, mib: u32) -> Result<()> {
        self.conn
            .execute_batch(&format!("PRAGMA cache_size=-{};", u64::from(mib) * 1024))
            .map_err(self.err())
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> Error + '_ {
        |cause| Error::Store {
            path: self.path.clone(),
            cause,
        }
    }

    /// Starts a write transaction.
    pub fn writer(&self) -> Result<Writer<'_>> {
        let path = self.path.clone();
        // `new_unchecked` takes `&Connection`, so a writer can be committed and
        // a new one begun while other code holds the store.
        let tx = rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Immediate,
        )
        .map_err(|cause| Error::Store {
            path: path.clone(),
            cause,
        })?;
        Ok(Writer { tx, path })
    }

    /// Folds the write-ahead log into the database file and truncates it, so
    /// the data dir's size is the store's size. Called after an import.
    pub fn checkpoint(&self) -> Result<()> {
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .map_err(self.err())
    }

    /// The highest index sequence in the store.
    pub fn max_index_seq(&self) -> Result<i64> {
        self.conn
            .query_row(
                "SELECT coalesce(max(index_seq), 0) FROM messages",
                [],
                |r| r.get(0),
            )
            .map_err(self.err())
    }

    /// Rows changed after index sequence `seq`, oldest change first, at most
    /// `limit`: (row, its sequence).
    pub fn changed_since(&self, seq: i64, limit: usize) -> Result<Vec<(i64, i64)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, index_seq FROM messages WHERE index_seq > ?1 ORDER BY index_seq LIMIT ?2")
            .map_err(self.err())?;
        let rows = stmt
            .query_map(params![seq, limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(self.err())?;
        rows.collect::<rusqlite::Result<_>>().map_err(self.err())
    }

    /// The canonical copy of the message in `row`.
    pub fn canonical_raw(&self, row: i64) -> Result<Vec<u8>> {
        let (sha, zraw): (Vec<u8>, Vec<u8>) = self
            .conn
            .prepare_cached(
                "SELECT r.sha256, r.zraw FROM raws r WHERE r.sha256 = (SELECT canonical_sha FROM messages WHERE id = ?1)",
            )
            .and_then(|mut s| s.query_row([row], |r| Ok((r.get(0)?, r.get(1)?))))
            .map_err(self.err())?;
        self.decompress(&sha, &zraw)
    }

    /// The quoted text of the message in `row`, as the index splits it: the
    /// index searches quoted text but does not keep a copy, and a search hit
    /// whose words appear only in quotes takes its snippet from here.
    /// Reads only the body (`message::body_text`, 4x cheaper than a full
    /// parse), and only its first [`QUOTED_SNIPPET_BYTES`]: a reply quoting a
    /// whole `.config` (130 KB) took 1.2 ms; a match further down gives the
    /// start of the message as its snippet instead.
    pub fn quoted_text(&self, row: i64) -> Result<String> {
        let raw = self.canonical_raw(row)?;
        let mut body = crate::message::body_text(&raw);
        if body.len() > QUOTED_SNIPPET_BYTES {
            let mut cut = QUOTED_SNIPPET_BYTES;
            while !body.is_char_boundary(cut) {
                cut -= 1;
            }
            body.truncate(cut);
        }
        Ok(crate::index::quoted_text(&body))
    }

    /// The canonical copies of the messages in `rows`, in the same order;
    /// one query per 64 rows instead of one per row (a 200-message thread
    /// page reads them all). The store's lookups by parameter avoid JOINs:
    /// SQLite re-prepared a JOIN with a bound parameter on every execution
    /// (measured: 29 µs a lookup against 10 µs as a subquery).
    pub fn canonical_raws(&self, rows: &[i64]) -> Result<Vec<Vec<u8>>> {
        self.canonical_packed(rows)?
            .iter()
            .map(|p| p.unpack(&self.path))
            .collect()
    }

    /// [`Store::canonical_raws`], still compressed: the caller unpacks them
    /// (on as many threads as it likes) with [`Packed::unpack`].
    pub fn canonical_packed(&self, rows: &[i64]) -> Result<Vec<Packed>> {
        const CHUNK: usize = 64;
        let sql = format!(
            "SELECT m.id, m.canonical_sha, (SELECT zraw FROM raws WHERE sha256 = m.canonical_sha) FROM messages m WHERE m.id IN ({})",
            vec!["?"; CHUNK].join(",")
        );
        let mut found: HashMap<i64, Packed> = HashMap::with_capacity(rows.len());
        let mut stmt = self.conn.prepare_cached(&sql).map_err(self.err())?;
        for chunk in rows.chunks(CHUNK) {
            // Unused slots ask for row 0, which never exists.
            let mut params = [0i64; CHUNK];
            params[..chunk.len()].copy_from_slice(chunk);
            let mut q = stmt
                .query(rusqlite::params_from_iter(params))
                .map_err(self.err())?;
            while let Some(r) = q.next().map_err(self.err())? {
                let id: i64 = r.get(0).map_err(self.err())?;
                // No stored copy: reported below as a missing row.
                let Some(zraw) = r.get::<_, Option<Vec<u8>>>(2).map_err(self.err())? else {
                    continue;
                };
                self.know_dictionaries(&zraw)?;
                let packed = Packed {
                    sha256: r.get(1).map_err(self.err())?,
                    zraw,
                };
                found.insert(id, packed);
            }
        }
        rows.iter()
            .map(|row| {
                found.remove(row).ok_or_else(|| Error::Store {
                    path: self.path.clone(),
                    cause: rusqlite::Error::QueryReturnedNoRows,
                })
            })
            .collect()
    }

    /// The lists the message in `row` was seen in, sorted.
    pub fn lists_of(&self, row: i64) -> Result<Vec<String>> {
        // Sorted here: with ORDER BY, SQLite re-prepares this statement on
        // every new binding (17% of a search page's CPU, one call per hit).
        let mut stmt = self
            .conn
            .prepare_cached("SELECT list FROM message_lists WHERE message = ?1")
            .map_err(self.err())?;
        let rows = stmt.query_map([row], |r| r.get(0)).map_err(self.err())?;
        let mut lists: Vec<String> = rows.collect::<rusqlite::Result<_>>().map_err(self.err())?;
        lists.sort_unstable();
        Ok(lists)
    }

    /// The thread root of each row (None for a row not threaded yet).
    pub fn thread_root_of(&self, row: i64) -> Result<Option<String>> {
        self.conn
            .prepare_cached("SELECT thread_root FROM messages WHERE id = ?1")
            .and_then(|mut s| s.query_row([row], |r| r.get(0)).optional())
            .map(Option::flatten)
            .map_err(self.err())
    }

    /// Number of distinct messages.
    pub fn message_count(&self) -> Result<u64> {
        self.conn
            .query_row("SELECT count(*) FROM messages", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(self.err())
    }

    /// The raw copies of the message(s) with this Message-ID: canonical copy
    /// first for each message.
    pub fn raw_by_message_id(&self, message_id: &str) -> Result<Vec<Vec<u8>>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT r.sha256, r.zraw FROM raws r
                 WHERE r.message IN (SELECT id FROM messages WHERE msgid = ?1)
                 ORDER BY r.message,
                    r.sha256 != (SELECT canonical_sha FROM messages WHERE id = r.message),
                    r.sha256",
            )
            .map_err(self.err())?;
        let rows = stmt
            .query_map([message_id], |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?))
            })
            .map_err(self.err())?;
        let mut out = Vec::new();
        for row in rows {
            let (sha, zraw) = row.map_err(self.err())?;
            out.push(self.decompress(&sha, &zraw)?);
        }
        Ok(out)
    }

    fn decompress(&self, sha: &[u8], zraw: &[u8]) -> Result<Vec<u8>> {
        self.know_dictionaries(zraw)?;
        unzip_checked(&self.path, sha, zraw)
    }

    /// Calls `f` with the sha256 and bytes of every stored raw copy, after
    /// checking each against its checksum. Reads in batches so memory stays
    /// bounded.
    pub fn for_each_raw(&self, mut f: impl FnMut(&[u8; 32], &[u8])) -> Result<u64> {
        let mut last = 0i64;
        let mut n = 0;
        loop {
            let mut stmt = self
                .conn
                .prepare_cached(
                    "SELECT id, sha256, zraw FROM raws WHERE id > ?1 ORDER BY id LIMIT 512",
                )
                .map_err(self.err())?;
            let rows: Vec<(i64, Vec<u8>, Vec<u8>)> = stmt
                .query_map([last], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .map_err(self.err())?
                .collect::<Result<_, _>>()
                .map_err(self.err())?;
            if rows.is_empty() {
                return Ok(n);
            }
            for (id, sha, zraw) in rows {
                let raw = self.decompress(&sha, &zraw)?;
                let sha: [u8; 32] = sha.as_slice().try_into().unwrap_or([0; 32]);
                f(&sha, &raw);
                last = id;
                n += 1;
            }
        }
    }

    /// A content listing of the store that does not depend on import order:
    /// one line per message (Message-ID, fingerprint, lists, copies).
    pub fn content_listing(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT m.msgid, hex(m.fingerprint), hex(m.canonical_sha), m.subject,
                        (SELECT group_concat(list, ',') FROM (SELECT list FROM message_lists
                            WHERE message = m.id ORDER BY list)),
                        (SELECT group_concat(h, ',') FROM (SELECT hex(sha256) AS h FROM raws
                            WHERE message = m.id ORDER BY sha256))
                 FROM messages m",
            )
            .map_err(self.err())?;
        let mut lines: Vec<String> = stmt
            .query_map([], |r| {
                Ok(format!(
                    "{} {} canonical={} subject={:?} lists={} raws={}",
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                ))
            })
            .map_err(self.err())?
            .collect::<Result<_, _>>()
            .map_err(self.err())?;
        lines.sort();
        Ok(lines)
    }

    /// Counts for `whosaid stats`.
    pub fn stats(&self) -> Result<Stats> {
        let one = |sql: &str| -> Result<u64> {
            self.conn
                .query_row(sql, [], |r| r.get::<_, Option<i64>>(0))
                .map_err(self.err())
                .map(|v| v.unwrap_or(0) as u64)
        };
        let mut stats = Stats {
            messages: one("SELECT count(*) FROM messages")?,
            raw_copies: one("SELECT count(*) FROM raws")?,
            reused_message_ids: one("SELECT count(*) FROM messages WHERE msgid IN
                    (SELECT msgid FROM messages GROUP BY msgid HAVING count(*) > 1)")?,
            synthetic_ids: one("SELECT count(*) FROM messages WHERE synthetic != 0")?,
            people: one("SELECT count(DISTINCT from_email) FROM messages WHERE from_email != ''")?,
            unknown_dates: one("SELECT count(*) FROM messages WHERE date IS NULL")?,
            raw_bytes: one("SELECT sum(size) FROM raws")?,
            threads: one("SELECT count(DISTINCT thread_root) FROM messages")?,
            ghosts: one("SELECT count(*) FROM ghosts")?,
            ..Stats::default()
        };
        let mut stmt = self
            .conn
            .prepare("SELECT list, count(*) FROM message_lists GROUP BY list ORDER BY list")
            .map_err(self.err())?;
        stats.lists = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))
            .map_err(self.err())?
            .collect::<Result<_, _>>()
            .map_err(self.err())?;
        let (first, last): (Option<i64>, Option<i64>) = self
            .conn
            .query_row("SELECT min(date), max(date) FROM messages", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(self.err())?;
        let fmt = |t: i64| {
            chrono::DateTime::from_timestamp(t, 0)
                .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        };
        stats.first_date = first.and_then(fmt);
        stats.last_date = last.and_then(fmt);
        for suffix in ["", "-wal", "-shm"] {
            let p = PathBuf::from(format!("{}{suffix}", self.path.display()));
            stats.store_bytes += std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        }
        Ok(stats)
    }
}

/// A write transaction. Dropping it without [`Writer::commit`] rolls back.
pub struct Writer<'a> {
    tx: rusqlite::Transaction<'a>,
    path: PathBuf,
}

impl Writer<'_> {
    fn err(&self) -> impl Fn(rusqlite::Error) -> Error + '_ {
        |cause| Error::Store {
            path: self.path.clone(),
            cause,
        }
    }

    /// Stores one message; see the module docs for what counts as new.
    pub fn put(&mut self, m: &Incoming) -> Result<Put> {
        let existing: Option<(i64, Vec<u8>)> = self
            .tx
            .prepare_cached(
                "SELECT r.message, (SELECT canonical_sha FROM messages WHERE id = r.message)
                 FROM raws r WHERE r.sha256 = ?1",
            )
            .and_then(|mut s| {
                s.query_row([&m.sha256[..]], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(self.err())?;
        if let Some((row, canonical)) = existing {
            let changed = self.link_list(row, &m.list)?;
            if changed {
                self.bump_index_seq(row)?;
            }
            return Ok(Put {
                outcome: PutOutcome::Duplicate,
                row,
                changed,
                canonical: canonical[..] == m.sha256[..],
            });
        }
        let msg = &m.message;
        let same: Option<(i64, Vec<u8>)> = self
            .tx
            .prepare_cached(
                "SELECT id, canonical_sha FROM messages WHERE msgid = ?1 AND fingerprint = ?2",
            )
            .and_then(|mut s| {
                s.query_row(params![msg.message_id, &m.fingerprint[..]], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
            })
            .map_err(self.err())?;
        let put = match same {
            Some((row, canonical)) => {
                let becomes_canonical = m.sha256[..] < canonical[..];
                if becomes_canonical {
                    self.write_summary(Some(row), m)?;
                }
                Put {
                    outcome: PutOutcome::NewCopy,
                    row,
                    changed: becomes_canonical,
                    canonical: becomes_canonical,
                }
            }
            None => {
                let reused: bool = self
                    .tx
                    .prepare_cached("SELECT EXISTS(SELECT 1 FROM messages WHERE msgid = ?1)")
                    .and_then(|mut s| s.query_row([&msg.message_id], |r| r.get(0)))
                    .map_err(self.err())?;
                let row = self.write_summary(None, m)?;
                let outcome = if reused {
                    PutOutcome::ReusedId
                } else {
                    PutOutcome::New
                };
                Put {
                    outcome,
                    row,
                    changed: true,
                    canonical: true,
                }
            }
        };
        self.tx
            .prepare_cached("INSERT INTO raws(sha256, message, size, zraw) VALUES(?1, ?2, ?3, ?4)")
            .and_then(|mut s| s.execute(params![&m.sha256[..], put.row, m.size as i64, m.zraw]))
            .map_err(self.err())?;
        let new_list = self.link_list(put.row, &m.list)?;
        let put = Put {
            changed: put.changed || new_list,
            ..put
        };
        if put.changed {
            self.bump_index_seq(put.row)?;
        }
        Ok(put)
    }

    /// Gives the row the next index sequence number: the index must (re)index it.
    fn bump_index_seq(&mut self, row: i64) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE messages SET index_seq = (SELECT coalesce(max(index_seq), 0) + 1 FROM messages)
                 WHERE id = ?1",
            )
            .and_then(|mut s| s.execute([row]))
            .map_err(self.err())?;
        Ok(())
    }

    /// Removes the `msg_refs` rows of the summary `id` is about to replace,
    /// by key: the table has no index by message (it was 4.3 MB of 95 on
    /// linux-kbuild), so the ids come from the row itself.
    fn forget_refs(&mut self, id: i64) -> Result<()> {
        let ids = threads::ids_of_row(&self.tx, id).map_err(self.err())?;
        let mut delete = self
            .tx
            .prepare_cached("DELETE FROM msg_refs WHERE mid = ?1 AND message = ?2")
            .map_err(self.err())?;
        for mid in ids.unwrap_or_default() {
            delete.execute(params![mid, id]).map_err(self.err())?;
        }
        Ok(())
    }

    /// Inserts (id None) or replaces the summary row from this copy, and
    /// marks the message for threading.
    fn write_summary(&mut self, id: Option<i64>, m: &Incoming) -> Result<i64> {
        let msg = &m.message;
        let f = &m.facts;
        let date = msg.date.map(|d| d.timestamp());
        let tz = msg.date.map(|d| d.offset().local_minus_utc());
        let irt = msg.in_reply_to.join("\n");
        let refs = msg.references.join("\n");
        if let Some(id) = id {
            self.forget_refs(id)?;
        }
        self.tx
            .prepare_cached(
                "INSERT INTO messages(id, msgid, fingerprint, synthetic, date, tz_offset, from_name,
                    from_email, subject, in_reply_to, refs, canonical_sha, subject_base, is_patch,
                    is_reply, patch_version, patch_index, patch_total, has_diff, change_id,
                    author_name, author_email, threaded)
                 VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                    ?18, ?19, ?20, ?21, ?22, 0)
                 ON CONFLICT(id) DO UPDATE SET date=excluded.date, tz_offset=excluded.tz_offset,
                    from_name=excluded.from_name, from_email=excluded.from_email,
                    subject=excluded.subject, in_reply_to=excluded.in_reply_to, refs=excluded.refs,
                    canonical_sha=excluded.canonical_sha, subject_base=excluded.subject_base,
                    is_patch=excluded.is_patch, is_reply=excluded.is_reply,
                    patch_version=excluded.patch_version, patch_index=excluded.patch_index,
                    patch_total=excluded.patch_total, has_diff=excluded.has_diff,
                    change_id=excluded.change_id, author_name=excluded.author_name,
                    author_email=excluded.author_email, threaded=0",
            )
            .and_then(|mut s| {
                s.execute(params![
                    id,
                    msg.message_id,
                    &m.fingerprint[..],
                    msg.synthetic_id,
                    date,
                    tz,
                    msg.from.name,
                    msg.from.email,
                    msg.subject,
                    irt,
                    refs,
                    &m.sha256[..],
                    f.subject.base,
                    f.subject.patch,
                    f.subject.reply,
                    f.subject.version,
                    f.subject.index,
                    f.subject.total,
                    f.has_diff,
                    f.change_id,
                    f.author.name,
                    f.author.email,
                ])
            })
            .map_err(self.err())?;
        let id = id.unwrap_or_else(|| self.tx.last_insert_rowid());
        // The ids this message mentions (its own and its reference chain):
        // how threading finds the messages a new one can touch.
        let chain = crate::thread::reference_chain(
            &msg.message_id,
            msg.in_reply_to.iter().map(String::as_str),
            msg.references.iter().map(String::as_str),
        );
        let mut insert = self
            .tx
            .prepare_cached("INSERT OR IGNORE INTO msg_refs(mid, message) VALUES(?1, ?2)")
            .map_err(self.err())?;
        for mid in std::iter::once(msg.message_id.as_str()).chain(chain) {
            insert
                .execute(params![mid, id])
                .map_err(|cause| Error::Store {
                    path: self.path.clone(),
                    cause,
                })?;
        }
        Ok(id)
    }

    /// Adds the message to the list; true if it was not in it yet.
    fn link_list(&mut self, id: i64, list: &ListName) -> Result<bool> {
        self.tx
            .prepare_cached(
                "INSERT INTO lists(name, list_id) VALUES(?1, ?2)
                 ON CONFLICT(name) DO UPDATE SET list_id = coalesce(lists.list_id, excluded.list_id)",
            )
            .and_then(|mut s| s.execute(params![list.name, list.list_id]))
            .map_err(self.err())?;
        let inserted = self
            .tx
            .prepare_cached("INSERT OR IGNORE INTO message_lists(message, list) VALUES(?1, ?2)")
            .and_then(|mut s| s.execute(params![id, list.name]))
            .map_err(self.err())?;
        Ok(inserted > 0)
    }

    /// Makes everything put so far durable.
    pub fn commit(self) -> Result<()> {
        let path = self.path.clone();
        self.tx
            .commit()
            .map_err(|cause| Error::Store { path, cause })
    }
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
