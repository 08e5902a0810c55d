//! From a commit in git back to its posting on the list.
//!
//! Each commit is tried in order: a `Link:` or `Message-Id:` trailer that
//! names a message in the archive; a posting whose diff has the commit's
//! patch-id (`git patch-id --stable`); a posting with the commit's subject
//! by the commit's author (in-body `From:` or sender); a posting with the
//! subject alone. Postings after the commit (a day's slack) are not
//! candidates, and of several the newest is taken: the version applied.
//! A posting found by its Link or subject whose diff differs from the
//! commit's was changed when applied.

use std::collections::HashMap;

use serde::Serialize;

use super::Reader;
use super::ledger::Ledger;
use crate::error::Result;
use crate::git::Commit;
use crate::store::PostingRow;

/// Every posted patch of the archive, by patch-id and by subject.
pub struct Postings {
    rows: Vec<PostingRow>,
    patch_ids: Vec<Option<String>>,
    by_patch_id: HashMap<String, Vec<usize>>,
    by_subject: HashMap<String, Vec<usize>>,
    /// Each posting's place in `rows`, by Message-ID.
    at: HashMap<String, usize>,
    known: std::collections::HashSet<String>,
}

/// Where a commit was posted, and how sure that is.
#[derive(Debug, Clone, Serialize)]
pub struct CommitMatch {
    /// The commit's hash.
    pub sha: String,
    /// Its subject.
    pub subject: String,
    /// The posting's Message-ID, if one was found.
    pub posting: Option<String>,
    /// `link`, `patch-id`, `subject-author`, `subject`, or `none`.
    pub method: &'static str,
    /// `high`, `medium` or `low` (none for no match).
    pub confidence: Option<&'static str>,
    /// Found by its Link or subject, and its diff is not the commit's.
    pub changed_when_applied: bool,
    /// What the commit's `Link:`/`Message-Id:` trailers name.
    pub links: Vec<String>,
}

impl Postings {
    /// Reads every posting of the archive and the patch-id of each that
    /// carries a diff.
    pub fn read(r: &impl Reader) -> Result<Postings> {
        let rows = r.with_store(|s| s.patch_postings())?;
        let patch_ids = patch_ids_of(r, &rows)?;
        let mut by_patch_id: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_subject: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, row) in rows.iter().enumerate() {
            if let Some(id) = &patch_ids[i] {
                by_patch_id.entry(id.clone()).or_default().push(i);
            }
            by_subject
                .entry(row.subject_base.clone())
                .or_default()
                .push(i);
        }
        let known = r.with_store(|s| s.message_ids())?;
        let at = rows
            .iter()
            .enumerate()
            .map(|(i, p)| (p.message_id.clone(), i))
            .collect();
        Ok(Postings {
            at,
            rows,
            patch_ids,
            by_patch_id,
            by_subject,
            known,
        })
    }

    /// Where `c` was posted.
    pub fn find(&self, c: &Commit) -> CommitMatch {
        let links = trailer_links(&c.message);
        let mut m = CommitMatch {
            sha: c.sha.clone(),
            subject: c.subject().to_string(),
            posting: None,
            method: "none",
            confidence: None,
            changed_when_applied: false,
            links: links.clone(),
        };
        let linked = links.iter().find(|l| self.known.contains(*l));
        if let Some(l) = linked {
            m.posting = Some(l.clone());
            (m.method, m.confidence) = ("link", Some("high"));
            let i = self.at.get(l).copied();
            m.changed_when_applied = i.is_some_and(|i| self.differs(i, &c.patch_ids));
            return m;
        }
        let before = |i: &usize| {
            self.rows[*i]
                .date
                .is_none_or(|d| d <= c.commit_date + 86_400)
        };
        let newest = |found: &[usize]| {
            found
                .iter()
                .copied()
                .filter(before)
                .max_by_key(|&i| (self.rows[i].date, i))
        };
        // Any of the commit's patch-ids (one per diff algorithm).
        let by_id = c.patch_ids.iter().filter_map(|id| self.by_patch_id.get(id));
        if let Some(i) = by_id
            .filter_map(|f| newest(f))
            .max_by_key(|&i| (self.rows[i].date, i))
        {
            m.posting = Some(self.rows[i].message_id.clone());
            (m.method, m.confidence) = ("patch-id", Some("high"));
            return m;
        }
        let subject = crate::series::parse_subject(c.subject()).base;
        let same_subject: &[usize] = self.by_subject.get(&subject).map_or(&[], Vec::as_slice);
        let author = c.author_email.to_ascii_lowercase();
        let by_author: Vec<usize> = same_subject
            .iter()
            .copied()
            .filter(|&i| {
                let p = &self.rows[i];
                p.author_email.eq_ignore_ascii_case(&author)
                    || p.from_email.eq_ignore_ascii_case(&author)
            })
            .collect();
        let (found, method, confidence) = match newest(&by_author) {
            Some(i) => (Some(i), "subject-author", "medium"),
            None => (newest(same_subject), "subject", "low"),
        };
        if let Some(i) = found {
            m.posting = Some(self.rows[i].message_id.clone());
            (m.method, m.confidence) = (method, Some(confidence));
            m.changed_when_applied = self.differs(i, &c.patch_ids);
        }
        m
    }

    /// Whether `message_id` was posted (a patch or a message with a diff
    /// that answers none), and if so its subject without tags and its
    /// patch-id.
    pub fn posted(&self, message_id: &str) -> Option<(&str, Option<&str>)> {
        let i = *self.at.get(message_id)?;
        Some((&self.rows[i].subject_base, self.patch_ids[i].as_deref()))
    }

    /// The posting's diff is known and is none of the commit's.
    fn differs(&self, i: usize, patch_ids: &[String]) -> bool {
        self.patch_ids[i]
            .as_ref()
            .is_some_and(|id| !patch_ids.is_empty() && !patch_ids.contains(id))
    }
}

