//! The command line: the only module that knows argv and exit codes.
//!
//! Exit codes: 0 success, 1 nothing found, 2 error.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::archive::{Archive, IndexCatchUp, Review};
use crate::import::{self, ImportConfig, ImportReport};
use crate::index::{Index, SearchOptions, Sort};
use crate::links;
use crate::message::WarningKind;
use crate::report;
use crate::store::Store;
use crate::store::ThreadView;

mod commands;

use commands::*;

/// whosaid: who said what in mailing-list review.
#[derive(Debug, Parser)]
#[command(name = "whosaid", version, about)]
pub struct Args {
    /// Data dir holding the store and index.
    #[arg(
        long,
        global = true,
        env = "WHOSAID_DATA",
        default_value = "whosaid-data"
    )]
    pub data: PathBuf,
    /// The data dir was named (`--data` or `$WHOSAID_DATA`), not defaulted.
    #[arg(skip)]
    pub data_named: bool,
    /// The store: `sqlite` (the data dir's own file, the default) or a
    /// PostgreSQL URL shared by several nodes (postgres://user@host/db).
    /// Recorded in DIR/store.conf the first time; later runs need not repeat it.
    #[arg(long, global = true, env = "WHOSAID_STORE", value_name = "URL")]
    pub store: Option<String>,
    /// A git-format .mailmap joining people's addresses (default: DIR/.mailmap if present).
    #[arg(long, global = true)]
    pub mailmap: Option<PathBuf>,
    /// A kernel-style MAINTAINERS file (default: DIR/MAINTAINERS if present).
    #[arg(long, global = true)]
    pub maintainers: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import mbox files (mboxrd, mboxo, mboxcl2, .gz), Maildir folders, or - for stdin.
    Import {
        /// Put every message in this list (default: from List-Id, else the file name).
        #[arg(long)]
        list: Option<String>,
        /// List every warning instead of the first few of each kind.
        #[arg(long, short)]
        verbose: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Messages per transaction (for crash tests and tuning).
        #[arg(long, hide = true, default_value_t = 2000)]
        batch: usize,
        /// Inputs.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Messages, lists, threads, people, dates and size of the archive.
    Stats {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The whole thread that contains MSGID: a tree on a terminal, or JSON.
    Thread {
        /// Print JSON (see the interface spec).
        #[arg(long)]
        json: bool,
        /// Message-ID, with or without <>, or a lore/whosaid URL.
        msgid: String,
    },
    /// Where commits of a git repository were posted: each commit's
    /// posting on the list (by Link:, patch-id, subject and author, or
    /// subject), how it was found and how sure that is.
    Commits {
        /// The git repository.
        #[arg(long)]
        repo: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Commits: a range (v6.1..v6.2), hashes, or git log options such
        /// as --since=2024-01-01; HEAD's history when none.
        #[arg(allow_hyphen_values = true)]
        revs: Vec<String>,
    },
    /// The patch series that MSGID belongs to, with all its known versions.
    Series {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Message-ID of a cover letter, a patch or a reply.
        msgid: String,
    },
    /// Full-text search in lore's query language (see `whosaid search --help`).
    #[command(after_help = query_help())]
    Search {
        /// Print JSON (see the interface spec).
        #[arg(long)]
        json: bool,
        /// Hits to show.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Hits to skip (for paging).
        #[arg(long, default_value_t = 0)]
        offset: usize,
        /// Order: newest first, or best match first.
        #[arg(long, value_enum, default_value_t = SortArg::Date)]
        sort: SortArg,
        /// Show each thread once, with how many of its messages match.
        #[arg(long)]
        threads: bool,
        /// The query; several words are joined.
        #[arg(required = true)]
        query: Vec<String>,
    },
    /// The changelog block for a patch: Link:, collected trailers, open objections.
    Trailers {
        /// Base URL of the archive for the Link: trailer.
        #[arg(
            long,
            env = "WHOSAID_BASE_URL",
            default_value = "https://lore.kernel.org"
        )]
        base_url: String,
        /// Message-ID of the patch (or of its cover letter, or a reply to it).
        msgid: String,
    },
    /// Who said what: per person, positions and statements in the threads matching QUERY.
    Who {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Threads to read at most (newest first).
        #[arg(long, default_value_t = 50)]
        threads: usize,
        /// A query, e.g. dfn:mm/hmm.c or s:mm/hmm.
        #[arg(required = true)]
        query: Vec<String>,
    },
    /// Serve the web UI and JSON API (imports the built-in samples into an empty default data dir).
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// This archive's address for Link: lines and feeds (default: the
        /// address each request was made to).
        #[arg(long, env = "WHOSAID_BASE_URL")]
        base_url: Option<String>,
        /// Rows a node following a shared store indexes per index commit.
        #[arg(long, hide = true, default_value_t = import::FOLLOW_CHUNK)]
        follow_chunk: usize,
        /// A git repository: commit pages (/c/SHA) and "applied as" on
        /// thread pages, from its HEAD's history (read once at start).
        #[arg(long)]
        repo: Option<PathBuf>,
    },
    /// Rebuild the search index from the store.
    Reindex,
    /// Check every stored message against its checksum.
    Fsck,
}

