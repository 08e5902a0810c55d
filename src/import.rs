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

/// Turns command-line paths into inputs: `-` is standard input, a directory
/// with `cur/` or `new/` is a Maildir, another directory is walked for mbox
/// files and Maildirs (files that are not mail are listed as skipped), and a
/// file is an mbox (or a single message).
pub fn expand_paths(paths: &[PathBuf]) -> (Vec<Input>, ImportReport) {
    let mut inputs = Vec::new();
    let mut report = ImportReport::default();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                report
                    .failed_inputs
                    .push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        if !meta.is_dir() {
            inputs.push(Input::Mbox(path.clone()));
            continue;
        }
        // Walk without recursion on the directory tree.
        let mut stack = vec![path.clone()];
        while let Some(dir) = stack.pop() {
            if is_maildir(&dir) {
                inputs.push(Input::Maildir(dir));
                continue;
            }
            let mut entries: Vec<PathBuf> = match std::fs::read_dir(&dir) {
                Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
                Err(e) => {
                    report.failed_inputs.push(format!("{}: {e}", dir.display()));
                    continue;
                }
            };
            entries.sort();
            let mut subdirs = Vec::new();
            for entry in entries {
                let hidden = entry
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'));
                if hidden {
                    continue;
                }
                if entry.is_dir() {
                    subdirs.push(entry);
                } else if looks_like_mail_file(&entry) {
                    inputs.push(Input::Mbox(entry));
                } else {
                    report.skipped_files.push(entry.display().to_string());
                }
            }
            stack.extend(subdirs.into_iter().rev());
        }
    }
    (inputs, report)
}

fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir() || dir.join("new").is_dir()
}

/// Whether a file found in a directory walk is mail: gzip, an mbox `From_`
/// line, or a header line.
fn looks_like_mail_file(path: &Path) -> bool {
    let mut head = [0u8; 1024];
    let n = File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    let head = &head[..n];
    head.starts_with(&[0x1f, 0x8b])
        || mbox::is_from_line(head.split(|&b| b == b'\n').next().unwrap_or(b""))
        || mbox::looks_like_header(head)
}

/// Counts bytes read through it, for progress.
struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Wraps a stream in a gzip decoder when it starts with the gzip magic.
fn maybe_gunzip<'a, R: Read + Send + 'a>(input: R) -> io::Result<Box<dyn Read + Send + 'a>> {
    let mut buffered = BufReader::with_capacity(1 << 16, input);
    let is_gzip = {
        use std::io::BufRead;
        let head = buffered.fill_buf()?;
        head.starts_with(&[0x1f, 0x8b])
    };
    if is_gzip {
        Ok(Box::new(flate2::read::MultiGzDecoder::new(buffered)))
    } else {
        Ok(Box::new(buffered))
    }
}

/// Work for the parse workers.
enum Job {
    Message {
        seq: u64,
        input: usize,
        offset: u64,
        file: Option<Arc<str>>,
        raw: Vec<u8>,
    },
    Warning {
        seq: u64,
        warning: ImportWarning,
        loss: bool,
    },
}

/// What a worker hands the writer.
enum Done {
    Message {
        incoming: Box<Incoming>,
        warnings: Vec<ImportWarning>,
        place: ImportWarning,
    },
    Warning {
        warning: ImportWarning,
        loss: bool,
    },
}

/// Imports `inputs` into `store`. Per-message problems become warnings in the
/// report; only store failures abort (with everything committed so far kept).
/// One importer at a time writes a store: a shared (PostgreSQL) store is
/// locked for the import's duration ([`Store::lock_importer`]); a SQLite
/// store through its data dir ([`lock_data_dir`], taken by the caller).
pub fn import(
    store: &mut Store,
    index: &Index,
    inputs: &[Input],
    config: &ImportConfig,
    on_progress: impl FnMut(Progress),
) -> Result<ImportReport> {
    store.lock_importer()?;
    let report = import_locked(store, index, inputs, config, on_progress);
    // The import's own error first: a failed unlock (the connection gone,
    // which releases the lock anyway) must not hide it.
    let unlocked = store.unlock_importer();
    let report = report?;
    unlocked?;
    Ok(report)
}

