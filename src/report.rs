//! What the command line and the web both show: the JSON documents of
//! `../shared/spec/interface.md` and the changelog block. Pure functions of
//! a thread view and its consensus, so `whosaid thread --json` and
//! `/api/thread/...` are the same document by construction.

use std::fmt::Write as _;

use serde_json::json;

use crate::consensus::{Consensus, Credit, PatchCredits};
use crate::links;
use crate::stance::{Grade, Stance};
use crate::store::ThreadView;

/// A stored date: RFC 3339 for JSON, `2024-03-11 18:30 +0900` for people;
/// "" (JSON) or "date unknown" when the message had none.
pub fn format_date(date: Option<(i64, i32)>, rfc3339: bool) -> String {
    let Some((t, tz)) = date else {
        return if rfc3339 {
            String::new()
        } else {
            "date unknown".into()
        };
    };
    let offset = chrono::FixedOffset::east_opt(tz)
        .unwrap_or(chrono::FixedOffset::east_opt(0).expect("zero offset"));
    match chrono::DateTime::from_timestamp(t, 0) {
        Some(d) if rfc3339 => d.with_timezone(&offset).to_rfc3339(),
        Some(d) => d
            .with_timezone(&offset)
            .format("%Y-%m-%d %H:%M %z")
            .to_string(),
        None => String::new(),
    }
}

/// One signal as JSON.
pub fn signal_json(s: &crate::consensus::Signal) -> serde_json::Value {
    serde_json::json!({
        "kind": s.kind.as_str(), "message_id": s.message_id,
        "date": format_date(s.date.map(|d| (d, 0)), true), "evidence": s.evidence,
        "target": s.target, "patch": s.patch, "scope": s.scope, "conditional": s.conditional,
        "stance": s.stance.map(|x| x.as_str()), "verified": s.verified, "rule": s.rule.as_str(),
        "grade": s.grade.as_str(), "shown_by": s.shown_by,
    })
}

/// The `thread --json` document.
pub fn thread_json(
    view: &ThreadView,
    consensus: &crate::consensus::Consensus,
) -> serde_json::Value {
    let messages: Vec<serde_json::Value> = view
        .order
        .iter()
        .map(|&(i, depth)| {
            let n = &view.nodes[i];
            let parent = n.parent.map(|p| view.nodes[p].message_id.clone());
            if n.ghost {
                json!({"message_id": n.message_id, "parent": parent, "depth": depth, "ghost": true,
                       "url": links::permalink(&n.message_id)})
            } else {
                json!({"message_id": n.message_id, "parent": parent, "depth": depth, "ghost": false,
                       "from": {"name": n.from.name, "email": n.from.email},
                       "date": format_date(n.date, true), "subject": n.subject,
                       "list": n.lists.first(), "url": links::permalink(&n.message_id)})
            }
        })
        .collect();
    let positions: Vec<serde_json::Value> = consensus
        .positions
        .iter()
        .map(|p| {
            json!({"person": {"name": p.person.name, "email": p.person.email, "aliases": p.aliases},
                   "role": p.role.as_str(), "stance": p.stance.as_str(), "grade": p.grade.as_str(),
                   "changed": p.changed,
                   "signals": p.signals.iter().map(signal_json).collect::<Vec<_>>(),
                   "per_patch": p.patches.iter().map(|s| json!({
                       "patch": s.patch, "stance": s.stance.as_str(), "kind": s.kind.as_str(),
                       "evidence": s.evidence, "message_id": s.message_id})).collect::<Vec<_>>()})
        })
        .collect();
    let patches: Vec<serde_json::Value> = consensus
        .patches
        .iter()
        .map(|p| {
            json!({"message_id": p.message_id, "subject": p.subject, "version": p.version,
                   "index": p.index, "total": p.total, "cover": p.cover,
                   "author": {"name": p.author.name, "email": p.author.email},
                   "trailers": p.trailers.iter().map(|t| json!({
                       "name": t.name, "person": {"name": t.person.name, "email": t.person.email},
                       "source": t.source, "scope": t.scope, "conditional": t.conditional,
                       "verified": t.verified})).collect::<Vec<_>>()})
        })
        .collect();
    json!({"root": view.root, "subject": view.subject(), "messages": messages,
           "positions": positions, "patches": patches, "subsystems": consensus.subsystems,
           "summary": consensus.summary()})
}

