//! Patch series in the store: the versions of a series and their patches.
//!
//! A series version is what one sender posted under one revision number: a
//! cover letter (`0/N`, or a "naked" cover without a diff whose replies are
//! the patches) and its patches. Versions of one series are linked when they
//! share a thread (a v2 sent in reply to v1, a partial re-roll in reply to a
//! v1 patch), a b4 `change-id`, or the sender and the cover letter's subject.

use std::collections::{BTreeMap, BTreeSet};

use super::{Store, ThreadView};
use crate::error::Result;
use crate::message::{self, Person};

/// A series and all its known versions.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Series {
    /// The series' subject (the newest cover letter's, without tags).
    pub subject: String,
    /// Who posted it.
    pub sender: Person,
    /// b4's change-id, if any version states one.
    pub change_id: Option<String>,
    /// Versions, oldest first.
    pub versions: Vec<SeriesVersion>,
}

/// One posted revision.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SeriesVersion {
    /// Revision number (1 when the subject has none).
    pub version: u32,
    /// The cover letter, if there is one.
    pub cover: Option<SeriesPatch>,
    /// Patches, by counter.
    pub patches: Vec<SeriesPatch>,
    /// The thread it was posted in (root Message-ID).
    pub thread_root: String,
    /// Fewer patches than the counters say: a partial re-roll or lost mail.
    pub partial: bool,
    /// What the cover letter (or the patch notes) says changed.
    pub changes: Vec<String>,
    /// How this version was found to belong to the series: `thread` (the
    /// thread asked about, or posted in reply to it), `change-id`,
    /// `cover-subject` (same sender and cover letter subject) or
    /// `patch-subjects` (same sender, and two or more patch subjects in
    /// common with a version already found).
    pub linked_by: &'static str,
    /// Subjects of the version before's patches that this one does not
    /// continue.
    pub dropped: Vec<String>,
}

/// One message of a series.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SeriesPatch {
    /// Message-ID.
    pub message_id: String,
    /// Subject as sent.
    pub subject: String,
    /// Counter `n` (0 for a cover letter), if any.
    pub index: Option<u32>,
    /// Counter `m`, if any.
    pub total: Option<u32>,
    /// Patch author (in-body `From:`, else sender).
    pub author: Person,
    /// Unix seconds, if known.
    pub date: Option<i64>,
    /// `git patch-id --stable` of its diff (see [`crate::series::patch_id`]).
    pub patch_id: Option<String>,
    /// What became of it since the version before (None in the first
    /// version and for cover letters).
    pub change: Option<crate::series::Change>,
    /// Its counterpart in the version before.
    pub previous: Option<String>,
}

/// The series messages of one thread, by (sender, version).
fn versions_in(view: &ThreadView, sender: &str) -> BTreeMap<u32, SeriesVersion> {
    let mut out: BTreeMap<u32, SeriesVersion> = BTreeMap::new();
    let is_series_msg = |i: usize| {
        let n = &view.nodes[i];
        n.posts_patch() && n.from.email == sender
    };
    for &(i, _) in &view.order {
        if !is_series_msg(i) {
            continue;
        }
        let n = &view.nodes[i];
        let entry = out.entry(n.version).or_insert_with(|| SeriesVersion {
            version: n.version,
            cover: None,
            patches: Vec::new(),
            thread_root: view.root.clone(),
            partial: false,
            changes: Vec::new(),
            linked_by: "thread",
            dropped: Vec::new(),
        });
        let item = SeriesPatch {
            message_id: n.message_id.clone(),
            subject: n.subject.clone(),
            index: n.index,
            total: n.total,
            author: n.author.clone(),
            date: n.date.map(|d| d.0),
            patch_id: None,
            change: None,
            previous: None,
        };
        // A naked cover letter: no counter, no diff, and patches of the same
        // version answer it.
        let answered_by_patches = view.nodes.iter().enumerate().any(|(j, c)| {
            c.parent == Some(i) && is_series_msg(j) && c.version == n.version && c.has_diff
        });
        let is_cover =
            n.index == Some(0) || (!n.has_diff && n.index.is_none() && answered_by_patches);
        if is_cover && entry.cover.is_none() {
            entry.cover = Some(item);
        } else if !entry
            .patches
            .iter()
            .any(|p| p.message_id == item.message_id)
        {
            entry.patches.push(item);
        }
    }
    out
}

