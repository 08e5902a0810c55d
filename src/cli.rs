//! The command line: the only module that knows argv and exit codes.
//!
//! Exit codes: 0 success, 1 nothing found, 2 error.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::import::{self, ImportConfig, ImportReport};
use crate::index::{Index, SearchOptions, Sort};
use crate::links;
use crate::message::WarningKind;
use crate::report;
use crate::store::Store;
use crate::store::ThreadView;

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
            crate::error::Error::Index { detail, .. } => {
                if detail.contains("No space left") {
                    Some(Cause::Full)
                } else if detail.contains("Read-only file system") {
                    Some(Cause::ReadOnly)
                } else {
                    None
                }
            }
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

/// The mailmap and MAINTAINERS the consensus engine reads.
struct ReviewFiles {
    mailmap: Option<crate::mailmap::Mailmap>,
    maintainers: Option<crate::maintainers::Maintainers>,
}

impl ReviewFiles {
    fn load(args: &Args) -> anyhow::Result<ReviewFiles> {
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
        Ok(ReviewFiles {
            mailmap,
            maintainers,
        })
    }

    fn context(&self) -> crate::consensus::Context<'_> {
        crate::consensus::Context {
            mailmap: self.mailmap.as_ref(),
            maintainers: self.maintainers.as_ref(),
        }
    }
}

/// Runs parsed arguments.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(store) = &args.store {
        crate::store::config::configure(&args.data, store)?;
    }
    let files = match &args.command {
        Command::Thread { .. } | Command::Trailers { .. } | Command::Who { .. } => {
            ReviewFiles::load(&args)?
        }
        _ => ReviewFiles {
            mailmap: None,
            maintainers: None,
        },
    };
    let files = &files;
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
        Command::Who {
            json,
            threads,
            query,
        } => cmd_who(&args.data, files, json, threads, &query.join(" ")),
        Command::Series { json, msgid } => cmd_series(&args.data, json, &msgid),
        Command::Fsck => cmd_fsck(&args.data),
        Command::Serve {
            addr,
            base_url,
            follow_chunk,
        } => {
            let files = serve_files.expect("loaded for serve");
            let serve = Serve {
                addr,
                base_url,
                follow_chunk: follow_chunk.max(1),
            };
            cmd_serve(&args.data, args.data_named, files, serve)
        }
    }
}

/// The sample archive, built into the binary so `serve` works anywhere.
const SAMPLES: [(&str, &[u8]); 2] = [
    (
        "linux-mm-hmm-users.mbox",
        include_bytes!("../sample-mboxes/linux-mm-hmm-users.mbox"),
    ),
    (
        "linux-kbuild-modpost-series.mbox",
        include_bytes!("../sample-mboxes/linux-kbuild-modpost-series.mbox"),
    ),
];

/// `whosaid serve`'s options.
struct Serve {
    addr: std::net::SocketAddr,
    base_url: Option<String>,
    follow_chunk: usize,
}