/// `--sort` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SortArg {
    /// Newest first.
    Date,
    /// Best match first.
    Relevance,
}

fn query_help() -> String {
    let mut out = String::from(
        "Query language (as on lore):\n  bare words search subject, sender and body\n",
    );
    for (prefix, _, what) in crate::query::PREFIXES {
        out += &format!("  {:<6} {what}\n", format!("{prefix}:"));
    }
    out +=
        "  \"a phrase\", AND, OR, NOT, -word, (groups), kern* (a prefix of at least 2 letters)\n";
    out += "Examples: nq:\"fail to see\" f:dan   dfn:mm/hmm.c tr:reviewed-by   s:kbuild d:2021-01-01..2021-12-31";
    out
}

/// Runs the command line and returns the exit code.
pub fn main() -> ExitCode {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Args::command().get_matches();
    let mut args = match Args::from_arg_matches(&matches) {
        Ok(a) => a,
        Err(e) => e.exit(),
    };
    args.data_named = matches.value_source("data") != Some(clap::parser::ValueSource::DefaultValue);
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("whosaid: error: {e:#}");
            if let Some(hint) = hint_for(&e) {
                eprintln!("whosaid: {hint}");
            }
            ExitCode::from(2)
        }
    }
}

/// What to do about the failures an operator can fix: a full disk, a
/// read-only file system.
fn hint_for(e: &anyhow::Error) -> Option<&'static str> {
    use std::io::ErrorKind;
    enum Cause {
        Full,
        ReadOnly,
    }
    let of_io = |kind: ErrorKind| match kind {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => Some(Cause::Full),
        ErrorKind::ReadOnlyFilesystem => Some(Cause::ReadOnly),
        _ => None,
    };
    let cause = e.chain().find_map(|err| {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return of_io(io.kind());
        }
        match err.downcast_ref::<crate::error::Error>()? {
            crate::error::Error::Io { cause, .. } => of_io(cause.kind()),
            crate::error::Error::Store { cause, .. } if cause.is_disk_full() => Some(Cause::Full),
            crate::error::Error::Store { cause, .. } if cause.is_read_only() => {
                Some(Cause::ReadOnly)
            }
            crate::error::Error::Index { cause, .. } => cause.io_kind().and_then(of_io),
            _ => None,
        }
    })?;
    Some(match cause {
        Cause::Full => {
            "the disk is full: free space and run the same import again; every batch \
             committed before the error is kept, and the import resumes without duplicates"
        }
        Cause::ReadOnly => {
            "the data dir is on a read-only file system: imports write to it, and so does \
             reading (SQLite keeps a shared-memory file beside the store); mount it \
             read-write, or copy it elsewhere"
        }
    })
}

/// The mailmap and MAINTAINERS the consensus engine reads: named by
/// `--mailmap`/`--maintainers`, else found in the data dir.
struct ReviewFiles;

impl ReviewFiles {
    fn load(args: &Args) -> anyhow::Result<Review> {
        let pick = |given: &Option<PathBuf>, default: &str| -> Option<PathBuf> {
            given
                .clone()
                .or_else(|| Some(args.data.join(default)).filter(|p| p.is_file()))
        };
        let read = |p: &PathBuf| {
            std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))
        };
        let mailmap = match pick(&args.mailmap, ".mailmap") {
            Some(p) => {
                let (map, bad) = crate::mailmap::Mailmap::parse(&read(&p)?);
                for line in bad {
                    eprintln!(
                        "note: {}: line {line} is not a mailmap entry; skipped",
                        p.display()
                    );
                }
                Some(map)
            }
            None => None,
        };
        let maintainers = match pick(&args.maintainers, "MAINTAINERS") {
            Some(p) => Some(crate::maintainers::Maintainers::parse(&read(&p)?)),
            None => None,
        };
        Ok(Review {
            mailmap,
            maintainers,
        })
    }
}