/// The patch-id of each posting: kept by the import, computed here (and
/// kept, where the store takes writes) for messages a store held before
/// patch-ids were kept.
fn patch_ids_of(r: &impl Reader, rows: &[PostingRow]) -> Result<Vec<Option<String>>> {
    let missing: Vec<i64> = rows
        .iter()
        .filter(|p| p.has_diff && p.patch_id.is_none())
        .map(|p| p.row)
        .collect();
    let bodies = r.with_store(|s| {
        missing
            .iter()
            .map(|&row| s.body_at(row))
            .collect::<Result<Vec<_>>>()
    })?;
    let computed: Vec<(i64, Option<String>)> = missing
        .iter()
        .copied()
        .zip(crate::par::map(&bodies, |b| {
            b.as_deref().and_then(crate::series::patch_id)
        }))
        .collect();
    if !computed.is_empty() && !r.with_store(|s| Ok(s.is_replica()))? {
        r.with_store(|s| s.put_patch_ids(&computed))?;
    }
    let mut computed: HashMap<i64, Option<String>> = computed.into_iter().collect();
    Ok(rows
        .iter()
        .map(|p| match &p.patch_id {
            Some(known) => known.clone(),
            None => computed.remove(&p.row).flatten(),
        })
        .collect())
}

/// The Message-IDs a commit's `Link:` and `Message-Id:` trailers name (a
/// lore or msgid.link URL, or a bare id).
pub fn trailer_links(message: &str) -> Vec<String> {
    message
        .lines()
        .filter_map(|l| {
            let (name, value) = l.split_once(':')?;
            let name = name.trim().to_ascii_lowercase();
            (name == "link" || name == "message-id").then(|| value.trim())
        })
        .map(crate::links::message_id_from_user)
        .filter(|id| id.contains('@'))
        .collect()
}

/// What was said about a commit on the list: its posting's thread, the
/// tags given there, the commit's tags nobody gave there, objections left
/// open, and later messages that name the commit by its hash.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Discussion {
    /// The posting's thread.
    pub thread: String,
    /// The posting's version.
    pub version: u32,
    /// Tags credited to the posting (or carried to it) on the list.
    pub credited: Vec<String>,
    /// The commit's `Acked-by`/`Reviewed-by`/`Tested-by` lines that no
    /// version of the posting was given by that person on the list.
    pub not_on_list: Vec<String>,
    /// Objections to the posting still open when it was applied.
    pub open_objections: Vec<String>,
    /// Later messages naming the commit's 12-character hash (a `Fixes:`
    /// tag, `commit abc123 ("...")`), newest first: (Message-ID, subject).
    pub mentions: Vec<(String, String)>,
}

