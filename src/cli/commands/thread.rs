//! `whosaid thread`, `series` and `trailers`: one thread or series, its
//! positions and its changelog block.

use crate::archive::Reader as _;
use crate::cli::*;

/// The thread containing a user-given Message-ID, read by the consensus
/// engine; None (after saying so) when the archive does not have it.
pub(in crate::cli) fn thread_in(
    archive: &Archive,
    data: &std::path::Path,
    msgid: &str,
) -> anyhow::Result<Option<(std::sync::Arc<crate::archive::Analysis>, String)>> {
    let msgid = links::message_id_from_user(msgid);
    let Some(a) = archive.analysis(&msgid)? else {
        eprintln!(
            "whosaid: no message <{msgid}> in the archive {}",
            data.display()
        );
        return Ok(None);
    };
    Ok(Some((a, msgid)))
}

/// What earlier and later versions of the patch `msgid` add to its
/// changelog block `block`: carried and stale tags, objections still open
/// (see [`report::ledger_block`]), or a note that a newer version exists.
fn across_versions(archive: &Archive, msgid: &str, block: &str) -> anyhow::Result<String> {
    let Some(series) = archive.store().series(msgid)? else {
        return Ok(String::new());
    };
    if series.versions.len() < 2 {
        return Ok(String::new());
    }
    let ledger = crate::archive::ledger::ledger(archive, &series)?;
    let Some(h) = ledger
        .patches
        .iter()
        .find(|h| h.postings.iter().any(|p| p.message_id == msgid))
    else {
        return Ok(String::new());
    };
    let newest = h.postings.last().expect("a history has a posting");
    if newest.message_id != msgid {
        return Ok(format!(
            "# a newer version of this patch: v{} <{}>\n",
            newest.version, newest.message_id
        ));
    }
    Ok(report::ledger_block(h, block))
}

pub(in crate::cli) fn cmd_thread(
    data: &std::path::Path,
    files: Review,
    json: bool,
    msgid: &str,
) -> anyhow::Result<ExitCode> {
    let archive = open_archive(data)?.with_review(files);
    let Some((a, msgid)) = thread_in(&archive, data, msgid)? else {
        return Ok(ExitCode::from(1));
    };
    let (view, consensus) = (&a.view, &a.consensus);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report::thread_json(view, consensus))?
        );
    } else {
        print_thread(view, &msgid);
        print_positions(consensus);
    }
    Ok(ExitCode::SUCCESS)
}

pub(in crate::cli) fn print_positions(c: &crate::consensus::Consensus) {
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
pub(in crate::cli) const MAX_DRAWN_DEPTH: usize = 40;

pub(in crate::cli) fn print_thread(view: &ThreadView, asked: &str) {
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

pub(in crate::cli) fn cmd_series(
    data: &std::path::Path,
    files: Review,
    json: bool,
    msgid: &str,
) -> anyhow::Result<ExitCode> {
    let archive = open_archive(data)?.with_review(files);
    let msgid = links::message_id_from_user(msgid);
    let Some(series) = archive.store().series(&msgid)? else {
        eprintln!("whosaid: <{msgid}> is not in the archive or not part of a patch series");
        return Ok(ExitCode::from(1));
    };
    let ledger = crate::archive::ledger::ledger(&archive, &series)?;
    if json {
        let doc = crate::archive::ledger::SeriesDoc {
            series: &series,
            ledger: &ledger,
        };
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(ExitCode::SUCCESS);
    }
    print_series(&series);
    if series.versions.len() > 1 {
        let _ = write!(visible_stdout(), "\n{}", report::ledger_text(&ledger));
    }
    Ok(ExitCode::SUCCESS)
}

/// A series and its versions, on a terminal.
fn print_series(series: &crate::store::Series) {
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
            "\nv{}  {}  {} patch{}{}  thread <{}>{}",
            v.version,
            report::format_date(date.map(|d| (d, 0)), false)
                .get(..10)
                .unwrap_or(""),
            v.patches.len(),
            if v.patches.len() == 1 { "" } else { "es" },
            if v.partial { " (partial re-roll)" } else { "" },
            v.thread_root,
            match v.linked_by {
                "thread" => String::new(),
                how => format!(" (linked by {how})"),
            }
        );
        for p in v.cover.iter().chain(&v.patches) {
            let author = if p.author.email != series.sender.email && !p.author.email.is_empty() {
                format!("  (author {} <{}>)", p.author.display(), p.author.email)
            } else {
                String::new()
            };
            let change = match p.change {
                Some(crate::series::Change::New) => "  [new]",
                Some(crate::series::Change::Unchanged) => "  [unchanged]",
                Some(crate::series::Change::Changed) => "  [changed]",
                None => "",
            };
            let _ = writeln!(out, "    {}  <{}>{author}{change}", p.subject, p.message_id);
        }
        for d in &v.dropped {
            let _ = writeln!(out, "    dropped: {d}");
        }
        for line in &v.changes {
            let _ = writeln!(out, "    | {line}");
        }
    }
}

pub(in crate::cli) fn cmd_trailers(
    data: &std::path::Path,
    files: Review,
    base_url: &str,
    msgid: &str,
) -> anyhow::Result<ExitCode> {
    let archive = open_archive(data)?.with_review(files);
    let Some((a, msgid)) = thread_in(&archive, data, msgid)? else {
        return Ok(ExitCode::from(1));
    };
    let Some(patch) = report::patch_of(&a.view, &a.consensus, &msgid) else {
        eprintln!("whosaid: <{msgid}> is not a patch, a cover letter or a reply to one");
        return Ok(ExitCode::from(1));
    };
    let link = report::link_target(&a.view, &a.consensus, patch);
    let block = report::changelog_block(&a.consensus, patch, link, base_url);
    let across = across_versions(&archive, &patch.message_id, &block)?;
    let _ = write!(visible_stdout(), "{block}{across}");
    Ok(ExitCode::SUCCESS)
}