/// Runs parsed arguments.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(store) = &args.store {
        crate::store::config::configure(&args.data, store)?;
    }
    let files = match &args.command {
        Command::Thread { .. }
        | Command::Series { .. }
        | Command::Trailers { .. }
        | Command::Who { .. } => ReviewFiles::load(&args)?,
        _ => Review::default(),
    };
    let serve_files = match &args.command {
        Command::Serve { .. } => Some(ReviewFiles::load(&args)?),
        _ => None,
    };
    match args.command {
        Command::Import {
            list,
            verbose,
            json,
            batch,
            paths,
        } => {
            let config = ImportConfig {
                list,
                batch: batch.max(1),
                ..ImportConfig::default()
            };
            cmd_import(&args.data, config, verbose, json, &paths)
        }
        Command::Stats { json } => cmd_stats(&args.data, json),
        Command::Thread { json, msgid } => cmd_thread(&args.data, files, json, &msgid),
        Command::Search {
            json,
            limit,
            offset,
            sort,
            threads,
            query,
        } => {
            let sort = if sort == SortArg::Relevance {
                Sort::Relevance
            } else {
                Sort::Date
            };
            cmd_search(
                &args.data,
                json,
                SearchOptions {
                    limit,
                    offset,
                    sort,
                    snippets: true,
                },
                threads,
                &query.join(" "),
            )
        }
        Command::Reindex => cmd_reindex(&args.data),
        Command::Trailers { base_url, msgid } => cmd_trailers(&args.data, files, &base_url, &msgid),
        Command::Commits { repo, json, revs } => cmd_commits(&args.data, &repo, json, &revs),
        Command::Who {
            json,
            threads,
            query,
        } => cmd_who(&args.data, files, json, threads, &query.join(" ")),
        Command::Series { json, msgid } => cmd_series(&args.data, files, json, &msgid),
        Command::Fsck => cmd_fsck(&args.data),
        Command::Serve {
            addr,
            base_url,
            follow_chunk,
            repo,
        } => {
            let files = serve_files.expect("loaded for serve");
            let serve = Serve {
                addr,
                base_url,
                follow_chunk: follow_chunk.max(1),
                repo,
            };
            cmd_serve(&args.data, args.data_named, files, serve)
        }
    }
}

/// The archive in `data`, caught up with an interrupted import's threading.
fn open_archive(data: &std::path::Path) -> anyhow::Result<Archive> {
    Archive::open(data).with_context(|| cannot_open(data))
}

/// The store in `data` as it is.
fn open_store_only(data: &std::path::Path) -> anyhow::Result<Archive> {
    Archive::open_store_only(data).with_context(|| cannot_open(data))
}

/// The archive with its search index, both caught up; says so when an
/// import is running and the results may miss its newest mail.
fn open_searchable(data: &std::path::Path) -> anyhow::Result<Archive> {
    let (archive, caught) = Archive::open_searchable(data).with_context(|| cannot_open(data))?;
    say_catch_up(caught);
    Ok(archive)
}

fn say_catch_up(caught: IndexCatchUp) {
    if let IndexCatchUp::ImportRunning { behind } = caught {
        eprintln!("note: an import is running; results may miss its newest {behind} changes");
    }
}

fn cannot_open(data: &std::path::Path) -> String {
    format!(
        "cannot open the archive in {} (choose another with --data or WHOSAID_DATA)",
        data.display()
    )
}

/// Standard output for text meant to be read: see [`Visible`].
fn visible_stdout() -> Visible<std::io::StdoutLock<'static>> {
    Visible(std::io::stdout().lock())
}

/// Writes text with the characters a message could use against a terminal
/// made visible: control characters as `^[` (ESC), `^M` and so on (tab and
/// newline pass), C1 controls and the invisible direction and zero-width
/// characters (`message::headers::is_invisible`) as `[U+202E]`, as the web
/// shows them. A subject cannot move the cursor, retitle the window or
/// reorder the line it is on. JSON output escapes them itself.
struct Visible<W>(W);

impl<W: std::io::Write> std::io::Write for Visible<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let shown = |c: char| -> Option<String> {
            match c {
                '\n' | '\t' => None,
                '\u{7f}' => Some("^?".into()),
                c if (c as u32) < 0x20 => Some(format!("^{}", char::from(c as u8 + 0x40))),
                c if ('\u{80}'..='\u{9f}').contains(&c)
                    || crate::message::headers::is_invisible(c) =>
                {
                    Some(crate::message::headers::visible_form(c))
                }
                _ => None,
            }
        };
        match std::str::from_utf8(buf) {
            Ok(text) if !text.chars().any(|c| shown(c).is_some()) => self.0.write_all(buf)?,
            Ok(text) => {
                let mut out = String::with_capacity(text.len() + 16);
                for c in text.chars() {
                    match shown(c) {
                        Some(s) => out.push_str(&s),
                        None => out.push(c),
                    }
                }
                self.0.write_all(out.as_bytes())?;
            }
            // Formatted text is UTF-8; anything else passes byte by byte.
            Err(_) => {
                for &b in buf {
                    match b {
                        b'\n' | b'\t' => self.0.write_all(&[b])?,
                        0..0x20 => self.0.write_all(&[b'^', b + 0x40])?,
                        0x7f => self.0.write_all(b"^?")?,
                        _ => self.0.write_all(&[b])?,
                    }
                }
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}