fn import_locked(
    store: &mut Store,
    index: &Index,
    inputs: &[Input],
    config: &ImportConfig,
    mut on_progress: impl FnMut(Progress),
) -> Result<ImportReport> {
    let mut report = ImportReport::default();
    // The importer writes in append order and reads back little: a small
    // page cache costs it nothing measurable and keeps its memory flat
    // while tantivy's buffers are full.
    store.set_cache_mib(16)?;
    let total_bytes = inputs
        .iter()
        .map(|i| match i {
            Input::Mbox(p) => std::fs::metadata(p).map(|m| m.len()).ok(),
            Input::Maildir(_) | Input::Stdin => None,
        })
        .sum::<Option<u64>>();
    let workers = if config.workers == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        config.workers
    };
    let bytes_read = Arc::new(AtomicU64::new(0));
    let (job_tx, job_rx) = channel::bounded::<Job>(config.in_flight);
    let (done_tx, done_rx) = channel::bounded::<(u64, Done)>(config.in_flight);
    let (permit_tx, permit_rx) = channel::bounded::<()>(config.in_flight);
    for _ in 0..config.in_flight {
        let _ = permit_tx.send(());
    }
    let lists: Vec<(String, String)> = inputs
        .iter()
        .map(|i| (i.display(), i.fallback_list()))
        .collect();
    let forced_list = config.list.as_deref().map(ListName::named);
    let packer = packer_for(store, inputs, config)?;

    std::thread::scope(|scope| -> Result<()> {
        // Reader.
        let reader_bytes = bytes_read.clone();
        let split_config = config.split.clone();
        let failed = scope
            .spawn(move || read_inputs(inputs, &split_config, &job_tx, &permit_rx, &reader_bytes));
        // Workers.
        for _ in 0..workers {
            let job_rx = job_rx.clone();
            let done_tx = done_tx.clone();
            let lists = &lists;
            let forced_list = forced_list.as_ref();
            let packer = &packer;
            let spawned = std::thread::Builder::new()
                .name("whosaid-parse".into())
                .spawn_scoped(scope, move || {
                    for job in job_rx {
                        let (seq, done) = work(job, lists, forced_list, packer);
                        if done_tx.send((seq, done)).is_err() {
                            break;
                        }
                    }
                });
            spawned.map_err(|cause| Error::Io {
                path: "<thread>".into(),
                cause,
            })?;
        }
        drop(done_tx);
        drop(job_rx);

        // Writer: in sequence order. The index learns of every change; rows
        // it got inline are skipped by the catch-up at the end.
        let start_seq = index.indexed_seq()?;
        let mut index_writer = index.writer()?;
        let mut indexed_inline: std::collections::HashSet<i64> = std::collections::HashSet::new();
        let mut pending: BTreeMap<u64, Done> = BTreeMap::new();
        let mut next = 0u64;
        let mut writer = Some(store.writer()?);
        let mut in_batch = 0usize;
        let mut batch_started = Instant::now();
        let mut last_progress = Instant::now();
        let mut result = Ok(());
        for (seq, done) in done_rx.iter() {
            pending.insert(seq, done);
            while let Some(done) = pending.remove(&next) {
                next += 1;
                let _ = permit_tx.send(());
                let Some(w) = writer.as_mut().filter(|_| result.is_ok()) else {
                    continue; // drain so the other threads can finish
                };
                match done {
                    Done::Warning { warning, loss } => {
                        if loss {
                            report.not_stored += 1;
                        }
                        report.warnings.push(warning);
                    }
                    Done::Message {
                        incoming,
                        warnings,
                        place,
                    } => {
                        report.read += 1;
                        let put = match w.put(&incoming) {
                            Ok(put) => {
                                crate::failpoint("put");
                                put
                            }
                            Err(e) => {
                                result = Err(e);
                                continue;
                            }
                        };
                        match put.outcome {
                            PutOutcome::New => {
                                report.stored += 1;
                                report.warnings.extend(warnings);
                            }
                            PutOutcome::ReusedId => {
                                report.stored += 1;
                                report.reused_ids += 1;
                                report.warnings.extend(warnings);
                                report.warnings.push(ImportWarning {
                                    kind: WarningKind::ReusedMessageId,
                                    detail:
                                        "this Message-ID already names other content; both are kept"
                                            .into(),
                                    ..place
                                });
                            }
                            // Warnings were reported when the message was first stored.
                            PutOutcome::NewCopy => report.new_copies += 1,
                            PutOutcome::Duplicate => report.duplicates += 1,
                        }
                        if put.changed {
                            if put.canonical {
                                let replace =
                                    !matches!(put.outcome, PutOutcome::New | PutOutcome::ReusedId);
                                // A new row is in its one list (its list
                                // row is deferred: see store::Writer).
                                let lists = if replace {
                                    store.lists_of(put.row)
                                } else {
                                    Ok(vec![incoming.list.name.clone()])
                                };
                                let indexed = lists.and_then(|lists| {
                                    index_writer.upsert(put.row, &incoming.doc, &lists, replace)
                                });
                                match indexed {
                                    Ok(()) => {
                                        indexed_inline.insert(put.row);
                                        report.indexed += 1;
                                    }
                                    Err(e) => result = Err(e),
                                }
                            } else {
                                // Not the canonical copy: the catch-up reads the canonical one.
                                indexed_inline.remove(&put.row);
                            }
                        }
                        in_batch += 1;
                    }
                }
                if result.is_ok()
                    && (in_batch >= config.batch || batch_started.elapsed() >= config.batch_time)
                {
                    if let Some(w) = writer.take() {
                        result = w.commit();
                        crate::failpoint("store-commit");
                    }
                    if result.is_ok() {
                        match store.writer() {
                            Ok(w) => writer = Some(w),
                            Err(e) => result = Err(e),
                        }
                    }
                    in_batch = 0;
                    batch_started = Instant::now();
                }
            }
            if last_progress.elapsed() >= Duration::from_millis(100) {
                last_progress = Instant::now();
                on_progress(Progress {
                    messages: report.read,
                    bytes: bytes_read.load(Ordering::Relaxed),
                    total_bytes,
                });
            }
        }
        result?;
        if let Some(w) = writer {
            w.commit()?;
            crate::failpoint("store-commit");
        }
        // Everything the store changed since the index's last commit that
        // was not indexed inline (crash leftovers, non-canonical copies).
        // Threading does not change what is indexed, so the index commits
        // first: its indexing buffers and queued documents (~160 MB) are
        // freed before the threading pass holds every new message's
        // references in memory (anonymous peak of a 16x-corpus import:
        // 468 MiB with both at once).
        // The importer is the store's one writer: nothing changes it
        // between the sync and the commit.
        let (synced, _) = sync_index(
            store,
            &mut index_writer,
            start_seq,
            &indexed_inline,
            usize::MAX,
        )?;
        report.indexed += synced;
        index_writer.commit(store.max_index_seq()?)?;
        give_back_freed_memory();
        report.threading = store.rethread()?;
        let failed = failed.join().unwrap_or_default();
        report.failed_inputs.extend(failed);
        Ok(())
    })?;
    report.bytes = bytes_read.load(Ordering::Relaxed);
    store.checkpoint()?;
    on_progress(Progress {
        messages: report.read,
        bytes: report.bytes,
        total_bytes,
    });
    Ok(report)
}

