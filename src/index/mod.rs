//! The search index: tantivy, derived from the store. The only module that
//! knows tantivy types.
//!
//! One document per stored message, keyed by its store row. Original and
//! quoted text are separate fields (so `nq:` and `q:` can tell what someone
//! said from what they quoted), both with positions (so phrases work in
//! either), and original text weighs more in ranking.
//!
//! The index follows the store by a sequence number: every change to a
//! message in the store gets the next `index_seq`, and each index commit
//! records the highest sequence it includes (as the commit payload). Whatever
//! the store has beyond that is indexed again on the next import or
//! `reindex`; a document is always deleted by row before it is added, so no
//! crash or re-import can leave duplicates.

mod doc;
mod schema;
mod search;
mod write;

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};

use tantivy::collector::{Count, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, EmptyQuery, Occur, PhrasePrefixQuery, PhraseQuery, Query,
    RangeQuery, TermQuery,
};
use tantivy::schema::{
    DateOptions, DateTimePrecision, Field, IndexRecordOption, NumericOptions, STORED, STRING,
    Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    DocAddress, DocSet, IndexReader, IndexSettings, Order, ReloadPolicy, TantivyDocument, Term,
};

pub use self::doc::IndexDoc;
use crate::error::{Error, Result};
use crate::query::{self, Expr};

use schema::{Fields, schema};
pub use write::IndexWriter;

/// Bumped when the schema changes; an index of another version is rebuilt.
pub const SCHEMA_VERSION: u32 = 3;

/// Directory of the index inside the data dir.
pub const INDEX_DIR: &str = "index";

pub(super) const VERSION_FILE: &str = "whosaid-schema-version";

pub(super) fn read_version(index_dir: &Path) -> Option<u32> {
    std::fs::read_to_string(index_dir.join(VERSION_FILE))
        .ok()
        .and_then(|v| v.trim().parse().ok())
}

/// The search index of a data dir.
pub struct Index {
    index: tantivy::Index,
    reader: IndexReader,
    fields: Fields,
    path: PathBuf,
    /// The commit (opstamp) the reader's searcher shows.
    seen: std::sync::atomic::AtomicU64,
}

/// How to order hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Newest first.
    #[default]
    Date,
    /// Best match first.
    Relevance,
}

/// Options for [`Index::search`].
#[derive(Debug, Clone, Copy)]
pub struct SearchOptions {
    /// Hits to return.
    pub limit: usize,
    /// Hits to skip.
    pub offset: usize,
    /// Order.
    pub sort: Sort,
    /// Whether hits need snippets (a caller that reads only Message-IDs
    /// saves the doc-store reads and the tokenizing).
    pub snippets: bool,
}

/// One hit.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Hit {
    /// Store row of the message.
    #[serde(skip)]
    pub row: i64,
    /// Message-ID.
    pub message_id: String,
    /// Subject.
    pub subject: String,
    /// Sender's name.
    pub from_name: String,
    /// Sender's address.
    pub from_email: String,
    /// Unix seconds and zone offset.
    pub date: Option<(i64, i32)>,
    /// A fragment of the text around the matches.
    pub snippet: String,
    /// Byte ranges of the matched words in `snippet`.
    pub highlights: Vec<(usize, usize)>,
    /// The words are in what the message quotes, not in what it says. Its
    /// snippet shows the quote when the query asked for quotes (`q:`), and
    /// else the start of the message.
    #[serde(skip)]
    pub in_quotes: bool,
}

impl Hit {
    /// The snippet cut into (text, is a matched word) pieces, in order.
    /// Ranges that overlap or do not fall on characters are left out.
    pub fn snippet_pieces(&self) -> Vec<(String, bool)> {
        let snippet = &self.snippet;
        let mut out = Vec::new();
        let mut at = 0;
        for &(a, b) in &self.highlights {
            if a < at
                || b > snippet.len()
                || !snippet.is_char_boundary(a)
                || !snippet.is_char_boundary(b)
            {
                continue;
            }
            out.push((snippet[at..a].to_string(), false));
            out.push((snippet[a..b].to_string(), true));
            at = b;
        }
        out.push((snippet[at..].to_string(), false));
        out
    }
}

