//! The import pipeline: inputs → split → parse (in parallel) → store (in order).
//!
//! ```text
//!  reader thread          worker threads (one per core)      writer (caller's thread)
//!  open, gunzip, split ─▶ parse, hash, fingerprint, zstd ─▶ reorder by sequence,
//!                                                           Store::put, commit batches
//! ```
//!
//! At most [`ImportConfig::in_flight`] messages are between the reader and
//! the writer at any time, so memory is bounded by that many messages whatever
//! the input size. The writer commits every [`ImportConfig::batch`] messages;
//! a crash loses only the open batch and re-importing finishes the job.
//!
//! `inputs` opens and splits what the user named (files, Maildir, stdin,
//! gzip); `pipeline` runs the reader, the parse workers and the writer;
//! `follow` keeps the search index in step with the store.

mod follow;
mod inputs;
mod pipeline;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel as channel;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::index::{Index, IndexDoc, IndexWriter};
use crate::mbox::{self, MboxReader, SkipReason};
use crate::message::{self, ParseOutcome, WarningKind};
use crate::store::pack::{self, Packer};
use crate::store::{self, Incoming, ListName, PutOutcome, Store};

/// One thing to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// An mbox file, possibly gzip-compressed (detected by its magic bytes).
    Mbox(PathBuf),
    /// A Maildir folder (`cur/` and `new/`).
    Maildir(PathBuf),
    /// Standard input, an mbox stream (gzip detected too).
    Stdin,
}

impl Input {
    /// How the input is named in messages.
    pub fn display(&self) -> String {
        match self {
            Input::Mbox(p) | Input::Maildir(p) => p.display().to_string(),
            Input::Stdin => "<stdin>".to_string(),
        }
    }

    /// The list name to use when neither `--list` nor List-Id names one.
    fn fallback_list(&self) -> String {
        match self {
            Input::Mbox(p) | Input::Maildir(p) => {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let name = name.trim_end_matches(".gz");
                let name = name.rsplit_once('.').map_or(name, |(stem, ext)| {
                    if ["mbox", "mbx", "mboxrd", "txt", "eml"].contains(&ext) {
                        stem
                    } else {
                        name
                    }
                });
                name.to_string()
            }
            Input::Stdin => "stdin".to_string(),
        }
    }
}

/// Settings for [`import`].
#[derive(Debug, Clone)]
pub struct ImportConfig {
    /// Put every message in this list instead of its List-Id's.
    pub list: Option<String>,
    /// Parse threads; 0 means one per core.
    pub workers: usize,
    /// Messages between reader and writer at most.
    pub in_flight: usize,
    /// Messages per transaction.
    pub batch: usize,
    /// Longest time a batch stays open.
    pub batch_time: Duration,
    /// zstd level for raw messages.
    pub zstd_level: i32,
    /// Splitter limits.
    pub split: mbox::SplitConfig,
}

impl Default for ImportConfig {
    fn default() -> Self {
        ImportConfig {
            list: None,
            workers: 0,
            in_flight: 256,
            batch: 2000,
            batch_time: Duration::from_secs(2),
            zstd_level: 3,
            split: mbox::SplitConfig::default(),
        }
    }
}

/// A warning with its place: file, byte offset and Message-ID when known.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportWarning {
    /// What kind.
    pub kind: WarningKind,
    /// The input file (for Maildir, the message file).
    pub file: String,
    /// Byte offset of the message's separator line in the (decompressed) file.
    pub offset: u64,
    /// The message's Message-ID, when it has one.
    pub message_id: Option<String>,
    /// What exactly.
    pub detail: String,
}

impl std::fmt::Display for ImportWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: byte {}", self.file, self.offset)?;
        if let Some(id) = &self.message_id {
            write!(f, " <{id}>")?;
        }
        write!(f, ": {}", self.detail)
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportReport {
    /// Messages read from the inputs.
    pub read: u64,
    /// New messages stored.
    pub stored: u64,
    /// New copies of messages already stored (cross-posts, other transport headers).
    pub new_copies: u64,
    /// Byte-identical messages already stored.
    pub duplicates: u64,
    /// New messages under a Message-ID already used by other content.
    pub reused_ids: u64,
    /// Messages or stretches of bytes that could not be stored.
    pub not_stored: u64,
    /// Input bytes read (compressed size for .gz).
    pub bytes: u64,
    /// Every warning, in input order.
    pub warnings: Vec<ImportWarning>,
    /// Files in named directories that are not mail, skipped.
    pub skipped_files: Vec<String>,
    /// Inputs that could not be read at all.
    pub failed_inputs: Vec<String>,
    /// Threading after the import.
    pub threading: crate::store::RethreadReport,
    /// Messages (re)indexed for search.
    pub indexed: u64,
}

/// Progress as the writer sees it.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Messages written so far.
    pub messages: u64,
    /// Input bytes read so far.
    pub bytes: u64,
    /// Total input bytes, when known.
    pub total_bytes: Option<u64>,
}

/// Takes the data dir's import lock: one importer at a time. The lock is
/// released when the returned file is dropped (or the process dies).
pub fn lock_data_dir(data_dir: &Path) -> Result<File> {
    std::fs::create_dir_all(data_dir).map_err(|cause| Error::Io {
        path: data_dir.to_path_buf(),
        cause,
    })?;
    let path = data_dir.join("import.lock");
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|cause| Error::Io {
            path: path.clone(),
            cause,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::Locked(data_dir.to_path_buf())),
        Err(std::fs::TryLockError::Error(cause)) => Err(Error::Io { path, cause }),
    }
}

/// [`lock_data_dir`], waiting up to `patience` for a holder that holds it
/// for moments at a time (a server following a shared store).
pub fn lock_data_dir_waiting(data_dir: &Path, patience: std::time::Duration) -> Result<File> {
    let started = std::time::Instant::now();
    loop {
        match lock_data_dir(data_dir) {
            Err(Error::Locked(_)) if started.elapsed() < patience => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

use follow::give_back_freed_memory;
pub use follow::{FOLLOW_CHUNK, follow, reindex, sync_index};
pub use inputs::expand_paths;
use inputs::{maildir_files, maybe_gunzip, read_inputs};
use pipeline::Job;
pub use pipeline::import;
