//! Library errors. Each says what went wrong and where; the CLI adds what to do.

use std::path::PathBuf;

/// Errors from the store, the importer and the other I/O-facing modules.
/// Parsing never fails: it returns warnings (see [`crate::message`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{path}: {cause}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error (in the message, so not also a `source`:
        /// a chain would print it twice).
        cause: std::io::Error,
    },
    /// The store (SQLite or PostgreSQL) failed.
    #[error("store {path}: {cause}")]
    Store {
        /// The database file, or the PostgreSQL URL without its password.
        path: PathBuf,
        /// The underlying error (in the message only, as for `Io`).
        cause: crate::store::DbError,
    },
    /// The data dir's store configuration is wrong.
    #[error("{path}: {detail}")]
    Config {
        /// The configuration file (or the data dir).
        path: PathBuf,
        /// What is wrong and what to do.
        detail: String,
    },
    /// The search index failed.
    #[error("index {path}: {cause}; `whosaid reindex` rebuilds it from the store")]
    Index {
        /// The index directory.
        path: PathBuf,
        /// What the index library said, kept whole.
        #[source]
        cause: crate::index::IndexError,
    },
    /// A query cannot be read.
    #[error("cannot search for that: {0}")]
    Query(#[from] crate::query::QueryError),
    /// The search index was not opened (missing, or of another version).
    #[error("the search index is missing; run `whosaid reindex`")]
    NoIndex,
    /// The store was written by a newer whosaid.
    #[error(
        "store {path} has schema version {found}, this whosaid reads {supported}; upgrade whosaid"
    )]
    SchemaTooNew {
        /// The database file.
        path: PathBuf,
        /// Version in the file.
        found: i64,
        /// Version this build writes.
        supported: i64,
    },
    /// Another import holds the data dir.
    #[error(
        "another import is writing to {0}; wait for it to finish (the lock is {0}/import.lock)"
    )]
    Locked(PathBuf),
    /// Another importer holds the shared (PostgreSQL) store.
    #[error(
        "another import is writing to the store {0}; one importer at a time: wait for it to finish"
    )]
    StoreLocked(String),
    /// A stored raw message failed its checksum or could not be decompressed.
    #[error("store {path}: raw message {sha256} is corrupt: {detail}")]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// The raw message's recorded sha256.
        sha256: String,
        /// What is wrong.
        detail: String,
    },
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
