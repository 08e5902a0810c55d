//! From a commit in git back to its posting on the list.
//!
//! Each commit is tried in order: a `Link:` or `Message-Id:` trailer that
//! names a posting in the archive with the commit's subject or diff (one
//! with neither, a report's proposed fix, is taken only when no posting
//! has the commit's diff); a posting whose diff has the commit's
//! patch-id (`git patch-id --stable`); a posting with the commit's subject
//! by the commit's author (in-body `From:` or sender); a `Link:` that names
//! another message (a bug report, a reply: the discussion it points to); a
//! posting with the subject alone. Postings after the commit (a day's
//! slack) are not candidates, and of several the newest is taken: the
//! version applied. A posting found by its Link or subject whose diff
//! differs from the commit's was changed when applied.

use std::collections::HashMap;

use serde::Serialize;

use super::Reader;
use crate::error::Result;
use crate::git::Commit;
use crate::store::PostingRow;

mod applied;
mod said;

pub use applied::Applied;
pub use said::{Discussion, Discussions, Mention, Sibling, commit_tags};

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

/// A commit's match and what the list said of it: one element of
/// `commits --json`, and `/api/c/{sha}`.
#[derive(Debug, Serialize)]
pub struct CommitReport<'a> {
    /// Where it was posted.
    #[serde(flatten)]
    pub found: &'a CommitMatch,
    /// What was said, when it was found.
    pub discussion: Option<&'a Discussion>,
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
    /// `link` (a `Link:` names the posting), `patch-id`, `subject-author`,
    /// `link-other` (a `Link:` names another message, such as a bug report:
    /// `posting` is that message, where it was discussed), `subject`, or
    /// `none`.
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
        // A Link: to a posting is the posting; a Link: to another message
        // (a bug report, a reply) names the discussion, and is taken when
        // neither the diff nor subject and author find the posting.
        let to_posting = links.iter().find_map(|l| self.at.get(l)).copied();
        let linked = links.iter().find(|l| self.known.contains(*l));
        let by_id = || self.by_patch_id(c).map(|i| (i, "patch-id", "high"));
        let found = match to_posting {
            Some(i) if self.agrees(i, c) => Some((i, "link", "high")),
            // A Link: to a diff with neither the commit's subject nor its
            // diff (a report with a proposed fix) gives way to the posting
            // with the commit's diff, when there is one.
            Some(i) => by_id().or(Some((i, "link", "high"))),
            None => by_id().or_else(|| self.by_subject(c)),
        };
        match found {
            Some((_, "subject", _)) | None if linked.is_some() => {
                m.posting = linked.cloned();
                (m.method, m.confidence) = ("link-other", Some("high"));
            }
            Some((i, method, confidence)) => {
                m.posting = Some(self.rows[i].message_id.clone());
                (m.method, m.confidence) = (method, Some(confidence));
                m.changed_when_applied = self.differs(i, &c.patch_ids);
            }
            None => {}
        }
        m
    }

    /// Posting `i` has the commit's subject or one of its diffs.
    fn agrees(&self, i: usize, c: &Commit) -> bool {
        self.rows[i].subject_base == crate::series::parse_subject(c.subject()).base
            || self.patch_ids[i]
                .as_ref()
                .is_some_and(|id| c.patch_ids.contains(id))
    }

    /// Of the postings posted before `c` (a day's slack) among `found`,
    /// the newest: the version applied.
    fn newest(&self, c: &Commit, found: &[usize]) -> Option<usize> {
        found
            .iter()
            .copied()
            .filter(|&i| {
                self.rows[i]
                    .date
                    .is_none_or(|d| d <= c.commit_date + 86_400)
            })
            .max_by_key(|&i| (self.rows[i].date, i))
    }

    /// The newest posting with any of the commit's patch-ids (one per diff
    /// algorithm).
    fn by_patch_id(&self, c: &Commit) -> Option<usize> {
        c.patch_ids
            .iter()
            .filter_map(|id| self.by_patch_id.get(id))
            .filter_map(|found| self.newest(c, found))
            .max_by_key(|&i| (self.rows[i].date, i))
    }

    /// The newest posting with the commit's subject by its author (in-body
    /// `From:` or sender), else with its subject alone.
    fn by_subject(&self, c: &Commit) -> Option<(usize, &'static str, &'static str)> {
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
        match self.newest(c, &by_author) {
            Some(i) => Some((i, "subject-author", "medium")),
            None => self.newest(c, same_subject).map(|i| (i, "subject", "low")),
        }
    }

    /// Whether the archive holds `message_id` (any message).
    pub fn knows(&self, message_id: &str) -> bool {
        self.known.contains(message_id)
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
/// patch-ids were kept, a few thousand bodies at a time. Keeping them is
/// best effort: a store that refuses the write (a read-only file, an
/// import holding the lock) is asked again next time.
fn patch_ids_of(r: &impl Reader, rows: &[PostingRow]) -> Result<Vec<Option<String>>> {
    const CHUNK: usize = 2_000;
    let missing: Vec<i64> = rows
        .iter()
        .filter(|p| p.has_diff && p.patch_id.is_none())
        .map(|p| p.row)
        .collect();
    let keep = !missing.is_empty() && !r.with_store(|s| Ok(s.is_replica()))?;
    let mut computed: HashMap<i64, Option<String>> = HashMap::new();
    for chunk in missing.chunks(CHUNK) {
        let bodies: Vec<Option<String>> =
            r.with_store(|s| chunk.iter().map(|&row| s.body_at(row)).collect())?;
        let ids: Vec<(i64, Option<String>)> = chunk
            .iter()
            .copied()
            .zip(crate::par::map(&bodies, |b: &Option<String>| {
                b.as_deref().and_then(crate::series::patch_id)
            }))
            .collect();
        if keep {
            let _ = r.with_store(|s| s.put_patch_ids(&ids));
        }
        computed.extend(ids);
    }
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
