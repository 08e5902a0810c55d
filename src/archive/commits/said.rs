//! What the list said of a commit: the tags given on its posting and
//! those nobody gave, objections still open, the rest of its series, and
//! the messages that named it later.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;

use serde::Serialize;

use super::CommitMatch;
use crate::archive::ledger::Ledger;
use crate::archive::{Analysis, Reader};
use crate::error::Result;
use crate::git::Commit;
use crate::mailmap::Mailmap;
use crate::message::Person;
use crate::query::{Expr, Field, Parsed};

/// What was said about a commit on the list: its posting's thread, the
/// tags given there, the commit's tags nobody gave there, objections left
/// open, the rest of its series, and later messages that name it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Discussion {
    /// The posting's thread.
    pub thread: String,
    /// The posting's version.
    pub version: u32,
    /// Tags credited to the posting (or carried to it) on the list.
    pub credited: Vec<String>,
    /// The commit's `Acked-by`/`Reviewed-by`/`Tested-by` lines that the
    /// person gave nowhere in the posting's thread or series (matched by
    /// address, by name, or by address through the repository's
    /// `.mailmap`).
    pub not_on_list: Vec<String>,
    /// The commit's tags that the person gave in the thread or series, but
    /// not to any posting of this patch (to another patch, or to an
    /// earlier posting that was changed and re-posted under another
    /// subject).
    pub given_elsewhere: Vec<String>,
    /// Objections to the posting still open when it was applied.
    pub open_objections: Vec<String>,
    /// When the posting's diff is not the commit's (changed when
    /// applied): the diff from the one to the other.
    pub interdiff: Option<String>,
    /// Every patch of the posting's version, when it had more than one, and
    /// the commit each went in as: did the whole series go in?
    pub series: Vec<Sibling>,
    /// Later messages that name the commit, newest first (at most 50;
    /// none without a search index).
    pub mentions: Vec<Mention>,
}

/// A patch of the same version of a series as a commit's posting.
#[derive(Debug, Clone, Serialize)]
pub struct Sibling {
    /// Its Message-ID.
    pub message_id: String,
    /// Its subject.
    pub subject: String,
    /// The commit it went in as, among the commits read; none when it did
    /// not (or outside them).
    pub applied_as: Option<String>,
}

/// A message that names a commit after it was made.
#[derive(Debug, Clone, Serialize)]
pub struct Mention {
    /// Its Message-ID.
    pub message_id: String,
    /// Its subject.
    pub subject: String,
    /// Unix seconds.
    pub date: Option<i64>,
    /// `fixes` (a `Fixes:` line with the commit's hash), `hash` (names the
    /// hash otherwise), `revert` (`Revert "subject"`), `repost` (the patch
    /// posted again, or a reply to that: a resend, a backport), or
    /// `release` (an `[ANNOUNCE]` that lists its subject), or `subject`
    /// (quotes the commit's subject: a regression report).
    pub kind: &'static str,
    /// In the thread the commit was posted in (an "applied" notice).
    pub in_thread: bool,
}

impl Mention {
    /// How it names the commit, in words.
    pub fn says(&self) -> &'static str {
        match (self.kind, self.in_thread) {
            ("fixes", _) => "fixes it",
            ("hash", true) => "names it in its thread",
            ("hash", false) => "names it",
            ("revert", _) => "reverts it",
            ("repost", _) => "posts it again",
            ("release", _) => "announces it in a release",
            _ => "quotes its subject",
        }
    }
}

/// A tag someone gave: (tag name, address, name), lower-case.
type Given = (String, String, String);

/// A thread as [`Discussions`] keeps it: its analysis and its postings'
/// patch-ids.
#[derive(Clone)]
struct Thread {
    a: Arc<Analysis>,
    patch_ids: Rc<Vec<Option<String>>>,
}

/// Discussions of many commits: a thread is analysed, a series' ledger
/// read, and a message naming commits read, once for all their commits.
pub struct Discussions<'a, R> {
    r: &'a R,
    /// Threads analysed, by root.
    threads: HashMap<String, Thread>,
    /// Messages found naming a commit, by store row: body and thread root
    /// (one release announcement names dozens of commits).
    hits: HashMap<i64, Rc<(String, Option<String>)>>,
    /// Ledgers read; each covers the postings of its series.
    ledgers: Vec<Rc<Ledger>>,
    /// Postings of no series.
    no_series: HashSet<String>,
    /// The commit each posting went in as, among the commits read.
    applied: Option<&'a HashMap<String, String>>,
    /// The repository's `.mailmap`.
    mailmap: Option<&'a Mailmap>,
}

