//! The reader, the parse workers and the writer, joined by bounded channels.

use super::*;

/// Work for the parse workers.
pub(super) enum Job {
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
        /// What the index will hold (the store never reads it).
        doc: Box<IndexDoc>,
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
        let mut sink = Sink::new(store, index.writer()?, config, std::mem::take(&mut report))?;
        let mut pending: BTreeMap<u64, Done> = BTreeMap::new();
        let mut next = 0u64;
        let mut last_progress = Instant::now();
        for (seq, done) in done_rx.iter() {
            pending.insert(seq, done);
            while let Some(done) = pending.remove(&next) {
                next += 1;
                let _ = permit_tx.send(());
                sink.take(done); // after a failure only drains, so the other threads finish
            }
            if last_progress.elapsed() >= Duration::from_millis(100) {
                last_progress = Instant::now();
                on_progress(Progress {
                    messages: sink.report.read,
                    bytes: bytes_read.load(Ordering::Relaxed),
                    total_bytes,
                });
            }
        }
        let (done, mut index_writer, indexed_inline) = sink.finish()?;
        report = done;
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
                            doc: Box::new(doc),
                            warnings,
                            place,
                        },
                    )
                }
            }
        }
    }
}

/// The writer's side of the pipeline: stores each parsed message in input
/// order, indexes what changed, commits a batch every
/// [`ImportConfig::batch`] messages or [`ImportConfig::batch_time`], and
/// counts what happened into the report. After the first failure it only
/// drains (so the reader and workers can finish) and [`Sink::finish`]
/// returns the failure.
struct Sink<'a> {
    store: &'a Store,
    config: &'a ImportConfig,
    report: ImportReport,
    writer: Option<store::Writer<'a>>,
    index_writer: IndexWriter<'a>,
    /// Rows indexed as they were stored (the catch-up skips them).
    indexed_inline: std::collections::HashSet<i64>,
    in_batch: usize,
    batch_started: Instant,
    result: Result<()>,
}

impl<'a> Sink<'a> {
    fn new(
        store: &'a Store,
        index_writer: IndexWriter<'a>,
        config: &'a ImportConfig,
        report: ImportReport,
    ) -> Result<Sink<'a>> {
        Ok(Sink {
            writer: Some(store.writer()?),
            store,
            config,
            report,
            index_writer,
            indexed_inline: std::collections::HashSet::new(),
            in_batch: 0,
            batch_started: Instant::now(),
            result: Ok(()),
        })
    }

    /// Takes the next item in input order.
    fn take(&mut self, done: Done) {
        if self.result.is_err() || self.writer.is_none() {
            return;
        }
        match done {
            Done::Warning { warning, loss } => {
                if loss {
                    self.report.not_stored += 1;
                }
                self.report.warnings.push(warning);
            }
            Done::Message {
                incoming,
                doc,
                warnings,
                place,
            } => {
                self.report.read += 1;
                if let Err(e) = self.store_message(&incoming, &doc, warnings, place) {
                    self.result = Err(e);
                    return;
                }
                self.in_batch += 1;
            }
        }
        self.commit_when_due();
    }

    /// Puts one message and counts what the store did with it.
    fn store_message(
        &mut self,
        incoming: &Incoming,
        doc: &IndexDoc,
        warnings: Vec<ImportWarning>,
        place: ImportWarning,
    ) -> Result<()> {
        let w = self.writer.as_mut().expect("a writer while no failure");
        let put = w.put(incoming)?;
        crate::failpoint("put");
        let report = &mut self.report;
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
                    detail: "this Message-ID already names other content; both are kept".into(),
                    ..place
                });
            }
            // Warnings were reported when the message was first stored.
            PutOutcome::NewCopy => report.new_copies += 1,
            PutOutcome::Duplicate => report.duplicates += 1,
        }
        if put.changed {
            self.index_put(&put, incoming, doc)?;
        }
        Ok(())
    }

    /// Indexes a stored message whose canonical copy changed; a copy that
    /// is not the canonical one is left to the catch-up, which reads the
    /// canonical one.
    fn index_put(&mut self, put: &store::Put, incoming: &Incoming, doc: &IndexDoc) -> Result<()> {
        if !put.canonical {
            self.indexed_inline.remove(&put.row);
            return Ok(());
        }
        let replace = !matches!(put.outcome, PutOutcome::New | PutOutcome::ReusedId);
        // A new row is in its one list (its list row is deferred: see
        // store::Writer).
        let lists = if replace {
            self.store.lists_of(put.row)?
        } else {
            vec![incoming.list.name.clone()]
        };
        self.index_writer.upsert(put.row, doc, &lists, replace)?;
        self.indexed_inline.insert(put.row);
        self.report.indexed += 1;
        Ok(())
    }

    /// Commits the open batch when it is big or old enough, and opens the next.
    fn commit_when_due(&mut self) {
        if self.result.is_err()
            || (self.in_batch < self.config.batch
                && self.batch_started.elapsed() < self.config.batch_time)
        {
            return;
        }
        if let Some(w) = self.writer.take() {
            self.result = w.commit();
            crate::failpoint("store-commit");
        }
        if self.result.is_ok() {
            match self.store.writer() {
                Ok(w) => self.writer = Some(w),
                Err(e) => self.result = Err(e),
            }
        }
        self.in_batch = 0;
        self.batch_started = Instant::now();
    }

    /// Commits the last batch; the report, the index writer and the rows
    /// it indexed inline go on to the catch-up.
    fn finish(
        self,
    ) -> Result<(
        ImportReport,
        IndexWriter<'a>,
        std::collections::HashSet<i64>,
    )> {
        self.result?;
        if let Some(w) = self.writer {
            w.commit()?;
            crate::failpoint("store-commit");
        }
        Ok((self.report, self.index_writer, self.indexed_inline))
    }
}