/// The threads a series' versions were found in, and how each was found.
#[derive(Default)]
struct Found {
    versions: BTreeMap<u32, SeriesVersion>,
    threads: BTreeMap<String, &'static str>,
    change_ids: BTreeSet<String>,
}

impl Found {
    /// Adds the versions `sender` posted in `view`.
    fn add(&mut self, view: &ThreadView, sender: &str, linked_by: &'static str) {
        for (v, found) in versions_in(view, sender) {
            let entry = self.versions.entry(v).or_insert_with(|| SeriesVersion {
                patches: Vec::new(),
                linked_by,
                ..found.clone()
            });
            if entry.cover.is_none() {
                entry.cover = found.cover.clone();
            }
            for p in found.patches {
                if !entry.patches.iter().any(|q| q.message_id == p.message_id) {
                    entry.patches.push(p);
                }
            }
        }
    }

    /// Every cover letter and patch found so far.
    fn messages(&self) -> impl Iterator<Item = &SeriesPatch> {
        self.versions
            .values()
            .flat_map(|v| v.cover.iter().chain(&v.patches))
    }
}

impl Store {
    /// The series that contains the message with this Message-ID (a cover
    /// letter, a patch, or a reply to either), with every known version.
    /// None when the message is unknown or not part of a series.
    pub fn series(&self, message_id: &str) -> Result<Option<Series>> {
        self.series_read(message_id, true)
    }

    /// [`Store::series`] without what needs each message read: patch-ids,
    /// changes between versions, changelogs (for a page that links the
    /// versions).
    pub fn series_outline(&self, message_id: &str) -> Result<Option<Series>> {
        self.series_read(message_id, false)
    }

    fn series_read(&self, message_id: &str, full: bool) -> Result<Option<Series>> {
        let Some(view) = self.thread(message_id)? else {
            return Ok(None);
        };
        let Some(start) = series_message(&view, message_id) else {
            return Ok(None);
        };
        let sender = view.nodes[start].from.clone();
        let found = self.gather_versions(&view.root, &sender.email)?;
        let mut versions: Vec<SeriesVersion> = found.versions.into_values().collect();
        for v in &mut versions {
            self.complete_version(v, full)?;
        }
        if full {
            follow_patches(&mut versions);
        }
        // The newest cover letter names the series; a partial re-roll has none.
        let subject = versions
            .iter()
            .rev()
            .find_map(|v| v.cover.as_ref())
            .or_else(|| versions.iter().rev().find_map(|v| v.patches.first()))
            .map(|p| crate::series::parse_subject(&p.subject).base)
            .unwrap_or_default();
        Ok(Some(Series {
            subject,
            sender,
            change_id: found.change_ids.into_iter().next(),
            versions,
        }))
    }