/// What [`Index::search`] found.
#[derive(Debug, Clone, Default)]
pub struct SearchResults {
    /// Matching messages in all.
    pub total: usize,
    /// The requested page.
    pub hits: Vec<Hit>,
}

/// What went wrong in the index, with the index library's own error kept
/// (only this module knows tantivy's types).
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// tantivy failed.
    #[error(transparent)]
    Tantivy(#[from] tantivy::TantivyError),
    /// The index directory could not be opened.
    #[error(transparent)]
    Directory(#[from] tantivy::directory::error::OpenDirectoryError),
    /// The index was written by a whosaid with another schema.
    #[error("schema version {found}, this whosaid uses {expected}")]
    Version {
        /// The version found (or "unknown").
        found: String,
        /// This whosaid's.
        expected: u32,
    },
}

impl IndexError {
    /// The operating system's error behind it, if one is (a full disk, a
    /// read-only file system): for telling the user what to do.
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        use tantivy::TantivyError as T;
        use tantivy::directory::error::{
            LockError, OpenDirectoryError, OpenReadError, OpenWriteError,
        };
        match self {
            IndexError::Tantivy(T::IoError(io))
            | IndexError::Tantivy(T::LockFailure(LockError::IoError(io), _)) => Some(kind_of(io)),
            IndexError::Tantivy(T::OpenReadError(OpenReadError::IoError { io_error, .. })) => {
                Some(kind_of(io_error))
            }
            IndexError::Tantivy(T::OpenWriteError(OpenWriteError::IoError {
                io_error, ..
            }))
            | IndexError::Directory(OpenDirectoryError::IoError { io_error, .. }) => {
                Some(kind_of(io_error))
            }
            IndexError::Tantivy(T::OpenDirectoryError(OpenDirectoryError::IoError {
                io_error,
                ..
            })) => Some(kind_of(io_error)),
            _ => None,
        }
    }
}

/// The kind of an I/O error, looking through the wrappers that turn an
/// OS error into `ErrorKind::Other` (tantivy's writers do: "An IO error
/// occurred: 'No space left on device'"; its term dictionary wraps the
/// OS error in an fst error first). A few levels at most.
fn kind_of(io: &std::io::Error) -> std::io::ErrorKind {
    let mut at = io;
    for _ in 0..4 {
        if let Some(code) = at.raw_os_error() {
            return std::io::Error::from_raw_os_error(code).kind();
        }
        let inner = at.get_ref();
        let next = inner
            .and_then(|e| e.downcast_ref::<std::io::Error>())
            .or_else(|| match inner?.downcast_ref::<tantivy_fst::Error>()? {
                tantivy_fst::Error::Io(io) => Some(io),
                tantivy_fst::Error::Fst(_) => None,
            });
        match next {
            Some(inner) => at = inner,
            None => break,
        }
    }
    at.kind()
}

pub(super) fn index_err(path: &Path) -> impl Fn(tantivy::TantivyError) -> Error + use<> {
    let path = path.to_path_buf();
    move |e| Error::Index {
        path: path.clone(),
        cause: e.into(),
    }
}

impl Index {
    /// Opens the index in `data_dir` for searching, creating an empty one if
    /// there is none. Never deletes anything: an index of another schema
    /// version is an error that says to run `whosaid reindex`.
    pub fn open(data_dir: &Path) -> Result<Index> {
        let path = data_dir.join(INDEX_DIR);
        let found = read_version(&path);
        if path.join("meta.json").exists() && found != Some(SCHEMA_VERSION) {
            return Err(Error::Index {
                path,
                cause: IndexError::Version {
                    found: found.map_or("unknown".to_string(), |v| v.to_string()),
                    expected: SCHEMA_VERSION,
                },
            });
        }
        Self::open_dir(path)
    }

    /// Opens the index for writing (import, reindex): an index of another
    /// schema version is removed and created empty; its sequence is then 0,
    /// so the caller indexes the whole store. Only the holder of the import
    /// lock may call this.
    pub fn open_for_writing(data_dir: &Path) -> Result<Index> {
        let path = data_dir.join(INDEX_DIR);
        if path.join("meta.json").exists() && read_version(&path) != Some(SCHEMA_VERSION) {
            std::fs::remove_dir_all(&path).map_err(|cause| Error::Io {
                path: path.clone(),
                cause,
            })?;
        }
        Self::open_dir(path)
    }