/// The discussion of the commit `c`, posted as `posting` (for one commit;
/// [`Discussions`] for many).
pub fn discussion(r: &impl Reader, c: &Commit, posting: &str) -> Result<Discussion> {
    Discussions::new(r).of(c, posting)
}

/// Discussions of many commits: the ledger of a series is read once for
/// all its commits (a series' patches share their thread).
pub struct Discussions<'a, R> {
    r: &'a R,
    /// By the posting's thread root.
    ledgers: HashMap<String, Option<std::rc::Rc<Ledger>>>,
}

impl<'a, R: Reader> Discussions<'a, R> {
    /// No ledger read yet.
    pub fn new(r: &'a R) -> Discussions<'a, R> {
        Discussions {
            r,
            ledgers: HashMap::new(),
        }
    }

    /// The discussion of the commit `c`, posted as `posting`.
    pub fn of(&mut self, c: &Commit, posting: &str) -> Result<Discussion> {
        let mut d = Discussion::default();
        let mut given = Vec::new();
        if let Some(a) = self.r.analysis(posting)? {
            d.thread = a.view.root.clone();
            d.version = a
                .view
                .nodes
                .iter()
                .find(|n| n.message_id == posting)
                .map_or(1, |n| n.version);
            given.extend(tags_said(&a));
        }
        if let Some(ledger) = self.ledger(&d.thread, posting)? {
            given.extend(tags_given(&ledger, posting, &mut d));
        }
        d.not_on_list = commit_tags(&c.message)
            .into_iter()
            .filter(|(name, email, _)| !given.iter().any(|(n, e)| n == name && e == email))
            .map(|(_, _, line)| line)
            .collect();
        d.mentions = mentions(self.r, &c.sha)?;
        Ok(d)
    }

    /// The ledger of the series `posting` belongs to, read once per thread.
    fn ledger(&mut self, thread: &str, posting: &str) -> Result<Option<std::rc::Rc<Ledger>>> {
        if let Some(l) = self.ledgers.get(thread) {
            return Ok(l.clone());
        }
        let ledger = match self.r.with_store(|s| s.series(posting))? {
            Some(series) => Some(std::rc::Rc::new(super::ledger::ledger(self.r, &series)?)),
            None => None,
        };
        self.ledgers.insert(thread.to_string(), ledger.clone());
        Ok(ledger)
    }
}

/// The tags given to any version of the posting, as (name, address), all
/// lower-case; fills the posting's credited tags and open objections.
fn tags_given(ledger: &Ledger, posting: &str, d: &mut Discussion) -> Vec<(String, String)> {
    let mut given = Vec::new();
    for h in &ledger.patches {
        let this = h.postings.iter().any(|p| p.message_id == posting);
        for t in &h.tags {
            given.push((
                t.name.to_ascii_lowercase(),
                t.person.email.to_ascii_lowercase(),
            ));
            if this && t.state != "stale" {
                d.credited.push(format!(
                    "{}: {} <{}>",
                    t.name, t.person.name, t.person.email
                ));
            }
        }
        if this {
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
    given
}

/// The tags anyone said they give in the posting's thread (a trailer, a
/// trailer carried in a re-post, an offer in prose), as (name, address).
fn tags_said(a: &super::Analysis) -> Vec<(String, String)> {
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
                p.person.email.to_ascii_lowercase(),
            ))
        })
        .collect()
}

/// The commit's Acked-by, Reviewed-by and Tested-by lines: (name lower,
/// address lower, the line).
pub fn commit_tags(message: &str) -> Vec<(String, String, String)> {
    message
        .lines()
        .filter_map(|l| {
            let (name, rest) = l.split_once(':')?;
            let lower = name.trim().to_ascii_lowercase();
            if !matches!(lower.as_str(), "acked-by" | "reviewed-by" | "tested-by") {
                return None;
            }
            let email = rest
                .split_once('<')?
                .1
                .split_once('>')?
                .0
                .trim()
                .to_ascii_lowercase();
            Some((lower, email, l.trim().to_string()))
        })
        .collect()
}

