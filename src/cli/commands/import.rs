//! `whosaid import`: inputs to the store and index, with a progress bar
//! on a terminal and a report at the end.

use crate::cli::*;

pub(in crate::cli) fn cmd_import(
    data: &std::path::Path,
    config: ImportConfig,
    verbose: bool,
    json: bool,
    paths: &[PathBuf],
) -> anyhow::Result<ExitCode> {
    let mut archive = open_store_only(data)?;
    // On a shared store, a server on this data dir follows the store and
    // takes the data dir's lock for moments at a time: wait for it.
    let _lock = if archive.store().is_shared() {
        import::lock_data_dir_waiting(data, std::time::Duration::from_secs(60))?
    } else {
        import::lock_data_dir(data)?
    };
    let index = archive
        .index_for_writing()
        .with_context(|| format!("cannot open the search index in {}", data.display()))?;
    let (inputs, mut expand_report) = import::expand_paths(paths);
    let started = Instant::now();
    let bar = progress_bar();
    let result = import::import(archive.store_mut(), &index, &inputs, &config, |p| {
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

pub(in crate::cli) fn progress_bar() -> Option<indicatif::ProgressBar> {
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

pub(in crate::cli) fn print_report(
    report: &ImportReport,
    inputs: usize,
    elapsed: f64,
    verbose: bool,
) {
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