impl<'a, R: Reader> Discussions<'a, R> {
    /// Nothing read yet; no other commit known.
    pub fn new(r: &'a R) -> Discussions<'a, R> {
        Discussions {
            r,
            threads: HashMap::new(),
            hits: HashMap::new(),
            ledgers: Vec::new(),
            no_series: HashSet::new(),
            applied: None,
            mailmap: None,
        }
    }

    /// Knowing the commit each posting went in as (Message-ID to hash), to
    /// tell which of a series' patches went in.
    pub fn knowing(mut self, applied: &'a HashMap<String, String>) -> Self {
        self.applied = Some(applied);
        self
    }

    /// Joining addresses through `mailmap` (the repository's own).
    pub fn with_mailmap(mut self, mailmap: Option<&'a Mailmap>) -> Self {
        self.mailmap = mailmap;
        self
    }

    /// The discussion of the commit `c`, found as `m`; none when its
    /// posting was not found.
    pub fn of(&mut self, c: &Commit, m: &CommitMatch) -> Result<Option<Discussion>> {
        let Some(posting) = m.posting.as_deref() else {
            return Ok(None);
        };
        let mut d = Discussion::default();
        let (mut here, mut anywhere) = (Vec::new(), Vec::new());
        if let Some(Thread { a, patch_ids }) = self.analysis(posting)? {
            d.thread = a.view.root.clone();
            d.version = a
                .view
                .nodes
                .iter()
                .find(|n| n.message_id == posting)
                .map_or(1, |n| n.version);
            d.series = self.siblings(&a, posting, d.version);
            if m.changed_when_applied {
                d.interdiff = interdiff(&a, posting, c);
            }
            anywhere.extend(tags_said(&a));
            match self.ledger(posting)? {
                // The tags of this patch's versions and identical
                // re-posts (a cover letter's cover them all), not of its
                // series' other patches.
                Some(ledger) => {
                    let twins = twins(&a, &patch_ids, posting);
                    here.extend(tags_given(&ledger, &twins, &mut d));
                    anywhere.extend(ledger.patches.iter().flat_map(|h| h.tags.iter().map(given)));
                }
                // A lone patch: what anyone in its thread gave.
                None => here.extend(tags_said(&a)),
            }
        }
        dedup(&mut d.credited);
        dedup(&mut d.open_objections);
        anywhere.extend(here.iter().cloned());
        let (here, anywhere) = (self.canonical_all(here), self.canonical_all(anywhere));
        for (tag, person, line) in commit_tags(&c.message) {
            let who = self.canonical((tag, person.email, person.name));
            if !gave(&anywhere, &who) {
                d.not_on_list.push(line);
            } else if !gave(&here, &who) {
                d.given_elsewhere.push(line);
            }
        }
        d.mentions = self.mentions(c, &d.thread)?;
        Ok(Some(d))
    }

    /// Each giver as [`Self::canonical`] gives them.
    fn canonical_all(&self, given: Vec<Given>) -> Vec<Given> {
        given.into_iter().map(|g| self.canonical(g)).collect()
    }

    /// The thread holding `posting`, analysed once per thread.
    fn analysis(&mut self, posting: &str) -> Result<Option<Thread>> {
        let Some(root) = self.r.with_store(|s| s.root_of(posting))? else {
            return Ok(None);
        };
        if let Some(t) = self.threads.get(&root) {
            return Ok(Some(t.clone()));
        }
        let Some(a) = self.r.analysis(posting)? else {
            return Ok(None);
        };
        let patch_ids = (0..a.view.nodes.len())
            .map(|i| {
                let posts = a.view.nodes[i].posts_patch();
                posts
                    .then(|| crate::series::patch_id(&a.bodies[i]))
                    .flatten()
            })
            .collect();
        let t = Thread {
            a,
            patch_ids: Rc::new(patch_ids),
        };
        self.threads.insert(root, t.clone());
        Ok(Some(t))
    }

    /// A tag's giver with the address `.mailmap` gives them and their name
    /// in lower case, spaces made single.
    fn canonical(&self, (tag, email, name): Given) -> Given {
        let email = match self.mailmap {
            Some(m) => {
                m.resolve(&Person {
                    name: name.clone(),
                    email: email.clone(),
                })
                .email
            }
            None => email,
        };
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        (tag, email.to_lowercase(), name.to_lowercase())
    }

    /// The patches of the posting's version, when it had more than one.
    fn siblings(&self, a: &Analysis, posting: &str, version: u32) -> Vec<Sibling> {
        let mut patches: Vec<&crate::consensus::PatchCredits> = a
            .consensus
            .patches
            .iter()
            .filter(|p| !p.cover && p.version == version)
            .collect();
        if patches.len() < 2 || !patches.iter().any(|p| p.message_id == posting) {
            return Vec::new();
        }
        patches.sort_by_key(|p| p.index);
        patches
            .into_iter()
            .map(|p| Sibling {
                message_id: p.message_id.clone(),
                subject: p.subject.clone(),
                applied_as: self.applied.and_then(|a| a.get(&p.message_id).cloned()),
            })
            .collect()
    }

    /// Messages after the commit that name it: by the first 12 characters
    /// of its hash (or more), by `Revert "subject"`, or by quoting its
    /// subject (when the subject says enough to be searched for); newest
    /// first. A message in the commit's own thread counts only when it
    /// names the hash.
    fn mentions(&mut self, c: &Commit, thread: &str) -> Result<Vec<Mention>> {
        let Some(short) = c.sha.get(..12) else {
            return Ok(Vec::new());
        };
        let Ok(index) = self.r.search_index() else {
            return Ok(Vec::new());
        };
        let opts = crate::index::SearchOptions {
            limit: 50,
            offset: 0,
            sort: crate::index::Sort::Date,
            snippets: false,
        };
        let hits = index.search(&mentions_query(short, c), opts, &|_| None)?;
        let mut out = Vec::new();
        for h in hits.hits {
            let hit = self.hit(h.row)?;
            let (body, root) = &*hit;
            let in_thread = root.as_deref() == Some(thread);
            match mention_kind(body, &h.subject, short, c.subject()) {
                // In its own thread only a message naming the hash says
                // something new (an "applied" notice); the rest quote it.
                Some(kind) if in_thread && !matches!(kind, "fixes" | "hash") => {}
                Some(kind) => out.push(Mention {
                    message_id: h.message_id,
                    subject: h.subject,
                    date: h.date.map(|d| d.0),
                    kind,
                    in_thread,
                }),
                None => {}
            }
        }
        Ok(out)
    }

    /// The body and thread root of the message in store row `row`, read
    /// once.
    fn hit(&mut self, row: i64) -> Result<Rc<(String, Option<String>)>> {
        if let Some(h) = self.hits.get(&row) {
            return Ok(h.clone());
        }
        let (body, root) = self
            .r
            .with_store(|s| Ok((s.body_at(row)?, s.thread_root_of(row)?)))?;
        let h = Rc::new((body.unwrap_or_default(), root));
        self.hits.insert(row, h.clone());
        Ok(h)
    }

    /// The ledger of the series `posting` belongs to, read once per
    /// series.
    fn ledger(&mut self, posting: &str) -> Result<Option<Rc<Ledger>>> {
        let has = |l: &Ledger| {
            l.patches
                .iter()
                .any(|h| h.postings.iter().any(|p| p.message_id == posting))
        };
        if let Some(l) = self.ledgers.iter().find(|l| has(l)) {
            return Ok(Some(l.clone()));
        }
        if self.no_series.contains(posting) {
            return Ok(None);
        }
        let Some(series) = self.r.with_store(|s| s.series(posting))? else {
            self.no_series.insert(posting.to_string());
            return Ok(None);
        };
        let ledger = Rc::new(crate::archive::ledger::ledger(self.r, &series)?);
        self.ledgers.push(ledger.clone());
        Ok(Some(ledger))
    }
}

/// The diff from the posting's diff to the commit's (which differ: the
/// match said so).
fn interdiff(a: &Analysis, posting: &str, c: &Commit) -> Option<String> {
    let i = a.view.nodes.iter().position(|n| n.message_id == posting)?;
    Some(crate::series::interdiff(
        &a.bodies[i],
        &c.patch,
        "posted",
        "applied",
    ))
}

/// `lines` without repeats, in their first order (twin postings' histories
/// hold the same tags).
fn dedup(lines: &mut Vec<String>) {
    let mut seen = HashSet::new();
    lines.retain(|l| seen.insert(l.clone()));
}

/// Someone in `given` gave `who`'s tag: same tag, and same address or
/// (when known) same name.
fn gave(given: &[Given], (tag, email, name): &Given) -> bool {
    given
        .iter()
        .any(|(t, e, n)| t == tag && (e == email || (!name.is_empty() && n == name)))
}

/// A ledger's tag as a [`Given`].
fn given(t: &crate::archive::ledger::TagEntry) -> Given {
    (
        t.name.to_ascii_lowercase(),
        t.person.email.clone(),
        t.person.name.clone(),
    )
}

/// The postings of the thread that carry the same diff as `posting`
/// (itself included): a patch sent twice in one series is one patch.
/// `patch_ids` are the thread's postings' (none for other messages).
fn twins(a: &Analysis, patch_ids: &[Option<String>], posting: &str) -> HashSet<String> {
    let nodes = &a.view.nodes;
    let mut out = HashSet::from([posting.to_string()]);
    let Some(mine) = nodes
        .iter()
        .position(|n| n.message_id == posting)
        .and_then(|i| patch_ids[i].as_ref())
    else {
        return out;
    };
    out.extend(
        (0..nodes.len())
            .filter(|&i| patch_ids[i].as_ref() == Some(mine))
            .map(|i| nodes[i].message_id.clone()),
    );
    out
}

/// The tags given to any version of the posting's patch (any posting in
/// `twins`); fills the posting's credited tags and open objections.
fn tags_given(ledger: &Ledger, twins: &HashSet<String>, d: &mut Discussion) -> Vec<Given> {
    let mut given_here = Vec::new();
    for h in &ledger.patches {
        if !h.postings.iter().any(|p| twins.contains(&p.message_id)) {
            continue;
        }
        for t in &h.tags {
            given_here.push(given(t));
            if t.state != "stale" {
                d.credited.push(format!(
                    "{}: {} <{}>",
                    t.name, t.person.name, t.person.email
                ));
            }
        }
        {
            d.open_objections
                .extend(h.objections.iter().filter(|o| o.state == "open").map(|o| {
                    format!(
                        "{} (v{}): \"{}\" <{}>",
                        o.person.display(),
                        o.given_on,
                        o.evidence,
                        o.source
                    )
                }));
        }
    }
    given_here
}

/// The tags anyone said they give in the posting's thread (a trailer, a
/// trailer carried in a re-post, an offer in prose).
fn tags_said(a: &Analysis) -> Vec<Given> {
    let name = |k: crate::stance::Kind| match k {
        crate::stance::Kind::AckedBy => Some("acked-by"),
        crate::stance::Kind::ReviewedBy => Some("reviewed-by"),
        crate::stance::Kind::TestedBy => Some("tested-by"),
        _ => None,
    };
    a.consensus
        .positions
        .iter()
        .flat_map(|p| p.signals.iter().map(move |s| (p, s)))
        .filter_map(|(p, s)| {
            Some((
                name(s.kind)?.to_string(),
                p.person.email.clone(),
                p.person.name.clone(),
            ))
        })
        .collect()
}

/// The commit's Acked-by, Reviewed-by and Tested-by lines: (tag name
/// lower-case, the person, the line).
pub fn commit_tags(message: &str) -> Vec<(String, Person, String)> {
    message
        .lines()
        .filter_map(|l| {
            let (tag, rest) = l.split_once(':')?;
            let tag = tag.trim().to_ascii_lowercase();
            if !matches!(tag.as_str(), "acked-by" | "reviewed-by" | "tested-by") {
                return None;
            }
            let (name, rest) = rest.split_once('<')?;
            let email = rest.split_once('>')?.0.trim().to_ascii_lowercase();
            // "Reviewed-by: Reviewed-by: Name <a>" (a slip seen in kmod).
            let name = name.trim().rsplit(": ").next().unwrap_or("").trim();
            let person = Person {
                name: name.trim_matches('"').to_string(),
                email,
            };
            Some((tag, person, l.trim().to_string()))
        })
        .collect()
}

/// The search for [`Discussions::mentions`]: the hash, a revert or the quoted subject,
/// dated from the commit on.
fn mentions_query(short: &str, c: &Commit) -> Parsed {
    let subject = c.subject();
    let mut any = vec![Expr::Term {
        field: Field::Body,
        text: short.to_string(),
        prefix: true,
    }];
    if searchable_subject(subject) {
        any.push(Expr::Phrase {
            field: Field::Body,
            text: subject.to_string(),
        });
        any.push(Expr::And(vec![
            Expr::Term {
                field: Field::Subject,
                text: "revert".into(),
                prefix: false,
            },
            Expr::Phrase {
                field: Field::Subject,
                text: subject.to_string(),
            },
        ]));
    }
    Parsed {
        expr: Expr::And(vec![
            Expr::Or(any),
            Expr::DateRange {
                from: Some(c.commit_date),
                to: None,
            },
        ]),
        notes: Vec::new(),
    }
}

/// A subject of four words or more and 20 characters: short ones ("Fix
/// typo") recur in unrelated mail.
fn searchable_subject(subject: &str) -> bool {
    subject.split_whitespace().count() >= 4 && subject.len() >= 20
}

/// How a message found by [`mentions_query`] names the commit, read from
/// its text; none when the search matched but the text does not say it
/// (the index matched words, not the line).
fn mention_kind(
    body: &str,
    subject: &str,
    short: &str,
    commit_subject: &str,
) -> Option<&'static str> {
    let lower = body.to_ascii_lowercase();
    if lower.contains(short) {
        let fixes = lower
            .lines()
            .any(|l| l.trim_start().starts_with("fixes:") && l.contains(short));
        return Some(if fixes { "fixes" } else { "hash" });
    }
    let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let quoted = flat(commit_subject);
    if !searchable_subject(commit_subject) {
        return None;
    }
    if subject.to_ascii_lowercase().contains("revert") && flat(subject).contains(&quoted) {
        return Some("revert");
    }
    if subject.to_ascii_lowercase().contains("[announce") && flat(body).contains(&quoted) {
        return Some("release");
    }
    if crate::series::parse_subject(subject).base
        == crate::series::parse_subject(commit_subject).base
    {
        return Some("repost");
    }
    flat(body).contains(&quoted).then_some("subject")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_told_apart_by_their_text() {
        let sha = "e7e2cb61fa9f";
        let subject = "libkmod: only check builtin modules when needed";
        let cases = [
            (
                "Fixes: e7e2cb61fa9f (\"libkmod: ...\")\n",
                "Re: x",
                Some("fixes"),
            ),
            ("since commit E7E2CB61FA9F we fail\n", "x", Some("hash")),
            (
                "",
                "[PATCH] Revert \"libkmod: only check builtin modules when needed\"",
                Some("revert"),
            ),
            (
                "after \"libkmod: only check builtin\n modules when needed\" my box fails",
                "x",
                Some("subject"),
            ),
            ("libkmod only checks builtin modules", "x", None),
            (
                "",
                "Re: [PATCH 5.10 3/9] libkmod: only check builtin modules when needed",
                Some("repost"),
            ),
            (
                "- libkmod: only check builtin modules when needed\n",
                "[ANNOUNCE] kmod 30",
                Some("release"),
            ),
        ];
        for (body, hit_subject, want) in cases {
            assert_eq!(
                mention_kind(body, hit_subject, sha, subject),
                want,
                "{body:?}"
            );
        }
    }

    #[test]
    fn commit_tags_read_name_and_address() {
        let msg = "x\n\nReviewed-by: Reviewed-by: Emil Velikov <Emil.L.Velikov@gmail.com>\n\
                   Acked-by: \"Doe, Jane\" <jane@x>\nSigned-off-by: A <a@x>\n";
        let tags: Vec<(String, String, String)> = commit_tags(msg)
            .into_iter()
            .map(|(t, p, _)| (t, p.name, p.email))
            .collect();
        assert_eq!(
            tags,
            [
                (
                    "reviewed-by".into(),
                    "Emil Velikov".into(),
                    "emil.l.velikov@gmail.com".into()
                ),
                ("acked-by".into(), "Doe, Jane".into(), "jane@x".into()),
            ]
        );
    }
}