    pub(super) fn open_dir(path: PathBuf) -> Result<Index> {
        let err = index_err(&path);
        std::fs::create_dir_all(&path).map_err(|cause| Error::Io {
            path: path.clone(),
            cause,
        })?;
        let (schema, fields) = schema();
        let dir = MmapDirectory::open(&path).map_err(|e| Error::Index {
            path: path.clone(),
            cause: e.into(),
        })?;
        let settings = IndexSettings {
            docstore_compression: tantivy::store::Compressor::Zstd(
                tantivy::store::ZstdCompressor::default(),
            ),
            ..IndexSettings::default()
        };
        let index = tantivy::IndexBuilder::new()
            .schema(schema)
            .settings(settings)
            .open_or_create(dir)
            .map_err(&err)?;
        if read_version(&path) != Some(SCHEMA_VERSION) {
            // Written once, atomically, so a concurrent reader never sees it half-written.
            let tmp = path.join(format!(".whosaid-schema-version.{}", std::process::id()));
            let file = path.join(VERSION_FILE);
            std::fs::write(&tmp, SCHEMA_VERSION.to_string())
                .and_then(|()| std::fs::rename(&tmp, &file))
                .map_err(|cause| Error::Io {
                    path: file.clone(),
                    cause,
                })?;
        }
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(&err)?;
        Ok(Index {
            index,
            reader,
            fields,
            path,
            seen: std::sync::atomic::AtomicU64::new(u64::MAX),
        })
    }

    /// Brings the reader to the latest commit, if there is a newer one. A
    /// reload builds a new searcher and drops its caches (decompressed doc
    /// store blocks), so it is done only when another commit has landed:
    /// reloading on every search cost the search page a third of its time.
    pub(super) fn refresh(&self) -> Result<()> {
        use std::sync::atomic::Ordering;
        let err = index_err(&self.path);
        let opstamp = self.index.load_metas().map_err(&err)?.opstamp;
        if self.seen.load(Ordering::Acquire) != opstamp {
            self.reader.reload().map_err(&err)?;
            self.seen.store(opstamp, Ordering::Release);
        }
        Ok(())
    }

    /// The highest store sequence the last commit includes (0 for none).
    pub fn indexed_seq(&self) -> Result<i64> {
        let meta = self.index.load_metas().map_err(index_err(&self.path))?;
        Ok(meta.payload.and_then(|p| p.parse().ok()).unwrap_or(0))
    }

    /// Documents in the index.
    pub fn num_docs(&self) -> Result<u64> {
        self.refresh()?;
        Ok(self.reader.searcher().num_docs())
    }
}

#[cfg(test)]
mod error_tests {
    use super::*;

    /// The operating system's error is found under each way tantivy wraps
    /// it, so the CLI can say "the disk is full" or "read-only".
    #[test]
    fn io_kinds_are_found_under_tantivy_wrappers() {
        use std::io::{Error as Io, ErrorKind};
        use tantivy::directory::error::LockError;
        let lock = IndexError::Tantivy(tantivy::TantivyError::LockFailure(
            LockError::wrap_io_error(Io::from(ErrorKind::ReadOnlyFilesystem)),
            None,
        ));
        assert_eq!(lock.io_kind(), Some(ErrorKind::ReadOnlyFilesystem));
        let io = IndexError::Tantivy(tantivy::TantivyError::from(Io::from(
            ErrorKind::StorageFull,
        )));
        assert_eq!(io.io_kind(), Some(ErrorKind::StorageFull));
        // An OS error wrapped as Other, as tantivy's segment writer does.
        let wrapped = IndexError::Tantivy(tantivy::TantivyError::from(Io::other(
            Io::from_raw_os_error(28),
        )));
        assert_eq!(wrapped.io_kind(), Some(ErrorKind::StorageFull));
        // The term dictionary's writer: an fst error inside.
        let fst = IndexError::Tantivy(tantivy::TantivyError::from(Io::other(
            tantivy_fst::Error::Io(Io::from_raw_os_error(28)),
        )));
        assert_eq!(fst.io_kind(), Some(ErrorKind::StorageFull));
        let version = IndexError::Version {
            found: "2".into(),
            expected: SCHEMA_VERSION,
        };
        assert_eq!(version.io_kind(), None);
    }
}