/// The reader thread: opens each input and feeds the workers. Returns the
/// inputs that could not be opened or read to the end.
fn read_inputs(
    inputs: &[Input],
    split: &mbox::SplitConfig,
    jobs: &channel::Sender<Job>,
    permits: &channel::Receiver<()>,
    bytes_read: &Arc<AtomicU64>,
) -> Vec<String> {
    let mut failed = Vec::new();
    let mut seq = 0u64;
    let mut send = |job_of: &mut dyn FnMut(u64) -> Job| -> bool {
        if permits.recv().is_err() {
            return false;
        }
        let job = job_of(seq);
        seq += 1;
        jobs.send(job).is_ok()
    };
    for (index, input) in inputs.iter().enumerate() {
        let name: Arc<str> = input.display().into();
        let read_error = |offset: u64, e: &io::Error| ImportWarning {
            kind: WarningKind::ReadError,
            file: name.to_string(),
            offset,
            message_id: None,
            detail: format!("{e}; the rest of this input was not read"),
        };
        match input {
            Input::Mbox(_) | Input::Stdin => {
                let stream: Box<dyn Read + Send> = match input {
                    Input::Mbox(path) => match File::open(path) {
                        Ok(f) => Box::new(f),
                        Err(e) => {
                            failed.push(format!("{}: {e}", path.display()));
                            continue;
                        }
                    },
                    _ => Box::new(io::stdin()),
                };
                let counted = CountingReader {
                    inner: stream,
                    count: bytes_read.clone(),
                };
                let stream = match maybe_gunzip(counted) {
                    Ok(s) => s,
                    Err(e) => {
                        failed.push(format!("{name}: {e}"));
                        continue;
                    }
                };
                let mut last_offset = 0;
                let mut items = 0u64;
                for item in MboxReader::with_config(stream, split.clone()) {
                    items += 1;
                    let ok = match item {
                        Ok(mbox::Item::Message(m)) => {
                            last_offset = m.offset;
                            let mut raw = Some(m.bytes);
                            send(&mut |seq| Job::Message {
                                seq,
                                input: index,
                                offset: m.offset,
                                file: None,
                                raw: raw.take().unwrap_or_default(),
                            })
                        }
                        Ok(mbox::Item::Skipped {
                            offset,
                            len,
                            reason,
                        }) => {
                            let (kind, detail) = match reason {
                                SkipReason::NotMbox => (
                                    WarningKind::NotMbox,
                                    format!(
                                        "{len} bytes that are neither an mbox From_ line nor a mail header; skipped"
                                    ),
                                ),
                                SkipReason::TooLarge => (
                                    WarningKind::TooLarge,
                                    format!(
                                        "a message of {len} bytes, over the {} byte limit; skipped",
                                        split.max_message_bytes
                                    ),
                                ),
                            };
                            let warning = ImportWarning {
                                kind,
                                file: name.to_string(),
                                offset,
                                message_id: None,
                                detail,
                            };
                            let mut w = Some(warning);
                            send(&mut |seq| Job::Warning {
                                seq,
                                warning: w.take().expect("sent once"),
                                loss: true,
                            })
                        }
                        Err(e) => {
                            let mut w = Some(read_error(last_offset, &e));
                            send(&mut |seq| Job::Warning {
                                seq,
                                warning: w.take().expect("sent once"),
                                loss: true,
                            });
                            failed.push(format!("{name}: {e}"));
                            break;
                        }
                    };
                    if !ok {
                        return failed;
                    }
                }
                if items == 0 {
                    let warning = ImportWarning {
                        kind: WarningKind::EmptyInput,
                        file: name.to_string(),
                        offset: 0,
                        message_id: None,
                        detail: "empty input: no messages in it (zero bytes or only blank lines)"
                            .into(),
                    };
                    let mut w = Some(warning);
                    if !send(&mut |seq| Job::Warning {
                        seq,
                        warning: w.take().expect("sent once"),
                        loss: false,
                    }) {
                        return failed;
                    }
                }
            }
            Input::Maildir(dir) => {
                for file in maildir_files(dir) {
                    let bytes = match std::fs::read(&file) {
                        Ok(b) => b,
                        Err(e) => {
                            failed.push(format!("{}: {e}", file.display()));
                            continue;
                        }
                    };
                    bytes_read.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                    let file_name: Arc<str> = file.display().to_string().into();
                    let mut raw = Some(bytes);
                    let ok = send(&mut |seq| Job::Message {
                        seq,
                        input: index,
                        offset: 0,
                        file: Some(file_name.clone()),
                        raw: raw.take().unwrap_or_default(),
                    });
                    if !ok {
                        return failed;
                    }
                }
            }
        }
    }
    failed
}

