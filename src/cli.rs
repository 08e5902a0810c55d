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
use crate::message::WarningKind;
use crate::store::Store;
use crate::thread;

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
    /// Check every stored message against its checksum.
    Fsck,
}

/// Runs the command line and returns the exit code.
pub fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("whosaid: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Runs parsed arguments.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
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
        Command::Fsck => cmd_fsck(&args.data),
    }
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
    let _lock = import::lock_data_dir(data)?;
    let mut store = open_store(data)?;
    let (inputs, mut expand_report) = import::expand_paths(paths);
    let started = Instant::now();
    let bar = progress_bar();
    let result = import::import(&mut store, &inputs, &config, |p| {
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
    let mut out = std::io::stdout().lock();
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
    let stats = store.stats()?;
    let summaries = store.summaries()?;
    let nodes: Vec<thread::Node<'_>> = summaries
        .iter()
        .map(|s| thread::Node {
            message_id: &s.message_id,
            in_reply_to: &s.in_reply_to,
            references: &s.references,
        })
        .collect();
    let threads = thread::build(&nodes).thread_count();
    if json {
        let mut value = serde_json::to_value(&stats)?;
        value["threads"] = threads.into();
        value["lists"] = stats
            .lists
            .iter()
            .map(|(name, n)| serde_json::json!({"name": name, "messages": n}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        println!(
            "messages  {} ({} raw copies; {} under reused Message-IDs; {} without a Message-ID)",
            stats.messages, stats.raw_copies, stats.reused_message_ids, stats.synthetic_ids
        );
        let lists: Vec<String> = stats
            .lists
            .iter()
            .map(|(l, n)| format!("{l} ({n})"))
            .collect();
        println!("lists     {}: {}", stats.lists.len(), lists.join(", "));
        println!("threads   {threads}");
        println!("people    {}", stats.people);
        println!(
            "dates     {} .. {} ({} unknown)",
            stats.first_date.as_deref().unwrap_or("-"),
            stats.last_date.as_deref().unwrap_or("-"),
            stats.unknown_dates
        );
        println!(
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