fn cmd_serve(
    data: &std::path::Path,
    data_named: bool,
    files: ReviewFiles,
    serve: Serve,
) -> anyhow::Result<ExitCode> {
    let Serve {
        addr,
        base_url,
        follow_chunk,
    } = serve;
    let store = open_store(data)?;
    let empty = store.message_count()? == 0;
    let shared = store.is_postgres();
    if empty && !data_named {
        // Write the built-in samples next to the store, import, remove.
        let dir = data.join(".samples");
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let mut paths = Vec::new();
        for (name, bytes) in SAMPLES {
            let p = dir.join(name);
            std::fs::write(&p, bytes).with_context(|| format!("cannot write {}", p.display()))?;
            paths.push(p);
        }
        eprintln!(
            "whosaid: {} is empty; importing the built-in sample archive first",
            data.display()
        );
        cmd_import(data, ImportConfig::default(), false, false, &paths)?;
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        catch_up_threading(&store)?;
        // On a shared store the index follows it from a thread of its own
        // (below): a new node serves its thread pages at once and its
        // search results as the index fills.
        if !shared {
            let index = Index::open_for_writing(data)
                .with_context(|| format!("cannot open the search index in {}", data.display()))?;
            catch_up_index(data, &store, &index)?;
        }
    }
    drop(store);
    if shared {
        let index = Index::open_for_writing(data)
            .with_context(|| format!("cannot open the search index in {}", data.display()))?;
        let dir = data.to_path_buf();
        std::thread::Builder::new()
            .name("follow".into())
            .spawn(move || follow_store(&index, &dir, follow_chunk))
            .context("cannot start the index follower")?;
    }
    let state = crate::web::AppState::open(crate::web::Config {
        data: data.to_path_buf(),
        base_url,
        mailmap: files.mailmap,
        maintainers: files.maintainers,
    })
    .with_context(|| format!("cannot open the archive in {}", data.display()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    eprintln!("whosaid: serving {} at http://{addr}/", data.display());
    runtime
        .block_on(crate::web::serve(std::sync::Arc::new(state), addr))
        .with_context(|| format!("cannot serve on {addr}"))?;
    Ok(ExitCode::SUCCESS)
}

/// Keeps this node's index up to the shared store for as long as the
/// server runs: on every importer commit (PostgreSQL's NOTIFY), and every
/// [`FOLLOW_POLL`] in case a notification was missed (a dropped connection,
/// a replica that does not forward them).
fn follow_store(index: &Index, data: &std::path::Path, chunk: usize) {
    let mut store: Option<Store> = None;
    loop {
        // (Re)connects after an error: the server may have restarted.
        let s = match store.take().map_or_else(|| Store::open(data), Ok) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("whosaid: following the store: {e}; retrying");
                std::thread::sleep(FOLLOW_POLL);
                continue;
            }
        };
        match import::follow(&s, index, data, chunk) {
            Ok(0) => {}
            Ok(n) => eprintln!("whosaid: the index took {n} changes from the store"),
            Err(e) => {
                eprintln!("whosaid: following the store: {e}; retrying");
                std::thread::sleep(FOLLOW_POLL);
                continue;
            }
        }
        match s.wait_for_changes(FOLLOW_POLL) {
            Ok(_) => store = Some(s),
            Err(e) => eprintln!("whosaid: waiting for store changes: {e}; reconnecting"),
        }
    }
}

/// How often a follower looks for store changes without a notification.
const FOLLOW_POLL: std::time::Duration = std::time::Duration::from_secs(2);

fn open_index(data: &std::path::Path) -> anyhow::Result<Index> {
    Index::open(data).with_context(|| format!("cannot open the search index in {}", data.display()))
}

fn open_store(data: &std::path::Path) -> anyhow::Result<Store> {
    Store::open(data).with_context(|| {
        format!(
            "cannot open the archive in {} (choose another with --data or WHOSAID_DATA)",
            data.display()
        )
    })
}