/// The message files of a Maildir, in name order.
fn maildir_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for sub in ["cur", "new"] {
        if let Ok(rd) = std::fs::read_dir(dir.join(sub)) {
            files.extend(
                rd.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.is_file()),
            );
        }
    }
    files.sort();
    files
}

/// The first messages of the inputs, to train the store's compression
/// dictionary on. Reads them a second time (a few MB, from the page cache);
/// standard input cannot be read twice and gives none. Errors are left for
/// the import itself to report.
fn training_samples(inputs: &[Input], split: &mbox::SplitConfig) -> Vec<Vec<u8>> {
    let mut samples = Vec::new();
    let cut = |mut raw: Vec<u8>| {
        raw.truncate(pack::SAMPLE_BYTES);
        raw
    };
    for input in inputs {
        let want = pack::TRAIN_SAMPLES - samples.len();
        if want == 0 {
            break;
        }
        match input {
            Input::Mbox(path) => {
                let Ok(stream) = File::open(path).and_then(maybe_gunzip) else {
                    continue;
                };
                samples.extend(
                    MboxReader::with_config(stream, split.clone())
                        .map_while(|item| item.ok())
                        .filter_map(|item| match item {
                            mbox::Item::Message(m) => Some(cut(m.bytes)),
                            _ => None,
                        })
                        .take(want),
                );
            }
            Input::Maildir(dir) => samples.extend(
                maildir_files(dir)
                    .iter()
                    .filter_map(|f| std::fs::read(f).ok())
                    .map(cut)
                    .take(want),
            ),
            Input::Stdin => {}
        }
    }
    samples
}