/// The patch a message is about: the message itself when it is a patch or
/// cover letter, else the nearest one above it.
pub fn patch_of<'a>(
    view: &ThreadView,
    consensus: &'a Consensus,
    msgid: &str,
) -> Option<&'a PatchCredits> {
    let mut cur = view
        .nodes
        .iter()
        .position(|n| n.message_id == msgid && !n.ghost);
    while let Some(i) = cur {
        if let Some(p) = consensus
            .patches
            .iter()
            .find(|p| p.message_id == view.nodes[i].message_id)
        {
            return Some(p);
        }
        cur = view.nodes[i].parent;
    }
    None
}

/// The message a changelog's `Link:` names, by the rule that a Link: is
/// for the discussion, not the posting alone: the patch when someone other
/// than its author and sender replied to it; else its version's cover
/// letter (the series' case and whatever was said of it); else none.
pub fn link_target<'a>(
    view: &ThreadView,
    consensus: &'a Consensus,
    patch: &'a PatchCredits,
) -> Option<&'a str> {
    let discussed = |id: &str| others_replied(view, id, &patch.author.email);
    if discussed(&patch.message_id) {
        return Some(&patch.message_id);
    }
    consensus
        .patches
        .iter()
        .find(|c| c.cover && c.version == patch.version && c.message_id != patch.message_id)
        .map(|c| c.message_id.as_str())
}

/// Someone other than `author` and the message's sender wrote in the
/// subtree under the message `id` (the run after it in depth-first order
/// that is deeper than it).
fn others_replied(view: &ThreadView, id: &str, author: &str) -> bool {
    let Some(at) = view
        .order
        .iter()
        .position(|&(i, _)| view.nodes[i].message_id == id && !view.nodes[i].ghost)
    else {
        return false;
    };
    let (top, depth) = view.order[at];
    let sender = &view.nodes[top].from.email;
    view.order[at + 1..]
        .iter()
        .take_while(|&&(_, d)| d > depth)
        .map(|&(i, _)| &view.nodes[i])
        .any(|n| {
            !n.ghost
                && !n.from.email.eq_ignore_ascii_case(sender)
                && !n.from.email.eq_ignore_ascii_case(author)
        })
}

/// The block to paste into a changelog: `Link:`, the credited trailers
/// (b4's order: Reported, Suggested, Acked, Reviewed, Tested), conditional
/// and uncredited ones as `#` lines, then the open objections that bear on
/// this patch.
pub fn changelog_block(
    consensus: &Consensus,
    patch: &PatchCredits,
    link: Option<&str>,
    base_url: &str,
) -> String {
    let mut out = String::new();
    match link {
        Some(id) => writeln!(out, "Link: {}", links::link_url(base_url, id)),
        None => writeln!(
            out,
            "# no Link: nobody but the author replied to {}",
            links::link_url(base_url, &patch.message_id)
        ),
    }
    .expect("writing to a String");
    credited_lines(patch, &mut out);
    objection_lines(consensus, patch, &mut out);
    out
}

/// The trailers credited to `patch` (b4's order), conditional ones and
/// those sent by someone else as `#` lines.
fn credited_lines(patch: &PatchCredits, out: &mut String) {
    let order = |name: &str| match name.to_ascii_lowercase().as_str() {
        "reported-by" => 0,
        "suggested-by" => 1,
        "acked-by" => 2,
        "reviewed-by" => 3,
        "tested-by" => 4,
        _ => 5,
    };
    let mut credited: Vec<&Credit> = patch
        .trailers
        .iter()
        .filter(|t| {
            t.verified
                && !t.name.to_ascii_lowercase().starts_with("na")
                && !t.name.eq_ignore_ascii_case("nacked-by")
        })
        .collect();
    credited.sort_by_key(|t| order(&t.name));
    let mut seen = std::collections::HashSet::new();
    for t in &credited {
        let line = format!(
            "{}: {} <{}>",
            canonical_trailer_name(&t.name),
            t.person.name,
            t.person.email
        );
        if !seen.insert(line.clone()) {
            continue;
        }
        if t.conditional {
            let _ = writeln!(
                out,
                "# conditional, check before adding: {line}  (\"{}\" <{}>)",
                t.evidence, t.source
            );
        } else {
            let _ = writeln!(out, "{line}");
        }
    }
    for t in patch.trailers.iter().filter(|t| !t.verified) {
        let _ = writeln!(
            out,
            "# not credited: {} was sent by someone else (<{}>): {}",
            t.name, t.source, t.evidence
        );
    }
}