    /// Follows links between threads from `root`, a bounded number of
    /// hops: the versions `sender` posted in each.
    fn gather_versions(&self, root: &str, sender: &str) -> Result<Found> {
        let mut found = Found::default();
        let mut todo: Vec<(String, &'static str)> = vec![(root.to_string(), "thread")];
        while let Some((root, how)) = todo.pop() {
            if found.threads.contains_key(&root) || found.threads.len() >= 64 {
                continue;
            }
            found.threads.insert(root.clone(), how);
            found.add(&self.thread_by_root(&root)?, sender, how);
            let ids: Vec<String> = found.messages().map(|p| p.message_id.clone()).collect();
            for id in &ids {
                found.change_ids.extend(
                    self.query_one::<Option<String>>(
                        "SELECT change_id FROM messages WHERE msgid = ?1 AND change_id IS NOT NULL",
                        &[id],
                    )?
                    .flatten(),
                );
            }
            // The strongest link of a thread is popped first (and named).
            let more = self.linked_threads(&found, sender)?;
            todo.extend(
                more.into_iter()
                    .rev()
                    .filter(|(r, _)| !found.threads.contains_key(r)),
            );
        }
        Ok(found)
    }

    /// Threads that hold more of the series, and how each is linked: by
    /// change-id, by the sender and a cover letter's subject (a single
    /// patch is its own cover), or by the sender and two or more patch
    /// subjects in common (a renamed cover letter, or none).
    fn linked_threads(&self, found: &Found, sender: &str) -> Result<Vec<(String, &'static str)>> {
        let mut more: Vec<(String, &'static str)> = Vec::new();
        for cid in &found.change_ids {
            let roots = self.query_column::<String>(
                "SELECT DISTINCT thread_root FROM messages WHERE change_id = ?1",
                &[cid],
            )?;
            more.extend(roots.into_iter().map(|r| (r, "change-id")));
        }
        let base = |p: &SeriesPatch| crate::series::parse_subject(&p.subject).base;
        let covers: BTreeSet<String> = found
            .versions
            .values()
            .filter_map(|v| {
                v.cover.as_ref().or(if v.patches.len() == 1 {
                    v.patches.first()
                } else {
                    None
                })
            })
            .map(base)
            .collect();
        for cover in &covers {
            more.extend(
                self.roots_posting(sender, cover)?
                    .into_iter()
                    .map(|r| (r, "cover-subject")),
            );
        }
        let patches: BTreeSet<String> = found
            .versions
            .values()
            .flat_map(|v| &v.patches)
            .map(base)
            .collect();
        let mut shared: BTreeMap<String, usize> = BTreeMap::new();
        for subject in patches.iter().filter(|s| !covers.contains(*s)) {
            for root in self.roots_posting(sender, subject)? {
                *shared.entry(root).or_default() += 1;
            }
        }
        more.extend(
            shared
                .into_iter()
                .filter(|&(_, n)| n >= 2)
                .map(|(r, _)| (r, "patch-subjects")),
        );
        // Strongest first: change-id, cover subject, patch subjects.
        let mut once = BTreeSet::new();
        more.retain(|(r, _)| once.insert(r.clone()));
        Ok(more)
    }

    /// Threads in which `sender` posted a patch or cover letter whose
    /// subject without tags is `base`.
    fn roots_posting(&self, sender: &str, base: &str) -> Result<Vec<String>> {
        self.query_column::<String>(
            "SELECT DISTINCT thread_root FROM messages
             WHERE is_patch != 0 AND is_reply = 0 AND from_email = ?1 AND subject_base = ?2
               AND thread_root IS NOT NULL",
            &[&sender, &base],
        )
    }

    /// Orders a version's patches, says whether it is partial, and (if
    /// `full`) reads its changelog and each patch's patch-id.
    fn complete_version(&self, v: &mut SeriesVersion, full: bool) -> Result<()> {
        v.patches
            .sort_by_key(|p| (p.index.unwrap_or(0), p.date, p.message_id.clone()));
        let expected = v
            .cover
            .as_ref()
            .and_then(|c| c.total)
            .or_else(|| v.patches.iter().find_map(|p| p.total));
        v.partial = expected.is_some_and(|t| (v.patches.len() as u32) < t);
        if !full {
            return Ok(());
        }
        for (i, p) in v.cover.iter_mut().chain(v.patches.iter_mut()).enumerate() {
            let Some(m) = self.parsed(&p.message_id)? else {
                continue;
            };
            p.patch_id = crate::series::patch_id(&m.body);
            if i == 0 {
                v.changes = crate::series::changes(&m.body);
            }
        }
        Ok(())
    }

    /// The message stored under `message_id`, parsed.
    fn parsed(&self, message_id: &str) -> Result<Option<Box<message::Message>>> {
        let Some(raw) = self.raw_by_message_id(message_id)?.into_iter().next() else {
            return Ok(None);
        };
        Ok(match message::parse(&raw) {
            message::ParseOutcome::Message(m, _) => Some(m),
            message::ParseOutcome::NotAMessage(_) => None,
        })
    }
}

/// From the message asked about up to the nearest patch or cover letter.
fn series_message(view: &ThreadView, message_id: &str) -> Option<usize> {
    let mut cur = view
        .nodes
        .iter()
        .position(|n| n.message_id == message_id && !n.ghost);
    loop {
        match cur {
            Some(i) if view.nodes[i].posts_patch() => return Some(i),
            Some(i) => cur = view.nodes[i].parent,
            None => return None,
        }
    }
}

/// Each patch's counterpart in the version before and what changed, and
/// what each version dropped. A partial re-roll (some patches re-sent)
/// drops nothing: the version after it is compared with the one before
/// it, the re-sent patches in place of theirs.
fn follow_patches(versions: &mut [SeriesVersion]) {
    let Some(first) = versions.first() else {
        return;
    };
    let mut standing: Vec<SeriesPatch> = first.patches.clone();
    for cur in versions.iter_mut().skip(1) {
        let (prev_bases, cur_bases) = (bases(&standing), bases(&cur.patches));
        let (links, dropped) = crate::series::correspond(
            &keys(&standing, &prev_bases),
            &keys(&cur.patches, &cur_bases),
        );
        for (p, &(j, change)) in cur.patches.iter_mut().zip(&links) {
            p.change = Some(change);
            p.previous = j.map(|j| standing[j].message_id.clone());
        }
        if !cur.partial {
            cur.dropped = dropped
                .into_iter()
                .map(|j| standing[j].subject.clone())
                .collect();
            standing = cur.patches.clone();
            continue;
        }
        for (p, (j, _)) in cur.patches.iter().zip(links) {
            match j {
                Some(j) => standing[j] = p.clone(),
                None => standing.push(p.clone()),
            }
        }
    }
}

/// The patches' subjects without tags.
fn bases(patches: &[SeriesPatch]) -> Vec<String> {
    patches
        .iter()
        .map(|p| crate::series::parse_subject(&p.subject).base)
        .collect()
}

/// The patches as correspondence reads them.
fn keys<'a>(patches: &'a [SeriesPatch], bases: &'a [String]) -> Vec<crate::series::PatchKey<'a>> {
    patches
        .iter()
        .zip(bases)
        .map(|(p, base)| crate::series::PatchKey {
            base,
            index: p.index,
            patch_id: p.patch_id.as_deref(),
        })
        .collect()
}

/// A patch or cover letter as posted (not a reply), for finding commits'
/// postings.
#[derive(Debug, Clone)]
pub struct PostingRow {
    /// Its store row.
    pub row: i64,
    /// Message-ID.
    pub message_id: String,
    /// Subject without tags.
    pub subject_base: String,
    /// In-body `From:` address, else the sender's.
    pub author_email: String,
    /// The sender's address.
    pub from_email: String,
    /// Unix seconds.
    pub date: Option<i64>,
    /// Carries a diff.
    pub has_diff: bool,
    /// Its patch-id: `Some(None)` when its diff gives none, `None` when
    /// not computed yet (a store written before patch-ids were kept).
    pub patch_id: Option<Option<String>>,
}

impl Store {
    /// Every patch and cover letter posted (a `[PATCH]` subject, or a diff
    /// in a message that answers none), oldest first.
    pub fn patch_postings(&self) -> Result<Vec<PostingRow>> {
        let rows = self.query(
            "SELECT msgid, subject_base, author_email, from_email, date, has_diff,
                    p.message IS NOT NULL, p.patch_id, id
             FROM messages LEFT JOIN patch_ids p ON p.message = messages.id
             WHERE (is_patch != 0 OR has_diff != 0) AND is_reply = 0 ORDER BY date, id",
            &[],
        )?;
        let err = self.err();
        rows.iter()
            .map(|r| {
                Ok(PostingRow {
                    row: r.get(8).map_err(&err)?,
                    message_id: r.get(0).map_err(&err)?,
                    subject_base: r.get(1).map_err(&err)?,
                    author_email: r.get(2).map_err(&err)?,
                    from_email: r.get(3).map_err(&err)?,
                    date: r.get(4).map_err(&err)?,
                    has_diff: r.get::<i64>(5).map_err(&err)? != 0,
                    patch_id: match r.get::<bool>(6).map_err(&err)? {
                        true => Some(r.get(7).map_err(&err)?),
                        false => None,
                    },
                })
            })
            .collect()
    }

    /// Keeps the patch-ids of messages stored before patch-ids were (by
    /// store row).
    pub fn put_patch_ids(&self, ids: &[(i64, Option<String>)]) -> Result<()> {
        let w = self.writer()?;
        super::writer::write_rows(
            self,
            "INSERT OR IGNORE INTO patch_ids(message, patch_id)",
            ids,
            |r| vec![&r.0, &r.1],
        )?;
        w.commit()
    }

    /// The body of the message in store row `row` (its canonical copy),
    /// decoded.
    pub fn body_at(&self, row: i64) -> Result<Option<String>> {
        Ok(match message::parse(&self.canonical_raw(row)?) {
            message::ParseOutcome::Message(m, _) => Some(m.body),
            message::ParseOutcome::NotAMessage(_) => None,
        })
    }

    /// Every Message-ID in the archive.
    pub fn message_ids(&self) -> Result<std::collections::HashSet<String>> {
        Ok(self
            .query_column::<String>("SELECT msgid FROM messages", &[])?
            .into_iter()
            .collect())
    }
}