/// The packer for this import: the store's dictionary, or one trained now on
/// the inputs' first messages if the store has none and they are enough.
fn packer_for(store: &Store, inputs: &[Input], config: &ImportConfig) -> Result<Packer> {
    let dict = match store.dictionary()? {
        Some(dict) => Some(dict),
        None => match pack::train(&training_samples(inputs, &config.split)) {
            Some(dict) => {
                store.add_dictionary(&dict)?;
                Some(dict)
            }
            None => None,
        },
    };
    Ok(Packer::new(config.zstd_level, dict.as_deref()))
}

/// A worker's step: parse, hash, fingerprint, compress.
fn work(
    job: Job,
    inputs: &[(String, String)],
    forced_list: Option<&ListName>,
    packer: &Packer,
) -> (u64, Done) {
    match job {
        Job::Warning { seq, warning, loss } => (seq, Done::Warning { warning, loss }),
        Job::Message {
            seq,
            input,
            offset,
            file,
            raw,
        } => {
            let (input_name, fallback_list) = &inputs[input];
            let file = file.map_or_else(|| input_name.clone(), |f| f.to_string());
            match message::parse(&raw) {
                ParseOutcome::NotAMessage(w) => (
                    seq,
                    Done::Warning {
                        warning: ImportWarning {
                            kind: w.kind,
                            file,
                            offset,
                            message_id: None,
                            detail: w.detail,
                        },
                        loss: true,
                    },
                ),
                ParseOutcome::Message(msg, parse_warnings) => {
                    let place = ImportWarning {
                        kind: WarningKind::ReadError,
                        file,
                        offset,
                        message_id: (!msg.synthetic_id).then(|| msg.message_id.clone()),
                        detail: String::new(),
                    };
                    let warnings = parse_warnings
                        .into_iter()
                        .map(|w| ImportWarning {
                            kind: w.kind,
                            detail: w.detail,
                            ..place.clone()
                        })
                        .collect();
                    let list = match forced_list {
                        Some(l) => l.clone(),
                        None => ListName::for_message(msg.list_id.as_deref(), fallback_list),
                    };
                    let zraw = packer.pack(&raw);
                    // One segmentation feeds both: the index document's diff
                    // files say whether the message carries a diff.
                    let doc = IndexDoc::from_message(&msg);
                    let has_diff = !doc.diff_files.is_empty() || !msg.patches.is_empty();
                    let incoming = Incoming {
                        facts: crate::series::facts(&msg, has_diff),
                        doc,
                        sha256: Sha256::digest(&raw).into(),
                        fingerprint: store::fingerprint(&msg),
                        size: raw.len(),
                        zraw,
                        message: *msg,
                        list,
                    };
                    (
                        seq,
                        Done::Message {
                            incoming: Box::new(incoming),
                            warnings,
                            place,
                        },
                    )
                }
            }
        }
    }
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

/// Indexes the rows the store changed after sequence `since` (at most
/// about `limit` of them), except the rows in `skip` (already indexed with
/// their latest content). Reads each message's canonical copy from the
/// store and parses it on every core. Returns the number of rows indexed
/// and the sequence reached: commit the index with that, not with the
/// store's maximum, which a concurrent importer may have moved on.
pub fn sync_index(
    store: &Store,
    writer: &mut IndexWriter<'_>,
    since: i64,
    skip: &std::collections::HashSet<i64>,
    limit: usize,
) -> Result<(u64, i64)> {
    let mut seq = since;
    let mut count = 0;
    let mut seen = 0;
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    while seen < limit {
        let batch = store.changed_since(seq, 512.min(limit - seen))?;
        seen += batch.len();
        let Some(&(_, last)) = batch.last() else {
            break;
        };
        seq = last;
        let mut raws = Vec::with_capacity(batch.len());
        for (row, _) in batch.into_iter().filter(|(row, _)| !skip.contains(row)) {
            raws.push((row, store.canonical_raw(row)?, store.lists_of(row)?));
        }
        let chunk = raws.len().div_ceil(workers).max(1);
        let docs: Vec<Option<IndexDoc>> = std::thread::scope(|scope| {
            let handles: Vec<_> = raws
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(|(_, raw, _)| match message::parse(raw) {
                                ParseOutcome::Message(m, _) => Some(IndexDoc::from_message(&m)),
                                ParseOutcome::NotAMessage(_) => None,
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        });
        for ((row, _, lists), doc) in raws.iter().zip(docs) {
            if let Some(doc) = doc {
                writer.upsert(*row, &doc, lists, true)?;
                count += 1;
            }
        }
    }
    Ok((count, seq))
}

/// How many changed rows a follower indexes per index commit by default: a
/// node killed while catching up keeps what it committed and resumes there.
pub const FOLLOW_CHUNK: usize = 5_000;

/// Brings a node's index up to the store it follows, committing every
/// `chunk` rows (see [`FOLLOW_CHUNK`]), and returns the rows indexed. Takes
/// the data dir's lock for each chunk only, so an importer on this node can
/// take it between chunks; if the lock is busy (an import is indexing
/// itself), does nothing.
/// Used by `whosaid serve` on a shared store; idempotent, so a node killed
/// at any point converges when it runs again.
pub fn follow(store: &Store, index: &Index, data_dir: &Path, chunk: usize) -> Result<u64> {
    let mut total = 0;
    loop {
        let since = index.indexed_seq()?;
        if since >= store.max_index_seq()? {
            return Ok(total);
        }
        let lock = match lock_data_dir(data_dir) {
            Ok(lock) => lock,
            Err(Error::Locked(_)) => return Ok(total),
            Err(e) => return Err(e),
        };
        let since = index.indexed_seq()?;
        let mut writer = index.writer()?;
        let (n, reached) = sync_index(
            store,
            &mut writer,
            since,
            &std::collections::HashSet::new(),
            chunk,
        )?;
        crate::failpoint("follow-commit");
        writer.commit(reached)?;
        drop(lock);
        total += n;
        // Lets an importer waiting for the lock in (lock_data_dir_waiting).
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Rebuilds the search index from the store (`whosaid reindex`).
pub fn reindex(store: &Store, index: &Index) -> Result<u64> {
    let mut writer = index.writer()?;
    writer.clear()?;
    let (count, reached) = sync_index(
        store,
        &mut writer,
        0,
        &std::collections::HashSet::new(),
        usize::MAX,
    )?;
    writer.commit(reached)?;
    Ok(count)
}

/// Returns the heap the index writer freed to the system before the
/// threading pass allocates its own: glibc keeps freed memory in its arenas,
/// and without this the two peaks added up (anonymous peak of a 16x-corpus
/// import 426 MiB).
fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free pages of glibc's own heap; it
    // has no preconditions and touches no memory the program holds.
    unsafe {
        libc::malloc_trim(0);
    }
}