/// Open objections that bear on `patch` (about it, its series, or the
/// whole thread) as `#` lines.
fn objection_lines(consensus: &Consensus, patch: &PatchCredits, out: &mut String) {
    for p in consensus
        .positions
        .iter()
        .filter(|p| p.stance == Stance::Oppose)
    {
        let Some(s) = p.evidence() else { continue };
        if s.patch.as_deref().is_some_and(|m| m != patch.message_id) {
            continue;
        }
        let what = if p.grade == Grade::Objects {
            "Open objection from"
        } else {
            "Changes requested by"
        };
        let _ = writeln!(
            out,
            "# {what} {} <{}> ({}): \"{}\" <{}>",
            p.person.display(),
            p.person.email,
            format_date(s.date.map(|d| (d, 0)), false)
                .get(..10)
                .unwrap_or(""),
            s.evidence,
            s.message_id
        );
    }
}

/// `ACKED-BY` → `Acked-by`; b4 writes trailer names this way.
pub fn canonical_trailer_name(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let mut out = String::with_capacity(lower.len());
    let mut first = true;
    for c in lower.chars() {
        out.push(if first { c.to_ascii_uppercase() } else { c });
        first = false;
    }
    out
}

/// One `search --json` hit.
pub fn hit_json(h: &crate::index::Hit, thread_root: &str) -> serde_json::Value {
    json!({
        "message_id": h.message_id, "thread_root": thread_root, "subject": h.subject,
        "from": {"name": h.from_name, "email": h.from_email},
        "date": format_date(h.date, true), "snippet": h.snippet,
        "highlights": h.highlights,
    })
}

/// The `who --json` document.
pub fn who_json(who: &crate::archive::who::Who) -> serde_json::Value {
    let people: Vec<serde_json::Value> = who
        .people
        .iter()
        .map(|e| {
            json!({"person": {"name": e.person.name, "email": e.person.email},
                "threads": e.threads, "support": e.counts[0], "oppose": e.counts[1],
                "neutral": e.counts[2], "authored": e.counts[3],
                "statements": e.statements.iter().map(|s| json!({
                    "message_id": s.message_id, "thread_root": s.thread_root,
                    "stance": s.stance.as_str(), "authored": s.authored, "kind": s.kind.as_str(),
                    "evidence": s.evidence, "date": format_date(s.date.map(|d| (d, 0)), true),
                    "subject": s.subject})).collect::<Vec<_>>()})
        })
        .collect();
    json!({"people": people})
}

/// The ledger of a series across versions, for a terminal: each patch
/// with its postings, every tag and where it stands, every objection and
/// what became of it.
pub fn ledger_text(ledger: &crate::archive::ledger::Ledger) -> String {
    let mut out = String::from("ledger:\n");
    for h in &ledger.patches {
        let _ = writeln!(out, "  {}", crate::series::parse_subject(&h.subject).base);
        let dropped = h
            .dropped_in
            .map(|v| format!(", dropped in v{v}"))
            .unwrap_or_default();
        let _ = writeln!(out, "    posted {}{dropped}", postings_text(&h.postings));
        for t in &h.tags {
            let _ = writeln!(out, "    {}", tag_line(t));
        }
        for o in &h.objections {
            let _ = writeln!(out, "    {}", objection_line(o));
        }
    }
    out
}

