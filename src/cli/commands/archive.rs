//! `whosaid stats`, `fsck` and `reindex`: the archive as a whole.

use crate::cli::*;

pub(in crate::cli) fn cmd_stats(data: &std::path::Path, json: bool) -> anyhow::Result<ExitCode> {
    let archive = open_archive(data)?;
    let stats = archive.store().stats()?;
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

pub(in crate::cli) fn cmd_fsck(data: &std::path::Path) -> anyhow::Result<ExitCode> {
    let archive = open_store_only(data)?;
    let n = archive.store().for_each_raw(|_, _| {})?;
    println!("{n} raw messages decompress and match their sha256");
    Ok(ExitCode::SUCCESS)
}

pub(in crate::cli) fn cmd_reindex(data: &std::path::Path) -> anyhow::Result<ExitCode> {
    let _lock = import::lock_data_dir(data)?;
    let archive = open_archive(data)?;
    let index = archive
        .index_for_writing()
        .with_context(|| format!("cannot open the search index in {}", data.display()))?;
    let started = Instant::now();
    let n = import::reindex(archive.store(), &index)?;
    println!(
        "indexed {n} messages in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