/// Messages naming the commit by the first 12 characters of its hash,
/// newest first.
fn mentions(r: &impl Reader, sha: &str) -> Result<Vec<(String, String)>> {
    let Some(short) = sha.get(..12) else {
        return Ok(Vec::new());
    };
    let Ok(index) = r.search_index() else {
        return Ok(Vec::new());
    };
    let parsed = crate::query::parse(short, chrono::Utc::now().timestamp())?;
    let opts = crate::index::SearchOptions {
        limit: 50,
        offset: 0,
        sort: crate::index::Sort::Date,
        snippets: false,
    };
    let hits = index.search(&parsed, opts, &|_| None)?;
    Ok(hits
        .hits
        .into_iter()
        .map(|h| (h.message_id, h.subject))
        .collect())
}

/// A repository's commits matched to their postings, both ways: what the
/// web's commit pages and a thread page's "applied as" read.
pub struct Applied {
    repo: std::path::PathBuf,
    postings: Postings,
    commits: Vec<Commit>,
    found: Vec<CommitMatch>,
    /// Commit by full hash.
    by_sha: HashMap<String, usize>,
    /// Commits by the Message-ID of their posting.
    by_posting: HashMap<String, Vec<usize>>,
    /// The first tag (else branch) holding each matched commit.
    contained_in: HashMap<String, String>,
}

impl Applied {
    /// Reads `revs` of `repo` (HEAD's history when empty) and matches
    /// every commit.
    pub fn read(r: &impl Reader, repo: &std::path::Path, revs: &[String]) -> Result<Applied> {
        let commits = crate::git::commits(repo, revs, |_| {})?;
        let postings = Postings::read(r)?;
        let found: Vec<CommitMatch> = commits.iter().map(|c| postings.find(c)).collect();
        let mut by_posting: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, m) in found.iter().enumerate() {
            if let Some(p) = &m.posting {
                by_posting.entry(p.clone()).or_default().push(i);
            }
        }
        let matched: Vec<&str> = found
            .iter()
            .filter(|m| m.posting.is_some())
            .map(|m| m.sha.as_str())
            .collect();
        let contained_in = crate::git::first_contained_in(repo, &matched)?;
        let by_sha = commits
            .iter()
            .enumerate()
            .map(|(i, c)| (c.sha.clone(), i))
            .collect();
        Ok(Applied {
            repo: repo.to_path_buf(),
            postings,
            commits,
            found,
            by_sha,
            by_posting,
            contained_in,
        })
    }

    /// The commits `message_id` was applied as, with their matches.
    pub fn of_posting(&self, message_id: &str) -> Vec<(&Commit, &CommitMatch)> {
        self.by_posting
            .get(message_id)
            .into_iter()
            .flatten()
            .map(|&i| (&self.commits[i], &self.found[i]))
            .collect()
    }

    /// The commit `rev` names (a hash or a prefix of 7 or more hex digits,
    /// or any revision the repository knows) and its match; read from the
    /// repository when it was outside the history read.
    pub fn commit(&self, rev: &str) -> Result<Option<(Commit, CommitMatch)>> {
        let known = self.by_sha.get(rev).copied().or_else(|| {
            let hex = rev.len() >= 7 && rev.bytes().all(|b| b.is_ascii_hexdigit());
            let mut hits = self
                .by_sha
                .iter()
                .filter(|(s, _)| hex && s.starts_with(rev));
            match (hits.next(), hits.next()) {
                (Some((_, &i)), None) => Some(i),
                _ => None,
            }
        });
        if let Some(i) = known {
            return Ok(Some((self.commits[i].clone(), self.found[i].clone())));
        }
        Ok(crate::git::commit(&self.repo, rev)?.map(|c| {
            let m = self.postings.find(&c);
            (c, m)
        }))
    }

    /// Where `sha` first went in: a tag (`v31`) or a branch (`master`).
    pub fn contained_in(&self, sha: &str) -> Option<String> {
        if let Some(n) = self.contained_in.get(sha) {
            return Some(n.clone());
        }
        crate::git::first_contained_in(&self.repo, &[sha])
            .ok()?
            .remove(sha)
    }

    /// How many commits were read, and how many of them were found.
    pub fn counts(&self) -> (usize, usize) {
        let found = self.found.iter().filter(|m| m.posting.is_some()).count();
        (self.commits.len(), found)
    }
}