fn cmd_import(
    data: &std::path::Path,
    config: ImportConfig,
    verbose: bool,
    json: bool,
    paths: &[PathBuf],
) -> anyhow::Result<ExitCode> {
    let mut store = open_store(data)?;
    // On a shared store, a server on this data dir follows the store and
    // takes the data dir's lock for moments at a time: wait for it.
    let _lock = if store.is_postgres() {
        import::lock_data_dir_waiting(data, std::time::Duration::from_secs(60))?
    } else {
        import::lock_data_dir(data)?
    };
    let index = Index::open_for_writing(data)
        .with_context(|| format!("cannot open the search index in {}", data.display()))?;
    let (inputs, mut expand_report) = import::expand_paths(paths);
    let started = Instant::now();
    let bar = progress_bar();
    let result = import::import(&mut store, &index, &inputs, &config, |p| {
        if let Some(bar) = &bar {
            if let Some(total) = p.total_bytes {
                bar.set_length(total);
            }
            bar.set_position(p.bytes);
            bar.set_message(format!("{} messages", p.messages));
        }
    });
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let mut report = result.context("import stopped; everything committed before this error is kept, and importing again resumes without duplicates")?;
    report
        .failed_inputs
        .splice(0..0, expand_report.failed_inputs.drain(..));
    report.skipped_files = expand_report.skipped_files;
    let elapsed = started.elapsed().as_secs_f64();
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report, inputs.len(), elapsed, verbose);
    }
    for failed in &report.failed_inputs {
        eprintln!("whosaid: error: cannot read {failed}");
    }
    Ok(if !report.failed_inputs.is_empty() {
        ExitCode::from(2)
    } else if report.read == 0 {
        eprintln!("whosaid: no messages found in the inputs");
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn progress_bar() -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {msg:>16} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    Some(bar)
}

fn print_report(report: &ImportReport, inputs: usize, elapsed: f64, verbose: bool) {
    let mb = report.bytes as f64 / 1e6;
    let mut out = visible_stdout();
    let _ = writeln!(
        out,
        "read {} messages from {} input{} ({:.1} MB) in {:.1} s: {:.0} messages/s, {:.1} MB/s",
        report.read,
        inputs,
        if inputs == 1 { "" } else { "s" },
        mb,
        elapsed,
        report.read as f64 / elapsed.max(1e-9),
        mb / elapsed.max(1e-9)
    );
    let _ = writeln!(out, "  stored      {:>8} new messages", report.stored);
    let _ = writeln!(
        out,
        "  new copies  {:>8} (same message, other bytes: cross-posts, other headers)",
        report.new_copies
    );
    let _ = writeln!(
        out,
        "  duplicates  {:>8} (already stored)",
        report.duplicates
    );
    if report.reused_ids > 0 {
        let _ = writeln!(
            out,
            "  reused ids  {:>8} (Message-ID already used by other content; kept apart)",
            report.reused_ids
        );
    }
    let _ = writeln!(out, "  not stored  {:>8}", report.not_stored);
    let t = &report.threading;
    if t.pending > 0 {
        let _ = writeln!(
            out,
            "threaded {} new messages: rebuilt {} threads ({} messages) in {:.2} s",
            t.pending, t.threads, t.rebuilt, t.seconds
        );
    }
    if !report.skipped_files.is_empty() {
        let _ = writeln!(
            out,
            "skipped {} files that are not mail: {}",
            report.skipped_files.len(),
            report.skipped_files.join(", ")
        );
    }
    if report.warnings.is_empty() {
        return;
    }
    let mut kinds: Vec<WarningKind> = report.warnings.iter().map(|w| w.kind).collect();
    kinds.sort();
    kinds.dedup();
    let _ = writeln!(out, "warnings: {}", report.warnings.len());
    for kind in kinds {
        let of_kind: Vec<_> = report.warnings.iter().filter(|w| w.kind == kind).collect();
        let _ = writeln!(out, "  {}: {}", kind.label(), of_kind.len());
        let shown = if verbose { of_kind.len() } else { 3 };
        for w in of_kind.iter().take(shown) {
            let _ = writeln!(out, "    {w}");
        }
        if of_kind.len() > shown {
            let _ = writeln!(
                out,
                "    ... and {} more (--verbose lists them all)",
                of_kind.len() - shown
            );
        }
    }
}

fn cmd_stats(data: &std::path::Path, json: bool) -> anyhow::Result<ExitCode> {
    let store = open_store(data)?;
    catch_up_threading(&store)?;
    let stats = store.stats()?;
    if json {
        let mut value = serde_json::to_value(&stats)?;
        value["lists"] = stats
            .lists
            .iter()
            .map(|(name, n)| serde_json::json!({"name": name, "messages": n}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        let mut out = visible_stdout();
        let _ = writeln!(
            out,
            "messages  {} ({} raw copies; {} under reused Message-IDs; {} without a Message-ID)",
            stats.messages, stats.raw_copies, stats.reused_message_ids, stats.synthetic_ids
        );
        let lists: Vec<String> = stats
            .lists
            .iter()
            .map(|(l, n)| format!("{l} ({n})"))
            .collect();
        let _ = writeln!(out, "lists     {}: {}", stats.lists.len(), lists.join(", "));
        let _ = writeln!(
            out,
            "threads   {} ({} referenced messages not in the archive)",
            stats.threads, stats.ghosts
        );
        let _ = writeln!(out, "people    {}", stats.people);
        let _ = writeln!(
            out,
            "dates     {} .. {} ({} unknown)",
            stats.first_date.as_deref().unwrap_or("-"),
            stats.last_date.as_deref().unwrap_or("-"),
            stats.unknown_dates
        );
        let _ = writeln!(
            out,
            "store     {:.1} MB on disk for {:.1} MB of mail",
            stats.store_bytes as f64 / 1e6,
            stats.raw_bytes as f64 / 1e6
        );
    }
    Ok(if stats.messages == 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn cmd_fsck(data: &std::path::Path) -> anyhow::Result<ExitCode> {
    let store = open_store(data)?;
    let n = store.for_each_raw(|_, _| {})?;
    println!("{n} raw messages decompress and match their sha256");
    Ok(ExitCode::SUCCESS)
}

/// Threads messages an interrupted import left unthreaded.
fn catch_up_threading(store: &Store) -> anyhow::Result<()> {
    // A read replica cannot thread; its primary's importer will.
    if store.is_replica() || store.pending_threading()? == 0 {
        return Ok(());
    }
    // A shared store's importer threads its own messages: leave them to it.
    match store.lock_importer() {
        Ok(()) => {}
        Err(crate::error::Error::StoreLocked(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    let done = store
        .rethread()
        .map(drop)
        .context("threading messages left unthreaded by an interrupted import");
    store.unlock_importer()?;
    done
}

/// The thread containing a user-given Message-ID, read by the consensus
/// engine; None (after saying so) when the archive does not have it.
fn thread_with_positions(
    data: &std::path::Path,
    files: &ReviewFiles,
    msgid: &str,
) -> anyhow::Result<Option<(ThreadView, crate::consensus::Consensus, String)>> {
    let store = open_store(data)?;
    catch_up_threading(&store)?;
    let msgid = links::message_id_from_user(msgid);
    let Some(view) = store.thread(&msgid)? else {
        eprintln!(
            "whosaid: no message <{msgid}> in the archive {}",
            data.display()
        );
        return Ok(None);
    };
    let consensus =
        crate::consensus::analyze_with(&store.consensus_inputs(&view)?, files.context());
    Ok(Some((view, consensus, msgid)))
}

fn cmd_thread(
    data: &std::path::Path,
    files: &ReviewFiles,
    json: bool,
    msgid: &str,
) -> anyhow::Result<ExitCode> {
    let Some((view, consensus, msgid)) = thread_with_positions(data, files, msgid)? else {
        return Ok(ExitCode::from(1));
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report::thread_json(&view, &consensus))?
        );
    } else {
        print_thread(&view, &msgid);
        print_positions(&consensus);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_positions(c: &crate::consensus::Consensus) {
    let mut out = visible_stdout();
    if c.positions.is_empty() {
        return;
    }
    let _ = writeln!(out, "\npositions ({}):", c.summary());
    if !c.subsystems.is_empty() {
        let _ = writeln!(out, "  subsystems: {}", c.subsystems.join(", "));
    }
    for p in &c.positions {
        let _ = writeln!(
            out,
            "  {} <{}>  {}  {}{}",
            p.person.display(),
            p.person.email,
            p.role.as_str(),
            p.stance.as_str(),
            if p.changed {
                " (changed their mind)"
            } else {
                ""
            }
        );
        // The evidence for where they stand.
        if let Some(s) = p.evidence().or(p.signals.last()) {
            let cond = if s.conditional { " (conditional)" } else { "" };
            let _ = writeln!(
                out,
                "      {}{cond}: \"{}\" <{}>",
                s.kind.as_str(),
                s.evidence,
                s.message_id
            );
        }
        for s in p.signals.iter().filter(|s| !s.verified) {
            let _ = writeln!(
                out,
                "      unverified trailer (names {}): {}",
                s.target.as_deref().unwrap_or("?"),
                s.evidence
            );
        }
    }
}

/// The `thread --json` shape of the interface spec.
/// How deep the tree drawing indents before it shows the depth as a number.
const MAX_DRAWN_DEPTH: usize = 40;

fn print_thread(view: &ThreadView, asked: &str) {
    let mut out = visible_stdout();
    let ghosts = view.nodes.iter().filter(|n| n.ghost).count();
    let _ = writeln!(out, "thread <{}>: {}", view.root, view.subject());
    let _ = writeln!(
        out,
        "{} messages{}\n",
        view.nodes.len() - ghosts,
        if ghosts > 0 {
            format!(", {ghosts} referenced but not in the archive")
        } else {
            String::new()
        }
    );
    // Whether each node is its parent's last child in display order.
    let mut last_child = vec![true; view.nodes.len()];
    let mut seen_parent: std::collections::HashMap<Option<usize>, usize> =
        std::collections::HashMap::new();
    for &(i, _) in &view.order {
        if let Some(prev) = seen_parent.insert(view.nodes[i].parent, i) {
            last_child[prev] = false;
        }
    }
    let mut open_levels: Vec<bool> = Vec::new(); // per depth: more siblings below
    for &(i, depth) in &view.order {
        let n = &view.nodes[i];
        open_levels.truncate(depth);
        let mut prefix = String::new();
        let drawn = depth.min(MAX_DRAWN_DEPTH);
        for level in 1..drawn {
            prefix.push_str(if open_levels.get(level).copied().unwrap_or(false) {
                "│  "
            } else {
                "   "
            });
        }
        if depth > 0 {
            prefix.push_str(if last_child[i] { "└─ " } else { "├─ " });
        }
        if depth > MAX_DRAWN_DEPTH {
            prefix.push_str(&format!("[depth {depth}] "));
        }
        while open_levels.len() <= depth {
            open_levels.push(false);
        }
        open_levels[depth] = !last_child[i];
        let marker = if n.message_id == asked { "▶ " } else { "" };
        if n.ghost {
            let _ = writeln!(
                out,
                "{prefix}{marker}(not in the archive) <{}>",
                n.message_id
            );
        } else {
            let _ = writeln!(
                out,
                "{prefix}{marker}{}, {}: {} <{}>",
                n.from.display(),
                report::format_date(n.date, false),
                n.subject,
                n.message_id
            );
        }
    }
}

fn cmd_series(data: &std::path::Path, json: bool, msgid: &str) -> anyhow::Result<ExitCode> {
    let store = open_store(data)?;
    catch_up_threading(&store)?;
    let msgid = links::message_id_from_user(msgid);
    let Some(series) = store.series(&msgid)? else {
        eprintln!("whosaid: <{msgid}> is not in the archive or not part of a patch series");
        return Ok(ExitCode::from(1));
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&series)?);
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = visible_stdout();
    let _ = writeln!(out, "series: {}", series.subject);
    let _ = writeln!(
        out,
        "sender: {} <{}>",
        series.sender.display(),
        series.sender.email
    );
    if let Some(cid) = &series.change_id {
        let _ = writeln!(out, "change-id: {cid}");
    }
    for v in &series.versions {
        let date = v.cover.as_ref().or(v.patches.first()).and_then(|p| p.date);
        let _ = writeln!(
            out,
            "\nv{}  {}  {} patch{}{}  thread <{}>",
            v.version,
            report::format_date(date.map(|d| (d, 0)), false)
                .get(..10)
                .unwrap_or(""),
            v.patches.len(),
            if v.patches.len() == 1 { "" } else { "es" },
            if v.partial { " (partial re-roll)" } else { "" },
            v.thread_root
        );
        for p in v.cover.iter().chain(&v.patches) {
            let author = if p.author.email != series.sender.email && !p.author.email.is_empty() {
                format!("  (author {} <{}>)", p.author.display(), p.author.email)
            } else {
                String::new()
            };
            let _ = writeln!(out, "    {}  <{}>{author}", p.subject, p.message_id);
        }
        for line in &v.changes {
            let _ = writeln!(out, "    | {line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_reindex(data: &std::path::Path) -> anyhow::Result<ExitCode> {
    let _lock = import::lock_data_dir(data)?;
    let store = open_store(data)?;
    catch_up_threading(&store)?;
    let index = Index::open_for_writing(data)
        .with_context(|| format!("cannot open the search index in {}", data.display()))?;
    let started = Instant::now();
    let n = import::reindex(&store, &index)?;
    println!(
        "indexed {n} messages in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// Brings the index up to the store when an import was interrupted, if no
/// import is running; otherwise says the results may miss the newest mail.
fn catch_up_index(data: &std::path::Path, store: &Store, index: &Index) -> anyhow::Result<()> {
    let behind = store.max_index_seq()? - index.indexed_seq()?;
    if behind <= 0 {
        return Ok(());
    }
    match import::lock_data_dir(data) {
        Ok(_lock) => {
            let mut writer = index.writer()?;
            let (_, reached) = import::sync_index(
                store,
                &mut writer,
                index.indexed_seq()?,
                &Default::default(),
                usize::MAX,
            )?;
            writer.commit(reached)?;
        }
        Err(_) => {
            eprintln!("note: an import is running; results may miss its newest {behind} changes")
        }
    }
    Ok(())
}

/// Store and index brought up to date, and the query parsed, with the
/// parser's notes on standard error. None (after saying why) when the query
/// is refused.
fn prepare_query(
    data: &std::path::Path,
    query: &str,
) -> anyhow::Result<Option<(Store, Index, crate::query::Parsed)>> {
    let store = open_store(data)?;
    let index = open_index(data)?;
    catch_up_threading(&store)?;
    catch_up_index(data, &store, &index)?;
    match crate::query::parse(query, chrono::Utc::now().timestamp()) {
        Ok(parsed) => {
            for note in &parsed.notes {
                eprintln!("note: {note}");
            }
            Ok(Some((store, index, parsed)))
        }
        Err(e) => {
            eprintln!("whosaid: cannot search for that: {e}");
            Ok(None)
        }
    }
}

fn cmd_search(
    data: &std::path::Path,
    json: bool,
    opts: SearchOptions,
    by_thread: bool,
    query: &str,
) -> anyhow::Result<ExitCode> {
    let Some((store, index, parsed)) = prepare_query(data, query)? else {
        return Ok(ExitCode::from(2));
    };
    // For --threads, fetch more hits and keep the first of each thread.
    let fetch = if by_thread {
        SearchOptions {
            limit: (opts.limit + opts.offset) * 10,
            offset: 0,
            ..opts
        }
    } else {
        opts
    };
    let pool = crate::store::Pool::new(data, None);
    let results = index.search(&parsed, fetch, &|row| {
        pool.with(|s| s.quoted_text(row)).ok()
    })?;
    let mut hits: Vec<(crate::index::Hit, String, usize)> = Vec::new();
    for hit in results.hits {
        let root = store
            .thread_root_of(hit.row)?
            .unwrap_or_else(|| hit.message_id.clone());
        if by_thread && let Some(existing) = hits.iter_mut().find(|(_, r, _)| *r == root) {
            existing.2 += 1;
            continue;
        }
        hits.push((hit, root, 1));
    }
    if by_thread {
        hits = hits
            .into_iter()
            .skip(opts.offset)
            .take(opts.limit)
            .collect();
    }
    if json {
        let hits_json: Vec<serde_json::Value> = hits
            .iter()
            .map(|(h, root, n)| {
                let mut v = report::hit_json(h, root);
                if by_thread {
                    v["thread_hits"] = (*n).into();
                }
                v
            })
            .collect();
        let out =
            serde_json::json!({"total": results.total, "hits": hits_json, "notes": parsed.notes});
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        let bold = std::io::stdout().is_terminal();
        let mut out = visible_stdout();
        let _ = writeln!(
            out,
            "{} message{} match{}",
            results.total,
            if results.total == 1 { "" } else { "s" },
            if opts.sort == Sort::Relevance {
                ", best first"
            } else {
                ", newest first"
            }
        );
        for (h, root, n) in &hits {
            let who = if h.from_name.is_empty() {
                &h.from_email
            } else {
                &h.from_name
            };
            let _ = writeln!(
                out,
                "\n{}  {}  {}",
                report::format_date(h.date, false),
                who,
                h.subject
            );
            if !h.snippet.is_empty() {
                let _ = writeln!(out, "    {}", mark(&h.snippet, &h.highlights, bold));
            }
            let thread = if by_thread {
                format!("  ({n} in thread <{root}>)")
            } else {
                String::new()
            };
            let _ = writeln!(out, "    <{}>{thread}", h.message_id);
        }
    }
    Ok(if results.total == 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The snippet with matched words in bold (terminal) or *stars* (pipe).
fn mark(snippet: &str, highlights: &[(usize, usize)], bold: bool) -> String {
    let (open, close) = if bold {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("*", "*")
    };
    let mut out = String::with_capacity(snippet.len() + highlights.len() * 8);
    let mut at = 0;
    for &(start, end) in highlights {
        if start < at
            || end > snippet.len()
            || !snippet.is_char_boundary(start)
            || !snippet.is_char_boundary(end)
        {
            continue;
        }
        out.push_str(&snippet[at..start]);
        out.push_str(open);
        out.push_str(&snippet[start..end]);
        out.push_str(close);
        at = end;
    }
    out.push_str(&snippet[at..]);
    out.replace('\n', " ")
}

fn cmd_trailers(
    data: &std::path::Path,
    files: &ReviewFiles,
    base_url: &str,
    msgid: &str,
) -> anyhow::Result<ExitCode> {
    let Some((view, consensus, msgid)) = thread_with_positions(data, files, msgid)? else {
        return Ok(ExitCode::from(1));
    };
    let Some(patch) = report::patch_of(&view, &consensus, &msgid) else {
        eprintln!("whosaid: <{msgid}> is not a patch, a cover letter or a reply to one");
        return Ok(ExitCode::from(1));
    };
    let _ = write!(
        visible_stdout(),
        "{}",
        report::changelog_block(&consensus, patch, base_url)
    );
    Ok(ExitCode::SUCCESS)
}

fn cmd_who(
    data: &std::path::Path,
    files: &ReviewFiles,
    json: bool,
    max_threads: usize,
    query: &str,
) -> anyhow::Result<ExitCode> {
    let Some((store, index, parsed)) = prepare_query(data, query)? else {
        return Ok(ExitCode::from(2));
    };
    let who = report::who(&store, &index, &parsed, files.context(), max_threads)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report::who_json(&who))?);
    } else {
        let mut out = visible_stdout();
        let _ = writeln!(
            out,
            "{} {}; {} {} took part",
            who.threads,
            if who.threads == 1 {
                "thread matches"
            } else {
                "threads match"
            },
            who.people.len(),
            if who.people.len() == 1 {
                "person"
            } else {
                "people"
            }
        );
        for e in &who.people {
            let _ = writeln!(
                out,
                "\n{} <{}>: {} thread{}, {} support, {} oppose, {} neutral, {} authored",
                e.person.display(),
                e.person.email,
                e.threads,
                if e.threads == 1 { "" } else { "s" },
                e.counts[0],
                e.counts[1],
                e.counts[2],
                e.counts[3]
            );
            for st in e.statements.iter().take(5) {
                let _ = writeln!(
                    out,
                    "    {} {} {}: \"{}\"  [{}]",
                    report::format_date(st.date.map(|d| (d, 0)), true)
                        .get(..10)
                        .unwrap_or(""),
                    if st.authored {
                        "authored"
                    } else {
                        st.stance.as_str()
                    },
                    st.kind.as_str(),
                    st.evidence,
                    st.subject
                );
            }
        }
    }
    Ok(if who.threads == 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
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
