//! `whosaid commits`: from commits in git back to their postings.

use crate::archive::commits::{CommitMatch, Postings};
use crate::cli::*;

pub(in crate::cli) fn cmd_commits(
    data: &std::path::Path,
    repo: &std::path::Path,
    json: bool,
    revs: &[String],
) -> anyhow::Result<ExitCode> {
    let archive = open_archive(data)?;
    let bar = progress_bar().inspect(|b| {
        b.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} {pos} commits")
                .expect("valid template"),
        );
        b.set_message("reading git log");
    });
    let commits = crate::git::commits(repo, revs, |n| {
        if let Some(b) = &bar {
            b.set_position(n as u64);
        }
    })
    .with_context(|| format!("cannot read commits from {}", repo.display()))?;
    if let Some(b) = &bar {
        b.set_message("matching");
    }
    let postings = Postings::read(&archive)?;
    let found: Vec<CommitMatch> = commits.iter().map(|c| postings.find(c, true)).collect();
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&found)?);
    } else {
        print_matches(&found);
    }
    Ok(if found.iter().any(|m| m.posting.is_some()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A line per commit: hash, how found and how sure, the posting.
fn print_matches(found: &[CommitMatch]) {
    let mut out = visible_stdout();
    for m in found {
        let sha = m.sha.get(..12).unwrap_or(&m.sha);
        match &m.posting {
            Some(p) => {
                let changed = if m.changed_when_applied {
                    "  (changed when applied)"
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "{sha}  {:<14} {:<6}  <{p}>{changed}\n              {}",
                    m.method,
                    m.confidence.unwrap_or(""),
                    m.subject
                );
            }
            None => {
                let _ = writeln!(out, "{sha}  {:<14} {:<6}  {}", "none", "", m.subject);
            }
        }
    }
    let n = found.iter().filter(|m| m.posting.is_some()).count();
    let _ = writeln!(out, "\n{n} of {} commits found on the list", found.len());
}
