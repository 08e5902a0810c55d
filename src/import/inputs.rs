//! What the user named, opened and split into raw messages for the workers.

use super::*;

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
pub(super) fn maybe_gunzip<'a, R: Read + Send + 'a>(
    input: R,
) -> io::Result<Box<dyn Read + Send + 'a>> {
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

/// The reader thread: opens each input and feeds the workers. Returns the
/// inputs that could not be opened or read to the end.
pub(super) fn read_inputs(
    inputs: &[Input],
    split: &mbox::SplitConfig,
    jobs: &channel::Sender<Job>,
    permits: &channel::Receiver<()>,
    bytes_read: &Arc<AtomicU64>,
) -> Vec<String> {
    let mut feeder = Feeder {
        split,
        jobs,
        permits,
        bytes_read,
        seq: 0,
        failed: Vec::new(),
    };
    for (index, input) in inputs.iter().enumerate() {
        let open = match input {
            Input::Maildir(dir) => feeder.maildir(index, dir),
            Input::Mbox(_) | Input::Stdin => feeder.mbox(index, input),
        };
        if !open {
            break;
        }
    }
    feeder.failed
}

/// The reader's side of the pipeline: numbers what it reads and hands it
/// to the workers as permits come back. Each method returns false once the
/// workers stopped taking jobs (the import failed).
struct Feeder<'a> {
    split: &'a mbox::SplitConfig,
    jobs: &'a channel::Sender<Job>,
    permits: &'a channel::Receiver<()>,
    bytes_read: &'a Arc<AtomicU64>,
    seq: u64,
    /// Inputs that could not be opened or read to the end.
    failed: Vec<String>,
}

impl Feeder<'_> {
    fn send(&mut self, job_of: impl FnOnce(u64) -> Job) -> bool {
        if self.permits.recv().is_err() {
            return false;
        }
        let job = job_of(self.seq);
        self.seq += 1;
        self.jobs.send(job).is_ok()
    }

    fn warn(&mut self, warning: ImportWarning, loss: bool) -> bool {
        self.send(|seq| Job::Warning { seq, warning, loss })
    }

    /// An mbox file or standard input, gunzipped if need be, split.
    fn mbox(&mut self, index: usize, input: &Input) -> bool {
        let name: Arc<str> = input.display().into();
        let stream: Box<dyn Read + Send> = match input {
            Input::Mbox(path) => match File::open(path) {
                Ok(f) => Box::new(f),
                Err(e) => {
                    self.failed.push(format!("{}: {e}", path.display()));
                    return true;
                }
            },
            _ => Box::new(io::stdin()),
        };
        let counted = CountingReader {
            inner: stream,
            count: self.bytes_read.clone(),
        };
        let stream = match maybe_gunzip(counted) {
            Ok(s) => s,
            Err(e) => {
                self.failed.push(format!("{name}: {e}"));
                return true;
            }
        };
        let mut last_offset = 0;
        let mut items = 0u64;
        for item in MboxReader::with_config(stream, self.split.clone()) {
            items += 1;
            let open = match item {
                Ok(mbox::Item::Message(m)) => {
                    last_offset = m.offset;
                    self.send(|seq| Job::Message {
                        seq,
                        input: index,
                        offset: m.offset,
                        file: None,
                        raw: m.bytes,
                    })
                }
                Ok(mbox::Item::Skipped {
                    offset,
                    len,
                    reason,
                }) => {
                    let warning = skipped(&name, offset, len, reason, self.split);
                    self.warn(warning, true)
                }
                Err(e) => {
                    let warning = ImportWarning {
                        kind: WarningKind::ReadError,
                        file: name.to_string(),
                        offset: last_offset,
                        message_id: None,
                        detail: format!("{e}; the rest of this input was not read"),
                    };
                    self.failed.push(format!("{name}: {e}"));
                    return self.warn(warning, true);
                }
            };
            if !open {
                return false;
            }
        }
        if items == 0 {
            let warning = ImportWarning {
                kind: WarningKind::EmptyInput,
                file: name.to_string(),
                offset: 0,
                message_id: None,
                detail: "empty input: no messages in it (zero bytes or only blank lines)".into(),
            };
            return self.warn(warning, false);
        }
        true
    }

    /// A Maildir: each message file, in name order.
    fn maildir(&mut self, index: usize, dir: &Path) -> bool {
        for file in maildir_files(dir) {
            let bytes = match std::fs::read(&file) {
                Ok(b) => b,
                Err(e) => {
                    self.failed.push(format!("{}: {e}", file.display()));
                    continue;
                }
            };
            self.bytes_read
                .fetch_add(bytes.len() as u64, Ordering::Relaxed);
            let file_name: Arc<str> = file.display().to_string().into();
            let open = self.send(|seq| Job::Message {
                seq,
                input: index,
                offset: 0,
                file: Some(file_name),
                raw: bytes,
            });
            if !open {
                return false;
            }
        }
        true
    }
}

/// The warning for a stretch of an mbox the splitter skipped.
fn skipped(
    name: &str,
    offset: u64,
    len: u64,
    reason: SkipReason,
    split: &mbox::SplitConfig,
) -> ImportWarning {
    let (kind, detail) = match reason {
        SkipReason::NotMbox => (
            WarningKind::NotMbox,
            format!("{len} bytes that are neither an mbox From_ line nor a mail header; skipped"),
        ),
        SkipReason::TooLarge => (
            WarningKind::TooLarge,
            format!(
                "a message of {len} bytes, over the {} byte limit; skipped",
                split.max_message_bytes
            ),
        ),
    };
    ImportWarning {
        kind,
        file: name.to_string(),
        offset,
        message_id: None,
        detail,
    }
}

/// The message files of a Maildir, in name order.
pub(super) fn maildir_files(dir: &Path) -> Vec<PathBuf> {
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
