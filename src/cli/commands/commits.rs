//! `whosaid commits`: from commits in git back to their postings.

use std::collections::HashMap;

use crate::archive::commits::{CommitMatch, CommitReport, Discussion, Postings};
use crate::cli::*;

pub(in crate::cli) fn cmd_commits(
    data: &std::path::Path,
    repo: &std::path::Path,
    json: bool,
    revs: &[String],
) -> anyhow::Result<ExitCode> {
    crate::git::check_repository(repo)?;
    // The index finds later messages that name a commit.
    let archive = open_searchable(data)?;
    let bar = progress_bar();
    let commits = read_commits(repo, revs, bar.as_ref())?;
    if let Some(b) = &bar {
        b.set_message("matching");
    }
    let postings = Postings::read(&archive)?;
    let found: Vec<CommitMatch> = commits.iter().map(|c| postings.find(c)).collect();
    let said = discuss(&archive, repo, &commits, &found, bar.as_ref())?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if json {
        let docs: Vec<CommitReport> = found
            .iter()
            .zip(&said)
            .map(|(m, d)| CommitReport {
                found: m,
                discussion: d.as_ref(),
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&docs)?);
    } else {
        print_matches(&found, &said);
    }
    Ok(if found.iter().any(|m| m.posting.is_some()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The commits `revs` names, the bar counting them as git prints them.
fn read_commits(
    repo: &std::path::Path,
    revs: &[String],
    bar: Option<&indicatif::ProgressBar>,
) -> anyhow::Result<Vec<crate::git::Commit>> {
    if let Some(b) = bar {
        b.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} {pos} commits")
                .expect("valid template"),
        );
        b.set_message("reading git log");
    }
    crate::git::commits(repo, revs, |n| {
        if let Some(b) = bar {
            b.set_position(n as u64);
        }
    })
    .with_context(|| format!("cannot read commits from {}", repo.display()))
}

/// What the list said of each commit found, the bar counting them.
fn discuss(
    archive: &crate::archive::Archive,
    repo: &std::path::Path,
    commits: &[crate::git::Commit],
    found: &[CommitMatch],
    bar: Option<&indicatif::ProgressBar>,
) -> anyhow::Result<Vec<Option<Discussion>>> {
    if let Some(b) = bar {
        b.set_style(
            indicatif::ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len}")
                .expect("valid template"),
        );
        b.set_message("what the list said");
        b.set_length(found.iter().filter(|m| m.posting.is_some()).count() as u64);
        b.set_position(0);
    }
    // Which of a series' patches went in: among the commits read.
    let applied: HashMap<String, String> = commits
        .iter()
        .zip(found)
        .filter_map(|(c, m)| Some((m.posting.clone()?, c.sha.clone())))
        .collect();
    let mailmap = crate::git::mailmap(repo);
    let mut discussions = crate::archive::commits::Discussions::new(archive)
        .knowing(&applied)
        .with_mailmap(mailmap.as_ref());
    let mut said = Vec::with_capacity(found.len());
    for (c, m) in commits.iter().zip(found) {
        if m.posting.is_some() {
            bar.inspect(|b| b.inc(1));
        }
        said.push(discussions.of(c, m)?);
    }
    Ok(said)
}

/// A line per commit: hash, how found and how sure, the posting; then
/// what the list said of it.
fn print_matches(found: &[CommitMatch], said: &[Option<Discussion>]) {
    let mut out = visible_stdout();
    for (m, d) in found.iter().zip(said) {
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
                if let Some(d) = d {
                    print_discussion(&mut out, d);
                }
            }
            None => {
                let _ = writeln!(out, "{sha}  {:<14} {:<6}  {}", "none", "", m.subject);
            }
        }
    }
    let n = found.iter().filter(|m| m.posting.is_some()).count();
    let _ = writeln!(out, "\n{n} of {} commits found on the list", found.len());
}

/// What the list said of a commit, indented under it.
fn print_discussion(out: &mut impl Write, d: &Discussion) {
    let _ = writeln!(out, "              thread <{}>, v{}", d.thread, d.version);
    if let Some(diff) = &d.interdiff {
        let count = |sign: char| {
            diff.lines()
                .filter(|l| l.starts_with(sign) && !l.starts_with("+++") && !l.starts_with("---"))
                .count()
        };
        let _ = writeln!(
            out,
            "              changed when applied: +{} -{} lines of diff (--json holds the interdiff)",
            count('+'),
            count('-')
        );
    }
    for t in &d.credited {
        let _ = writeln!(out, "              given on the list: {t}");
    }
    for t in &d.given_elsewhere {
        let _ = writeln!(out, "              given to another posting: {t}");
    }
    for t in &d.not_on_list {
        let _ = writeln!(out, "              not given on the list: {t}");
    }
    for o in &d.open_objections {
        let _ = writeln!(out, "              open objection: {o}");
    }
    if !d.series.is_empty() {
        let went_in = d.series.iter().filter(|s| s.applied_as.is_some()).count();
        let _ = writeln!(
            out,
            "              series: {went_in} of {} patches of v{} applied",
            d.series.len(),
            d.version
        );
        for s in d.series.iter().filter(|s| s.applied_as.is_none()) {
            let _ = writeln!(
                out,
                "                not among the commits: {} <{}>",
                s.subject, s.message_id
            );
        }
    }
    for m in &d.mentions {
        let date = crate::report::format_date(m.date.map(|d| (d, 0)), false);
        let date = date.get(..10).unwrap_or(&date);
        let _ = writeln!(
            out,
            "              {date} {}: {} <{}>",
            m.says(),
            m.subject,
            m.message_id
        );
    }
}