/// A patch's postings in short: `v1 v2= v3~` (= unchanged, ~ changed).
pub fn postings_text(postings: &[crate::archive::ledger::Posting]) -> String {
    postings
        .iter()
        .map(|p| match p.change {
            Some(crate::series::Change::Unchanged) => format!("v{}=", p.version),
            Some(crate::series::Change::Changed) => format!("v{}~", p.version),
            _ => format!("v{}", p.version),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A tag with its state: `Reviewed-by: A <a@x>  (v1, carried)`.
fn tag_line(t: &crate::archive::ledger::TagEntry) -> String {
    let state = match (t.state, t.changed_in) {
        ("stale", Some(v)) => format!("stale: changed in v{v}"),
        (state, _) => state.to_string(),
    };
    let cond = if t.conditional { ", conditional" } else { "" };
    format!(
        "{}: {} <{}>  (given on v{}, {state}{cond}) <{}>",
        t.name, t.person.name, t.person.email, t.given_on, t.source
    )
}

/// An objection with its state and the words that show it.
fn objection_line(o: &crate::archive::ledger::ObjectionEntry) -> String {
    let what = if o.grade == "objects" {
        "objection"
    } else {
        "changes requested"
    };
    let mut line = format!(
        "{} {what} from {} <{}> (v{}): \"{}\" <{}>",
        o.state,
        o.person.display(),
        o.person.email,
        o.given_on,
        o.evidence,
        o.source
    );
    if let Some((why, mid)) = &o.because {
        let _ = write!(line, "; \"{why}\" <{mid}>");
    }
    line
}

/// What the ledger adds to the changelog block of a patch's newest
/// posting: tags carried from earlier versions (lines `block` does not
/// hold yet), stale tags and earlier objections still open, as `#` lines.
pub fn ledger_block(h: &crate::archive::ledger::PatchHistory, block: &str) -> String {
    let mut out = String::new();
    let newest = h.postings.last().map_or(0, |p| p.version);
    for t in h.tags.iter().filter(|t| t.given_on < newest) {
        let line = format!("{}: {} <{}>", t.name, t.person.name, t.person.email);
        match t.state {
            "carried" if !block.contains(&line) && !out.contains(&line) => {
                let _ = writeln!(out, "{line}");
            }
            "stale" => {
                let _ = writeln!(
                    out,
                    "# stale, given on v{} and the patch changed in v{}: {line} <{}>",
                    t.given_on,
                    t.changed_in.unwrap_or(newest),
                    t.source
                );
            }
            _ => {}
        }
    }
    for o in h
        .objections
        .iter()
        .filter(|o| o.given_on < newest && o.state == "open")
    {
        let _ = writeln!(
            out,
            "# still open from v{}: {}",
            o.given_on,
            objection_line(o)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Person;
    use crate::thread::ThreadNode;

    /// A thread from lines `depth id sender`, in depth-first order; ids
    /// starting with `p` are patches, `c` the cover letter.
    fn thread(spec: &str) -> (ThreadView, Consensus) {
        let mut nodes: Vec<ThreadNode> = Vec::new();
        let mut order = Vec::new();
        let mut stack: Vec<usize> = Vec::new();
        let mut patches = Vec::new();
        for line in spec.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let w: Vec<&str> = line.split_whitespace().collect();
            let depth: usize = w[0].parse().unwrap();
            stack.truncate(depth);
            let person = Person {
                name: String::new(),
                email: w[2].to_string(),
            };
            nodes.push(ThreadNode {
                message_id: w[1].to_string(),
                parent: stack.last().copied(),
                from: person.clone(),
                author: person.clone(),
                ..ThreadNode::default()
            });
            if w[1].starts_with(['p', 'c']) {
                patches.push(PatchCredits {
                    message_id: w[1].to_string(),
                    subject: String::new(),
                    version: 1,
                    index: None,
                    total: None,
                    cover: w[1].starts_with('c'),
                    author: person,
                    trailers: Vec::new(),
                });
            }
            order.push((nodes.len() - 1, depth));
            stack.push(nodes.len() - 1);
        }
        let view = ThreadView {
            root: nodes[0].message_id.clone(),
            nodes,
            order,
        };
        let consensus = Consensus {
            patches,
            ..Consensus::default()
        };
        (view, consensus)
    }

    #[test]
    fn the_link_names_the_discussion() {
        let (view, c) = thread(
            "0 c0 author
             1 p1 author
             2 r1 reviewer
             1 p2 author
             2 r2 author
             1 p3 author",
        );
        let link = |id: &str| {
            let p = c.patches.iter().find(|p| p.message_id == id).unwrap();
            link_target(&view, &c, p)
        };
        // Replied to by someone else: the patch.
        assert_eq!(link("p1"), Some("p1"));
        // Only the author wrote under it: the cover letter.
        assert_eq!(link("p2"), Some("c0"));
        assert_eq!(link("p3"), Some("c0"));
        // A lone patch nobody answered: no Link.
        let (view, c) = thread("0 p1 author\n1 r1 author");
        assert_eq!(link_target(&view, &c, &c.patches[0]), None);
        let block = changelog_block(&c, &c.patches[0], None, "https://lore.kernel.org");
        assert_eq!(
            block,
            "# no Link: nobody but the author replied to https://lore.kernel.org/r/p1\n"
        );
    }
}
